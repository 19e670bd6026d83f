"""The columnar CSV path (csv_split, csv_parse, csv_columns, runners) against the row path it replaced.

The reference here is what `shoefit score` did before: Python's csv reader over the whole file, each row
through CsvRows.read, the profiles through BatchEngine.score. Output rows, rejects, counts and exit code
must be the same, whatever the file holds and wherever the chunks are cut.
"""

import csv
import io
import json
import random
from unittest import mock

import numpy as np
import pytest
from helpers import profile, runner_bodies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoefit.batch import csv_parse
from shoefit.batch.engine import BatchEngine
from shoefit.batch.formats import InputError
from shoefit.batch.rows import CsvRows, Reject, RowError
from shoefit.batch.runners import DERIVED_FACTS, fact_sources
from shoefit.batch.score_file import score_file
from shoefit.batch.sources import Sources
from shoefit.core import profile as profile_module
from shoefit.core.profile import FACT_FIELDS, Profile

HEADER = ["id", "arch_type", "pronation", "symptoms", "pain_days", "pain_severity", "training_surface", "width",
          "max_price", "brands", "limit", "current_shoe_id", "current_shoe_liked", "shortlist"]  # fmt: skip
CELLS = {  # answers, and after the | typos (each cell has a 2 % chance of one)
    "arch_type": ["", "flat", "high", "neutral", " high ", "|", "flatt"],
    "pronation": ["", "overpronation", "unknown", "|", "sideways"],
    "symptoms": ["", "forefoot_pain", "forefoot_pain|night_pain", "swelling", "|", "oops", "swelling|"],
    "pain_days": ["", "3", "12", "|", "abc", "-1", "4000"],
    "pain_severity": ["", "2", "9", "|", "11"],
    "training_surface": ["", "trail", "road", "|", "mud"],
    "width": ["", "wide", "|", "XL"],
    "max_price": ["", "120", "1", "|", "cheap"],
    "brands": ["", "HOKA", "salomon|Brooks", "|", "Nobrand", "a,b"],
    "limit": ["", "3", "1", "|", "0"],
    "current_shoe_id": ["", "nike-pegasus-41", "|", "no-such-shoe"],
    "current_shoe_liked": ["", "true", "false", "|", "yes"],
    "shortlist": ["", "false", "true", "|", "no"],
}


def cell(rng, column):
    values = CELLS[column]
    bar = values.index("|")
    return rng.choice(values[bar + 1 :] if rng.random() < 0.02 else values[:bar])


ODD_LINES = [
    "",  # blank
    "," * (len(HEADER) - 1),  # nothing but commas
    "short,high",  # too few cells
    "long" + "," * len(HEADER),  # too many
    '"bad"quote' + "," * (len(HEADER) - 1),  # broken quoting
    "\r",  # a blank line ending in CRLF's half
]


def runner_line(rng, n, quoted):
    cells = [f"r{n}" if rng.random() < 0.9 else rng.choice(["", " ", f" r{n} "])]
    cells += [cell(rng, c) for c in HEADER[1:]]
    if not quoted:
        cells = [c.replace(",", ";") for c in cells]
    elif rng.random() < 0.3:
        cells[0] = f"r{n}\nsecond line" if rng.random() < 0.5 else f"r{n}, with a comma"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def mixed_file(seed, rows, quoted=True, odd=True, bom=False, newline="\n"):
    rng = random.Random(seed)
    lines = [",".join(HEADER)]
    for n in range(rows):
        lines.append(rng.choice(ODD_LINES) if odd and rng.random() < 0.1 else runner_line(rng, n, quoted))
    text = newline.join(lines) + (newline if rng.random() < 0.5 else "")
    return ("\ufeff" if bom else "").encode() + text.encode()


def reference(path, catalog, knowledge, top):
    """(output rows, rejects, read, scored, rejected) as the row path makes them."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, strict=True)
        header = tuple(h.strip() for h in next(reader))
        rows = CsvRows(header, catalog)
        records = []
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                records.append((line, f"malformed CSV: {exc}"))
                continue
            if any(cells):
                records.append((line, cells))
    keys, profiles, keeps, rejects = [], [], [], []
    for line, cells in records:
        try:
            key, runner, limit = rows.read(line, cells)
        except RowError as exc:
            rejects += Reject.of(line, exc)
            continue
        keys.append(key)
        profiles.append(runner)
        keeps.append(top if limit is None else min(limit, top))
    out = []
    for key, picks, keep in zip(keys, BatchEngine(catalog, knowledge, top=top).score(profiles, keeps), keeps):
        warnings = "|".join(picks.warnings)
        n = min(len(picks.ids), keep)
        out += [(key, str(i + 1), s, float(np.round(v, 3)), warnings, picks.triage)
                for i, (s, v) in enumerate(zip(picks.ids[:n], picks.scores[:n]))] or [
            (key, "", "", "", warnings, picks.triage)]  # fmt: skip
    return out, rejects, len(records), len(profiles), len({r.line for r in rejects})


def scored(tmp_path, data, catalog, knowledge, top=5, chunk=8192):
    # Rejects as JSON Lines: every value as it was (CSV escapes formulas such as -1).
    source, out, rejects = tmp_path / "runners.csv", tmp_path / "picks.csv", tmp_path / "rejects.jsonl"
    source.write_bytes(data)
    summary = score_file(source, out, sources=Sources.read(), catalog=catalog, knowledge=knowledge,
                         rejects_path=rejects, top=top, chunk=chunk)  # fmt: skip
    with open(out, newline="") as fh:
        rows = [tuple(r) for r in list(csv.reader(fh))[1:]]
    found = [Reject(**json.loads(line)) for line in rejects.read_text().splitlines()]
    return summary, rows, found, source


def same_as_row_path(tmp_path, data, catalog, knowledge, chunk=8192):
    summary, rows, rejects, source = scored(tmp_path, data, catalog, knowledge, chunk=chunk)
    want_rows, want_rejects, read, scored_, rejected = reference(source, catalog, knowledge, 5)
    assert rejects == want_rejects
    assert [r[:3] + r[4:] for r in rows] == [r[:3] + r[4:] for r in want_rows]
    assert [float(r[3]) if r[3] else None for r in rows] == [r[3] if r[3] != "" else None for r in want_rows]
    assert (summary.read, summary.scored, summary.rejected) == (read, scored_, rejected)
    return summary


@pytest.mark.parametrize("chunk", [1, 3, 64, 8192])
@pytest.mark.parametrize("quoted, bom, newline", [(False, False, "\n"), (True, True, "\n"), (True, False, "\r\n")])
def test_a_mixed_file_gives_what_the_row_path_gives(tmp_path, catalog, knowledge, chunk, quoted, bom, newline):
    data = mixed_file(7, 300, quoted=quoted, bom=bom, newline=newline)
    summary = same_as_row_path(tmp_path, data, catalog, knowledge, chunk)
    assert summary.rejected > 0 and summary.scored > 100


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), rows=st.integers(0, 60), chunk=st.integers(1, 20), quoted=st.booleans(),
       bom=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]))  # fmt: skip
def test_any_mixed_file_and_any_cut_give_what_the_row_path_gives(
    tmp_path, catalog, knowledge, seed, rows, chunk, quoted, bom, newline
):
    same_as_row_path(tmp_path, mixed_file(seed, rows, quoted=quoted, bom=bom, newline=newline), catalog, knowledge,
                     chunk)  # fmt: skip


def test_plain_chunks_take_pyarrow_and_odd_ones_the_csv_reader(tmp_path, catalog, knowledge):
    plain, rows = csv_parse._parse_plain, csv_parse._parse_rows
    with mock.patch.object(csv_parse, "_parse_plain", wraps=plain) as fast, mock.patch.object(
        csv_parse, "_parse_rows", wraps=rows
    ) as slow:
        same_as_row_path(tmp_path, mixed_file(3, 400, quoted=False, odd=False), catalog, knowledge, chunk=100)
        assert (fast.call_count, slow.call_count) == (4, 0)
        same_as_row_path(tmp_path, mixed_file(3, 400, quoted=True, odd=False), catalog, knowledge, chunk=100)
        assert slow.call_count >= 4  # every chunk holds quotes: the csv reader's
        fast.reset_mock(), slow.reset_mock()
        lines = mixed_file(3, 400, quoted=False, odd=False).split(b"\n")
        lines[150] = b"short,high"  # a row of the wrong width: pyarrow refuses its chunk, the csv reader reads it
        same_as_row_path(tmp_path, b"\n".join(lines), catalog, knowledge, chunk=100)
        assert (fast.call_count, slow.call_count) == (4, 1)


def test_rows_missing_from_the_catalog_in_several_fields_list_each_error_in_field_order(tmp_path, catalog, knowledge):
    # Each catalog field is checked on its own values; a row's errors must still come as check_against lists them.
    header = "id,brands,exclude_brands,current_shoe_id,current_shoe_liked"
    lines = [header, "a,Nobrand|HOKA|Otherbrand,Nobrand,no-such-shoe,true", "b,HOKA,Elsewhere,no-such-shoe,false",
             "c,Nobrand,,nike-pegasus-41,true", "d,,,no-such-shoe,", "e,HOKA,Brooks,nike-pegasus-41,true"]  # fmt: skip
    summary = same_as_row_path(tmp_path, "\n".join(lines).encode(), catalog, knowledge)
    assert summary.rejected == 4 and summary.scored == 1


def test_pain_and_training_read_cell_by_cell_give_the_row_paths_facts_and_errors(tmp_path, catalog, knowledge):
    # Every pain and training cell: each is judged on its own column, and the facts made from it alone.
    header = "id,symptoms,pain_days,pain_severity,pain_character,pain_timing,pain_despite_rest,training_weekly_km," \
             "training_weekly_increase_pct,training_surface"  # fmt: skip
    lines = [header, "a,,12,9,sharp,during_run,true,40,30,trail", "b,forefoot_pain,,,,,,,,", "c,,3,,,,,,,mixed",
             "d,,abc,11,,,maybe,,,mud", "e,,,,,,,,50,", "f,,0,0,,,false,0,0,road", "g,,,,,,,,,",
             "h,,-1,2,,,,,,", "i,,,5,,,,,,", "j,,,,,after_run,,,,", "k,,,,,,,,,trail"]  # fmt: skip
    summary = same_as_row_path(tmp_path, "\n".join(lines).encode(), catalog, knowledge)
    assert (summary.scored, summary.rejected) == (9, 2)


def test_the_fast_path_builds_no_profile_per_row(tmp_path, catalog, knowledge):
    rng = random.Random(1)
    kinds = [runner_line(rng, 0, quoted=False).split(",", 1)[1] for _ in range(20)]
    lines = [",".join(HEADER), *(f"r{n}," + kinds[n % len(kinds)] for n in range(10_000))]
    built = []
    real = Profile.__post_init__
    with mock.patch.object(Profile, "__post_init__", lambda self: built.append(1) or real(self)):
        summary, rows, _, _ = scored(tmp_path, "\n".join(lines).encode(), catalog, knowledge)
    assert summary.read == 10_000 and rows
    assert len(built) < 1_000, len(built)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path, catalog, knowledge):
    data = mixed_file(5, 50, quoted=False, odd=False).split(b"\n")
    data[31] = data[31].replace(b"r", b"\xff", 1)
    with pytest.raises(InputError, match=r"runners.csv: near line 32: not UTF-8 text"):
        scored(tmp_path, b"\n".join(data), catalog, knowledge, chunk=10)


@settings(max_examples=200, deadline=None)
@given(body=runner_bodies())
def test_each_fact_comes_from_the_fields_runners_reads_it_from(body):
    runner = profile(**body)
    for fact in FACT_FIELDS:
        sources = fact_sources(fact)
        alone = Profile(**{name: getattr(runner, name) for name in sources})
        assert alone.facts[fact] == runner.facts[fact], (fact, sources)
    for fact, sources in DERIVED_FACTS.items():
        # ColumnRunners reads each field alone and takes either.
        either = any(Profile(**{name: getattr(runner, name)}).facts[fact] for name in sources)
        assert either == runner.facts[fact], (fact, sources)
    for group in ("pain", "training"):
        # Read cell by cell from a CSV (csv_columns.py): each fact of the group from its own cell alone, and a
        # derived one wherever any one cell alone makes it hold.
        cells = [(key, value) for key, value in getattr(runner, group) or ()]
        for fact in FACT_FIELDS:
            if fact.startswith(f"{group}."):
                own = [c for c in cells if f"{group}.{c[0]}" == fact]
                assert Profile(**{group: tuple(own) or None}).facts[fact] == runner.facts[fact], fact
        for fact, sources in DERIVED_FACTS.items():
            if group in sources:
                others = any(Profile(**{name: getattr(runner, name)}).facts[fact] for name in sources if name != group)
                either = any(Profile(**{group: (c,)}).facts[fact] for c in cells)
                assert (others or either) == runner.facts[fact], fact
    assert profile_module.FACT_FIELDS is FACT_FIELDS
