"""The I/O floor of a batch run: what pyarrow alone needs to read the input and write an output of the same shape.

`shoefit score` cannot be faster than reading its CSV input and writing its picks, so its target is set
as a multiple of this. The input is read with every column as text (what the scorer needs, and cheaper
than pyarrow's own type inference); the output table has the picks' columns and the number of rows the
run wrote, with values like its own (ids, ranks, scores to 3 decimals, warnings, triage), built before
the clock starts.
"""

import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from shoefit.batch.formats import PICKS_SCHEMA

WARNINGS = ("", "", "", "heel_strike_load", "plantar_fasciitis_risk|rapid_increase", "see_a_doctor")
TRIAGE = ("shoes", "shoes", "take_care", "see_doctor")


def read_as_text(path):
    """The input as a table of strings, and the seconds it took."""
    with open(path, "rb") as fh:
        names = fh.readline().decode("utf-8-sig").strip().split(",")
    start = time.perf_counter()
    table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
    return table, time.perf_counter() - start


def picks_like(ids, rows, shoe_ids, seed=0):
    """A table of PICKS_SCHEMA with `rows` rows, about rows / len(ids) per runner, for writing."""
    rng = np.random.default_rng(seed)
    per = max(1, rows // max(1, len(ids)))
    owner = np.minimum(np.arange(rows) // per, len(ids) - 1)
    runner_warnings = rng.integers(0, len(WARNINGS), len(ids))
    runner_triage = rng.integers(0, len(TRIAGE), len(ids))
    columns = [
        ids.take(pa.array(owner)),
        pa.array(np.arange(rows) % per + 1, pa.int32()),
        pa.array(np.array(shoe_ids, dtype=object)[rng.integers(0, len(shoe_ids), rows)], pa.string()),
        pa.array(np.round(rng.uniform(40, 100, rows), 3)),
        pa.array(np.array(WARNINGS, dtype=object)[runner_warnings[owner]], pa.string()),
        pa.array(np.array(TRIAGE, dtype=object)[runner_triage[owner]], pa.string()),
    ]
    return pa.Table.from_arrays(columns, schema=PICKS_SCHEMA)


def write_seconds(table, path, kind):
    """Seconds pyarrow takes to write `table` to `path` as CSV (every text quoted, as `score` does) or Parquet."""
    start = time.perf_counter()
    if kind == "parquet":
        pq.write_table(table, path)
    else:
        pa_csv.write_csv(table, path)
    return time.perf_counter() - start


def floor_seconds(source, rows, shoe_ids, out, kinds):
    """{kind: seconds to read `source` and write `rows` picks-like rows as kind} (one read, timed once)."""
    table, read = read_as_text(source)
    picks = picks_like(table.column("id").combine_chunks(), rows, shoe_ids)
    del table
    return {kind: read + write_seconds(picks, out.with_suffix(f".floor.{kind}"), kind) for kind in kinds}
