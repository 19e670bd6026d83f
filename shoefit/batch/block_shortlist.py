"""The brand-varied shortlist for a block of runners at once: core/shortlist.py's greedy as arrays.

One pick per step for every runner together, as the one-runner greedy does for one: the best
remaining representative (each line's newest candidate: shortlist.representatives, which takes a
block as it is), unless its brand is listed and another brand's representative scores within
CLOSE_POINTS of it.
"""

import numpy as np

from ..core.shortlist import CLOSE_POINTS


def greedy_block(catalog, best, scores, ks):
    """(picks, settled) per row: rows of `best` (representatives best first, -1 pads), their `scores`,
    picks wanted `ks`. picks: catalog rows, -1 pads; settled: no representative beyond `best` could
    change them (else the caller looks further, as the one-runner shortlist does; see its _greedy)."""
    n_rows, depth = best.shape
    k_most = int(ks.max()) if len(ks) else 0
    remaining = best >= 0
    brands = catalog.brand[np.maximum(best, 0)]
    used = np.zeros((n_rows, len(catalog.brands)), dtype=bool)
    picks = np.full((n_rows, k_most), -1, dtype=np.intp)
    rows = np.arange(n_rows)
    open_ended = np.zeros(n_rows, dtype=bool)
    for step in range(k_most):
        active = (step < ks) & remaining.any(axis=1)
        if not active.any():
            break
        first = np.argmax(remaining, axis=1)
        floor = scores[rows, first] - CLOSE_POINTS
        close = remaining & (scores >= floor[:, None])
        fresh = close & ~np.take_along_axis(used, brands, axis=1)
        repeated = used[rows, brands[rows, first]]
        swap = repeated & fresh.any(axis=1)
        # The search for another brand ran past the end of `best`: one beyond it might answer it.
        open_ended |= active & repeated & ~swap & (close == remaining).all(axis=1)
        choice = np.where(swap, np.argmax(fresh, axis=1), first)
        act = rows[active]
        picks[act, step] = best[act, choice[active]]
        remaining[act, choice[active]] = False
        used[act, brands[act, choice[active]]] = True
    found = (picks >= 0).sum(axis=1)
    covered = (best >= 0).sum(axis=1) < depth  # every representative was in `best`
    settled = covered | ((found == ks) & ~open_ended)
    return picks, settled
