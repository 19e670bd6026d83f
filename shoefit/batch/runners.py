"""A block of runners as the engine reads it: field by field, each as codes into that field's distinct values.

The engine never needs a runner whole: the rules read facts, the filters and asks a few fields, each
the same for every runner with the same values there. ProfileRunners reads a list of Profiles that
way (the API's batches, JSON Lines); ColumnRunners holds a CSV chunk as it was judged, a code per
runner and field, so that nothing is built per runner.
"""

import operator

import numpy as np

from ..core.profile import FACT_FIELDS, Profile

# The Profile fields each fact is made from (Profile.__post_init__); tests hold this to Profile itself.
# These two hold when any one of their fields alone makes them hold: pain named as a symptom or told
# in details; trails as the terrain or as where the runner trains.
DERIVED_FACTS = {"has_pain": ("symptoms", "pain"), "runs_off_road": ("terrain", "training")}


def fact_sources(fact):
    return DERIVED_FACTS.get(fact) or (fact.split(".")[0],)


assert all(source in Profile.__dataclass_fields__ for fact in FACT_FIELDS for source in fact_sources(fact))


class Numbering(dict):
    """Numbers keys 0, 1, 2 ... in the order they are first looked up."""

    def __missing__(self, key):
        number = self[key] = len(self)
        return number


def numbered(values, count):
    """(code per item, distinct items in order of their codes)."""
    numbers = Numbering()
    codes = np.fromiter(map(numbers.__getitem__, values), dtype=np.intp, count=count)
    return codes, list(numbers)


class ProfileRunners:
    def __init__(self, profiles):
        self.profiles = profiles

    def __len__(self):
        return len(self.profiles)

    def block(self, part):
        return ProfileRunners(self.profiles[part])

    def fields(self, names):
        """(code per runner, the distinct tuples of these fields' values)."""
        if len(names) > 1:
            return numbered(map(operator.attrgetter(*names), self.profiles), len(self.profiles))
        codes, values = numbered(map(operator.attrgetter(names[0]), self.profiles), len(self.profiles))
        return codes, [(value,) for value in values]

    def fact(self, name):
        """(code per runner, the fact's distinct values)."""
        return numbered((p.facts[name] for p in self.profiles), len(self.profiles))


class ColumnRunners:
    """Runners as a code per field (np arrays, one entry per runner) into that field's distinct values (lists).

    `parts`: for a nested field read cell by cell (pain, training: csv_columns.py), instead of a code per runner
    into its values, [(nested key, codes, values)]: per key a code per runner into what that cell alone makes
    of the field. Each of its facts comes from one cell (pain.days from pain_days), and has_pain or
    runs_off_road holds where any one cell alone makes it hold (tests hold Profile to both).
    `memo`: (fields, their values) -> the facts they make, shared by the blocks of one scorer: pain details
    and the like repeat from chunk to chunk.
    """

    MEMO = 1 << 16

    def __init__(self, codes, values, memo=None, parts=None):
        self.codes, self.values = codes, values
        self.memo = {} if memo is None else memo
        self.parts = parts or {}
        self.combos = {}  # sources -> (codes, facts per distinct combo): the five pain facts read the same field

    def __len__(self):
        if self.codes:
            return len(next(iter(self.codes.values())))
        return next((len(codes) for cells in self.parts.values() for _, codes, _ in cells), 0)

    def block(self, part):
        return ColumnRunners(
            {name: codes[part] for name, codes in self.codes.items()},
            self.values,
            self.memo,
            {name: [(key, codes[part], values) for key, codes, values in cells] for name, cells in self.parts.items()},
        )

    def fields(self, names):
        if len(names) == 1:
            (name,) = names
            # The codes index the field's values already: renumber the ones used, without a sort.
            present = np.zeros(len(self.values[name]), dtype=bool)
            present[self.codes[name]] = True
            used = np.flatnonzero(present)
            renumber = np.cumsum(present) - 1
            return renumber[self.codes[name]], [(self.values[name][u],) for u in used.tolist()]
        matrix = np.column_stack([self.codes[name] for name in names])
        first, codes = unique_rows(matrix)
        return codes, distinct_tuples([self.values[name] for name in names], matrix[first])

    def fact(self, name):
        if name in DERIVED_FACTS:
            # Each field alone, then either: the combinations of symptoms and pain details are thousands.
            held = np.zeros(len(self), dtype=bool)
            for source in DERIVED_FACTS[name]:
                for codes, values in self._cells_or_field(source, name):
                    held |= np.array(values, dtype=bool)[codes]
            return held.astype(np.intp), [False, True]
        (source,) = fact_sources(name)
        if source in self.parts:
            key = name.split(".", 1)[1]
            for cell, codes, values in self.parts[source]:
                if cell == key:
                    return codes, self._cell_facts(source, values, name)
            return np.zeros(len(self), dtype=np.intp), [None]  # no such cell: the field never holds the key
        return self.fact_of((source,), name)

    def _cells_or_field(self, source, name):
        """[(codes, values)] of fact `name` as each of `source`'s cells alone makes it, or as the field does."""
        if source in self.parts:
            return [(codes, self._cell_facts(source, values, name)) for _, codes, values in self.parts[source]]
        return [self.fact_of((source,), name)]

    def _cell_facts(self, source, values, name):
        """Fact `name` as each of these values of one of `source`'s cells makes it alone."""
        return [self._facts((source,), (value,))[name] for value in values]

    def fact_of(self, sources, name):
        """(code per runner, distinct values) of fact `name` as these fields alone make it."""
        if sources not in self.combos:
            codes, combos = self.fields(sources)
            if len(self.memo) > self.MEMO:
                self.memo.clear()
            self.combos[sources] = codes, [self._facts(sources, combo) for combo in combos]
        codes, facts = self.combos[sources]
        return codes, [made[name] for made in facts]

    def _facts(self, sources, combo):
        key = (sources, combo)
        if key not in self.memo:
            # Facts depend on their sources only: a Profile with just them says what they are.
            self.memo[key] = Profile(**dict(zip(sources, combo))).facts
        return self.memo[key]


def distinct_tuples(values, rows):
    """A tuple per row of codes: the values each code stands for, column by column (values: a list per column)."""
    columns = [np.fromiter(column, dtype=object, count=len(column))[rows[:, at]] for at, column in enumerate(values)]
    return list(zip(*columns))


def unique_rows(matrix):
    """(index of each distinct row's first occurrence, each row's distinct-row index)."""
    matrix = np.asarray(matrix)
    if matrix.shape[1] == 0:
        return np.zeros(min(1, len(matrix)), dtype=np.intp), np.zeros(len(matrix), dtype=np.intp)
    _, first, inverse = np.unique(_row_keys(matrix), return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _row_keys(matrix):
    """One sortable key per row, equal where rows are: numpy sorts int64 keys several times faster than
    rows viewed as bytes, and the engine's rows (codes, packed bits) are nearly all a few codes wide."""
    n, width = matrix.shape
    if matrix.dtype == np.uint8 and width <= 8:
        padded = np.zeros((n, 8), dtype=np.uint8)
        padded[:, :width] = matrix
        return padded.view(np.uint64).reshape(-1)
    if np.issubdtype(matrix.dtype, np.integer) and matrix.dtype.itemsize > 1 and n:
        # Mixed radix, column by column: codes are small and the product of their spans mostly fits.
        columns = matrix.astype(np.int64) - matrix.min(axis=0)
        spans = [int(span) for span in columns.max(axis=0) + 1]
        if np.prod(np.array(spans, dtype=float)) < 2.0**62:
            key = columns[:, 0].copy()
            for at in range(1, width):
                key *= spans[at]
                key += columns[:, at]
            return key
    matrix = np.ascontiguousarray(matrix)
    return matrix.view(np.dtype((np.void, matrix.dtype.itemsize * width))).reshape(-1)
