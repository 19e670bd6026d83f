"""A CSV file cut into chunks of whole records, as raw bytes: the reading process only finds where to cut.

Workers parse and decode the chunks (csv_parse.py). A cut is always where Python's csv reader, reading the
whole file, would start a record: after a newline, and, where the bytes hold a quote (a quoted cell may span
lines), after a record the csv reader itself has read to its end. Lines are counted as that reader counts
them (\\n, \\r\\n or a lone \\r ends one), so that every chunk knows the file line it starts on.
"""

import csv
import re

import numpy as np

from .formats import InputError

BLOCK = 8 << 20  # bytes read at a time
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lines_in(data):
    newlines = data.count(b"\n")
    if b"\r" not in data:  # most files: one pass, not three (the reading process counts every byte)
        return newlines
    return newlines + data.count(b"\r") - data.count(b"\r\n")


def physical_lines(data):
    """Each line of `data` as the csv reader gets it from a file opened with newline=""."""
    return (m.group() for m in _LINE.finditer(data))


def read_header(fh, name):
    """(header cells, lines it took): the first record, as the csv reader reads it; fh is left just after it."""
    start = fh.tell()
    used = []

    def lines():
        for raw in fh:
            for part in physical_lines(raw):
                used.append(len(part))
                try:
                    yield part.decode("utf-8-sig" if len(used) == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(f"{name}: line 1: unreadable header: {exc}") from None

    reader = csv.reader(lines(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: empty file: expected a header row") from None
    except csv.Error as exc:
        raise InputError(f"{name}: line 1: unreadable header: {exc}") from None
    fh.seek(start + sum(used))  # the file iterator reads ahead; the data starts after the header's lines
    return header, reader.line_num


def record_chunks(fh, size, line):
    """(bytes of whole records, the line they start on, file offset after them), about `size` lines each."""
    pending = b""
    while True:
        block = fh.read(BLOCK)
        data = pending + block if pending else block
        if not block:
            if data:
                yield data, line, fh.tell()
            return
        newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
        at, offset = 0, fh.tell() - len(data)
        want = size
        while (i := int(np.searchsorted(newlines, at)) + want - 1) < len(newlines):
            piece = data[at : int(newlines[i]) + 1]
            if b'"' in piece:
                piece = piece[: _whole_records(piece)]
                if not piece:  # one record longer than `size` lines: look further
                    want += size
                    continue
            yield piece, line, offset + at + len(piece)
            line += lines_in(piece)
            at += len(piece)
            want = size
        pending = data[at:]


def _whole_records(data):
    """How many bytes of `data` (ending with a newline) are whole records, as the csv reader reads them."""
    ends = []

    def lines():
        done = 0
        for part in physical_lines(data):
            done += len(part)
            ends.append(done)
            yield part.decode("utf-8", "surrogateescape")  # decoding errors are the workers' to report

    reader = csv.reader(lines(), strict=True)
    whole = 0
    while True:
        try:
            next(reader)
        except StopIteration:
            return whole
        except csv.Error as exc:
            if str(exc) == "unexpected end of data":
                # The data ran out inside a quoted cell: that record goes on past the cut.
                return whole
        whole = ends[-1] if ends else 0
