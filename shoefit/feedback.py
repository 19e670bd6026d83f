"""Try-on feedback: what the shoes a runner tried in the store change in the answer.

Pure computation over a Catalog, a KnowledgeBase's Assessment and the try-ons; no
database, no Flask. Two effects, each explained to the runner:

- Comfort re-ranks. Every try-on gives a signal c in [-1, 1] from its comfort and
  the runner's decision; every catalog shoe gets a bounded score adjustment from the
  signals of the shoes it is like (similar.py's kernel). See Feedback.points.
- Fit notes become requirements relative to the shoe they were felt in
  (knowledge/feedback.toml), and the profile's own fit-issue rules fire for them.
"""

import dataclasses
import functools
from collections.abc import Mapping

import numpy as np

from . import explain
from .rules import ATTRIBUTE_NAMES, SEEDS, parse_table, table_text
from .similar import space
from .vocabulary import ATTRIBUTES, COMFORT_MAX, COMFORT_MIN, DECISIONS, FIT_ISSUES, RATING_MAX, RATING_MIN

# A try-on moves a shoe's 0-100 score by at most this many points. Missing the
# targets by one rating point on average costs 23.75 points (scoring.DISTANCE_COEF),
# so a shoe the runner loved gains about what 0.4 of a rating point of better fit
# is worth: enough to reorder shoes that fit about equally (the top ten of a profile
# usually span 5-10 points), too little to lift a shoe that misses a heavy
# requirement: a neutral shoe's stability gap for an overpronator costs 30 or more
# (Malisoux et al. 2016: motion control matters for pronated feet). Comfort is the
# best filter we have (Nigg et al. 2015), so within those limits it leads.
FEEDBACK_POINTS = 10.0
# c = (1 - DECISION_SHARE) * (comfort - 3) / 2 + DECISION_SHARE * decision, with
# decision +1 kept, -1 returned, 0 undecided. Comfort as felt carries two thirds;
# the decision is what the runner did with it (price and looks play a part, so it
# is coarser). Kept at 5/5 is the strongest signal (+1), returned at 1/5 the
# weakest (-1), undecided at 5/5 +2/3, kept at 3/5 +1/3, returned at 5/5 +1/3:
# still a shoe that felt good. c rises with comfort whatever the decision.
DECISION_SHARE = 1.0 / 3.0
DECISION_SIGNALS = {"kept": 1.0, "returned": -1.0, "undecided": 0.0}
NEUTRAL_COMFORT = (COMFORT_MIN + COMFORT_MAX) / 2
COMFORT_HALF_SPAN = (COMFORT_MAX - COMFORT_MIN) / 2
DIRECTIONS = ("more", "less")
_NOTE_KEYS = {"note", "attribute", "direction", "margin", "weight", "reason", "source", "evidence"}


class FeedbackError(Exception):
    """An invalid feedback table; every problem is listed."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("invalid feedback table:\n" + "\n".join(problems))


class InvalidTryOn(ValueError):
    """Try-ons that do not fit this catalog or vocabulary."""

    def __init__(self, errors):
        self.errors = errors  # [{field, value, message}], as InvalidProfile
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


@dataclasses.dataclass(frozen=True, eq=False)
class NoteRule:
    """One entry of the feedback table: a note felt in a shoe -> a requirement relative to it."""

    note: str
    attribute: str
    direction: str
    margin: float
    weight: float
    reason: str
    source: dict
    evidence: str | None = None

    @property
    def id(self):
        return f"feedback:{self.note}:{self.attribute}"

    def bound(self, value):
        """The rating the next shoe should reach (more) or stay under (less), within 1-5."""
        bound = value + self.margin if self.direction == "more" else value - self.margin
        return min(RATING_MAX, max(RATING_MIN, bound))


@dataclasses.dataclass(frozen=True)
class FeedbackTable:
    notes: tuple
    comfort: dict  # reason, source (and evidence) for the comfort re-ranking

    @functools.cached_property
    def by_note(self):
        grouped = {}
        for rule in self.notes:
            grouped.setdefault(rule.note, []).append(rule)
        return grouped

    @classmethod
    def load(cls, path=None):
        return cls.from_text(*table_text(path, "feedback.toml", FeedbackError))

    @classmethod
    def from_text(cls, text, name):
        data = parse_table(text, name, FeedbackError)
        problems = []
        unknown = set(data) - {"comfort", "notes"}
        if unknown:
            problems.append(f"{name}: unknown tables {sorted(unknown)}")
        comfort = _parse_comfort(data.get("comfort"), name, problems)
        notes = _parse_notes(data.get("notes"), name, problems)
        if problems:
            raise FeedbackError(problems)
        return cls(tuple(notes), comfort)


@functools.cache
def default_table():
    """The bundled feedback table, read and checked once per process."""
    return FeedbackTable.load()


def _check_source(source, where, problems):
    if not isinstance(source, dict) or set(source) != {"seed", "section", "quote"}:
        problems.append(f"{where}: source needs exactly seed, section, quote")
    elif source["seed"] not in SEEDS:
        problems.append(f"{where}: unknown seed {source['seed']!r}")
    elif not all(isinstance(source[key], str) and source[key] for key in ("section", "quote")):
        problems.append(f"{where}: source section and quote must be non-empty text")


def _check_text(entry, key, where, problems, required=True):
    value = entry.get(key)
    if (value is not None or required) and (not isinstance(value, str) or not value):
        problems.append(f"{where}: {key} must be non-empty text")


def _parse_comfort(raw, name, problems):
    where = f"{name}: [comfort]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: missing table")
        return None
    unknown = set(raw) - {"reason", "source", "evidence"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    _check_text(raw, "reason", where, problems)
    _check_text(raw, "evidence", where, problems, required=False)
    _check_source(raw.get("source"), where, problems)
    return raw


def _parse_notes(raw, name, problems):
    if not isinstance(raw, list) or not raw:
        problems.append(f"{name}: no [[notes]] tables")
        return []
    notes, seen = [], set()
    for n, entry in enumerate(raw, 1):
        where = f"{name}: note #{n} ({entry.get('note', '?')} -> {entry.get('attribute', '?')})"
        before = len(problems)
        unknown = set(entry) - _NOTE_KEYS
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        if entry.get("note") not in FIT_ISSUES:
            problems.append(f"{where}: unknown note {entry.get('note')!r}: not one of {list(FIT_ISSUES)}")
        if entry.get("attribute") not in ATTRIBUTES:
            problems.append(f"{where}: unknown attribute {entry.get('attribute')!r}")
        if entry.get("direction") not in DIRECTIONS:
            problems.append(f"{where}: direction must be one of {list(DIRECTIONS)}, got {entry.get('direction')!r}")
        margin, weight = entry.get("margin"), entry.get("weight")
        span = RATING_MAX - RATING_MIN
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin <= span:
            problems.append(f"{where}: margin must be > 0 and at most {span:g}, got {margin!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            problems.append(f"{where}: weight must be > 0, got {weight!r}")
        _check_text(entry, "reason", where, problems)
        _check_text(entry, "evidence", where, problems, required=False)
        _check_source(entry.get("source"), where, problems)
        key = (entry.get("note"), entry.get("attribute"))
        if key in seen:
            problems.append(f"{where}: duplicate note and attribute")
        seen.add(key)
        if len(problems) == before:
            notes.append(
                NoteRule(
                    entry["note"],
                    entry["attribute"],
                    entry["direction"],
                    float(margin),
                    float(weight),
                    entry["reason"],
                    entry["source"],
                    entry.get("evidence"),
                )
            )
    return notes


@dataclasses.dataclass(frozen=True)
class TryOn:
    shoe_id: str
    comfort: float
    fit_notes: tuple = ()
    decision: str = "undecided"

    @property
    def signal(self):
        """c in [-1, 1]: rises with comfort; kept adds, returned takes away (see DECISION_SHARE)."""
        felt = (self.comfort - NEUTRAL_COMFORT) / COMFORT_HALF_SPAN
        return (1.0 - DECISION_SHARE) * felt + DECISION_SHARE * DECISION_SIGNALS[self.decision]

    def as_dict(self):
        return {
            "shoe_id": self.shoe_id,
            "comfort": self.comfort,
            "fit_notes": list(self.fit_notes),
            "decision": self.decision,
        }


def _field(tryon, name, default):
    if isinstance(tryon, Mapping):
        return tryon.get(name, default)
    return getattr(tryon, name, default)


def parse_tryons(catalog, tryons):
    """TryOn objects from dicts or objects with shoe_id, comfort, fit_notes, decision.

    A shoe tried more than once (re-laced, another size) counts by its latest try-on:
    that is the fitter's current verdict on it. Raises InvalidTryOn listing every
    problem: an unknown shoe id, a comfort outside 1-5, an unknown note or decision.
    """
    parsed, errors = {}, []

    def bad(i, name, value, message):
        errors.append({"field": f"tryons.{i}.{name}", "value": value, "message": message})

    for i, raw in enumerate(tryons):
        shoe_id = _field(raw, "shoe_id", None)
        comfort = _field(raw, "comfort", None)
        notes = _field(raw, "fit_notes", ()) or ()
        decision = _field(raw, "decision", "undecided")
        before = len(errors)
        if not isinstance(shoe_id, str) or catalog.get(shoe_id) is None:
            bad(i, "shoe_id", shoe_id, f"no shoe {shoe_id!r} in catalog {catalog.version}")
        if (
            isinstance(comfort, bool)
            or not isinstance(comfort, (int, float))
            or not (COMFORT_MIN <= comfort <= COMFORT_MAX)
        ):
            bad(i, "comfort", comfort, f"must be a number from {COMFORT_MIN} to {COMFORT_MAX}")
        if isinstance(notes, str):
            bad(i, "fit_notes", notes, "must be a list of fit issues")
            notes = ()
        for n, note in enumerate(notes):
            if note not in FIT_ISSUES:
                errors.append(
                    {"field": f"tryons.{i}.fit_notes.{n}", "value": note, "message": f"unknown fit note {note!r}"}
                )
        if decision not in DECISIONS:
            bad(i, "decision", decision, f"must be one of: {', '.join(DECISIONS)}")
        if len(errors) == before:
            parsed.pop(shoe_id, None)
            parsed[shoe_id] = TryOn(shoe_id, comfort, tuple(dict.fromkeys(notes)), decision)
    if errors:
        raise InvalidTryOn(errors)
    return tuple(parsed.values())


@dataclasses.dataclass(frozen=True, eq=False)
class NoteEffect:
    """A note felt in one or more shoes, as a reason behind a requirement.

    It stands beside the rules in Assessment.reasons, so it offers what they do:
    id, reason, evidence and reason_entries.
    """

    rule: NoteRule
    shoes: tuple  # (shoe dict, its rating of the attribute), in try-on order
    bound: float

    @property
    def id(self):
        return self.rule.id

    @property
    def evidence(self):
        return self.rule.evidence

    @functools.cached_property
    def reason(self):
        return explain.felt_reason(self.rule.note, self.rule.attribute, self.shoes, self.rule.reason)

    @functools.cached_property
    def reason_entries(self):
        cited = {"rule": self.rule.id, **self.rule.source}
        if self.rule.evidence:
            cited["evidence"] = self.rule.evidence
        return {self.rule.attribute: {"text": self.reason, "weight": self.rule.weight, "source": cited}}


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

    @classmethod
    def from_tryons(cls, catalog, tryons, table=None):
        """Raises InvalidTryOn for try-ons that do not fit the catalog (see parse_tryons)."""
        return cls(catalog, parse_tryons(catalog, tryons), table or default_table())

    def _contributions(self):
        """Per catalog row, per try-on: the points that try-on adds to the row's score.

        A shoe that was tried gets FEEDBACK_POINTS * c of its own try-on and nothing
        from the others: what the runner felt in it beats any guess from look-alikes.
        Any other shoe i gets the kernel-weighted mean of the signals,

            points_i = FEEDBACK_POINTS * sum_j s_ij c_j / max(1, sum_j s_ij),

        where the 1 acts as a neutral prior: a shoe like no tried shoe stays near 0,
        one like a single tried shoe gets s * its signal, and one among several gets
        their similarity-weighted mean. Since |c_j| <= 1, |points| <= FEEDBACK_POINTS.
        Raising c_j never lowers any shoe's points (every coefficient is >= 0), and
        the tried shoe j gains the most: FEEDBACK_POINTS * dc, against s_ij * dc *
        FEEDBACK_POINTS / max(1, sum_j s_ij) <= FEEDBACK_POINTS * dc for the others.
        """
        s = self.similarity
        mass = np.maximum(1.0, s.sum(axis=1, keepdims=True))
        contributions = FEEDBACK_POINTS * s * self.signals / mass
        contributions[self.rows] = 0.0
        contributions[self.rows, np.arange(len(self.rows))] = FEEDBACK_POINTS * self.signals
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

        Per attribute, the target is moved just far enough to clear every bound (at
        least the bound of a "more" note, at most that of a "less" note; bounds that
        contradict each other meet halfway), and each note's weight is added once:
        a note felt in a real shoe is the runner's own evidence, so it weighs more
        than it did. Targets already beyond a bound are left where the rules put them.
        """
        if not self.effects:
            return assessment
        targets, weights = assessment.targets.copy(), assessment.weights.copy()
        reasons = {attr: list(rules) for attr, rules in assessment.reasons.items()}
        for attr, effects in self.effects.items():
            i = ATTRIBUTE_NAMES.index(attr)
            floor = max((e.bound for e in effects if e.rule.direction == "more"), default=None)
            ceiling = min((e.bound for e in effects if e.rule.direction == "less"), default=None)
            low = RATING_MIN if floor is None else floor
            high = RATING_MAX if ceiling is None else ceiling
            if low > high or (weights[i] == 0 and floor is not None and ceiling is not None):
                targets[i] = (low + high) / 2
            elif weights[i] > 0:
                targets[i] = min(max(targets[i], low), high)
            else:
                targets[i] = low if ceiling is None else high
            weights[i] += sum(e.rule.weight for e in effects)
            merged = reasons.setdefault(attr, []) + effects
            merged.sort(key=lambda reason: -reason.reason_entries[attr]["weight"])
            reasons[attr] = merged
        return dataclasses.replace(assessment, targets=targets, weights=weights, reasons=reasons)

    def tried(self, row):
        """The try-on of catalog row `row`, or None."""
        j = self.tried_at.get(row)
        return None if j is None else self.tryons[j].as_dict()

    def lines(self, row):
        """Plain-language lines on what the try-ons did to this shoe's score."""
        j = self.tried_at.get(row)
        if j is not None:
            return [explain.tried_line(self.tryons[j], float(self.points[row]))]
        shares = self.contributions[row]
        return [
            explain.alike_line(self.catalog.shoes[self.rows[j]], self.tryons[j], float(shares[j]))
            for j in np.argsort(-np.abs(shares), kind="stable")[: explain.WHY_MAX_ALIKE].tolist()
            if abs(shares[j]) >= explain.WHY_MIN_POINTS
        ]

    def report(self, plain, adjusted, profile):
        """The response's `feedback` section.

        plain: the assessment of the profile as sent; adjusted: after the notes were
        added to its fit issues and applied relative to the tried shoes.
        """
        added = [note for note in self.notes if note not in profile.fit_issues]
        return {
            "tryons": [
                {
                    **t.as_dict(),
                    "brand": self.catalog.shoes[row]["brand"],
                    "model": self.catalog.shoes[row]["model"],
                    "signal": round(float(c), 4),
                    "points": round(float(self.points[row]), 3),
                }
                for t, row, c in zip(self.tryons, self.rows.tolist(), self.signals.tolist())
            ],
            "comfort": {
                "text": self.table.comfort["reason"],
                "max_points": FEEDBACK_POINTS,
                "source": {
                    "rule": "feedback:comfort",
                    **self.table.comfort["source"],
                    **({"evidence": self.table.comfort["evidence"]} if self.table.comfort.get("evidence") else {}),
                },
            },
            "fit_issues_added": added,
            "changes": self._changes(plain, adjusted, added),
        }

    def _changes(self, plain, adjusted, added):
        changes = []
        for i, attr in enumerate(ATTRIBUTE_NAMES):
            before = (round(float(plain.targets[i]), 2), round(float(plain.weights[i]), 2))
            after = (round(float(adjusted.targets[i]), 2), round(float(adjusted.weights[i]), 2))
            if before == after:
                continue
            known = {reason.id for reason in plain.reasons.get(attr, ())}
            because = [
                self._because(reason, attr, added)
                for reason in adjusted.reasons.get(attr, ())
                if reason.id not in known
            ]
            changes.append(
                {
                    "attribute": attr,
                    "from": None if plain.weights[i] == 0 else {"target": before[0], "weight": before[1]},
                    "to": {"target": after[0], "weight": after[1]},
                    "because": because,
                }
            )
        return changes

    def _because(self, reason, attr, added):
        if isinstance(reason, NoteEffect):
            note, shoe_ids = reason.rule.note, [shoe["id"] for shoe, _ in reason.shoes]
        else:
            # A rule that fired because a felt note joined the profile's fit issues.
            tested = {
                value
                for c in reason.conditions
                if c.field == "fit_issues"
                for value in ((c.value,) if isinstance(c.value, str) else c.value)
            }
            note = next((n for n in added if n in tested), None)
            shoe_ids = [t.shoe_id for t in self.tryons if note in t.fit_notes]
        return {"note": note, "shoes": shoe_ids, **reason.reason_entries[attr]}


def shoe_value(shoe, attribute):
    """A shoe's rating of an attribute as the scorer sees it (the seamless upper as 1 or 5)."""
    if attribute == "seamless_upper":
        return RATING_MAX if shoe["seamless_upper"] else RATING_MIN
    return shoe[attribute]
