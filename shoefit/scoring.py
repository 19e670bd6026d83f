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


def score(catalog, targets, weights, rows=None):
    """Scores 0-100 for the given catalog rows (all when rows is None)."""
    total = weights.sum()
    if rows is None:
        values, preference = catalog.matrix, catalog.preference
    else:
        values, preference = catalog.matrix[rows], catalog.preference[rows]
    if total <= 0:
        fit = np.ones(len(preference))
    else:
        # Sum over attributes of w * (1 - |v - t| / span) with sum(w) = 1, as one
        # matrix-vector product over whole rows (unweighted attributes have w = 0);
        # gathering only the weighted columns would copy more than it saves.
        distance = values - targets
        np.abs(distance, out=distance)
        fit = 1.0 - (distance @ (weights / total)) / RATING_SPAN
    return 100.0 * (FIT_SHARE * fit + (1.0 - FIT_SHARE) * preference)


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


def rank(catalog, targets, weights, filters, k):
    """(catalog row indices best first, their scores, number of candidates)."""
    mask = filters.mask(catalog)
    rows = None if mask is None else np.flatnonzero(mask)
    if rows is not None and len(rows) == 0:
        return np.array([], dtype=np.intp), np.array([]), 0
    scores = score(catalog, targets, weights, rows)
    tiebreak = catalog.id_rank if rows is None else catalog.id_rank[rows]
    best = top_k(scores, tiebreak, k)
    picked = best if rows is None else rows[best]
    return picked, scores[best], len(scores)
