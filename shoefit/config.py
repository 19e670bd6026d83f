"""Settings: defaults, overridden by SHOEFIT_* environment variables, overridden by create_app(config)."""

import os
from collections.abc import Callable
from dataclasses import dataclass


class ConfigError(Exception):
    pass


BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def boolean(raw):
    try:
        return BOOLEANS[raw.strip().lower()]
    except KeyError:
        raise ValueError(raw) from None


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
    Setting("MAX_BODY_BYTES", int, 64 * 1024, "Largest request body accepted; larger bodies get 413."),
    Setting("MEMO_SIZE", int, 512, "Recommendations remembered per worker for repeated profiles; 0 turns it off.", 0),
    Setting("BATCH_MAX_PROFILES", int, 1000, "Most profiles in one POST /v1/batch/recommendations."),
    Setting("BATCH_MAX_BODY_BYTES", int, 4 * 1024 * 1024, "Largest batch request body; larger bodies get 413."),
    Setting(
        "DATABASE_URL",
        str,
        None,
        "Where fittings are stored: a SQLAlchemy URL, e.g. postgresql://user:password@host/shoefit. "
        "Default: the SQLite file shoefit.sqlite3 in the instance folder.",
    ),
    Setting(
        "AUTO_MIGRATE",
        boolean,
        True,
        "1: bring the fittings tables to the latest schema at start-up. With several servers, set 0 and run "
        "`shoefit db upgrade` once per release instead.",
    ),
)

# What a bad value should have been, where the parser's name does not say it.
EXPECTED = {boolean: "1 or 0 (or true/false, yes/no, on/off)"}


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
