"""A shortlist, not a list: one version of each model line, and brands varied when scores are close.

A fitter hands a runner three shoes to try, not the Guide 18 and the Guide 19. A model line appears
once, as its newest version that passed the filters (its representative), with its older versions
named beside it. The representatives are taken best first; when the next one is of a brand already
listed while another brand's scores within CLOSE_POINTS of it, that one comes first. The runner's
liked current shoe keeps its line on the list unless a strong requirement rules it out.
"""

from typing import NamedTuple

import numpy as np

from .requirements import gap
from .scoring import top_k

CLOSE_POINTS = 1.0
# A requirement at least this heavy, missed by at least RULED_OUT_GAP points, rules a liked shoe out.
RULED_OUT_WEIGHT = 2.0
RULED_OUT_GAP = 1.0
# Representatives looked at beyond the k picks before the list is known to be settled.
LOOKAHEAD = 8


def representatives(catalog, candidate):
    """Per catalog row: whether it is the newest of its line among the `candidate` rows (a boolean array).

    `candidate` may also be a block of runners' candidates (runners x catalog rows): the same per row.
    """
    found = candidate.copy()
    for rows, newer in catalog.newer_versions:
        if found.ndim == 1:  # one runner: numpy indexes with an ellipsis by a slower way
            found[rows] &= ~candidate[newer]
        else:
            found[..., rows] &= ~candidate[..., newer]
    return found


class Candidates(NamedTuple):
    """The shoes that pass a runner's filters, and what a shortlist needs of them that no score changes."""

    rows: np.ndarray  # catalog rows, ascending
    member: np.ndarray  # per catalog row, whether it is one of them
    leading: np.ndarray  # positions into rows of the representatives
    leading_rank: np.ndarray  # the representatives' tiebreak (catalog.id_rank)

    @classmethod
    def of(cls, catalog, member):
        """From a boolean array over the catalog's rows (kept, not copied)."""
        rows = np.flatnonzero(member)
        leading = np.flatnonzero(representatives(catalog, member)[rows])
        return cls(rows, member, leading, catalog.id_rank[rows[leading]])


def depth_for(k):
    """How many of the best representatives a shortlist of k looks at first."""
    return k + LOOKAHEAD


def shortlist(catalog, rows, scores, k, first=None, pinned=None, assessment=None, candidates=None):
    """[(row, score, [older rows of its line])] best first, from candidate `rows` and their `scores`.

    first: the best representatives' positions into `rows`, best first, when already known (the
    batch engine's top-k); more are looked at when they do not settle the list. pinned: a family
    whose newest candidate must be on the list unless `assessment`'s requirements rule it out.
    candidates: `rows` as Candidates, when already worked out.
    """
    if len(rows) == 0:
        return []
    if candidates is None:
        member = np.zeros(len(catalog), dtype=bool)
        member[rows] = True
        candidates = Candidates.of(catalog, member)
    member, leading = candidates.member, candidates.leading
    n = len(leading)
    depth = min(n, max(len(first) if first is not None else 0, depth_for(k)))
    while True:
        if first is not None and len(first) >= depth:
            order = first[:depth]
        else:
            order = leading[top_k(scores[leading], candidates.leading_rank, depth)]
        ordered, ordered_scores = rows[order].tolist(), scores[order].tolist()
        picks, settled = _greedy(ordered, ordered_scores, catalog.brand[ordered].tolist(), k)
        if settled or depth >= n:
            break
        depth = min(n, 2 * depth)
    if pinned is None:
        score_of = dict(zip(ordered, ordered_scores))
    else:
        score_of = np.full(len(catalog), np.nan)
        score_of[rows] = scores
        picks = pin(catalog, picks, pinned, member, score_of, k, assessment)
        score_of = dict(zip(picks, score_of[picks].tolist()))
    return [(row, score_of[row], _older(catalog.generations(row), row, member)) for row in picks]


def _older(line, row, member):
    """The versions of `row`'s line that are candidates, other than `row`; most lines have one version."""
    return [r for r in line if r != row and member[r]] if len(line) > 1 else []


def _greedy(ordered, scores, brands_of, k):
    """(picks, settled) from representatives best first (rows, their scores and brands); settled when none
    beyond them could change the picks.

    Those beyond score no more than the last of `ordered` and come after it, so they can only matter
    where a search for another brand within CLOSE_POINTS ran past the end of `ordered` unanswered,
    or where `ordered` ran out before k picks.
    """
    picks, brands = [], set()
    # A few dozen rows at most, walked one by one: as Python numbers, not numpy scalars.
    remaining = list(zip(ordered, scores, brands_of))
    open_ended = False
    while remaining and len(picks) < k:
        at = 0
        _, best_score, brand = remaining[0]
        if brand in brands:
            for i in range(1, len(remaining)):
                if remaining[i][1] < best_score - CLOSE_POINTS:
                    break
                if remaining[i][2] not in brands:
                    at = i
                    break
            else:
                open_ended = True
        row, _, brand = remaining.pop(at)
        picks.append(row)
        brands.add(brand)
    return picks, len(picks) == k and not open_ended


def ruled_out(catalog, row, assessment):
    """Whether a strong requirement rules the shoe out: one of RULED_OUT_WEIGHT, missed by RULED_OUT_GAP."""
    values = catalog.matrix[row]
    return any(
        w >= RULED_OUT_WEIGHT and abs(gap(low, high, value)) >= RULED_OUT_GAP
        for low, high, w, value in zip(assessment.lows, assessment.highs, assessment.weights, values)
    )


def pin(catalog, picks, family, candidate, score_of, k, assessment):
    """`picks` with `family`'s newest candidate among them, unless already there or `assessment` rules it out."""
    row = next((r for r in catalog.lines[family] if candidate[r]), None)
    if row is None or row in picks or ruled_out(catalog, row, assessment):
        return picks
    kept = picks[: k - 1] if len(picks) >= k else picks
    at = next((i for i, other in enumerate(kept) if score_of[other] < score_of[row]), len(kept))
    return [*kept[:at], row, *kept[at:]]
