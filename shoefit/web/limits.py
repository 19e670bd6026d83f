"""Who may call the API and how often: the kiosk origins a browser may call from (CORS), and rate limits per client.

Rate limits count per client over all endpoints together: per configured client key (X-Client-Key), else per client
address (see SHOEFIT_TRUSTED_PROXIES behind a reverse proxy). The probes, the kiosk page's own files and CORS
preflights are not counted. Counts live in memory, one count per worker (said at start-up when there are several
workers), or in Redis, shared by every worker and host. When Redis stops answering, each worker counts in its own
memory with the same limits (flask-limiter logs a warning) and goes back to Redis once it answers again: a Redis
outage makes the limits looser for a while, it does not take the service down.
"""

import hashlib
import math
import re
import time
from urllib.parse import urlsplit

import flask
from flask_cors import CORS
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits.errors import ConfigurationError, StorageError

from ..config import ConfigError
from .problems import problem

PROBES = frozenset({"meta.healthz", "meta.readyz"})
# The kiosk page's own files are static and cheap; counting them would let a few kiosks behind one address lock
# themselves out of their own page on a simultaneous reload. Its API calls are counted like any client's.
PAGE_FILES = frozenset({"kiosk.root", "kiosk.page", "kiosk.static", "kiosk.settings"})
CORS_METHODS = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"]
# Authorization carries the admin endpoints' key (routes/admin.py), X-Client-Key a kiosk's rate-limit key.
CORS_REQUEST_HEADERS = ["Content-Type", "If-Match", "If-None-Match", "X-Request-ID", "Authorization", "X-Client-Key"]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After"]
# Seconds a browser may reuse a preflight answer: a kiosk then asks once per endpoint and method, not per request.
CORS_MAX_AGE = 600
# A Redis that does not answer must not hold each request up for the operating system's TCP timeout.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
# Whatever the storage, its failures arrive as one exception type (flask-limiter handles them all the same).
STORAGE_OPTIONS = {"wrap_exceptions": True}

# How many processes serve the app. gunicorn.conf.py says so before the app is loaded (gunicorn's nworkers_changed
# hook, which sees the command line too); anything else (the test client, `flask run`) is one process.
serving = {"workers": 1}


def init_app(app, config):
    if config["CORS_ORIGINS"]:
        _cors(app, config["CORS_ORIGINS"])
    spec = config["RATE_LIMIT"]
    if not spec or spec.strip().lower() == "off":
        return
    storage_url = config["RATE_LIMIT_STORAGE_URL"]
    limiter = _limiter(app, spec, storage_url, _client(config["RATE_LIMIT_CLIENT_KEYS"]))
    workers = serving["workers"]
    if workers > 1 and urlsplit(storage_url).scheme == "memory":
        # A limit a store cannot see being multiplied is no limit it can reason about: say what it really is.
        app.logger.warning(
            "rate limits count per worker: with SHOEFIT_RATE_LIMIT_STORAGE_URL=%s each of the %d workers allows a "
            "client %s, so up to %d times that in all; a Redis URL there makes it one count per client",
            storage_url,
            workers,
            spec,
            workers,
        )

    @limiter.request_filter
    def not_counted():
        endpoint = flask.request.endpoint
        return endpoint in PROBES or endpoint in PAGE_FILES or flask.request.method == "OPTIONS"

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(error):
        retry = _retry_after(limiter, error)
        return problem(
            429,
            "Too Many Requests",
            f"This client sent more than {error.description}; try again in {retry} s.",
            headers={"Retry-After": str(retry)},
        )


def _cors(app, origins):
    CORS(
        app,
        # Compiled, so flask-cors compares them as written (its plain strings compare case-insensitively) and whole.
        origins=[re.compile(re.escape(origin) + r"\Z") for origin in origins],
        methods=CORS_METHODS,
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=CORS_MAX_AGE,
        always_send=False,
        vary_header=False,
    )

    @app.after_request
    def vary_by_origin(response):
        # Every answer depends on the Origin, also one without CORS headers (another origin, or none): a cache
        # must not hand it to a kiosk on an allowed origin, nor an allowed origin's answer to anyone else.
        response.vary.add("Origin")
        return response


def _client(keys):
    # Keys are kept and counted by digest: the storage (Redis) never holds a kiosk's key itself.
    known = {_digest(key) for key in keys}

    def client():
        sent = flask.request.headers.get("X-Client-Key")
        if sent and _digest(sent) in known:
            return f"key:{_digest(sent)}"
        # An unknown key counts as none: inventing keys must not buy a client fresh counts.
        return get_remote_address()

    return client


def _digest(key):
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _limiter(app, spec, storage_url, client):
    options = {**STORAGE_OPTIONS, **(REDIS_OPTIONS if urlsplit(storage_url).scheme.startswith("redis") else {})}
    try:
        return Limiter(
            client,
            app=app,
            # Application limits: one count per client over every endpoint (default limits count per endpoint).
            application_limits=[spec],
            storage_uri=storage_url,
            storage_options=options,
            in_memory_fallback=[spec],
            key_prefix="shoefit",
        )
    except ConfigurationError as exc:
        raise ConfigError(f"SHOEFIT_RATE_LIMIT_STORAGE_URL={storage_url!r}: {exc}") from None


def _retry_after(limiter, error):
    try:
        reset_at = limiter.current_limit.reset_at
    except StorageError:
        # The storage failed after counting this request: the whole window is the longest the client must wait.
        return error.limit.limit.get_expiry()
    return min(error.limit.limit.get_expiry(), max(1, math.ceil(reset_at - time.time())))
