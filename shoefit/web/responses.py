"""JSON responses: the bytes sent, and the one conditional-GET helper (ETag, 304)."""

import json

import flask
import orjson
from werkzeug.http import quote_etag


def dumps(body):
    """JSON bytes, fast; a client's integer beyond 64 bits (orjson's limit), echoed back, still fits."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body, status=200):
    # Responses are built as plain dicts (or already JSON bytes) by the recommender;
    # serialising them directly skips a marshmallow dump that would cost more than the scoring.
    payload = body if isinstance(body, bytes) else dumps(body)
    # The app behind the proxy: every attribute read through current_app is a lookup of its own.
    app = flask.current_app._get_current_object()
    # content_type rather than mimetype: the same header, without werkzeug working out a charset it would not add.
    return app.response_class(payload, status=status, content_type="application/json")


def conditional(tag, build):
    """`build()`'s response with ETag `tag`, or a 304 when the client holds that tag already."""
    if flask.request.if_none_match.contains_weak(tag):
        response = flask.current_app.response_class(status=304)
    else:
        response = build()
    response.headers["ETag"] = quote_etag(tag)
    return response
