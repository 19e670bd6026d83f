"""Turns scored shoes into attribute-by-attribute breakdowns and plain-language lines.

The words follow the numbers: a line says a shoe "meets" a requirement only when its value lies in
the wanted band (requirements.gap is 0), and otherwise by how much it falls short or is more than
needed, in the attribute's own units.
"""

from . import attributes
from .requirements import gap, how, kind_of, target_of
from .scoring import RATING_SPAN
from .vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES, FIT_ISSUES, WIDTHS

# Requirements lighter than this come from the baseline rules alone; they rank,
# but a line about each of them would be noise.
WHY_MIN_WEIGHT = 1.0
# A pick's lines speak of the heaviest requirements that come from what the runner told us (the
# rules every runner gets say nothing about them), then of the heaviest requirement it misses.
WHY_MAX_ATTRIBUTES = 3
ALL_ROUND = "A balanced all-round shoe: nothing you told us asks a shoe for more than the general advice."
GAP_DECIMALS = 2


def breakdowns(picked_values, assessment):
    """Per pick (its attribute values as a list), per required attribute: the band, the value, gap and match."""
    required = [
        (i, ATTRIBUTE_NAMES[i], float(low), float(high), round(float(w), 2))
        for i, (low, high, w) in enumerate(zip(assessment.lows, assessment.highs, assessment.weights))
        if w > 0
    ]
    # A handful of picks: plain Python on lists beats numpy's per-call overhead here.
    rows = []
    for values in picked_values:
        row = {}
        for i, name, low, high, w in required:
            g = gap(low, high, values[i])
            row[name] = {
                "target": round(target_of(low, high), 2),
                "kind": kind_of(low, high),
                "value": values[i],
                "gap": round(g, GAP_DECIMALS),
                "verdict": "meets" if g == 0 else "short" if g < 0 else "over",
                "match": round(1.0 - abs(g) / RATING_SPAN, 4),
                "weight": w,
            }
        rows.append(row)
    return rows


class Why:
    """Plain-language lines for each pick; what does not depend on the shoe is worked out once."""

    def __init__(self, assessment, profile):
        weighty = sorted(
            (i for i, w in enumerate(assessment.weights) if w >= WHY_MIN_WEIGHT),
            key=lambda i: (-assessment.weights[i], i),
        )
        # (attribute index, attribute, low, high, the strongest reason's text), heaviest first
        self.required = [
            (i, ATTRIBUTE_NAMES[i], float(assessment.lows[i]), float(assessment.highs[i]), _reason(assessment, i))
            for i in weighty
        ]
        # The requirements some answer of the runner's asked for, beyond what every runner gets.
        self.told = [
            r for r in self.required if any(reason.id not in assessment.general for reason in assessment.reasons[r[1]])
        ]
        self.head = [] if self.told else [ALL_ROUND]
        self.tuned = assessment.tuned
        self.width = f"Offered in {WIDTHS[profile.width]['label'].lower()} width." if profile.width else None
        self.budget = profile.max_price

    def __call__(self, catalog, row, values):
        lines = self.requirement_lines(values)
        lines += self.head
        if self.width:
            lines.append(self.width)
        if self.budget is not None:
            lines.append(f"${catalog.shoes[row]['price']:g}, within your ${self.budget:g} budget.")
        return lines

    def requirement_lines(self, values):
        """The heaviest requirements the runner's answers asked for (else the heaviest of all), then the
        heaviest one this shoe misses, if those did not name it."""
        chosen = self.told[:WHY_MAX_ATTRIBUTES] or self.required[:1]
        missed = next((r for r in self.required if r not in chosen and gap(r[2], r[3], values[r[0]]) != 0), None)
        if missed is not None:
            chosen = [*chosen, missed]
        lines, told = [], set()
        for i, attr, low, high, reason in chosen:
            # One rule behind two attributes: its reason is told once.
            line = _line(attr, values[i], low, high, None if reason in told else reason)
            lines.append(f"{line} {tuned_line(self.tuned[attr])}" if attr in self.tuned else line)
            told.add(reason)
        return lines


def tuned_line(multiplier):
    """What a why-line adds when the store's weights overlay changed the requirement's weight."""
    more = "more" if multiplier > 1 else "less"
    return f"This store's kept and returned try-ons make it count {more} here ({multiplier:g}x)."


def _reason(assessment, i):
    return assessment.reasons[ATTRIBUTE_NAMES[i]][0].reason


def _line(attr, value, low, high, reason):
    label = ATTRIBUTES[attr]["label"]
    if attr in attributes.LEVELS:
        said = f"{label}: {attributes.shown(attr, value)}, {how(attr, low, high, value)}"
    else:
        said = f"{label} {attributes.shown(attr, value)} {how(attr, low, high, value)}"
    return f"{said}: {reason}" if reason else f"{said}."


def evidence(assessment):
    """What research says about the rules behind the requirements, each note once: [{rule, text}]."""
    notes, seen = [], set()
    for reasons in assessment.reasons.values():
        for reason in reasons:
            if reason.evidence and reason.evidence not in seen:
                seen.add(reason.evidence)
                notes.append({"rule": reason.id, "text": reason.evidence})
    return notes


# ----------------------------------------------------------------- try-on feedback

# A look-alike moving a shoe by less than this is not worth a line; at most this many are named.
WHY_MIN_POINTS = 0.5
WHY_MAX_ALIKE = 2


def _rated(tryon):
    done = {"kept": " and kept", "returned": " and returned"}.get(tryon.decision, "")
    return f"{tryon.comfort:g}/5{done}"


def tried_line(tryon, points):
    """A pick the runner tried on: what they felt and what it did to the score."""
    return f"You tried it on: comfort {_rated(tryon)} ({points:+.1f} points)."


def alike_line(shoe, tryon, points):
    """A pick like a shoe the runner tried: which one, how they rated it, and the points it moved this one."""
    return f"Feels like the {shoe['brand']} {shoe['model']} you rated {_rated(tryon)} ({points:+.1f} points)."


def felt_reason(note, attr, shoes, reason):
    """A fit note felt in tried shoes, as the reason for a requirement relative to them."""
    label = ATTRIBUTES[attr]["label"].lower()
    felt_in = " and the ".join(
        f"{shoe['brand']} {shoe['model']} ({label} {attributes.shown(attr, value)})" for shoe, value in shoes
    )
    return f"{FIT_ISSUES[note]['label']} in the {felt_in}: {reason}"
