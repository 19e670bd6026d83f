"""CSV outputs never hand a spreadsheet a formula: a text cell starting with = + - @ tab or CR gets a leading '."""

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import catalog_csv, shoe_row

from shoefit.batch.formats import escape_formulas
from shoefit.cli import main

# Catalog cells are trimmed, so tab and CR can only lead a runner's id from JSON Lines.
SHOES = [
    shoe_row(id="=cmd", brand="=HYPERLINK(\"http://x\")", model="+Plus 1"),
    shoe_row(id="-minus", brand="@SUM(A1)", model="-Minus 2"),
    shoe_row(id="plain", brand="Plain", model="a=b 3"),
]
RUNNER_IDS = ["=1+2", "\tTabbed", "\rReturned", "@runner", "ordinary"]


@pytest.fixture()
def catalog_file(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(catalog_csv(SHOES))
    return str(path)


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_grid_csv_escapes_formula_cells_and_parquet_keeps_them(tmp_path, catalog_file):
    assert main(["grid", "--catalog", catalog_file, "-o", str(tmp_path / "grid.csv")]) == 0
    assert main(["grid", "--catalog", catalog_file, "-o", str(tmp_path / "grid.parquet")]) == 0
    rows = read_csv(tmp_path / "grid.csv")
    assert {(r["shoe_id"], r["brand"], r["model"]) for r in rows} == {
        ("'=cmd", "'=HYPERLINK(\"http://x\")", "'+Plus 1"),
        ("'-minus", "'@SUM(A1)", "'-Minus 2"),
        ("plain", "Plain", "a=b 3"),
    }
    assert {r["score"][0] for r in rows} <= set("0123456789")  # numbers are not text: untouched
    parquet = pq.read_table(tmp_path / "grid.parquet").to_pylist()
    assert {(r["shoe_id"], r["brand"]) for r in parquet} == {(s["id"], s["brand"]) for s in SHOES}


def test_score_csv_escapes_runner_ids_shoe_ids_and_rejects_but_json_lines_does_not(tmp_path, catalog_file):
    runners = tmp_path / "runners.jsonl"
    bodies = [{"id": key} for key in RUNNER_IDS] + [{"id": "=bad", "arch_type": "=1+1"}]
    runners.write_text("".join(json.dumps(body) + "\n" for body in bodies))
    common = ["score", str(runners), "--catalog", catalog_file, "--jobs", "1", "--quiet"]
    assert main([*common, "-o", str(tmp_path / "picks.csv"), "--rejects", str(tmp_path / "rejects.csv")]) == 1
    assert main([*common, "-o", str(tmp_path / "picks.jsonl"), "--rejects", str(tmp_path / "rejects.jsonl")]) == 1

    picks = read_csv(tmp_path / "picks.csv")
    firsts = [r["profile_id"] for r in picks if r["rank"] == "1"]
    assert firsts == ["'=1+2", "'\tTabbed", "'\rReturned", "'@runner", "ordinary"]
    assert {r["shoe_id"] for r in picks} == {"'=cmd", "'-minus", "plain"}
    [reject] = read_csv(tmp_path / "rejects.csv")
    assert (reject["id"], reject["field"], reject["value"]) == ("'=bad", "arch_type", "'=1+1")

    lines = [json.loads(line) for line in open(tmp_path / "picks.jsonl")]
    assert [r["profile_id"] for r in lines if r["rank"] == 1] == RUNNER_IDS
    assert {r["shoe_id"] for r in lines} == {"=cmd", "-minus", "plain"}
    assert json.loads(open(tmp_path / "rejects.jsonl").read())["value"] == "=1+1"


def test_escape_formulas_reads_slices_nulls_and_non_ascii_right():
    cells = ["ok", "=a", None, "", "é=", "＝full width", "-1", "x"]
    batch = pa.record_batch([pa.array(cells), pa.array(range(len(cells)))], names=["text", "number"])
    assert escape_formulas(batch).column(0).to_pylist() == ["ok", "'=a", None, "", "é=", "＝full width", "'-1", "x"]
    assert escape_formulas(batch).column(1) == batch.column(1)
    # A slice starts inside the buffers: only its own cells count.
    assert escape_formulas(batch.slice(2, 4)).column(0).to_pylist() == [None, "", "é=", "＝full width"]
    assert escape_formulas(batch.slice(5)).column(0).to_pylist() == ["＝full width", "'-1", "x"]
    empty = pa.record_batch([pa.array([None, ""], pa.string())], names=["text"])
    assert escape_formulas(empty).column(0).to_pylist() == [None, ""]
