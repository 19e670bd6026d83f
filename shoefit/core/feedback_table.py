"""The feedback table (knowledge/feedback.toml): what a fit note felt in a tried shoe asks of the next one.

Each note rule turns a note felt in a shoe into a requirement relative to that shoe ("heel slips":
a firmer heel counter than it had), citing its seed passage; [comfort] cites why comfort re-ranks.
"""

import dataclasses
import functools

from .errors import InvalidFile
from .knowledge import check_source, parse_table, table_text
from .rules import weight_problem
from .vocabulary import ATTRIBUTES, FIT_ISSUES, RATING_MAX, RATING_MIN

DIRECTIONS = ("more", "less")
_NOTE_KEYS = {"note", "attribute", "direction", "margin", "weight", "reason", "source", "evidence"}


class FeedbackError(InvalidFile):
    heading = "invalid feedback table"


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
    check_source(raw.get("source"), where, problems)
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
        if problem := weight_problem(weight):
            problems.append(f"{where}: {problem}")
        _check_text(entry, "reason", where, problems)
        _check_text(entry, "evidence", where, problems, required=False)
        check_source(entry.get("source"), where, problems)
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
