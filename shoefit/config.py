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


SETTINGS = (
    Setting("CATALOG", str, None, "Path of the catalog CSV to serve. Default: the bundled data/catalog.csv."),
    Setting(
        "RULES", str, None, "Path of a knowledge-base TOML file. Default: the bundled shoefit/knowledge/rules.toml."
    ),
    Setting("MAX_BODY_BYTES", int, 64 * 1024, "Largest request body accepted; larger bodies get 413."),
)


def _parse(setting, raw):
    try:
        value = setting.parse(raw)
    except ValueError:
        raise ConfigError(f"SHOEFIT_{setting.name}={raw!r}: expected {setting.parse.__name__}") from None
    if setting.parse is int and value <= 0:
        raise ConfigError(f"SHOEFIT_{setting.name}={raw!r}: must be positive")
    return value


def load(overrides=None, environ=os.environ):
    config = {}
    for setting in SETTINGS:
        raw = environ.get(f"SHOEFIT_{setting.name}")
        config[setting.name] = setting.default if raw in (None, "") else _parse(setting, raw)
    config.update(overrides or {})
    return config
