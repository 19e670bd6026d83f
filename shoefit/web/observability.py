"""Request ids and one access-log line per request.

The line names the method, the path, the query parameters' names (never their values: a kiosk could put
anything in them), the status, the time taken, the request id and the client address. Bodies are never logged.
The client address is the one the rate limits count (web/limits.py): behind the configured reverse proxies, the
address they saw (TrustedProxies below).
"""

import functools
import ipaddress
import logging
import os
import random
import re
import sys
import time
from urllib.parse import parse_qsl

import flask
import orjson

HEADER = "X-Request-ID"
# What a client may choose: enough for a uuid, a trace id or a kiosk's own counter, and nothing that could
# break a log line or a header.
CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Kept in the WSGI environ, which outlives the request context: AccessLog below reads it after Flask is done.
ENVIRON_KEY = "shoefit.request_id"

access_log = logging.getLogger("shoefit.access")

# Request ids come from a generator of their own, so that nothing seeding the random module repeats them, seeded
# from the system again in each forked worker, so that two workers of one preloaded app do not draw the same ones.
_IDS = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_IDS.seed)


def request_id():
    """The current request's id: the client's X-Request-ID when it is sane, else a new one."""
    # Past the proxy at once: an attribute read through it costs more than the id.
    return _request_id(flask.request._get_current_object().environ)


def _request_id(environ):
    found = environ.get(ENVIRON_KEY)
    if found is None:
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        # 128 random bits as 32 hex digits, a uuid4's shape. Not os.urandom's: an id names a request and guards
        # nothing, and a system call per request hands the GIL to another thread while this one waits to get it back.
        found = environ[ENVIRON_KEY] = sent if CLIENT_ID.fullmatch(sent) else f"{_IDS.getrandbits(128):032x}"
    return found


def init_app(app, config):
    @app.after_request
    def echo_request_id(response):
        response.headers[HEADER] = request_id()
        return response

    fmt = config["ACCESS_LOG"]
    if fmt != "off":
        if not access_log.handlers:
            # Unless the deployment's logging configuration already routes these lines somewhere: stderr, once.
            access_log.addHandler(_STDERR)
            access_log.propagate = False
        access_log.setLevel(logging.INFO)
        app.wsgi_app = AccessLog(app.wsgi_app, _FORMATS[fmt])
    if config["TRUSTED_PROXIES"]:
        # Outside AccessLog: the address logged is the one the proxies saw.
        app.wsgi_app = TrustedProxies(app.wsgi_app, config["TRUSTED_PROXIES"])


class AccessLog:
    """WSGI middleware: the access line, once the response is made.

    At the WSGI layer rather than in Flask's signals: the clock starts before any before_request hook (a 415 or 429
    is answered from one), the line is written after every after_request hook has had its say, and what it names
    is read from the environ once rather than through the request proxy field by field.
    """

    def __init__(self, app, line):
        self.app = app
        self.line = line  # entry -> text

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        answered = []

        def start(status, headers, exc_info=None):
            answered.append(status)
            return start_response(status, headers, exc_info)

        body = self.app(environ, start)
        if answered:
            self._log(environ, int(answered[-1][:3]), started)
        return body

    def _log(self, environ, status, started):
        entry = {
            "time": _now(),
            "request_id": _request_id(environ),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD", "GET").upper(),
            "path": _path(environ),
            "query": _query_names(environ),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        text = self.line(entry)
        if _only_stderr():
            _STDERR.write(text)
        else:
            access_log.info(text)


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


def _now():
    # ISO 8601 in UTC to the millisecond, as datetime.isoformat(timespec="milliseconds") writes it.
    seconds, ns = divmod(time.time_ns(), 1_000_000_000)
    return f"{_utc_second(seconds)}.{ns // 1_000_000:03d}+00:00"


@functools.lru_cache(maxsize=4)
def _utc_second(seconds):
    # Formatted once a second, not once a request.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _path(environ):
    # What werkzeug makes request.path of: PATH_INFO's bytes as UTF-8, one leading slash.
    return "/" + (environ.get("PATH_INFO") or "").encode("latin-1").decode(errors="replace").lstrip("/")


def _query_names(environ):
    query = environ.get("QUERY_STRING", "")
    if not query:
        return []
    # The names request.args holds (werkzeug parses the query this way), never the values.
    pairs = parse_qsl(query.encode("latin-1").decode(), keep_blank_values=True, errors="werkzeug.url_quote")
    return sorted({name for name, _ in pairs})


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

    def write(self, text):
        """What emit() writes for a record of `text`, without the record: for the line of every request, a
        LogRecord (the caller's frame looked up, the thread named, the clock read) costs more than the line."""
        with self.lock:
            try:
                stream = self.stream
                stream.write(text + self.terminator)
                stream.flush()
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": text, "name": access_log.name}))


_STDERR = _Stderr()


def _only_stderr():
    """Whether the access logger is as init_app set it up, its lines going to _STDERR alone, formatted as written."""
    handlers = access_log.handlers
    return (
        len(handlers) == 1
        and handlers[0] is _STDERR
        and not access_log.propagate
        and not access_log.filters
        and not _STDERR.filters
        and _STDERR.formatter is None
        and _STDERR.level <= logging.INFO
        and access_log.isEnabledFor(logging.INFO)
    )
