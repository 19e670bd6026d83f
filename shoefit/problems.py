"""RFC 9457 problem details for every error the API returns."""

import json
import logging

import flask
import flask_smorest
import orjson

from .observability import request_id
from .schemas import ProblemSchema

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)


def dumps(body):
    """JSON bytes, fast; a client's integer beyond 64 bits (orjson's limit), echoed back, still fits."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def problem(status, title, detail=None, errors=None, headers=None):
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    # RFC 9457 extension member: the id the access log line and any error log carry, to quote in a support call.
    body["request_id"] = request_id()
    return flask.current_app.response_class(dumps(body), status=status, mimetype=PROBLEM_MIMETYPE, headers=headers)


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
            errors = field_errors(messages)
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
            return problem(422, "Invalid request", detail, errors, data.get("headers"))
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
        return problem(error.code, error.name, detail, data.get("errors"), headers or None)


def field_errors(messages):
    """Flatten webargs' {location: {field: [msg] | {...}}} into [{field, value, message}]."""
    errors = []
    for location, tree in messages.items():
        sent = _sent(location)
        _flatten(tree, [], sent, errors)
    return errors


def item_errors(messages, item):
    """[{field, value, message}] for marshmallow messages about one item of a batch."""
    errors = []
    _flatten(messages, [], item, errors, root="(profile)")
    return errors


def problem_body(status, title, errors):
    """A problem as a JSON object inside another response (a batch item's)."""
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": errors}


def _sent(location):
    if location == "json":
        return flask.request.get_json(silent=True)
    if location == "query":
        return flask.request.args.to_dict()
    return None


def _flatten(tree, path, sent, errors, root="(body)"):
    if isinstance(tree, dict):
        for key, sub in tree.items():
            _flatten(sub, path if key == "_schema" else [*path, key], sent, errors, root)
        return
    name = ".".join(str(p) for p in path) or root
    for message in tree if isinstance(tree, list) else [tree]:
        if isinstance(message, (dict, list)):
            _flatten(message, path, sent, errors, root)
            continue
        entry = {"field": name, "message": str(message)}
        found, value = _lookup(sent, path)
        if found:
            entry["value"] = value
        errors.append(entry)


def _lookup(sent, path):
    value = sent
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return False, None
    return path != [], value


# The admin endpoints take a CSV body or none, and check it themselves once the admin key is checked. Without
# admin keys they do not exist, and a POST to them is a 404 like any unknown path, whatever its body.
NOT_JSON = frozenset({"admin.upload_catalog", "admin.reload_catalog", None})


def register(app):
    """Problems for what happens before or outside the API's own views."""

    @app.before_request
    def require_json_body():
        request = flask.request
        if request.method in ("POST", "PUT", "PATCH") and not request.is_json and request.endpoint not in NOT_JSON:
            return problem(
                415,
                "Unsupported Media Type",
                f"Send the body as JSON with 'Content-Type: application/json' (got {request.mimetype or 'none'!r}).",
            )
        return None
