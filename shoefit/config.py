"""Settings: defaults, overridden by SHOEFIT_* environment variables, overridden by create_app(config).

Read by the service (web/app.py) and the command line alike, so both find the same catalog, rules,
database and instance folder.
"""

import ipaddress
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from .core.errors import ShoefitError


class ConfigError(ShoefitError):
    pass


BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def boolean(raw):
    try:
        return BOOLEANS[raw.strip().lower()]
    except KeyError:
        raise ValueError(raw) from None


def key_list(raw):
    # Empty entries are dropped: an empty key would let an empty bearer token in.
    return tuple(key for key in (part.strip() for part in raw.split(",")) if key)


ACCESS_LOG_FORMATS = ("json", "text", "off")
# Exact origins only: a browser sends scheme://host[:port], and anything else (a path, a wildcard, regex characters
# that flask-cors would treat as a pattern) would either never match or match too much.
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def access_log(raw):
    value = raw.strip().lower()
    if value not in ACCESS_LOG_FORMATS:
        raise ValueError(raw)
    return value


def proxies(raw):
    # Addresses and networks (10.0.0.5, 10.1.0.0/16, ::1), or unix for a proxy on gunicorn's unix socket. The old
    # number of proxies is refused: believing a count of hops from any peer is what let anyone choose their address.
    if raw.strip() == "0":
        return ()  # the old default, written out: no proxy, which means the same now
    listed = []
    for part in (part.strip() for part in raw.split(",")):
        if part.lower() == "unix":
            listed.append("unix")
        elif part:
            if part.isdigit():
                raise ValueError(raw)
            listed.append(ipaddress.ip_network(part, strict=False))
    return tuple(listed)


def origins(raw):
    listed = tuple(part.strip() for part in raw.split(",") if part.strip())
    if not all(ORIGIN.fullmatch(origin) for origin in listed):
        raise ValueError(raw)
    # Origins are compared exactly, and browsers send scheme and host in lowercase: one written with capitals
    # would otherwise never match.
    return tuple(origin.lower() for origin in listed)


def seconds(raw):
    value = float(raw)
    if not 0 < value < float("inf"):  # nan fails too
        raise ValueError(raw)
    return value


def rate_limits(raw):
    value = raw.strip()
    if value.lower() == "off":
        return "off"
    import limits  # flask-limiter's own parser, loaded only when a limit is set

    limits.parse_many(value)
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], object]
    default: object
    doc: str
    minimum: int = 1  # for int settings


SETTINGS = (
    Setting("CATALOG", str, None, "Path of the catalog CSV to serve. Default: the bundled data/catalog.csv."),
    Setting(
        "RULES", str, None, "Path of a knowledge-base TOML file. Default: the bundled shoefit/knowledge/rules.toml."
    ),
    Setting(
        "WEIGHTS",
        str,
        None,
        "Path of a weights overlay written by `shoefit calibrate`: per attribute a multiplier on the rules' weights, "
        "learnt from this store's try-ons; POST /v1/admin/catalog/reload reads it again. Default: none, the rules' "
        "weights as written.",
    ),
    Setting("MAX_BODY_BYTES", int, 64 * 1024, "Largest request body accepted; larger bodies get 413."),
    Setting("MEMO_SIZE", int, 512, "Recommendations remembered per worker for repeated profiles; 0 turns it off.", 0),
    Setting("BATCH_MAX_PROFILES", int, 1000, "Most profiles in one POST /v1/batch/recommendations."),
    Setting("BATCH_MAX_BODY_BYTES", int, 4 * 1024 * 1024, "Largest batch request body; larger bodies get 413."),
    Setting(
        "ADMIN_KEYS",
        key_list,
        (),
        "Comma-separated API keys for the admin endpoints (catalog upload and reload), sent as "
        "'Authorization: Bearer <key>'. Default: none, and then those endpoints do not exist.",
    ),
    Setting(
        "ADMIN_MAX_CATALOG_BYTES",
        int,
        20 * 1024 * 1024,
        "Largest catalog upload to POST /v1/admin/catalog; larger gets 413.",
    ),
    Setting(
        "INSTANCE_PATH",
        str,
        None,
        "Folder for this server's own files: the SQLite fittings database and uploaded catalogs. Default: "
        "instance/ in a checkout, <prefix>/var/shoefit-instance when installed.",
    ),
    Setting(
        "DATABASE_URL",
        str,
        None,
        "Where fittings are stored: a SQLAlchemy URL, e.g. postgresql://user:password@host/shoefit. "
        "Default: the SQLite file shoefit.sqlite3 in the instance folder.",
    ),
    Setting(
        "DATABASE_TIMEOUT",
        seconds,
        1.5,
        "Seconds a request waits on a PostgreSQL fittings database for any one thing (a connection, a statement) "
        "before it gets 503. A silent database costs a pooled connection's check (this + 0.5 s), then a new "
        "connection (this, whole seconds, at least 2): 503 within 4 s by default. Not for SQLite.",
    ),
    Setting(
        "AUTO_MIGRATE",
        boolean,
        True,
        "1: bring the fittings tables to the latest schema at start-up. With several servers, set 0 and run "
        "`shoefit db upgrade` once per release instead.",
    ),
    Setting(
        "ACCESS_LOG",
        access_log,
        "json",
        "One line per request on stderr (logger shoefit.access): json, text, or off. Never bodies or query values.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        proxies,
        (),
        "Comma-separated addresses or networks of the reverse proxies in front of the service (10.0.0.5, "
        "10.1.0.0/16; unix: a proxy on gunicorn's unix socket). X-Forwarded-For/-Proto are believed only from a "
        "peer among them, and the client address (logs, rate limits) is then the nearest one that is not a proxy. "
        "Default: none, the connecting address.",
    ),
    Setting(
        "CORS_ORIGINS",
        origins,
        (),
        "Comma-separated exact browser origins (e.g. https://kiosk.example.com) allowed to call the API. "
        "Default: none, and no CORS headers at all.",
    ),
    Setting(
        "RATE_LIMIT",
        rate_limits,
        "300/minute;20/second",
        "Requests per client address, e.g. 300/minute;20/second (all must hold); off turns rate limiting off. "
        "/healthz and /readyz are exempt.",
    ),
    Setting(
        "RATE_LIMIT_STORAGE_URL",
        str,
        "memory://",
        "Where the rate-limit counts are kept: memory:// (each worker counts alone, logged at start-up when "
        "there are several) or a Redis URL such as redis://127.0.0.1:6379/0 (shared by every worker and host "
        "using it).",
    ),
    Setting(
        "RATE_LIMIT_CLIENT_KEYS",
        key_list,
        (),
        "Comma-separated keys a store gives its kiosks, sent as 'X-Client-Key: <key>': each key is counted alone "
        "instead of by address. A key not listed counts as none. Default: none, every client counted by address.",
    ),
    Setting(
        "CLIENT_TIMEOUT",
        int,
        10,
        "Seconds a client may take to send a request body or take in the answer under gunicorn; slower gets 408 "
        "and the connection closed, so a trickling client cannot hold a worker thread.",
    ),
    Setting(
        "KIOSK_IDLE_SECONDS",
        int,
        90,
        "Seconds without a touch after which the kiosk page asks whether anyone is there, then clears every "
        "answer and starts over.",
    ),
    Setting(
        "KIOSK_TEXTS",
        str,
        None,
        "Path of a JSON file of the kiosk page's texts (a store's translation): its keys replace the bundled "
        "English ones, and a key the page does not know stops start-up. Default: the bundled English texts.",
    ),
)

# What a bad value should have been, where the parser's name does not say it.
EXPECTED = {
    boolean: "1 or 0 (or true/false, yes/no, on/off)",
    access_log: "json, text or off",
    origins: "comma-separated origins such as https://kiosk.example.com (scheme://host[:port], no path or wildcard)",
    rate_limits: "limits such as 300/minute;20/second, or off",
    seconds: "a number of seconds above 0, such as 2 or 0.5",
    proxies: "comma-separated addresses or networks of the proxies, such as 10.0.0.5,10.1.0.0/16 (or unix); "
    "a number of proxies is no longer taken",
}


def _parse(setting, raw):
    try:
        value = setting.parse(raw)
    except ValueError:
        expected = EXPECTED.get(setting.parse, setting.parse.__name__)
        raise ConfigError(f"SHOEFIT_{setting.name}={raw!r}: expected {expected}") from None
    if setting.parse is int and value < setting.minimum:
        raise ConfigError(f"SHOEFIT_{setting.name}={raw!r}: must be at least {setting.minimum}")
    return value


def load(overrides=None, environ=os.environ):
    config = {}
    for setting in SETTINGS:
        raw = environ.get(f"SHOEFIT_{setting.name}")
        config[setting.name] = setting.default if raw in (None, "") else _parse(setting, raw)
    config.update(overrides or {})
    return config


def instance_path(config):
    """The instance folder `config` names (SHOEFIT_INSTANCE_PATH), else the default one."""
    return config["INSTANCE_PATH"] or default_instance_path()


def default_instance_path():
    """instance/ beside the package in a checkout, <prefix>/var/shoefit-instance when installed.

    Flask's own rule for an app named shoefit, worked out without Flask, so the command line finds the
    service's folder without loading the web layer.
    """
    package_path = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    prefix = os.path.abspath(sys.prefix)
    if PurePath(package_path).is_relative_to(prefix):
        return os.path.join(prefix, "var", "shoefit-instance")
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() != "site-packages":
        return os.path.join(package_path, "instance")
    parent, folder = os.path.split(site_parent)
    if folder.lower() == "lib":
        prefix = parent
    elif os.path.basename(parent).lower() == "lib":
        prefix = os.path.dirname(parent)
    else:
        prefix = site_parent
    return os.path.join(prefix, "var", "shoefit-instance")
