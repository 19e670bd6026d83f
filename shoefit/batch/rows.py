"""Rows of a profiles file to Profiles, judged exactly as the API judges a request body.

A rejected row becomes a RowError naming each bad cell (field, the value as written, the reason);
the run writes them to the rejects file, one Reject per field error.
"""

import collections
import difflib
import functools
import json
import re
from dataclasses import dataclass

import marshmallow as ma
import orjson
from marshmallow import fields as f

from ..core.errors import FieldErrors
from ..core.profile import Profile
from ..core.validation import PROFILE_SCHEMA, InvalidProfile, check_against, field_errors
from .formats import InputError

FIELD_MEMO = 1 << 16  # distinct cell texts remembered per field


class RowError(FieldErrors):
    """A row that cannot be scored: a field error per bad cell (its value as text), and the row's id when known."""

    def __init__(self, errors, key=""):
        super().__init__(errors)
        self.key = key


def _error(field, value, message):
    return {"field": field, "value": value, "message": message}


@dataclass(frozen=True)
class Reject:
    """One line of the rejects file: a field error of a row, with the row's line and id."""

    line: int
    id: str
    field: str
    value: str
    reason: str

    def __str__(self):
        where = f"line {self.line}" + (f", id {self.id!r}" if self.id else "")
        what = f"{self.field}: value {self.value!r}: " if self.field else ""
        return f"{where}: {what}{self.reason}"

    @classmethod
    def of(cls, line, error):
        """A Reject per field error of `error`, a RowError raised on that line."""
        return [cls(line, error.key, e["field"], e["value"], e["message"]) for e in error.errors]


def _csv_layout():
    """CSV column -> (top-level field, nested key or None, marshmallow field): the schema flattened."""
    layout = {}
    for name, fld in PROFILE_SCHEMA.fields.items():
        if isinstance(fld, f.Nested):
            for key, sub in fld.schema.fields.items():
                layout[f"{name}_{key}"] = (name, key, sub)
        else:
            layout[name] = (name, None, fld)
    return layout


CSV_COLUMNS = _csv_layout()
INTEGER = re.compile(r"[+-]?[0-9]+")


def json_value(fld, text):
    """A non-empty CSV cell as the JSON value a request body would carry; the schema judges it."""
    if isinstance(fld, f.List):
        return [item.strip() for item in text.split("|")]
    if isinstance(fld, f.Integer) and INTEGER.fullmatch(text):
        return int(text)
    if isinstance(fld, f.Boolean) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def check_header(header, name):
    unknown = [c for c in header if c != "id" and c not in CSV_COLUMNS]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    problems = [f"unknown column {c!r}" + _did_you_mean(c) for c in unknown]
    problems += [f"column {c!r} appears more than once" for c in duplicates]
    if problems:
        known = ", ".join(["id", *CSV_COLUMNS])
        raise InputError(f"{name}: line 1: {'; '.join(problems)}. The columns are: {known}")


def _did_you_mean(column):
    close = difflib.get_close_matches(column, CSV_COLUMNS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class CsvRows:
    """CSV rows to Profiles, judged exactly as the API's ProfileSchema judges a request.

    A schema load costs ~35 µs a row. But the schema validates, defaults and
    de-duplicates each top-level field on its own (no check spans fields), and
    Profile.from_dict canonicalises each on its own, so a field's outcome depends
    only on its own cells. Each distinct cell text (or tuple, for pain_* and
    training_*) is judged once by the schema itself and remembered: a column
    holds a few dozen distinct answers, not a million.

    `shoefit score` judges whole columns with these same judges (csv_columns.py);
    read() is one row's way, and the reference the columnar path is tested against.
    """

    def __init__(self, header, catalog):
        self.catalog = catalog
        self.width = len(header)
        self.id_at = header.index("id") if "id" in header else None
        self.limit_at = header.index("limit") if "limit" in header else None
        groups = collections.defaultdict(list)
        for at, column in enumerate(header):
            if column != "id":
                name, key, fld = CSV_COLUMNS[column]
                groups[name].append((at, column, key, fld))
        empty = Profile.from_dict(PROFILE_SCHEMA.load({}))
        self.defaults = {name: getattr(empty, name) for name in PROFILE_SCHEMA.fields}
        # Per field given: its name, the positions of its cells, and its judge of those cells' texts.
        self.fields = [
            (name, [at for at, *_ in columns], _field_judge(name, columns)) for name, columns in groups.items()
        ]

    def read(self, line, cells):
        """(id, Profile, limit the row asks for or None); RowError if the row is invalid or asks for unknown brands."""
        if isinstance(cells, str):
            raise RowError([_error("", "", cells)])  # the CSV reader's complaint about this row
        if len(cells) != self.width:
            raise RowError([_error("", "", f"expected {self.width} cells, found {len(cells)}")])
        key = (cells[self.id_at].strip() if self.id_at is not None else "") or str(line)
        values = dict(self.defaults)
        problems = []
        for name, ats, judge in self.fields:
            ok, outcome = judge(cells[ats[0]] if len(ats) == 1 else tuple(cells[at] for at in ats))
            if ok:
                values[name] = outcome
            else:
                problems += outcome
        if problems:
            raise RowError(problems, key)
        profile = Profile(**values)
        if problems := catalog_problems(self.catalog, profile):
            raise RowError(problems, key)
        asks = self.limit_at is not None and cells[self.limit_at].strip()
        return key, profile, profile.limit if asks else None


def catalog_problems(catalog, profile):
    """check_against's field errors, named by CSV column."""
    try:
        check_against(catalog, profile)
    except InvalidProfile as exc:
        return [_error(column_of(e["field"]), _text(e.get("value")), e["message"]) for e in exc.errors]
    return []


def column_of(path):
    """The CSV column an API field path ("pain.days", "brands.0") comes from."""
    name, *rest = path.split(".")
    nested = rest and f"{name}_{rest[0]}" in CSV_COLUMNS
    return f"{name}_{rest[0]}" if nested else name


def _field_judge(name, columns):
    """cell text(s) -> (True, the field's Profile value) or (False, [field error named by column]), memoised."""
    if len(columns) > 1 and _separable(PROFILE_SCHEMA.fields[name]):
        parts = [_cells_judge(name, [column]) for column in columns]
        judge = _parts_judge(parts)
        # (nested key, judge of its cell alone) per cell: csv_columns.py reads such a field cell by cell.
        judge.parts = [(key, part) for (_, _, key, _), part in zip(columns, parts)]
        return judge
    return _cells_judge(name, columns)


def _separable(fld):
    """Whether a nested field's cells can be judged one by one: nothing is required and no check spans them."""
    schema = fld.schema
    return not any(sub.required for sub in schema.fields.values()) and not schema._hooks


def _parts_judge(parts):
    """A nested field's judge from its cells' own judges: pain's five cells make ~30,000 distinct
    tuples, each a schema load, where each cell alone has a few dozen texts. The outcome is the
    one loading them together gives: the errors in column order, the value as Profile.from_dict makes it."""

    @functools.lru_cache(maxsize=FIELD_MEMO)
    def judge(cells):
        items, problems = [], []
        for part, cell in zip(parts, cells, strict=True):
            ok, outcome = part(cell)
            if not ok:
                problems += outcome
            elif outcome is not None:
                items += outcome
        return (False, problems) if problems else (True, tuple(sorted(items)) or None)

    return judge


def _cells_judge(name, columns):

    @functools.lru_cache(maxsize=FIELD_MEMO)
    def judge(cells):
        cells = cells if len(columns) > 1 else (cells,)  # one cell is judged by its text alone
        texts = {column: text.strip() for (_, column, _, _), text in zip(columns, cells)}
        body = _request_body(name, columns, texts)
        try:
            data = PROFILE_SCHEMA.load(body)
        except ma.ValidationError as exc:
            return False, _cell_problems(body, texts, exc.messages)
        return True, getattr(Profile.from_dict(data), name)

    return judge


def _request_body(name, columns, texts):
    """The request body that gives field `name` these cells; an empty cell is an answer not given."""
    given = {key: json_value(fld, texts[column]) for _, column, key, fld in columns if texts[column]}
    if not given:
        return {}
    return {name: given[None]} if None in given else {name: given}


def _cell_problems(body, texts, messages):
    problems = []
    for error in field_errors(messages, body, root="(profile)"):
        column = column_of(error["field"])
        # A bad list item is named by itself; anything else by the cell as written.
        problems.append(_error(column, _text(error.get("value"), texts.get(column, "")), error["message"]))
    return problems


def _text(value, fallback=None):
    """A value for the rejects file: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value
    if fallback is not None:
        return fallback
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, int) else orjson.dumps(value).decode()  # json: ints beyond 64 bits
