"""Turns scored shoes into attribute-by-attribute breakdowns and plain-language lines.

The words follow the numbers: a line says a shoe "meets" a requirement only when its value lies in
the wanted band (requirements.gap is 0), and otherwise by how much it falls short or is more than
needed, in the attribute's own units.
"""

import functools

from . import attributes
from .fixed_entries import FixedEntry
from .requirements import gap, how, kind_of, target_of
from .scoring import RATING_SPAN
from .vocabulary import ATTRIBUTES, FIT_ISSUES, WIDTHS

# Requirements lighter than this come from the baseline rules alone; they rank,
# but a line about each of them would be noise.
WHY_MIN_WEIGHT = 1.0
# A pick's lines speak of the heaviest requirements that come from what the runner told us (the
# rules every runner gets say nothing about them), then of the heaviest requirement it misses.
WHY_MAX_ATTRIBUTES = 3
ALL_ROUND = "A balanced all-round shoe: nothing you told us asks a shoe for more than the general advice."
GAP_DECIMALS = 2
# Bands come from the rules' few combinations and values from the catalog's few levels, so the entries and words
# worked out for one answer serve the next ones. The bounds keep bands that try-ons move, and catalogs of many
# distinct decimal ratings, from growing them without end.
SHARED_BANDS = 4096
SHARED_VALUES = 64  # entries kept per band
SHARED_WORDS = 8192


def breakdowns(picked_values, assessment):
    """Per pick (its attribute values as a list), per required attribute: the band, the value, gap and match."""
    required = [(i, name, low, high, *_shown(low, high, w)) for i, name, low, high, w in assessment.bands]
    rows = []
    for values in picked_values:
        row = {}
        for i, name, low, high, w, entries in required:
            value = values[i]
            entry = entries.get(value)
            if entry is None:
                entry = _match(low, high, w, value)
                if len(entries) < SHARED_VALUES:
                    entries[value] = entry
            row[name] = entry
        rows.append(row)
    return rows


@functools.lru_cache(maxsize=SHARED_BANDS)
def _shown(low, high, weight):
    """(the weight as breakdowns show it, {value: its breakdown entry against this band}), the entries filled as
    values come; each entry the same dict in every answer that has it, as rules share theirs (nothing mutates them)."""
    return round(weight, 2), {}


def _match(low, high, weight, value):
    """A shoe's value against a band, as a breakdown gives it."""
    g = gap(low, high, value)
    return FixedEntry(
        {
            "target": round(target_of(low, high), 2),
            "kind": kind_of(low, high),
            "value": value,
            "gap": round(g, GAP_DECIMALS),
            "verdict": "meets" if g == 0 else "short" if g < 0 else "over",
            "match": round(1.0 - abs(g) / RATING_SPAN, 4),
            "weight": weight,
        }
    )


class Why:
    """Plain-language lines for each pick; what does not depend on the shoe is worked out once."""

    def __init__(self, assessment, profile):
        weighty = sorted((band for band in assessment.bands if band[4] >= WHY_MIN_WEIGHT), key=_heaviest_first)
        # (attribute index, attribute, low, high, the strongest reason's text), heaviest first
        self.required = [(i, attr, low, high, assessment.reasons[attr][0].reason) for i, attr, low, high, _ in weighty]
        # The requirements some answer of the runner's asked for, beyond what every runner gets.
        self.told = [
            r for r in self.required if any(reason.id not in assessment.general for reason in assessment.reasons[r[1]])
        ]
        # What every pick's lines speak of, and the others, in which each pick's heaviest miss is looked for.
        self.chosen = self.told[:WHY_MAX_ATTRIBUTES] or self.required[:1]
        self.others = [r for r in self.required if r not in self.chosen]
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
        chosen = self.chosen
        missed = next((r for r in self.others if not r[2] <= values[r[0]] <= r[3]), None)
        if missed is not None:
            chosen = [*chosen, missed]
        lines, told = [], set()
        for i, attr, low, high, reason in chosen:
            # One rule behind two attributes: its reason is told once.
            said = _said(attr, values[i], low, high)
            line = f"{said}: {reason}" if reason and reason not in told else f"{said}."
            lines.append(f"{line} {tuned_line(self.tuned[attr])}" if attr in self.tuned else line)
            told.add(reason)
        return lines


def tuned_line(multiplier):
    """What a why-line adds when the store's weights overlay changed the requirement's weight."""
    more = "more" if multiplier > 1 else "less"
    return f"This store's kept and returned try-ons make it count {more} here ({multiplier:g}x)."


def _heaviest_first(band):
    i, _, _, _, weight = band
    return -weight, i


@functools.lru_cache(maxsize=SHARED_WORDS)
def _said(attr, value, low, high):
    """A why-line's words for a shoe's value against the band, before the reason."""
    label = ATTRIBUTES[attr]["label"]
    if attr in attributes.LEVELS:
        return f"{label}: {attributes.shown(attr, value)}, {how(attr, low, high, value)}"
    return f"{label} {attributes.shown(attr, value)} {how(attr, low, high, value)}"


def evidence(assessment):
    """What research says about the rules behind the requirements, each note once: [{rule, text}]."""
    notes, seen = [], set()
    for reasons in assessment.reasons.values():
        for reason in reasons:
            if reason.evidence and reason.evidence not in seen:
                seen.add(reason.evidence)
                notes.append(reason.evidence_entry)
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
