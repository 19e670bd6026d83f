"""Settings: defaults, overridden by SHOEFIT_* environment variables, overridden by create_app(config)."""

import os
from dataclasses import dataclass


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Setting:
    name: str
    parse: type
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
)


def _parse(setting, raw):
    try:
        value = setting.parse(raw)
    except ValueError:
        raise ConfigError(f"SHOEFIT_{setting.name}={raw!r}: expected {setting.parse.__name__}") from None
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
