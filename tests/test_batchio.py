"""Batch file plumbing: the CSV layout's fast validation is the API's, atomic files, output rows."""

import re

import marshmallow as ma
import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.batch import formats
from shoefit.batch import rows as rows_module
from shoefit.batch.chunk_scorer import picks_batch
from shoefit.batch.engine import BatchEngine
from shoefit.batch.json_rows import JsonRows
from shoefit.batch.rows import CSV_COLUMNS, CsvRows, RowError
from shoefit.batch.runners import ProfileRunners
from shoefit.core.atomic_file import atomic_file
from shoefit.core.profile import Profile
from shoefit.core.validation import InvalidProfile, check_against
from shoefit.core.validation import PainSchema, ProfileSchema, TrainingSchema
from shoefit.core.vocabulary import ENUMS

DOCUMENTED_COLUMNS = [
    "arch_type", "pronation", "fit_issues", "symptoms", "conditions", "pain_days", "pain_severity",
    "pain_character", "pain_timing", "pain_despite_rest", "training_weekly_km", "training_weekly_increase_pct",
    "training_surface", "width", "max_price", "terrain", "brands", "exclude_brands", "use", "use_only",
    "body_weight_kg", "cushion_feel", "drop", "experience", "current_shoe_id", "current_shoe_liked", "shortlist",
    "limit",
]  # fmt: skip
LISTS = {"fit_issues", "symptoms", "conditions", "brands", "exclude_brands"}
INTEGERS = {"pain_days", "pain_severity", "limit"}
BOOLEANS = {"pain_despite_rest", "use_only", "current_shoe_liked", "shortlist"}
NESTED = ("pain", "training", "current_shoe")


def test_the_csv_layout_is_the_documented_one():
    # A new request field becomes a column by itself; this makes sure it gets documented too.
    assert list(CSV_COLUMNS) == DOCUMENTED_COLUMNS


def test_no_schema_check_spans_fields():
    # CsvRows judges each field on its own; a schema-level validator would break that.
    hooks = {kind: names for kind, names in ProfileSchema._hooks.items() if names}  # a defaultdict: drop empties
    assert hooks == {"post_load": [("fold_duplicates", False, {"pass_original": False})]}
    assert not any(PainSchema._hooks.values()) and not any(TrainingSchema._hooks.values())


# ------------------------------------------------------------------ fast path == API path


def reference_body(row):
    """The request body a CSV row stands for, written straight from the documented layout."""
    body = {}
    for column, text in row.items():
        text = text.strip()
        if column == "id" or not text:
            continue
        if column in LISTS:
            value = [item.strip() for item in text.split("|")]
        elif column in INTEGERS:
            value = int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else text
        elif column in BOOLEANS:
            value = {"true": True, "false": False}.get(text.lower(), text)
        else:
            value = text
        group = next((g for g in NESTED if column.startswith(g + "_")), None)
        if group:
            body.setdefault(group, {})[column[len(group) + 1 :]] = value
        else:
            body[column] = value
    return body


def terms(name, *bad):
    return st.sampled_from([*ENUMS[name], *bad])


def numbers(*extra):
    return st.one_of(
        st.integers(-200, 12000).map(str),
        st.floats(-200, 12000, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.sampled_from(["abc", "nan", "inf", "1e3", " 7 ", "+5", "5.0", "1_000", *extra]),
    )


def items(values, bad):
    one = st.sampled_from([*values, *bad])
    return st.lists(one, max_size=5).map("|".join) | st.lists(one, max_size=3).map(" | ".join)


BRANDS = ["Brooks", "brooks", "HOKA", "hoka ", "New Balance", "Nobrand", "x" * 61]
CELLS = {
    "id": st.sampled_from(["", "r1", " spaced "]),
    "arch_type": terms("arch_type", "FLAT", " flat ", "flatt"),
    "pronation": terms("pronation", "over"),
    "fit_issues": items(ENUMS["fit_issues"], ["tight", ""]),
    "symptoms": items(ENUMS["symptoms"], ["pain"]),
    "conditions": items(ENUMS["conditions"], ["asthma"]),
    "pain_days": numbers(),
    "pain_severity": st.integers(-2, 12).map(str) | numbers(),
    "pain_character": terms("pain.character", "stabbing"),
    "pain_timing": terms("pain.timing", "always"),
    "pain_despite_rest": st.sampled_from(["true", "false", "TRUE", "False", "yes", "1"]),
    "training_weekly_km": numbers(),
    "training_weekly_increase_pct": numbers(),
    "training_surface": terms("training.surface", "sand"),
    "width": terms("width", "xl"),
    "max_price": numbers(),
    "terrain": terms("terrain", "grass"),
    "brands": items(BRANDS, []),
    "exclude_brands": items(BRANDS, []),
    "limit": st.integers(-1, 60).map(str) | numbers(),
    "use": terms("use", "jogging"),
    "use_only": st.sampled_from(["true", "false", "yes", "TRUE"]),
    "body_weight_kg": numbers(),
    "cushion_feel": terms("cushion_feel", "squishy"),
    "drop": terms("drop", "medium"),
    "experience": terms("experience", "pro"),
    "current_shoe_id": st.sampled_from(["nike-pegasus-41", "brooks-ghost-17", "no-such-shoe", " nike-pegasus-41 "]),
    "current_shoe_liked": st.sampled_from(["true", "false", "1", "maybe"]),
    "shortlist": st.sampled_from(["true", "false", "no"]),
}


@st.composite
def csv_rows(draw):
    """A header (any subset of the columns, any order) and a row; each cell maybe empty."""
    header = draw(st.permutations(list(CELLS)).flatmap(lambda cols: st.integers(0, len(cols)).map(lambda n: cols[:n])))
    return {column: draw(st.just("") | CELLS[column]) for column in header}


def api_outcome(engine, body):
    """What the API makes of a request body: a Profile, or the top-level fields it refuses."""
    try:
        profile = Profile.from_dict(ProfileSchema().load(body))
        check_against(engine.catalog, profile)
    except ma.ValidationError as exc:
        return set(exc.messages)
    except InvalidProfile as exc:
        return {e["field"].split(".")[0] for e in exc.errors}
    return profile


def top_level(name):
    """The request field a CSV column ("pain_days") or an API path ("pain.days", "brands.0") belongs to."""
    name = name.split(".")[0]
    return next((group for group in NESTED if name.startswith(group + "_")), name)


def batch_outcome(rows, line, cells):
    try:
        _, profile, _ = rows.read(line, cells)
    except RowError as exc:
        return {top_level(e["field"]) for e in exc.errors}
    return profile


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(csv_rows(), min_size=1, max_size=5))
def test_csv_rows_are_judged_exactly_as_the_api_judges_requests(catalog, knowledge, rows):
    engine = BatchEngine(catalog, knowledge)
    for row in rows:
        header = tuple(row)
        reader = CsvRows(header, catalog)
        cells = [row[c] for c in header]
        wanted = api_outcome(engine, reference_body(row))
        # Twice: the second time every field comes from the memo.
        assert batch_outcome(reader, 7, cells) == wanted
        assert batch_outcome(reader, 7, list(cells)) == wanted
        via_json = orjson.dumps(reference_body(row))
        assert batch_outcome(JsonRows(catalog), 7, via_json) == wanted


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_pain_and_training_cells_judged_one_by_one_are_judged_as_together(data):
    # CsvRows judges these cells one at a time (tens of texts each, not tens of thousands of tuples):
    # the outcome must be the one loading them together gives, errors and their order included.
    for group in ("pain", "training"):
        columns = [(at, column, *CSV_COLUMNS[column][1:]) for at, column in enumerate(CSV_COLUMNS)
                   if CSV_COLUMNS[column][0] == group]  # fmt: skip
        together = rows_module._cells_judge(group, columns)
        (judge,) = [judge for name, _, judge in CsvRows(tuple(c for _, c, _, _ in columns), None).fields]
        cells = tuple(data.draw(st.just("") | CELLS[column]) for _, column, _, _ in columns)
        assert judge(cells) == together(cells)


def test_a_rejected_cell_is_named_by_column_value_and_reason(catalog):
    reader = CsvRows(("id", "arch_type", "pain_days", "symptoms"), catalog)
    with pytest.raises(RowError) as caught:
        reader.read(3, ["r9", "flatt", "abc", "forefoot_pain|oops"])
    assert caught.value.key == "r9"
    problems = {e["field"]: (e["value"], e["message"]) for e in caught.value.errors}
    assert problems["arch_type"] == ("flatt", "must be one of: flat, neutral, high, unknown")
    assert problems["pain_days"] == ("abc", "Not a valid integer.")
    assert problems["symptoms"][0] == "oops"


def test_a_row_without_id_is_named_by_its_line(catalog):
    key, profile, limit = CsvRows(("arch_type",), catalog).read(12, ["high"])
    assert (key, profile.arch_type, limit) == ("12", "high", None)
    key, _, limit = JsonRows(catalog).read(4, b'{"limit": 3}')
    assert (key, limit) == ("4", 3)


@settings(max_examples=200, deadline=None)
@given(key=st.integers(min_value=2**63, max_value=10**60) | st.integers(min_value=-(10**60), max_value=-(2**63) - 1),
       pain_days=st.integers(0, 30))  # fmt: skip
def test_a_json_lines_id_beyond_64_bits_keeps_its_digits(catalog, key, pain_days):
    # orjson would read it as a float, and the row's id would lose its digits.
    raw = b'{"id": %d, "pain": {"days": %d}}' % (key, pain_days)
    read_id, profile, _ = JsonRows(catalog).read(3, raw)
    assert read_id == str(key)
    assert profile == JsonRows(catalog).read(3, b'{"pain": {"days": %d}}' % pain_days)[1]


def test_a_json_lines_number_beyond_64_bits_is_refused_as_written(catalog):
    with pytest.raises(RowError) as caught:
        JsonRows(catalog).read(5, b'{"id": "e", "limit": 18446744073709551616}')
    ((error),) = caught.value.errors
    assert (error["field"], error["value"]) == ("limit", "18446744073709551616")


@pytest.mark.parametrize(
    "value, words",
    [("1e400", "beyond a double"), ("NaN", "NaN"), ('"\\ud800"', "surrogate"), ("[" * 3000 + "]" * 3000, "depth")],
)
@pytest.mark.parametrize("key", ["7", "12345678901234567890123"])  # read by orjson, and by json
def test_a_json_lines_row_orjson_cannot_read_is_malformed_whichever_reads_it(catalog, value, words, key):
    with pytest.raises(RowError) as caught:
        JsonRows(catalog).read(2, b'{"id": %s, "limit": %s}' % (key.encode(), value.encode()))
    ((error),) = caught.value.errors
    assert error["field"] == "" and error["message"].startswith("malformed JSON")
    assert words in error["message"] or key == "7"  # orjson words its own errors


# ------------------------------------------------------------------ output rows and files


def test_picks_batch_keeps_a_row_for_a_runner_without_picks(catalog, knowledge):
    engine = BatchEngine(catalog, knowledge, top=3)
    bodies = ({}, {"max_price": 1, "symptoms": ["night_pain"]})
    profiles = [Profile.from_dict(ProfileSchema().load(body)) for body in bodies]
    picks = engine.score(profiles, [2, 3])
    shoe_ids = pa.array(catalog.ids.tolist(), pa.string())
    found = engine.score_runners(ProfileRunners(profiles), [2, 3])
    batch = picks_batch(pa.array(["a", "b"]), found, shoe_ids).to_pylist()
    assert [(r["profile_id"], r["rank"], r["shoe_id"]) for r in batch] == [
        ("a", 1, picks[0].ids[0]),
        ("a", 2, picks[0].ids[1]),
        ("b", None, None),
    ]
    assert batch[2]["score"] is None and batch[2]["warnings"] == "night_pain"
    assert [r["triage"] for r in batch] == ["shoes", "shoes", "see_doctor"]


def test_atomic_file_leaves_the_old_file_when_the_block_fails(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(ValueError), atomic_file(path) as fh:
        fh.write(b"half")
        raise ValueError
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with atomic_file(path) as fh:
        fh.write(b"new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_unknown_extensions_are_refused():
    with pytest.raises(formats.InputError, match="must end in .csv, .jsonl, .parquet"):
        formats.format_of("out.xlsx", formats.OUTPUT_FORMATS, "output file")
