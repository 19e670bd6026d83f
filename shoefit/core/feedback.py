"""Try-on feedback: what the shoes a runner tried in the store change in the answer.

Pure computation over a Catalog, a KnowledgeBase's Assessment and the try-ons; no
database, no Flask. Two effects, each explained to the runner:

- Comfort re-ranks. Every try-on gives a signal c in [-1, 1] from its comfort and
  the runner's decision (tryons.py); every catalog shoe gets a bounded score
  adjustment from the signals of the shoes it is like (similar.py's kernel). See
  Feedback.points.
- Fit notes become requirements relative to the shoe they were felt in
  (feedback_table.py), and the profile's own fit-issue rules fire for them.

What the try-ons changed is reported by feedback_report.py.
"""

import dataclasses
import functools

import numpy as np

from . import explain
from .attributes import shoe_value
from .feedback_table import NoteRule, default_table
from .knowledge import cited
from .requirements import Band, combine
from .rules import on_grid
from .similar import space
from .tryons import parse_tryons
from .vocabulary import ATTRIBUTE_NAMES, FIT_ISSUES, RATING_MAX, RATING_MIN

# A try-on moves a shoe's 0-100 score by at most this many points. Missing the
# targets by one rating point on average costs 23.75 points (scoring.DISTANCE_COEF),
# so a shoe the runner loved gains about what 0.4 of a rating point of better fit
# is worth: enough to reorder shoes that fit about equally (the top ten of a profile
# usually span 5-10 points), too little to lift a shoe that misses a heavy
# requirement: a neutral shoe's stability gap for an overpronator costs 30 or more
# (Malisoux et al. 2016: motion control matters for pronated feet). Comfort is the
# best filter we have (Nigg et al. 2015), so within those limits it leads.
FEEDBACK_POINTS = 10.0
# A shoe like one that felt bad moves down half as far again as a shoe like one that felt good moves
# up: a fitter passes over the look-alikes of a shoe that hurt, but still has them tried.
DOWN_FACTOR = 1.5
# A tried shoe returned, or rated this or lower, leaves the shortlist with its other generations: the
# runner has answered for it, and a fitter would not bring out last year's version of the same shoe.
SET_ASIDE_COMFORT = 2


@dataclasses.dataclass(frozen=True, eq=False)
class NoteEffect:
    """A note felt in one or more shoes, as a reason behind a requirement.

    It stands beside the rules in Assessment.reasons, so it offers what they do:
    id, reason, evidence, evidence_entry and reason_entries.
    """

    rule: NoteRule
    shoes: tuple  # (shoe dict, its rating of the attribute), in try-on order
    bound: float

    @property
    def id(self):
        return self.rule.id

    @functools.cached_property
    def requires(self):
        """As a rule's: {attribute: Band}, at least the bound for a "more" note, at most it for "less"."""
        bound, weight = on_grid(self.bound), on_grid(self.rule.weight)
        band = Band(bound, RATING_MAX, weight) if self.rule.direction == "more" else Band(RATING_MIN, bound, weight)
        return {self.rule.attribute: band}

    @property
    def evidence(self):
        return self.rule.evidence

    @functools.cached_property
    def evidence_entry(self):
        return {"rule": self.rule.id, "text": self.rule.evidence}

    @functools.cached_property
    def reason(self):
        return explain.felt_reason(self.rule.note, self.rule.attribute, self.shoes, self.rule.reason)

    @functools.cached_property
    def reason_entries(self):
        source = cited(self.rule.id, self.rule.source, self.rule.evidence)
        return {self.rule.attribute: {"text": self.reason, "weight": self.rule.weight, "source": source}}


class Feedback:
    """A fitting's try-ons, worked out against one catalog and feedback table."""

    def __init__(self, catalog, tryons, table):
        self.catalog = catalog
        self.tryons = tryons
        self.table = table
        self.rows = np.array([catalog.index[t.shoe_id] for t in tryons], dtype=np.intp)
        self.tried_at = {row: j for j, row in enumerate(self.rows.tolist())}
        self.signals = np.array([t.signal for t in tryons])
        self.similarity = space(catalog).kernel(self.rows)  # catalog rows x try-ons
        self.contributions = self._contributions()
        self.points = self.contributions.sum(axis=1)
        self.set_aside = [
            (row, t)
            for row, t in zip(self.rows.tolist(), tryons)
            if t.decision == "returned" or t.comfort <= SET_ASIDE_COMFORT
        ]

    @functools.cached_property
    def set_aside_rows(self):
        """Catalog rows off the shortlist: each set-aside shoe's line, but no generation tried and not set aside."""
        family = self.catalog.family
        out = np.isin(family, family[[row for row, _ in self.set_aside]])
        out[list(set(self.rows.tolist()) - {row for row, _ in self.set_aside})] = False
        return np.flatnonzero(out)

    @classmethod
    def from_tryons(cls, catalog, tryons, table=None):
        """Raises InvalidTryOn for try-ons that do not fit the catalog (see parse_tryons)."""
        return cls(catalog, parse_tryons(catalog, tryons), table or default_table())

    def _contributions(self):
        """Per catalog row, per try-on: the points that try-on adds to the row's score.

        A shoe that was tried gets FEEDBACK_POINTS * c of its own try-on and nothing
        from the others: what the runner felt in it beats any guess from look-alikes.
        A negative c counts DOWN_FACTOR times, for the tried shoe and its look-alikes.
        Any other shoe i gets the kernel-weighted mean of the signals,

            points_i = FEEDBACK_POINTS * sum_j s_ij c_j / max(1, sum_j s_ij),

        where the 1 acts as a neutral prior: a shoe like no tried shoe stays near 0,
        one like a single tried shoe gets s * its signal, and one among several gets
        their similarity-weighted mean. So points lie within -DOWN_FACTOR and +1 times
        FEEDBACK_POINTS. Raising c_j never lowers any shoe's points (every coefficient
        is >= 0), and the tried shoe j gains the most (s_ij / max(1, sum_j s_ij) <= 1).
        """
        s = self.similarity
        mass = np.maximum(1.0, s.sum(axis=1, keepdims=True))
        felt = np.where(self.signals < 0, DOWN_FACTOR * self.signals, self.signals)
        contributions = FEEDBACK_POINTS * s * felt / mass
        contributions[self.rows] = 0.0
        contributions[self.rows, np.arange(len(self.rows))] = FEEDBACK_POINTS * felt
        return contributions

    @functools.cached_property
    def notes(self):
        """Every fit note felt in some tried shoe, in vocabulary order."""
        felt = {note for t in self.tryons for note in t.fit_notes}
        return tuple(note for note in FIT_ISSUES if note in felt)

    def profile(self, profile):
        """The profile with the notes felt in the try-ons among its fit issues.

        A note is a fit issue seen on a real shoe, so the profile's fit-issue rules
        should fire for it, each citing its own seed passage, and they are the one
        place that says what a fit issue requires in absolute terms. The feedback
        table then only adds what is relative to the shoe the note was felt in.
        """
        added = [note for note in self.notes if note not in profile.fit_issues]
        if not added:
            return profile
        return dataclasses.replace(profile, fit_issues=tuple(sorted({*profile.fit_issues, *added})))

    @functools.cached_property
    def effects(self):
        """attribute -> [NoteEffect], one per note felt, bound set by the shoe that asks the most."""
        felt = {}
        for t in self.tryons:
            shoe = self.catalog.get(t.shoe_id)
            for note in t.fit_notes:
                for rule in self.table.by_note.get(note, ()):
                    felt.setdefault(rule, []).append((shoe, float(shoe_value(shoe, rule.attribute))))
        effects = {}
        for rule, shoes in felt.items():
            bounds = [rule.bound(value) for _, value in shoes]
            bound = max(bounds) if rule.direction == "more" else min(bounds)
            effects.setdefault(rule.attribute, []).append(NoteEffect(rule, tuple(shoes), bound))
        return effects

    def adjust(self, assessment):
        """The assessment with the notes' requirements relative to the tried shoes.

        Each note is a band like a rule's (at least the bound of a "more" note, at most
        that of a "less" one). The notes on an attribute combine as rules do, then hold
        against the rules' band: where they contradict it, the notes win (a note felt in
        a real shoe is the runner's own evidence) and the rules' bound comes as close as
        the notes allow. The notes' weight adds to the attribute's.
        """
        if not self.effects:
            return assessment
        lows, highs, weights = assessment.lows.copy(), assessment.highs.copy(), assessment.weights.copy()
        reasons = {attr: list(rules) for attr, rules in assessment.reasons.items()}
        for attr, effects in self.effects.items():
            i = ATTRIBUTE_NAMES.index(attr)
            rules = combine([reason.requires[attr] for reason in reasons.get(attr, ())])
            notes = combine([effect.requires[attr] for effect in effects])
            low, high = max(rules.low, notes.low), min(rules.high, notes.high)
            if low > high:
                low = max(notes.low, min(rules.low, notes.high))
                high = min(notes.high, max(rules.high, notes.low))
            # The rules' weight as the store's overlay tuned it; what the runner felt is their own evidence.
            lows[i], highs[i], weights[i] = low, high, rules.weight * assessment.tuned.get(attr, 1.0) + notes.weight
            merged = reasons.setdefault(attr, []) + effects
            merged.sort(key=lambda reason: -reason.requires[attr].weight)
            reasons[attr] = merged
        return dataclasses.replace(assessment, lows=lows, highs=highs, weights=weights, reasons=reasons)

    def tried(self, row):
        """The try-on of catalog row `row`, or None."""
        j = self.tried_at.get(row)
        return None if j is None else self.tryons[j].as_dict()

    def lines(self, row):
        """Plain-language lines on what the try-ons did to this shoe's score."""
        j = self.tried_at.get(row)
        if j is not None:
            return [explain.tried_line(self.tryons[j], float(self.points[row]))]
        shares = self.contributions[row].tolist()
        # The look-alikes that felt good first, the strongest first: the runner reads why it is here.
        felt = sorted(
            (j for j, share in enumerate(shares) if abs(share) >= explain.WHY_MIN_POINTS),
            key=lambda j: (shares[j] < 0, -abs(shares[j]), j),
        )
        return [
            explain.alike_line(self.catalog.shoes[self.rows[j]], self.tryons[j], shares[j])
            for j in felt[: explain.WHY_MAX_ALIKE]
        ]
