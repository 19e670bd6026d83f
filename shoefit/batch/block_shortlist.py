"""The brand-varied shortlist for a block of runners at once: core/shortlist.py's greedy as arrays.

One pick per step for every runner together, as the one-runner greedy does for one: the best
remaining representative (each line's newest candidate: shortlist.representatives, which takes a
block as it is), unless its brand is listed and another brand's representative scores within
CLOSE_POINTS of it. greedy_block walks each runner's best representatives found by a top-k first;
greedy_rows walks whole rows, for a catalog small enough that a top-k would sort whole rows anyway.
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


def greedy_rows(scores, brands, n_brands, ks, listed):
    """Picks per row, -1 padded: the shortlist (rows where `listed`) or the plain top ks, as column positions.

    scores: rows x candidates in tiebreak order, -inf where not a candidate (for a shortlist, every shoe but
    the representatives), changed in place; brands: the brand code of each column. Each step takes every
    row's best remaining column, the first of equals, by one argmax over the row: a sort of whole rows
    would order all of them to use a few. Every representative is looked at, so every list is settled.
    """
    n_rows = len(scores)
    k_most = int(ks.max()) if n_rows else 0
    picks = np.full((n_rows, k_most), -1, dtype=np.intp)
    used = np.zeros((n_rows, n_brands), dtype=bool)
    rows = np.arange(n_rows)
    for step in range(k_most):
        choice = scores.argmax(axis=1)
        best = scores[rows, choice]
        active = (step < ks) & (best > -np.inf)
        if not active.any():
            break
        repeated = np.flatnonzero(active & listed & used[rows, brands[choice]])
        if len(repeated):
            # The best of the brands not listed yet, taken instead when it scores within CLOSE_POINTS.
            others = scores[repeated]
            others[used[repeated][:, brands]] = -np.inf
            other = others.argmax(axis=1)
            other_score = others[np.arange(len(repeated)), other]
            swap = other_score >= best[repeated] - CLOSE_POINTS
            choice[repeated[swap]] = other[swap]
        act = np.flatnonzero(active)
        chosen = choice[act]
        picks[act, step] = chosen
        scores[act, chosen] = -np.inf
        used[act, brands[chosen]] = True
    return picks
