"""Requirements with a direction: what a rule asks of one attribute, how several combine, how a shoe meets them.

A rule's effect on an attribute is a band on the 1-5 scale with a weight: "at least x" is [x, 5],
"at most x" is [1, x], "around x within t" is [x - t, x + t]. Several effects on one attribute
combine into one band:

- the highest floor and the lowest ceiling hold together (a shoe that meets the band meets every
  rule), and the weight is the sum of the weights;
- when a floor lies above a ceiling, the rules in conflict meet at the weight-weighted mean of the
  floor and the ceiling: the band shrinks to that point.

A shoe's gap is how far its value lies outside the band: negative when it falls short of the floor,
positive when it is over the ceiling, 0 when it meets the band. The scorer's distance is |gap|.
"""

import functools
from dataclasses import dataclass

from .attributes import LEVELS, MM_PER_POINT, gap_shown, in_units
from .vocabulary import RATING_MAX, RATING_MIN

KINDS = ("at_least", "at_most", "around")


@dataclass(frozen=True)
class Band:
    low: float  # RATING_MIN: no floor
    high: float  # RATING_MAX: no ceiling
    weight: float


def combine(bands):
    """One Band for several on one attribute (see the module's docstring); Band(1, 5, 0) for none."""
    low, high, weight = RATING_MIN, RATING_MAX, 0.0
    for band in bands:
        low, high, weight = max(low, band.low), min(high, band.high), weight + band.weight
    if low > high:
        # Exact sums: weights and bounds lie on the rules' 2**-20 grid.
        floors = sum(b.weight for b in bands if b.low > high)
        ceilings = sum(b.weight for b in bands if b.high < low)
        low = high = (low * floors + high * ceilings) / (floors + ceilings)
    return Band(low, high, weight)


def gap(low, high, value):
    """How far `value` lies outside [low, high]: negative short of the floor, positive over the ceiling."""
    if value < low:
        return value - low
    if value > high:
        return value - high
    return 0.0


def kind_of(low, high):
    if low > RATING_MIN and high < RATING_MAX:
        return "around"
    return "at_most" if high < RATING_MAX else "at_least"


def target_of(low, high):
    """One number for the band, as answers gave before bands: the floor, the ceiling, or the middle."""
    kind = kind_of(low, high)
    return low if kind == "at_least" else high if kind == "at_most" else (low + high) / 2


def wanted(attr, low, high):
    """The band in words, in the attribute's units: "4.5 or more", "2.5 or less", "2.5-3.5", "6-10 mm"."""
    if attr in LEVELS:
        names = [name.replace("_", " ") for name, value in LEVELS[attr].items() if low - 1e-9 <= value <= high + 1e-9]
        if names:
            return " or ".join(names)
        return f"about {in_units(attr, low).replace('_', ' ')}"  # a point between two levels
    unit = " mm" if attr in MM_PER_POINT else ""

    def amount(value):
        return f"{in_units(attr, value):g}"

    if abs(high - low) < 1e-9:
        return f"{amount(low)}{unit}"
    kind = kind_of(low, high)
    if kind == "at_least":
        return f"{amount(low)}{unit} or more"
    if kind == "at_most":
        return f"{amount(high)}{unit} or less"
    return f"{amount(low)}-{amount(high)}{unit}"


@functools.lru_cache(maxsize=4096)
def described(attr, low, high, weight):
    """A requirement as answers give it: {target, kind, min, max, wanted, weight}, for the caller to copy, not change.

    The rules combine into few bands and weights, so each is worked out once; the bound keeps try-ons' bands and a
    store's tuned weights from growing it without end.
    """
    return {
        "target": round(target_of(low, high), 2),
        "kind": kind_of(low, high),
        "min": round(low, 2),
        "max": round(high, 2),
        "wanted": wanted(attr, low, high),
        "weight": round(weight, 2),
    }


def how(attr, low, high, value):
    """How a shoe's value stands against the band, as a why-line says it: "meets ...", "falls short ..."."""
    wants = wanted(attr, low, high)
    g = gap(low, high, value)
    if attr in LEVELS:
        if g == 0:
            return "as wanted"
        if set(LEVELS[attr]) == {"no", "yes"}:
            return f"where {wants} is wanted"
        return f"{'more' if g > 0 else 'less'} than the {wants} wanted"
    if g == 0:
        return f"meets the {wants} wanted"
    if g < 0:
        return f"falls short of the {wants} wanted by {gap_shown(attr, -g)}"
    return f"is {gap_shown(attr, g)} more than needed ({wants} wanted)"
