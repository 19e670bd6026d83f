"""Request ids and one access-log line per request.

The line names the method, the path, the query parameters' names (never their values: a kiosk could put
anything in them), the status, the time taken, the request id and the client address. Bodies are never logged.
"""

import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import flask
import orjson
from werkzeug.middleware.proxy_fix import ProxyFix

HEADER = "X-Request-ID"
# What a client may choose: enough for a uuid, a trace id or a kiosk's own counter, and nothing that could
# break a log line or a header.
CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_log = logging.getLogger("shoefit.access")


def request_id():
    """The current request's id: the client's X-Request-ID when it is sane, else a new one."""
    if "request_id" not in flask.g:
        sent = flask.request.headers.get(HEADER, "")
        flask.g.request_id = sent if CLIENT_ID.fullmatch(sent) else uuid.uuid4().hex
    return flask.g.request_id


def init_app(app, config):
    if config["TRUSTED_PROXIES"]:
        hops = config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.after_request
    def echo_request_id(response):
        response.headers[HEADER] = request_id()
        return response

    fmt = config["ACCESS_LOG"]
    if fmt == "off":
        return
    app.extensions["shoefit.access_log"] = _FORMATS[fmt]
    if not access_log.handlers:
        # Unless the deployment's logging configuration already routes these lines somewhere: stderr, once.
        access_log.addHandler(_Stderr())
        access_log.propagate = False
    access_log.setLevel(logging.INFO)
    # Signals rather than before/after_request: the clock starts before any before_request hook (a 415 or 429 is
    # answered from one), and the line is written after every after_request hook has had its say.
    flask.request_started.connect(_start, app)
    flask.request_finished.connect(_finish, app)


def _start(app, **extra):
    flask.g.started = time.perf_counter()


def _finish(app, response, **extra):
    request = flask.request
    started = flask.g.get("started", time.perf_counter())
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id(),
        "remote_addr": request.remote_addr,
        "method": request.method,
        "path": request.path,
        "query": sorted(set(request.args)),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    access_log.info(app.extensions["shoefit.access_log"](entry))


def _json(entry):
    return orjson.dumps(entry).decode()


def _text(entry):
    query = "?" + "&".join(entry["query"]) if entry["query"] else ""
    return (
        f'{entry["remote_addr"]} "{entry["method"]} {entry["path"]}{query}" {entry["status"]} '
        f"{entry['duration_ms']}ms request_id={entry['request_id']}"
    )


_FORMATS = {"json": _json, "text": _text}


class _Stderr(logging.StreamHandler):
    """A stderr handler that looks sys.stderr up at each line, as a test runner or daemon may replace it."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        # StreamHandler.__init__ assigns its stream; the property above is what is written to.
        pass
