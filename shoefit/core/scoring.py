"""The weighted scorer of one runner: filters, per-attribute gap to the wanted band, weighted sum, top-k.

One vectorised pass over the catalog's precomputed matrix; no Python loop over shoes.
A block of runners is scored by the same arithmetic in batch/block_scoring.py.
"""

from dataclasses import dataclass

import numpy as np

from .catalog import TERRAIN_CODES, USE_BITS, WIDTH_BITS
from .vocabulary import RATING_MAX, RATING_MIN

RATING_SPAN = RATING_MAX - RATING_MIN
# Share of the score earned by meeting the requirements; the rest comes from the
# secondary preferences (light, affordable). They order shoes that fit about as
# well; a lighter, cheaper shoe overtakes a better fit only within 5 points.
FIT_SHARE = 0.95
# score = BASE + PREFERENCE_COEF * preference - DISTANCE_COEF * distance, where distance is the
# weighted mean over the required attributes of how far the shoe lies outside the wanted band
# (requirements.gap): 0 for a shoe that meets every requirement.
BASE = 100.0 * FIT_SHARE
PREFERENCE_COEF = 100.0 * (1.0 - FIT_SHARE)
DISTANCE_COEF = 100.0 * FIT_SHARE / RATING_SPAN
# Each attribute's weighted distance is rounded to a multiple of 2**-30 before the
# attributes are added up. Every partial sum is then exact in float64 (13 terms below
# 4 each: 36 of 53 bits), so the total is the same in whatever order it is added: one
# runner scored row by row and a block of runners scored as a matrix product get
# bit-identical scores, and equal shoes stay exactly tied.
QUANTUM_SCALE = 2.0**30
# A catalog of at most this many (level, shoe) pairs is scored as one product with its one-hot matrix of levels
# (catalog.onehot_t, as block scoring does): exact like the sum level by level, and cheapest for a store's shoes.
# The bound keeps the product on the request's own thread: OpenBLAS runs one of over 2304 x 4 entries on every
# core, its threads spinning beside the other requests. A larger catalog adds up its shoes' levels attribute by
# attribute.
ONEHOT_MAX_ENTRIES = 8192
# top_k sorts up to this many scores whole: cheaper than partitioning them first.
FULL_SORT_MAX = 256


def _quantize(terms):
    terms *= QUANTUM_SCALE
    np.rint(terms, out=terms)
    terms /= QUANTUM_SCALE
    return terms


def normalized(weights):
    """Weights scaled to sum to 1 along the last axis (all zero stays zero)."""
    if weights.ndim == 1:  # one runner: the same sum and division, without a mask for the rows of a block
        total = np.add.reduce(weights)  # weights.sum() without its Python wrapper
        return weights / total if total > 0 else np.zeros_like(weights, dtype=np.float64)
    total = weights.sum(axis=-1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights, dtype=np.float64), where=total > 0)


@dataclass(frozen=True)
class Filters:
    terrain: str | None = None
    width: str | None = None
    max_price: float | None = None
    brands: frozenset = frozenset()  # casefolded; empty means any
    exclude_brands: frozenset = frozenset()
    use: str | None = None  # only shoes made for this use (the runner's use, when they ask for use_only)

    @classmethod
    def from_profile(cls, profile):
        return cls(
            profile.terrain,
            profile.width,
            profile.max_price,
            frozenset(b.casefold() for b in profile.brands),
            frozenset(b.casefold() for b in profile.exclude_brands),
            profile.use if profile.use_only else None,
        )

    def mask(self, catalog):
        """Boolean mask of the shoes that pass, or None when nothing is filtered."""
        mask = None

        def both(m):
            return m if mask is None else mask & m

        if self.terrain is not None:
            mask = both(catalog.terrain == TERRAIN_CODES[self.terrain])
        if self.width is not None:
            mask = both((catalog.width_bits & WIDTH_BITS[self.width]) != 0)
        if self.max_price is not None:
            mask = both(catalog.price <= self.max_price)
        if self.brands:
            codes = [catalog.brand_codes[b] for b in self.brands if b in catalog.brand_codes]
            mask = both(np.isin(catalog.brand, codes))
        if self.exclude_brands:
            codes = [catalog.brand_codes[b] for b in self.exclude_brands if b in catalog.brand_codes]
            mask = both(~np.isin(catalog.brand, codes))
        if self.use is not None:
            mask = both((catalog.use_bits & USE_BITS[self.use]) != 0)
        return mask

    def given(self):
        """The filters the runner set, by request field: {field: value}."""
        named = {
            "terrain": self.terrain,
            "width": self.width,
            "max_price": self.max_price,
            "brands": sorted(self.brands) or None,
            "exclude_brands": sorted(self.exclude_brands) or None,
            "use_only": self.use,
        }
        return {field: value for field, value in named.items() if value is not None}

    def without(self, field):
        """These filters with one of them (a request field, as given() names it) dropped."""
        empty = {"brands": frozenset(), "exclude_brands": frozenset(), "use_only": None}
        name = "use" if field == "use_only" else field
        return type(self)(**{**self.__dict__, name: empty.get(field)})


def level_terms(levels, lows, highs, shares):
    """Quantized weighted distance from each wanted band [lows, highs] to each rating level."""
    terms = np.maximum(lows - levels, 0.0)
    terms += np.maximum(levels - highs, 0.0)
    terms *= shares
    return _quantize(terms)


def score(catalog, lows, highs, weights, rows=None):
    """Scores 0-100 of one runner for the given catalog rows (all when rows is None)."""
    shares = normalized(weights)
    preference = catalog.preference if rows is None else catalog.preference[rows]
    # Every attribute's levels in one pass: elementwise the same arithmetic as level by level, in a
    # handful of numpy calls rather than a handful per attribute.
    levels, attribute = catalog.level_table
    table = level_terms(levels, lows[attribute], highs[attribute], shares[attribute])
    if len(levels) * len(catalog) <= ONEHOT_MAX_ENTRIES:
        distance = table @ catalog.onehot_t
        if rows is not None:
            distance = distance[rows]
    else:
        distance = np.zeros(len(preference))
        for a in np.flatnonzero(shares).tolist():  # an unweighted attribute adds exact zeros
            start, codes = catalog.level_starts[a], catalog.level_codes[a]
            distance += table[start : start + len(catalog.levels[a])][codes if rows is None else codes[rows]]
    return (BASE + PREFERENCE_COEF * preference) - distance * DISTANCE_COEF


def top_k(scores, tiebreak, k):
    """Positions of the k best scores, best first; equal scores in tiebreak order.

    Everything tied with the k-th score is kept before sorting, so the result is
    exactly the first k of a full sort whatever order argpartition leaves ties in.
    """
    n = len(scores)
    if k < n and n > FULL_SORT_MAX:
        kth = np.partition(scores, n - k)[n - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(n)
    order = np.lexsort((tiebreak[candidates], -scores[candidates]))
    return candidates[order[:k]]


def candidate_scores(catalog, lows, highs, weights, mask, adjust=None):
    """(catalog rows that pass `mask` (None: all), their scores).

    adjust: optional points per catalog row (try-ons, the runner's current shoe), added to the
    scores. Shoes are ranked on the sum; an answer shows it kept within 0-100 (shown()), so that
    points lifting two well-fitting shoes past 100 still tell them apart.
    """
    rows = None if mask is None else np.flatnonzero(mask)
    if rows is not None and len(rows) == 0:
        return rows, np.array([])
    scores = score(catalog, lows, highs, weights, rows)
    if adjust is not None:
        scores += adjust if rows is None else adjust[rows]
    return (np.arange(len(catalog)) if rows is None else rows), scores


def shown(score):
    """A score as answers show it: within 0-100, to three decimals."""
    return round(min(100.0, max(0.0, score)), 3)


def rank(catalog, lows, highs, weights, filters, k, adjust=None):
    """The plain ranking: (catalog rows of the k best, best first; their scores; how many shoes passed)."""
    rows, scores = candidate_scores(catalog, lows, highs, weights, filters.mask(catalog), adjust)
    if len(rows) == 0:
        return np.array([], dtype=np.intp), np.array([]), 0
    best = top_k(scores, catalog.id_rank[rows], k)
    return rows[best], scores[best], len(rows)
