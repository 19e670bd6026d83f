"""Batch file formats: which extensions mean what, the columns of each output, and their encoders."""

import contextlib
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..core.errors import ShoefitError
from .spool import Spooled, append, batch_of

INPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}
PICKS_SCHEMA = pa.schema(
    [("profile_id", pa.string()), ("rank", pa.int32()), ("shoe_id", pa.string()), ("score", pa.float64()),
     ("warnings", pa.string()), ("triage", pa.string())]
)  # fmt: skip
REJECTS_SCHEMA = pa.schema(
    [("line", pa.int64()), ("id", pa.string()), ("field", pa.string()), ("value", pa.string()), ("reason", pa.string())]
)
SCORE_DECIMALS = 3  # as the API rounds them
# A spreadsheet opening a CSV takes a cell starting with one of these for a formula (OWASP's "CSV injection"):
# catalog names and runner ids come from other people's files, so such a cell gets a leading ' and stays text.
FORMULA_START = r"^([=+\-@\t\r])"
FORMULA_FIRST_BYTE = np.zeros(256, dtype=bool)
FORMULA_FIRST_BYTE[list(b"=+-@\t\r")] = True  # ASCII: in UTF-8 a cell starts with one exactly when its first byte is


class InputError(ShoefitError):
    """A problem with a whole input file, or with where to score it: nothing is written (exit code 2)."""


def format_of(path, formats, what):
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise InputError(f"{path}: the {what} must end in {', '.join(formats)}")
    return formats[suffix]


def _encode_csv(batch):
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(escape_formulas(batch), sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


def escape_formulas(batch):
    """`batch` with every text cell that a spreadsheet would run as a formula prefixed with a single quote."""
    columns = [
        pc.replace_substring_regex(column, FORMULA_START, r"'\1", max_replacements=1)
        if pa.types.is_string(column.type) and _may_hold_formulas(column)
        else column
        for column in batch.columns
    ]
    return pa.record_batch(columns, schema=batch.schema)


def _may_hold_formulas(column):
    # Nearly every column holds none: the first bytes, read straight from the Arrow buffers, say so in a fraction of
    # what the rewrite costs (a null's bytes may count too; the rewrite leaves nulls as they are).
    _, offsets, data = column.buffers()
    if data is None:
        return False
    starts = np.frombuffer(offsets, dtype=np.int32)[column.offset : column.offset + len(column) + 1]
    first_bytes = np.frombuffer(data, dtype=np.uint8)[starts[:-1][starts[1:] > starts[:-1]]]
    return bool(FORMULA_FIRST_BYTE[first_bytes].any())


def _encode_jsonl(batch):
    option = orjson.OPT_APPEND_NEWLINE
    return b"".join(orjson.dumps(row, option=option) for row in batch.to_pylist())


# CSV and JSON Lines are encoded where the chunk was scored (a worker), so the
# writing process only copies bytes; Parquet has to be encoded by its one writer.
ENCODERS = {"csv": _encode_csv, "jsonl": _encode_jsonl, "parquet": lambda batch: batch}


@contextlib.contextmanager
def writer(kind, fh, schema):
    """A function writing encoded batches of `schema` rows to `fh` as `kind`: as ENCODERS make them, or as a
    worker spooled them (spool.py)."""
    if kind == "parquet":
        with pq.ParquetWriter(fh, schema) as parquet:

            def write_batch(payload):
                if isinstance(payload, Spooled):
                    with batch_of(payload) as batch:
                        parquet.write_batch(batch)
                else:
                    parquet.write_batch(payload)

            yield write_batch
        return
    if kind == "csv":
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(schema.empty_table(), sink)
        fh.write(sink.getvalue())

    def write(payload):
        if isinstance(payload, Spooled):
            append(fh, payload)
        else:
            fh.write(payload)

    yield write
