"""Request ids and one access-log line per request.

The line names the method, the path, the query parameters' names (never their values: a kiosk could put
anything in them), the status, the time taken, the request id and the client address. Bodies are never logged.
The client address is the one the rate limits count (web/limits.py): behind the configured reverse proxies, the
address they saw (TrustedProxies below).
"""

import ipaddress
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import flask
import orjson

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
        app.wsgi_app = TrustedProxies(app.wsgi_app, config["TRUSTED_PROXIES"])

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


class TrustedProxies:
    """WSGI middleware: the client's address and scheme as the configured reverse proxies saw them.

    Each proxy appends to X-Forwarded-For the address the request came to it from, so the header is read from the
    right, one entry per hop, for as long as the hop that wrote it is a configured proxy; the first address that is
    not one is the client. A client connecting directly is believed nothing, and whatever a client writes into the
    header itself lies left of its real address and is never reached.
    """

    def __init__(self, app, proxies):
        self.app = app
        self.networks = tuple(proxy for proxy in proxies if proxy != "unix")
        self.unix = "unix" in proxies

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = [part.strip() for part in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        client, hops = peer, 0
        while forwarded and self._is_proxy(client):
            sent = _address(forwarded.pop())
            if sent is None:
                # Not an address (a port, "unknown", garbage): the last proxy is as far as anything can be believed.
                break
            client, hops = str(sent), hops + 1
        if hops:
            environ["REMOTE_ADDR"] = client
            schemes = [part.strip() for part in environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")]
            if len(schemes) >= hops and schemes[-hops] in ("http", "https"):
                environ["wsgi.url_scheme"] = schemes[-hops]
        return self.app(environ, start_response)

    def _is_proxy(self, address):
        parsed = _address(address)
        if parsed is None:
            # gunicorn gives a unix socket's peer no address (only the connecting peer: forwarded ones are addresses).
            return self.unix and address == ""
        return any(parsed in network for network in self.networks)


def _address(text):
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d; networks are configured as a.b.c.d.
    return getattr(parsed, "ipv4_mapped", None) or parsed


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
