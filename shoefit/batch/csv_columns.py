"""A parsed CSV chunk judged column by column: each field's distinct cell texts judged once, runners as codes.

Each field's outcome depends only on its own cells (rows.CsvRows says why), so a column's distinct texts
(or distinct tuples of texts, for a field of several cells such as current_shoe_*) are judged by CsvRows' own
memoised judges, and every row gets the code of its text: what a row would have been as a Profile is, field by
field, a code into that field's distinct values (runners.ColumnRunners). pain_* and training_* go further:
their cells are judged, and their facts made, one cell at a time, as CsvRows judges them (thousands of distinct
tuples a chunk, a few dozen texts a cell). Only rejected rows are looked at one by one.
Rows are judged, and rejects worded, exactly as CsvRows.read does (tests hold the two to each other).
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.profile import Profile
from ..core.validation import PROFILE_SCHEMA
from .rows import CsvRows, Reject, RowError, _error, catalog_problems
from .runners import ColumnRunners, distinct_tuples, unique_rows

CATALOG_FIELDS = ("brands", "exclude_brands", "current_shoe")  # what check_against reads
CHECKED_MEMO = 1 << 16  # catalog fields' values whose problems are remembered: brand lists could be endless
# First or last bytes after which str.strip() might take something off: ASCII whitespace, any non-ASCII.
_MAY_STRIP = np.zeros(256, dtype=bool)
_MAY_STRIP[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32, *range(0x80, 0x100)]] = True


class CsvColumns:
    def __init__(self, header, catalog, top):
        self.rows = CsvRows(header, catalog)
        self.catalog = catalog
        self.top = top
        self.given = {name for name, _, _ in self.rows.fields}
        self.facts = {}  # runners.ColumnRunners' memo, kept from chunk to chunk
        self.checked = {}  # (catalog field, value) -> its problems, kept from chunk to chunk

    def judge(self, parsed):
        """(keys, ColumnRunners, picks wanted per runner, rejects) of a csv_parse.ParsedChunk."""
        lines = parsed.lines
        codes, values, problems = {}, {}, {}
        parts = {}  # field judged cell by cell -> [(nested key, codes, values, problems)], one per cell
        for name, ats, judge in self.rows.fields:
            if hasattr(judge, "parts"):
                # Each cell alone has a few dozen texts; together, pain's make thousands of tuples a chunk.
                parts[name] = []
                for (key, part), at in zip(judge.parts, ats):
                    cell_codes, _, cell_values, cell_problems = _judged(parsed.columns, [at], part)
                    parts[name].append((key, cell_codes, cell_values, cell_problems))
                continue
            codes[name], texts, values[name], problems[name] = _judged(parsed.columns, ats, judge)
            if name == "limit":
                # A limit the row asks for; an empty cell asks for none, whatever the default.
                asked = [text.strip() != "" for text in texts]
                wanted = np.array([min(v, self.top) if a and v is not None else self.top  # None: a rejected limit
                                   for v, a in zip(values[name], asked)], dtype=np.intp)  # fmt: skip
        for name in PROFILE_SCHEMA.fields:
            if name not in self.given:
                codes[name], values[name] = np.zeros(len(lines), dtype=np.intp), [self.rows.defaults[name]]
        keys = self._keys(parsed, lines)
        rejected = np.zeros(len(lines), dtype=bool)
        for name in self.given - set(parts):
            rejected |= _bad(problems[name])[codes[name]]
        for cells in parts.values():
            for _, cell_codes, _, cell_problems in cells:
                rejected |= _bad(cell_problems)[cell_codes]
        rejects = [(int(line), "", [_error("", "", message)]) for line, message in parsed.problems]
        for row in np.flatnonzero(rejected).tolist():
            errors = []
            for name, _, _ in self.rows.fields:
                if name in parts:  # cell by cell, in column order, as the field's own judge lists them
                    found = [cell_problems[c[row]] for _, c, _, cell_problems in parts[name]]
                else:
                    found = [problems[name][codes[name][row]]]
                errors += [e for p in found if p is not None for e in p]
            rejects.append((int(lines[row]), keys[row].as_py(), errors))
        rejected |= self._catalog_rejects(codes, values, ~rejected, lines, keys, rejects)
        good = ~rejected
        runners = ColumnRunners(
            {name: c[good] for name, c in codes.items()},
            values,
            self.facts,
            {name: [(key, c[good], v) for key, c, v, _ in cells] for name, cells in parts.items()},
        )
        keep = wanted[codes["limit"][good]] if "limit" in self.given else np.full(int(good.sum()), self.top)
        rejects.sort(key=lambda r: r[0])  # the parse's, the fields' and the catalog's, each in line order
        found = [reject for line, key, errors in rejects for reject in Reject.of(line, RowError(errors, key))]
        return keys.filter(pa.array(good)), runners, keep, found

    def _catalog_rejects(self, codes, values, valid, lines, keys, rejects):
        """Rows whose brands or current shoe the catalog lacks (among `valid` ones), each added to `rejects`.

        check_against looks at each of these fields alone and lists their errors field after field, so each
        field's distinct values are checked once, on their own, and a row's errors are its fields' in that order.
        """
        failing = np.zeros(len(lines), dtype=bool)
        found = {}
        for name in CATALOG_FIELDS:
            # A value seen only on rows rejected already may be no value at all (None).
            seen = np.zeros(len(values[name]), dtype=bool)
            seen[codes[name][valid]] = True
            found[name] = [
                self._catalog_problems(name, value) if seen[i] else [] for i, value in enumerate(values[name])
            ]
            failing |= np.array([bool(problems) for problems in found[name]], dtype=bool)[codes[name]]
        out = failing & valid
        for row in np.flatnonzero(out).tolist():
            errors = [e for name in CATALOG_FIELDS for e in found[name][codes[name][row]]]
            rejects.append((int(lines[row]), keys[row].as_py(), errors))
        return out

    def _catalog_problems(self, name, value):
        key = (name, value)
        if key not in self.checked:
            if len(self.checked) >= CHECKED_MEMO:
                self.checked.clear()
            self.checked[key] = catalog_problems(self.catalog, Profile(**{name: value}))
        return self.checked[key]

    def _keys(self, parsed, lines):
        """Each row's id, stripped as CsvRows strips it, or its line when it has none."""
        if self.rows.id_at is None:
            return pc.cast(pa.array(lines), pa.string())
        ids = parsed.columns[self.rows.id_at]
        offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[ids.offset : ids.offset + len(ids) + 1]
        data = np.frombuffer(ids.buffers()[2], dtype=np.uint8) if ids.buffers()[2] is not None else b""
        data = np.concatenate([data, [0]]).astype(np.uint8)  # a byte to read for empty cells
        empty = offsets[1:] == offsets[:-1]
        first = data[offsets[:-1]]
        last = data[np.maximum(offsets[1:] - 1, 0)]
        odd = np.flatnonzero(empty | _MAY_STRIP[first] | _MAY_STRIP[last])
        if not len(odd):
            return ids
        texts = ids.take(pa.array(odd)).to_pylist()
        fixed = [text.strip() or str(lines[row]) for text, row in zip(texts, odd.tolist())]
        mask = np.zeros(len(ids), dtype=bool)
        mask[odd] = True
        return pc.replace_with_mask(ids, pa.array(mask), pa.array(fixed, pa.string()))


def _bad(problems):
    return np.array([p is not None for p in problems], dtype=bool)


def _judged(columns, ats, judge):
    """(code per row, distinct texts, per text its value or None, per text its problems or None) of cells `ats`."""
    codes, texts = _distinct(columns, ats)
    outcomes = [judge(text) for text in texts]
    return codes, texts, [v if ok else None for ok, v in outcomes], [None if ok else v for ok, v in outcomes]


def _distinct(columns, ats):
    """(code per row, the distinct texts: a cell's text, or a tuple of texts for several cells)."""
    encoded = [columns[at].dictionary_encode() for at in ats]
    if len(ats) == 1:
        return np.asarray(encoded[0].indices, dtype=np.intp), encoded[0].dictionary.to_pylist()
    matrix = np.column_stack([np.asarray(e.indices, dtype=np.intp) for e in encoded])
    first, codes = unique_rows(matrix)
    return codes, distinct_tuples([e.dictionary.to_pylist() for e in encoded], matrix[first])
