"""Scores and top picks for a block of runners at once: the one-runner scorer laid out as matrices.

Bit for bit what core/scoring.py gives one runner at a time (its quantized terms make the sums exact
in any order), so a batch answer never differs from a single request's.
"""

import numpy as np

from ..core.scoring import BASE, DISTANCE_COEF, PREFERENCE_COEF, level_terms, normalized


def score_block(catalog, lows, highs, weights):
    """Scores (runners x shoes) of a block of runners against the whole catalog.

    The same arithmetic as score(), laid out as one matrix product: per attribute,
    each runner's weighted distance from its wanted band to every rating level, times
    the catalog's one-hot encoding of which level each shoe has.
    """
    shares = normalized(weights)
    onehot_t = catalog.onehot_t
    terms = np.empty((len(lows), onehot_t.shape[0]))
    for a, (start, levels) in enumerate(zip(catalog.level_starts, catalog.levels)):
        band = slice(a, a + 1)
        terms[:, start : start + len(levels)] = level_terms(
            levels[None, :], lows[:, band], highs[:, band], shares[:, band]
        )
    distance = terms @ onehot_t
    distance *= DISTANCE_COEF
    return np.subtract(BASE + PREFERENCE_COEF * catalog.preference, distance, out=distance)


# When k is at least this share of a row (1/SORT_SHARE), sorting whole rows is cheaper than the chunk search.
SORT_SHARE = 4


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
    if k * SORT_SHARE >= n:
        return _sorted_top_k(scores, tiebreak, k)
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


def _sorted_top_k(scores, tiebreak, k):
    """top_k_block by sorting each row: columns put in tiebreak order, then a stable sort by score."""
    order = np.argsort(tiebreak, kind="stable")
    ranked = order[np.argsort(-scores[:, order], axis=1, kind="stable")[:, :k]]
    return np.where(np.take_along_axis(scores, ranked, axis=1) > -np.inf, ranked, -1)
