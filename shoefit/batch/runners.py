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

    `memo`: (fields, their values) -> the facts they make, shared by the blocks of one scorer: pain details
    and the like repeat from chunk to chunk.
    """

    MEMO = 1 << 16

    def __init__(self, codes, values, memo=None):
        self.codes, self.values = codes, values
        self.memo = {} if memo is None else memo
        self.combos = {}  # fields -> fields(fields): the five pain facts read the same field

    def __len__(self):
        return len(next(iter(self.codes.values()))) if self.codes else 0

    def block(self, part):
        return ColumnRunners({name: codes[part] for name, codes in self.codes.items()}, self.values, self.memo)

    def fields(self, names):
        if len(names) == 1:
            (name,) = names
            used, codes = np.unique(self.codes[name], return_inverse=True)
            return codes.reshape(-1), [(self.values[name][u],) for u in used.tolist()]
        matrix = np.column_stack([self.codes[name] for name in names])
        first, codes = unique_rows(matrix)
        return codes, [tuple(self.values[n][c] for n, c in zip(names, row)) for row in matrix[first].tolist()]

    def fact(self, name):
        sources = fact_sources(name)
        if sources not in self.combos:
            self.combos[sources] = self.fields(sources)
        codes, combos = self.combos[sources]
        if len(self.memo) > self.MEMO:
            self.memo.clear()
        return codes, [self._facts(sources, combo)[name] for combo in combos]

    def _facts(self, sources, combo):
        key = (sources, combo)
        if key not in self.memo:
            # Facts depend on their sources only: a Profile with just them says what they are.
            self.memo[key] = Profile(**dict(zip(sources, combo))).facts
        return self.memo[key]


def unique_rows(matrix):
    """(index of each distinct row's first occurrence, each row's distinct-row index)."""
    matrix = np.ascontiguousarray(matrix)
    if matrix.shape[1] == 0:
        return np.zeros(min(1, len(matrix)), dtype=np.intp), np.zeros(len(matrix), dtype=np.intp)
    keys = matrix.view(np.dtype((np.void, matrix.dtype.itemsize * matrix.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)
