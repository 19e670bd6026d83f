"""The shortlist for a block of runners at once: core/shortlist.py laid out as arrays, pick for pick.

The representatives (each line's newest candidate) come from cumulative counts along the catalog in
line order; the brand-varied choice takes one pick per step for every runner together, as the
one-runner greedy does for one: the best remaining, unless its brand is listed and another brand's
representative scores within CLOSE_POINTS of it.
"""

import numpy as np

from ..core.shortlist import CLOSE_POINTS


def representatives_block(catalog, keep):
    """shortlist.representatives for each row of `keep` at once: the newest candidate of each line."""
    ordered = keep[:, catalog.by_line]
    lines = catalog.family[catalog.by_line]
    starts = np.flatnonzero(np.r_[True, lines[1:] != lines[:-1]])
    seen = np.cumsum(ordered, axis=1)
    before = np.where(starts > 0, seen[:, np.maximum(starts - 1, 0)], 0)  # candidates in earlier lines
    first = ordered & (seen - np.repeat(before, np.diff(np.r_[starts, len(lines)]), axis=1) == 1)
    found = np.zeros_like(keep)
    found[:, catalog.by_line] = first
    return found


def greedy_block(catalog, best, scores, ks):
    """(picks, settled) per row: rows of `best` (representatives best first, -1 pads), their `scores`,
    picks wanted `ks`. picks: catalog rows, -1 pads; settled: no representative beyond `best` could
    change them (else the caller looks further, as the one-runner shortlist does)."""
    n_rows, depth = best.shape
    k_most = int(ks.max()) if len(ks) else 0
    remaining = best >= 0
    brands = catalog.brand[np.maximum(best, 0)]
    used = np.zeros((n_rows, len(catalog.brands)), dtype=bool)
    picks = np.full((n_rows, k_most), -1, dtype=np.intp)
    rows = np.arange(n_rows)
    for step in range(k_most):
        active = (step < ks) & remaining.any(axis=1)
        if not active.any():
            break
        first = np.argmax(remaining, axis=1)
        floor = scores[rows, first] - CLOSE_POINTS
        fresh = remaining & (scores >= floor[:, None]) & ~np.take_along_axis(used, brands, axis=1)
        swap = used[rows, brands[rows, first]] & fresh.any(axis=1)
        choice = np.where(swap, np.argmax(fresh, axis=1), first)
        act = rows[active]
        picks[act, step] = best[act, choice[active]]
        remaining[act, choice[active]] = False
        used[act, brands[act, choice[active]]] = True
    found = (picks >= 0).sum(axis=1)
    lowest = np.where(picks >= 0, np.take_along_axis(scores, _positions(best, picks), axis=1), np.inf).min(axis=1)
    last = np.where(best >= 0, scores, np.nan)[rows, np.maximum((best >= 0).sum(axis=1) - 1, 0)]
    covered = (best >= 0).sum(axis=1) < depth  # every representative was in `best`
    settled = covered | ((found == ks) & (last < lowest - CLOSE_POINTS))
    return picks, settled


def _positions(best, picks):
    """Where each pick stands in its row of `best` (0 for padding)."""
    match = best[:, :, None] == picks[:, None, :]
    return np.where(picks >= 0, np.argmax(match, axis=1), 0)
