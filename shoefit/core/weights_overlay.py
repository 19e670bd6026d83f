"""A store's weights overlay: per attribute, a multiplier on the rules' weights learnt from its try-ons.

`shoefit calibrate` writes it (a small TOML file); the service (SHOEFIT_WEIGHTS), `score` and `grid` read it.
The rules stay in charge: an overlay changes how much an attribute weighs against the others, never a band,
a warning, advice or a filter, and only within the bounds below.
"""

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from .errors import InvalidFile
from .knowledge import parse_table
from .vocabulary import ATTRIBUTE_NAMES

# No store's outcomes may make an attribute count for less than half or more than twice what the rules say.
MULTIPLIER_MIN, MULTIPLIER_MAX = 0.5, 2.0
# A requirement an answer of the runner's asked for (a rule beyond the ones every runner gets) keeps at least the
# weight its rule gives: what a store's customers return says nothing about a plantar-fascia runner's arch.
TOLD_FLOOR = 1.0
ENTRY_KEYS = {"multiplier", "low", "high", "tryons"}


class WeightsError(InvalidFile):
    heading = "invalid weights overlay"


@dataclass(frozen=True)
class Tuned:
    """One attribute's multiplier, its 90 % interval, and the try-ons with a mismatch on it behind it."""

    multiplier: float
    low: float
    high: float
    tryons: int


@dataclass(frozen=True)
class WeightsOverlay:
    version: str
    fittings: int
    tryons: int
    attributes: dict  # attribute -> Tuned, only the attributes whose multiplier is not 1
    name: str = "<overlay>"

    def __post_init__(self):
        multipliers = np.ones(len(ATTRIBUTE_NAMES))
        for attr, tuned in self.attributes.items():
            multipliers[ATTRIBUTE_NAMES.index(attr)] = tuned.multiplier
        object.__setattr__(self, "multipliers", multipliers)

    def info(self):
        """What an answer says of the overlay it was ranked with."""
        return {"version": self.version, "fittings": self.fittings}

    def applied(self, told):
        """Per attribute the multiplier a runner gets: `told` marks the attributes their answers asked for.

        `told` may be a matrix, a row per runner: the multipliers are then a row per runner too.
        """
        return np.where(told, np.maximum(self.multipliers, TOLD_FLOOR), self.multipliers)

    @classmethod
    def load(cls, path):
        return read_overlay(path)[0]

    @classmethod
    def from_text(cls, text, name):
        """The overlay in `text`; WeightsError listing every problem."""
        table = parse_table(text, name, WeightsError)
        problems = []
        head = table.get("calibration")
        if not isinstance(head, dict):
            raise WeightsError([f"{name}: no [calibration] table: not a file `shoefit calibrate` wrote"])
        version, fittings, tryons = head.get("version"), head.get("fittings"), head.get("tryons")
        if not isinstance(version, str) or not version:
            problems.append(f"{name}: [calibration] version must be non-empty text")
        for key, value in (("fittings", fittings), ("tryons", tryons)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.append(f"{name}: [calibration] {key} must be a whole number of at least 0")
        attributes = {}
        for attr, entry in (table.get("weights") or {}).items():
            where = f"{name}: [weights.{attr}]"
            tuned = _tuned(attr, entry, where, problems)
            if tuned is not None and tuned.multiplier != 1.0:
                attributes[attr] = tuned
        if problems:
            raise WeightsError(problems)
        return cls(version, fittings, tryons, attributes, name)


def read_overlay(path):
    """(the WeightsOverlay in the file at `path`, the file's text); WeightsError if it cannot be read or is bad."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise WeightsError([f"{path}: cannot read: {exc}"]) from None
    return WeightsOverlay.from_text(text, str(path)), text


def _tuned(attr, entry, where, problems):
    if attr not in ATTRIBUTE_NAMES:
        problems.append(f"{where}: unknown attribute {attr!r}; the attributes are: {', '.join(ATTRIBUTE_NAMES)}")
        return None
    if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
        problems.append(f"{where}: needs exactly {', '.join(sorted(ENTRY_KEYS))}")
        return None
    numbers = [entry[key] for key in ("multiplier", "low", "high")]
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in numbers):
        problems.append(f"{where}: multiplier, low and high must be numbers")
        return None
    multiplier, low, high = (float(n) for n in numbers)
    if not MULTIPLIER_MIN <= multiplier <= MULTIPLIER_MAX:
        problems.append(f"{where}: multiplier {multiplier:g} outside {MULTIPLIER_MIN:g}-{MULTIPLIER_MAX:g}")
    if not low <= high:
        problems.append(f"{where}: low {low:g} above high {high:g}")
    if isinstance(entry["tryons"], bool) or not isinstance(entry["tryons"], int) or entry["tryons"] < 0:
        problems.append(f"{where}: tryons must be a whole number of at least 0")
    return Tuned(multiplier, low, high, entry["tryons"])


def version_of(multipliers, fittings, made):
    """A version naming an overlay by its date and content: two runs on the same try-ons give the same one."""
    content = ";".join(f"{attr}={m:.2f}" for attr, m in sorted(multipliers.items()) if m != 1.0)
    return f"{made:%Y-%m-%d}-{hashlib.sha256(f'{content}|{fittings}'.encode()).hexdigest()[:8]}"
