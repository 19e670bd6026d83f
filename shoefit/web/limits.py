"""Who may call the API and how often: the kiosk origins a browser may call from (CORS), and rate limits per client.

Rate limits count per client address (see SHOEFIT_TRUSTED_PROXIES behind a reverse proxy) over all endpoints
together; the probes, the kiosk page's own files and CORS preflights are not counted. Counts live in memory, one
count per worker, or in Redis, shared by every worker and host. When Redis stops answering, each worker counts in
its own memory with the same limits (flask-limiter logs a warning) and goes back to Redis once it answers again: a
Redis outage makes the limits looser for a while, it does not take the service down.
"""

import math
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
# Authorization carries the admin endpoints' key (routes/admin.py).
CORS_REQUEST_HEADERS = ["Content-Type", "If-Match", "If-None-Match", "X-Request-ID", "Authorization"]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After"]
# Seconds a browser may reuse a preflight answer: a kiosk then asks once per endpoint and method, not per request.
CORS_MAX_AGE = 600
# A Redis that does not answer must not hold each request up for the operating system's TCP timeout.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
# Whatever the storage, its failures arrive as one exception type (flask-limiter handles them all the same).
STORAGE_OPTIONS = {"wrap_exceptions": True}


def init_app(app, config):
    if config["CORS_ORIGINS"]:
        CORS(
            app,
            origins=list(config["CORS_ORIGINS"]),
            methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=CORS_MAX_AGE,
            always_send=False,
        )
    spec = config["RATE_LIMIT"]
    if not spec or spec.strip().lower() == "off":
        return
    limiter = _limiter(app, spec, config["RATE_LIMIT_STORAGE_URL"])

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


def _limiter(app, spec, storage_url):
    options = {**STORAGE_OPTIONS, **(REDIS_OPTIONS if urlsplit(storage_url).scheme.startswith("redis") else {})}
    try:
        return Limiter(
            get_remote_address,
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
