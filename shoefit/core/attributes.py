"""What a shoe is measured on, in each attribute's own units, and the one 1-5 scale the scorer compares on.

The catalog's seven ratings are already 1-5. The rest are put on that scale so that a gap of one
point weighs the same everywhere: a yes/no is 1 or 5, the support category is 1 (neutral), 3
(stability) or 5 (motion control), and the drop is 1 at 0 mm, one point more every 3 mm, 5 at 12
mm or more; a trail shoe is one whose terrain is trail. Rules name bounds in the attribute's own
units (at_least = "stability", at_most = 5 mm); why-lines speak them the same way.
"""

from .catalog_csv import RATING_COLUMNS
from .vocabulary import ATTRIBUTE_NAMES, RATING_MAX, RATING_MIN

YES_NO = {"no": RATING_MIN, "yes": RATING_MAX}
LEVELS = {
    "seamless_upper": YES_NO,
    "category": {"neutral": 1.0, "stability": 3.0, "motion_control": 5.0},
    "daily_use": YES_NO,
    "tempo_use": YES_NO,
    "race_use": YES_NO,
    "trail_shoe": YES_NO,
}
USE_ATTRIBUTES = {"daily": "daily_use", "tempo": "tempo_use", "race": "race_use"}
MM_PER_POINT = {"drop": 3.0}
assert set(RATING_COLUMNS) | set(LEVELS) | set(MM_PER_POINT) == set(ATTRIBUTE_NAMES)


def scaled(attr, value):
    """A value in `attr`'s own units (a rating, a level's name or a number of millimetres) on the 1-5 scale.

    ValueError for a level the attribute does not have, or a value that is not a number.
    """
    if attr in LEVELS and isinstance(value, str):
        try:
            return LEVELS[attr][value]
        except KeyError:
            raise ValueError(f"{attr} is one of {', '.join(LEVELS[attr])}, not {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{attr} needs a number, got {value!r}")
    if attr in MM_PER_POINT:
        return min(RATING_MAX, max(RATING_MIN, RATING_MIN + value / MM_PER_POINT[attr]))
    return float(value)


def shoe_value(shoe, attr):
    """A catalog shoe's `attr` on the 1-5 scale."""
    if attr in RATING_COLUMNS:
        return shoe[attr]
    if attr == "seamless_upper":
        return YES_NO["yes" if shoe["seamless_upper"] else "no"]
    if attr == "category":
        return LEVELS["category"][shoe["category"]]
    if attr in MM_PER_POINT:
        return scaled(attr, shoe["drop_mm"])
    if attr == "trail_shoe":
        return YES_NO["yes" if shoe["terrain"] == "trail" else "no"]
    use = next(use for use, name in USE_ATTRIBUTES.items() if name == attr)
    return YES_NO["yes" if use in shoe["use"] else "no"]


def in_units(attr, value):
    """A 1-5 scale value back in `attr`'s own units: a number (ratings, millimetres) or a level's name."""
    if attr in LEVELS:
        return min(LEVELS[attr], key=lambda name: abs(LEVELS[attr][name] - value))
    if attr in MM_PER_POINT:
        return round((value - RATING_MIN) * MM_PER_POINT[attr], 1)
    return value


def shown(attr, value):
    """How a why-line says a 1-5 scale value of `attr`: "4.5/5", "yes", "stability", "8 mm"."""
    if attr in LEVELS:
        return in_units(attr, value).replace("_", " ")
    if attr in MM_PER_POINT:
        return f"{in_units(attr, value):g} mm"
    return f"{value:g}/5"


def gap_shown(attr, gap):
    """A distance on the 1-5 scale as a why-line says it: "0.5" (rating points), "3 mm"."""
    if attr in MM_PER_POINT:
        return f"{gap * MM_PER_POINT[attr]:.1f}".rstrip("0").rstrip(".") + " mm"
    return f"{gap:.1f}".rstrip("0").rstrip(".")
