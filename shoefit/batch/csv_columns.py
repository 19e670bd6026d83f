"""A parsed CSV chunk judged column by column: each field's distinct cell texts judged once, runners as codes.

Each field's outcome depends only on its own cells (rows.CsvRows says why), so a column's distinct texts
(or, for pain_* and training_*, distinct tuples of texts) are judged by CsvRows' own memoised judges, and
every row gets the code of its text: what a row would have been as a Profile is, field by field, a code
into that field's distinct values (runners.ColumnRunners). Only rejected rows are looked at one by one.
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
        for name, ats, judge in self.rows.fields:
            codes[name], texts = _distinct(parsed.columns, ats)
            outcomes = [judge(text) for text in texts]
            values[name] = [value if ok else None for ok, value in outcomes]
            problems[name] = [None if ok else value for ok, value in outcomes]
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
        for name in self.given:
            bad = np.array([p is not None for p in problems[name]], dtype=bool)
            rejected |= bad[codes[name]]
        rejects = [(int(line), "", [_error("", "", message)]) for line, message in parsed.problems]
        for row in np.flatnonzero(rejected).tolist():
            found = [p for name, _, _ in self.rows.fields if (p := problems[name][codes[name][row]]) is not None]
            rejects.append((int(lines[row]), keys[row].as_py(), [e for p in found for e in p]))
        rejected |= self._catalog_rejects(codes, values, ~rejected, lines, keys, rejects)
        good = ~rejected
        runners = ColumnRunners({name: c[good] for name, c in codes.items()}, values, self.facts)
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


def _distinct(columns, ats):
    """(code per row, the distinct texts: a cell's text, or a tuple of texts for several cells)."""
    encoded = [columns[at].dictionary_encode() for at in ats]
    if len(ats) == 1:
        return np.asarray(encoded[0].indices, dtype=np.intp), encoded[0].dictionary.to_pylist()
    matrix = np.column_stack([np.asarray(e.indices, dtype=np.intp) for e in encoded])
    first, codes = unique_rows(matrix)
    return codes, distinct_tuples([e.dictionary.to_pylist() for e in encoded], matrix[first])
