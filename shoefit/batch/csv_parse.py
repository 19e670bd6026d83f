"""A chunk of CSV bytes (csv_split.py) parsed into columns of text, each row with the file line it is on.

Two parsers, one result. pyarrow's takes a chunk without a quote or a lone carriage return: there every
newline ends a record and every comma ends a cell, which is all either parser does with such bytes. Anything
else (quoted cells, which may span lines and hold commas; rows of the wrong width; bytes that are not UTF-8)
goes to Python's csv reader, the reader of record, a row at a time. Blank lines and rows of nothing but
commas (spreadsheets export them) are no runners, in both.
"""

import csv
import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from .csv_split import lines_in
from .formats import InputError


@dataclass
class ParsedChunk:
    columns: list  # a pa.StringArray per header column, one entry per row
    lines: np.ndarray  # per row, its file line
    records: int  # records read: the rows, and those of `problems`
    problems: list  # (line, message) of each record that is no row: broken quoting, a wrong number of cells


def parse_chunk(data, line, width, name):
    """`data`: whole records starting on file `line`; `width` cells a row; InputError if it is not UTF-8."""
    if b'"' not in data and data.count(b"\r") == data.count(b"\r\n"):
        parsed = _parse_plain(data, line, width)
        if parsed is not None:
            return parsed
    return _parse_rows(data, line, width, name)


def _parse_plain(data, line, width):
    names = [str(i) for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(data) + 1),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except pa.ArrowInvalid:  # a row of another width, or not UTF-8: the csv reader says which
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(raw)]])
    if starts[-1] == len(raw):  # no line after the last newline
        starts, ends = starts[:-1], ends[:-1]
    length = ends - starts
    # pyarrow skips empty lines, and those of a lone \r before the \n, as the csv reader gives no cells for them.
    blank = (length == 0) | ((length == 1) & (raw[np.minimum(starts, len(raw) - 1)] == ord("\r")))
    lines = line + np.flatnonzero(~blank)
    if len(lines) != table.num_rows:
        return None
    columns = [table.column(i).combine_chunks() for i in range(width)]
    given = np.zeros(table.num_rows, dtype=bool)
    for column in columns:
        offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset : column.offset + len(column) + 1]
        given |= np.diff(offsets) > 0
    if not given.all():
        keep = pa.array(given)
        columns = [column.filter(keep) for column in columns]
        lines = lines[given]
    return ParsedChunk(columns, lines, len(lines), [])


def _parse_rows(data, line, width, name):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: near line {line + lines_in(data[: exc.start])}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, lines, problems = [], [], []
    records = 0
    while True:
        at = line + reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            records += 1
            problems.append((at, f"malformed CSV: {exc}"))
            continue
        if not any(cells):
            continue
        records += 1
        if len(cells) != width:
            problems.append((at, f"expected {width} cells, found {len(cells)}"))
            continue
        rows.append(cells)
        lines.append(at)
    columns = [pa.array(column, pa.string()) for column in zip(*rows)] if rows else [pa.array([], pa.string())] * width
    return ParsedChunk(columns, np.array(lines, dtype=np.int64), records, problems)
