"""The weighted scorer: filters, per-attribute match, weighted sum, top-k.

One vectorised pass over the catalog's precomputed matrix; no Python loop over shoes.
"""

from dataclasses import dataclass

import numpy as np

from .catalog import TERRAIN_CODES, WIDTH_BITS
from .vocabulary import RATING_MAX, RATING_MIN

RATING_SPAN = RATING_MAX - RATING_MIN
# Share of the score earned by meeting the requirements; the rest comes from the
# secondary preferences (light, affordable). They order shoes that fit about as
# well; a lighter, cheaper shoe overtakes a better fit only within 5 points.
FIT_SHARE = 0.95
# score = BASE + PREFERENCE_COEF * preference - DISTANCE_COEF * distance, where distance
# is the weighted mean |value - target| over the required attributes.
BASE = 100.0 * FIT_SHARE
PREFERENCE_COEF = 100.0 * (1.0 - FIT_SHARE)
DISTANCE_COEF = 100.0 * FIT_SHARE / RATING_SPAN
# Each attribute's weighted distance is rounded to a multiple of 2**-30 before the
# attributes are added up. Every partial sum is then exact in float64 (at most 8
# terms below 4 each: 35 of 53 bits), so the total is the same in whatever order it
# is added: one runner scored row by row and a block of runners scored as a matrix
# product get bit-identical scores, and equal shoes stay exactly tied.
QUANTUM_SCALE = 2.0**30


def _quantize(terms):
    terms *= QUANTUM_SCALE
    np.rint(terms, out=terms)
    terms /= QUANTUM_SCALE
    return terms


def normalized(weights):
    """Weights scaled to sum to 1 along the last axis (all zero stays zero)."""
    total = weights.sum(axis=-1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights, dtype=np.float64), where=total > 0)


@dataclass(frozen=True)
class Filters:
    terrain: str | None = None
    width: str | None = None
    max_price: float | None = None
    brands: frozenset = frozenset()  # casefolded; empty means any
    exclude_brands: frozenset = frozenset()

    @classmethod
    def from_profile(cls, profile):
        return cls(
            profile.terrain,
            profile.width,
            profile.max_price,
            frozenset(b.casefold() for b in profile.brands),
            frozenset(b.casefold() for b in profile.exclude_brands),
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
        return mask


def _level_terms(levels, targets, shares):
    """Quantized weighted distance from each runner's target to each rating level."""
    terms = np.abs(levels - targets)
    terms *= shares
    return _quantize(terms)


def score(catalog, targets, weights, rows=None):
    """Scores 0-100 of one runner for the given catalog rows (all when rows is None)."""
    shares = normalized(weights)
    preference = catalog.preference if rows is None else catalog.preference[rows]
    distance = np.zeros(len(preference))
    for a, (levels, codes) in enumerate(zip(catalog.levels, catalog.level_codes)):
        if shares[a] > 0:  # an unweighted attribute adds exact zeros
            table = _level_terms(levels, targets[a], shares[a])
            distance += table[codes if rows is None else codes[rows]]
    return (BASE + PREFERENCE_COEF * preference) - distance * DISTANCE_COEF


def score_block(catalog, targets, weights):
    """Scores (runners x shoes) of a block of runners against the whole catalog.

    The same arithmetic as score(), laid out as one matrix product: per attribute,
    each runner's weighted distance to every rating level, times the catalog's
    one-hot encoding of which level each shoe has.
    """
    shares = normalized(weights)
    onehot_t = catalog.onehot_t
    level_terms = np.empty((len(targets), onehot_t.shape[0]))
    for a, (start, levels) in enumerate(zip(catalog.level_starts, catalog.levels)):
        level_terms[:, start : start + len(levels)] = _level_terms(
            levels[None, :], targets[:, a : a + 1], shares[:, a : a + 1]
        )
    distance = level_terms @ onehot_t
    distance *= DISTANCE_COEF
    return np.subtract(BASE + PREFERENCE_COEF * catalog.preference, distance, out=distance)


def top_k(scores, tiebreak, k):
    """Positions of the k best scores, best first; equal scores in tiebreak order.

    Everything tied with the k-th score is kept before sorting, so the result is
    exactly the first k of a full sort whatever order argpartition leaves ties in.
    """
    n = len(scores)
    if k < n:
        kth = np.partition(scores, n - k)[n - k]
        candidates = np.flatnonzero(scores >= kth)
    else:
        candidates = np.arange(n)
    order = np.lexsort((tiebreak[candidates], -scores[candidates]))
    return candidates[order[:k]]


def top_k_block(scores, tiebreak, k):
    """Per row, the positions of the k best finite scores, best first; -1 pads rows with fewer.

    Row by row exactly top_k(), without partitioning whole rows: each row is cut
    into at least k chunks, and the k-th largest chunk maximum is a floor that at
    least k scores reach. Only chunks whose maximum reaches the floor can hold the
    top k (all ties included), so only they are searched, and one sort of their
    scores by (row, -score, tiebreak) ranks every row.
    """
    n_rows, n = scores.shape
    k = min(k, n)
    size = max(1, n // max(k, int(np.sqrt(n))))
    starts = np.arange(0, n, size)
    maxima = np.maximum.reduceat(scores, starts, axis=1)
    floor = -np.partition(-maxima, k - 1, axis=1)[:, k - 1]
    chunk_rows, chunk_cols = np.nonzero(maxima >= floor[:, None])
    cols = starts[chunk_cols][:, None] + np.arange(size)
    inside = cols < n
    cols = np.minimum(cols, n - 1)
    rows = np.broadcast_to(chunk_rows[:, None], cols.shape)
    picked = scores[rows, cols]
    hit = inside & (picked >= floor[chunk_rows][:, None]) & (picked > -np.inf)
    rows, cols, picked = rows[hit], cols[hit], picked[hit]
    order = np.lexsort((tiebreak[cols], -picked, rows))
    rows, cols = rows[order], cols[order]
    place = np.arange(len(rows)) - np.searchsorted(rows, rows)
    keep = place < k
    best = np.full((n_rows, k), -1, dtype=np.intp)
    best[rows[keep], place[keep]] = cols[keep]
    return best


def rank(catalog, targets, weights, filters, k, adjust=None):
    """(catalog row indices best first, their scores, number of candidates).

    adjust: optional points per catalog row (a try-on's feedback), added to the
    scores before the top k are taken; the result is kept within 0-100.
    """
    mask = filters.mask(catalog)
    rows = None if mask is None else np.flatnonzero(mask)
    if rows is not None and len(rows) == 0:
        return np.array([], dtype=np.intp), np.array([]), 0
    scores = score(catalog, targets, weights, rows)
    if adjust is not None:
        scores += adjust if rows is None else adjust[rows]
        np.clip(scores, 0.0, 100.0, out=scores)
    tiebreak = catalog.id_rank if rows is None else catalog.id_rank[rows]
    best = top_k(scores, tiebreak, k)
    picked = best if rows is None else rows[best]
    return picked, scores[best], len(scores)
