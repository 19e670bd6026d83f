"""Would the overlay have ranked the kept shoes higher? Cross-validated by fitting, never by try-on.

The fittings are split into folds; each fold's overlay is fitted on the other folds' try-ons and judged on
its own fittings, for each shoe a runner kept, with the rules' weights and with the overlay's: its rank among
the shoes that runner tried on, and its rank in the catalog (among the shoes passing their filters).
Splitting by try-on would let a customer's other try-ons teach the fit about the kept one.

The first is the fair test. The shoes tried were chosen by the ranking in force, so in the catalog any other
weights can only push the kept shoe below untried shoes that nobody felt: the catalog rank favours the
weights that chose what was tried, and says how far an overlay moves the shortlist a fitter reads.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import GroupKFold

from ..core.scoring import Filters, score
from ..core.weights_overlay import WeightsOverlay
from .fit import fit_multipliers

FOLDS = 5
FOLD_BOOTSTRAPS = 100
TOP = 3


@dataclass(frozen=True)
class Ranks:
    """Per kept shoe judged, its rank (1 is first) with the rules' weights and with the held-out overlay."""

    tried_before: np.ndarray  # among the shoes its runner tried on
    tried_after: np.ndarray
    catalog_before: np.ndarray  # among the shoes passing the runner's filters
    catalog_after: np.ndarray

    def summary(self):
        kept = len(self.tried_before)
        if not kept:
            return {"kept": 0}
        return {
            "kept": kept,
            "tried_mean_rank": (float(self.tried_before.mean()), float(self.tried_after.mean())),
            "tried_first_share": (float((self.tried_before == 1).mean()), float((self.tried_after == 1).mean())),
            "catalog_mean_rank": (float(self.catalog_before.mean()), float(self.catalog_after.mean())),
            "catalog_top_share": (
                float((self.catalog_before <= TOP).mean()),
                float((self.catalog_after <= TOP).mean()),
            ),
        }


def held_out_ranks(outcomes, catalog, knowledge, folds=FOLDS, seed=0, bootstraps=FOLD_BOOTSTRAPS):
    """Ranks of the kept shoes, before and after, each fold's overlay judged on fittings it never saw."""
    fittings = len(outcomes.profiles)
    folds = min(folds, fittings)
    ranks = []
    if folds < 2:
        return Ranks(*(np.zeros(0) for _ in range(4)))
    plain = knowledge.with_overlay(None)
    order = np.arange(fittings)
    for train, test in GroupKFold(n_splits=folds).split(order, groups=order):
        fit = fit_multipliers(outcomes.take(train), seed, bootstraps)
        tuned = {attr: t for attr, t in fit.tuned.items() if t.multiplier != 1.0}
        overlay = knowledge.with_overlay(WeightsOverlay("held-out", len(train), 0, tuned))
        for f in test:
            tried = outcomes.rows[outcomes.group == f]
            profile = outcomes.profiles[f]
            for row in outcomes.rows[(outcomes.group == f) & outcomes.kept]:
                before, after = (kept_ranks(catalog, k, profile, row, tried) for k in (plain, overlay))
                ranks.append((*before, *after))
    if not ranks:
        return Ranks(*(np.zeros(0) for _ in range(4)))
    tried_before, catalog_before, tried_after, catalog_after = np.array(ranks, dtype=float).T
    return Ranks(tried_before, tried_after, catalog_before, catalog_after)


def kept_ranks(catalog, knowledge, profile, row, tried):
    """(rank of catalog row `row` among the rows `tried`, its rank among the shoes passing the runner's filters).

    By the runner's score, ties in id order, as the ranking breaks them.
    """
    a = knowledge.assess(profile)
    scores = score(catalog, a.lows, a.highs, a.weights)
    mine = scores[row]
    ahead = (scores > mine) | ((scores == mine) & (catalog.id_rank < catalog.id_rank[row]))
    mask = Filters.from_profile(profile).mask(catalog)
    passing = ahead if mask is None else ahead & mask
    return int(ahead[tried].sum()) + 1, int(passing.sum()) + 1
