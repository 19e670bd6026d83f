"""Batch file formats: which extensions mean what, the columns of each output, and their encoders."""

import contextlib
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..core.errors import ShoefitError

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


class InputError(ShoefitError):
    """A problem with a whole input file, or with where to score it: nothing is written (exit code 2)."""


def format_of(path, formats, what):
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise InputError(f"{path}: the {what} must end in {', '.join(formats)}")
    return formats[suffix]


def _encode_csv(batch):
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(batch, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


def _encode_jsonl(batch):
    option = orjson.OPT_APPEND_NEWLINE
    return b"".join(orjson.dumps(row, option=option) for row in batch.to_pylist())


# CSV and JSON Lines are encoded where the chunk was scored (a worker), so the
# writing process only copies bytes; Parquet has to be encoded by its one writer.
ENCODERS = {"csv": _encode_csv, "jsonl": _encode_jsonl, "parquet": lambda batch: batch}


@contextlib.contextmanager
def writer(kind, fh, schema):
    """A function writing encoded batches of `schema` rows to `fh` as `kind`."""
    if kind == "parquet":
        with pq.ParquetWriter(fh, schema) as parquet:
            yield parquet.write_batch
        return
    if kind == "csv":
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(schema.empty_table(), sink)
        fh.write(sink.getvalue())
    yield fh.write
