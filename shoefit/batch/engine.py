"""The block engine: many runners against the catalog, a block at a time.

The same rules and the same scores as a single request (RuleBlock is assess() for
a block, score_block is score() laid out as a matrix product, both bit for bit);
what this module adds is doing each piece of work once per distinct thing, not
once per runner. Runners of a block share far fewer requirements (which rules
fired) and filter combinations than there are runners: scores are computed once
per distinct requirement, masks once per filter combination, and the top picks
once per (requirement, filters) pair.
"""

import contextlib
import functools
import gc
import itertools
import operator
from typing import NamedTuple

import numpy as np

from ..core.catalog import TERRAIN_CODES, WIDTH_BITS
from .block_scoring import score_block, top_k_block
from .rule_block import RuleBlock, unique_rows

# A block's distinct requirements are found among this many runners at a time.
BLOCK_RUNNERS = 16384
# Scores of one step are (requirements x shoes) floats: keep a step near 32 MB.
STEP_CELLS = 4_000_000
CACHED_CELLS = 1 << 18
ASSESS_MEMO = 8192

_FILTERS = operator.attrgetter("terrain", "width", "max_price", "brands", "exclude_brands")
_TERRAIN_KEYS = {None: -1, **TERRAIN_CODES}
_WIDTH_KEYS = {None: 0, **WIDTH_BITS}


class Picks(NamedTuple):  # a tuple: made at C speed, one per distinct runner
    ids: tuple  # shoe ids, best first, at most `top`
    scores: tuple  # 0-100, equal to the single-request scores
    warnings: tuple  # warning codes, most serious first
    candidates: int  # shoes left after the runner's filters


class BatchEngine:
    def __init__(self, catalog, knowledge, top=10):
        self.catalog = catalog
        self.top = top
        self.rules = RuleBlock(knowledge.rules)
        # The API answers each batch item with its full warnings, which only assess() gives.
        self.assess = functools.lru_cache(maxsize=ASSESS_MEMO)(knowledge.assess)

    def score(self, profiles):
        """Picks for each profile, in order; each profile's brands checked against the catalog already."""
        profiles = list(profiles)
        picks = []
        with paused_gc():
            for start in range(0, len(profiles), BLOCK_RUNNERS):
                picks.extend(self._score_block(profiles[start : start + BLOCK_RUNNERS]))
        return picks

    def score_stream(self, records, chunk=4096):
        """(key, profile) pairs in, (key, Picks) out in the same order, `chunk` at a time."""
        records = iter(records)
        while batch := list(itertools.islice(records, chunk)):
            keys, profiles = zip(*batch)
            yield from zip(keys, self.score(profiles))

    def _score_block(self, profiles):
        if not profiles:
            return []
        needs = self.rules.assess(profiles)
        filters = FilterCombos(self.catalog, profiles)
        first, pair = unique_rows(np.column_stack([needs.requirements, filters.combo]))
        shared = self._pairs(needs.targets, needs.weights, needs.requirements[first], filters, filters.combo[first])
        # Runners alike in requirement, filters and warnings get the same (immutable) Picks.
        first, alike = unique_rows(np.column_stack([pair, needs.warning_sets]))
        distinct = []
        for i in first.tolist():
            ids, values, candidates = shared[pair[i]]
            distinct.append(Picks(ids, values, needs.warning_codes[needs.warning_sets[i]], candidates))
        return [distinct[i] for i in alike.tolist()]

    def _pairs(self, targets, weights, requirement, filters, combo):
        """(ids, scores, candidates) per distinct (requirement, filters) pair, a bounded step at a time."""
        shared = [None] * len(requirement)
        step = max(1, STEP_CELLS // len(self.catalog))
        order = np.argsort(requirement, kind="stable")  # pairs of a requirement share its scores
        for start in range(0, len(order), step):
            pairs = order[start : start + step]
            needed, local = np.unique(requirement[pairs], return_inverse=True)
            scores = score_block(self.catalog, targets[needed], weights[needed])
            combos, local_combo = np.unique(combo[pairs], return_inverse=True)
            masks = filters.masks(combos)
            best = self._best(scores, local.reshape(-1), masks, local_combo.reshape(-1))
            counts = masks.sum(axis=1)[local_combo].tolist()
            for at, picks in zip(pairs.tolist(), self._picks(scores, local.reshape(-1), best, counts)):
                shared[at] = picks
        return shared

    def _best(self, scores, requirement, masks, combo):
        """Per pair, the catalog rows of its top picks, best first; -1 pads."""
        catalog = self.catalog
        k = min(self.top, len(catalog))
        best = np.empty((len(requirement), k), dtype=np.intp)
        # A filter letting every shoe through is as good as none: the pair takes its requirement's picks.
        open_ = masks.all(axis=1)[combo]
        if open_.any():
            needed, inverse = np.unique(requirement[open_], return_inverse=True)
            best[open_] = top_k_block(scores[needed], catalog.id_rank, k)[inverse.reshape(-1)]
        # The others search their requirement's scores with the filtered-out shoes at -inf, a few
        # rows at a time: a few hundred kilobytes that stay in cache through all the passes.
        rows = np.flatnonzero(~open_)
        group = max(1, CACHED_CELLS // len(catalog))
        masked = np.empty((min(group, len(rows)), len(catalog)))
        for start in range(0, len(rows), group):
            some = rows[start : start + group]
            part = masked[: len(some)]
            np.take(scores, requirement[some], axis=0, out=part)
            np.copyto(part, -np.inf, where=~masks[combo[some]])
            best[some] = top_k_block(part, catalog.id_rank, k)
        return best

    def _picks(self, scores, requirement, best, candidates):
        """(ids, scores, candidates) per row of `best`."""
        found = (best >= 0).sum(axis=1).tolist()
        safe = np.maximum(best, 0)
        ids = self.catalog.ids[safe].tolist()
        values = scores[requirement[:, None], safe].tolist()
        return [(tuple(ids[i][:n]), tuple(values[i][:n]), c) for i, (n, c) in enumerate(zip(found, candidates))]


@contextlib.contextmanager
def paused_gc():
    """No automatic cycle collection while scoring.

    A block makes tens of thousands of small objects and no cycles, enough to
    start collections that walk the caller's whole heap (its profiles, say) and
    that cost as much as the scoring. Reference counting frees it all anyway.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FilterCombos:
    """The distinct hard-filter combinations of a block of runners; masks over the catalog on demand."""

    def __init__(self, catalog, profiles):
        self.catalog = catalog
        numbers = _Numbering()
        self.combo = np.fromiter(map(numbers.__getitem__, map(_FILTERS, profiles)), dtype=np.intp, count=len(profiles))
        combos = list(numbers)  # in order of their numbers
        terrain = np.array([_TERRAIN_KEYS[c[0]] for c in combos], dtype=np.int16)
        width = np.array([_WIDTH_KEYS[c[1]] for c in combos], dtype=np.int16)
        price = np.array([np.inf if c[2] is None else c[2] for c in combos], dtype=np.float64)
        brands = np.ones((len(combos), len(catalog.brands)), dtype=bool)
        for row, (_, _, _, only, exclude) in enumerate(combos):
            if only:
                brands[row] = False
                brands[row, [catalog.brand_codes[b.casefold()] for b in only]] = True
            if exclude:
                brands[row, [catalog.brand_codes[b.casefold()] for b in exclude]] = False
        # Each kind of filter takes few values: one mask per value, and a combination's
        # mask is four of them and-ed together.
        self.parts = []
        for values, mask_of in (
            (terrain, lambda t: (catalog.terrain[None, :] == t[:, None]) | (t[:, None] < 0)),
            (width, lambda w: ((catalog.width_bits[None, :] & w[:, None]) != 0) | (w[:, None] == 0)),
            (price, lambda p: catalog.price[None, :] <= p[:, None]),
        ):
            distinct, which = np.unique(values, return_inverse=True)
            self.parts.append((mask_of(distinct), which.reshape(-1)))
        first, which = unique_rows(brands)
        self.parts.append((brands[first][:, catalog.brand], which))

    def masks(self, combos):
        """(combos x shoes) mask of the shoes each of these combinations lets through."""
        (masks, which), *others = self.parts
        out = masks[which[combos]]
        for masks, which in others:
            out &= masks[which[combos]]
        return out


class _Numbering(dict):
    """Numbers keys 0, 1, 2 ... in the order they are first looked up."""

    def __missing__(self, key):
        number = self[key] = len(self)
        return number
