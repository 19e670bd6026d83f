"""RFC 9457 problem details: every error the API returns is built here, and documented from here.

A view refuses with flask-smorest's `abort(status, message=..., headers=..., errors=..., title=...)`,
or `refuse(errors)` for field errors; the Api below turns that, and every other HTTP error, into a
problem. Error handlers, which answer rather than raise, return `problem(...)`.
"""

import logging

import flask
import flask_smorest
from flask_smorest import abort

from ..core.errors import summary
from ..core.validation import field_errors
from .catalog_schemas import ProblemSchema
from .observability import request_id
from .responses import dumps

PROBLEM_MIMETYPE = "application/problem+json"
INVALID = "Invalid request"
# The detail line names this many field errors; `errors` lists them all.
DETAIL_ERRORS = 5
# What each status means for this API, in the OpenAPI document; a resource may say it more precisely.
ERRORS = {
    "422": "Invalid request",
    "415": "Not JSON",
    "413": "Body too large",
    "400": "Malformed JSON",
    "503": "A database the service needs does not answer",
}
log = logging.getLogger("shoefit.problems")


def problem_body(status, title, detail=None, errors=None):
    """A problem as a JSON object: a response's whole body, or a batch item's `problem`."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return body


def problem(status, title, detail=None, errors=None, headers=None):
    body = problem_body(status, title, detail, errors)
    # RFC 9457 extension member: the id the access log line and any error log carry, to quote in a support call.
    body["request_id"] = request_id()
    return flask.current_app.response_class(dumps(body), status=status, mimetype=PROBLEM_MIMETYPE, headers=headers)


def refuse(errors, detail=None):
    """Stop the request with a 422 for field errors [{field, value, message}]: all in `errors`, the
    first few in the detail unless one is given."""
    abort(422, title=INVALID, message=detail or summary(errors, DETAIL_ERRORS), errors=errors)


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering every HTTP error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        if error.code == 400 and messages:
            # webargs reports undecodable JSON as a 400 with these messages.
            return problem(400, "Malformed JSON", "The request body is not valid JSON.")
        if error.code == 422 and messages:
            errors = _webargs_errors(messages)
            return problem(422, INVALID, summary(errors, DETAIL_ERRORS), errors, data.get("headers"))
        if error.code >= 500:
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error(
                    "unhandled error in request %s (%s %s)",
                    request_id(),
                    flask.request.method,
                    flask.request.path,
                    exc_info=original,
                )
            return problem(error.code, error.name, "The server could not answer; the error was logged.")
        detail = data.get("message") or error.description
        headers = data.get("headers") or {}
        if getattr(error, "valid_methods", None):
            # A 405 must say what is allowed (RFC 9110).
            headers = {**headers, "Allow": ", ".join(error.valid_methods)}
        return problem(error.code, data.get("title", error.name), detail, data.get("errors"), headers or None)


def _webargs_errors(messages):
    """webargs' {location: {field: [message] | {...}}} as field errors, each with the value sent there."""
    errors = []
    for location, tree in messages.items():
        errors += field_errors(tree, _sent(location))
    return errors


def _sent(location):
    if location == "json":
        return flask.request.get_json(silent=True)
    if location == "query":
        return flask.request.args.to_dict()
    return None


def documented(bp, *codes, descriptions=None, schemas=None, **doc):
    """Document a view's error responses as problems, in one doc entry (each alt_response would wrap the view).

    `descriptions` and `schemas`, by status, say more than ERRORS and ProblemSchema; `doc` adds to the operation.
    """
    descriptions = {**ERRORS, **(descriptions or {})}
    schemas = schemas or {}
    responses = {
        code: {
            "description": descriptions[code],
            "content": {PROBLEM_MIMETYPE: {"schema": schemas.get(code, ProblemSchema)}},
        }
        for code in codes
    }
    return bp.doc(**doc, responses=responses)


# The admin endpoints take a CSV body or none, and check it themselves once the admin key is checked. Without
# admin keys they do not exist, and a POST to them is a 404 like any unknown path, whatever its body.
NOT_JSON = frozenset({"admin.upload_catalog", "admin.reload_catalog", None})


def register(app):
    """Problems for what happens before or outside the API's own views."""

    @app.before_request
    def require_json_body():
        # The request behind the proxy: every attribute read through flask.request is a lookup of its own.
        request = flask.request._get_current_object()
        if request.method in ("POST", "PUT", "PATCH") and not request.is_json and request.endpoint not in NOT_JSON:
            return problem(
                415,
                "Unsupported Media Type",
                f"Send the body as JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'!r}).",
            )
        return None

    @app.before_request
    def refuse_unknown_query_parameters():
        # A view with a query schema refuses what the schema does not name; every other API view takes none.
        # A CORS preflight carries the query of the request it asks about, so it is left alone.
        request = flask.request._get_current_object()  # as above
        # An empty query string first: parsing one to find nothing is most of what this hook would cost.
        if not request.query_string or not request.args or request.method == "OPTIONS":
            return None
        if not request.path.startswith("/v1/"):
            return None
        view = app.view_functions.get(request.endpoint)
        # No view: the path or method has no route, and its 404 or 405 says more than a query could.
        if view is None or _takes_query(view):
            return None
        errors = [
            {"field": name, "value": value, "message": "Unknown query parameter: this endpoint takes none."}
            for name, value in request.args.items(multi=True)
        ]
        return problem(422, INVALID, summary(errors, DETAIL_ERRORS), errors)


def _takes_query(view):
    # flask-smorest keeps each view's @arguments in its documentation, with where they are read from.
    arguments = getattr(view, "_apidoc", {}).get("arguments", {})
    return any(parameter.get("in") == "query" for parameter in arguments.get("parameters", []))
