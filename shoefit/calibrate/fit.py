"""Multipliers from a store's outcomes: how strongly each attribute's mismatch predicts how try-ons went.

The score takes a shoe's mismatches on all attributes as one sum (the distance): every attribute's mismatch
counts the same once weighted. Two logistic fits of whether a try-on went badly (its signal, comfort and
decision together, at or below neutral: uncomfortable, returned, or so-so and left) say whether the store
agrees: one on that sum (does distance predict anything at all?), one on each attribute's mismatch apart.
An attribute whose mismatch costs twice what the attributes' mismatches cost on average weighs half what it
should: its multiplier is its slope over that mean. (A logistic fit, not a linear one: comfort stops at 1 and 5, and
a straight line through those walls takes the attributes with big mismatches for ones that matter less.)

Then the guardrails. Intervals come from resampling whole fittings (a fitting's try-ons are one customer's,
not independent). A multiplier shrinks toward 1 by n / (n + SHRINK_TRYONS), n being the try-ons with a
mismatch on the attribute, is bounded to the overlay's 0.5-2, and stays 1 when its interval holds 1, when
fewer than MIN_ATTRIBUTE_TRYONS try-ons speak to it, or when the distance itself does not predict outcomes.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from ..core.vocabulary import ATTRIBUTE_NAMES
from ..core.weights_overlay import MULTIPLIER_MAX, MULTIPLIER_MIN, Tuned

MIN_TRYONS = 200  # fewer, and no overlay is written
MIN_ATTRIBUTE_TRYONS = 30
SHRINK_TRYONS = 200
BOOTSTRAPS = 100
# Next to no penalty: shrinking toward 1 is done on the multipliers themselves, by the number of try-ons.
INVERSE_PENALTY = 1e4
INTERVAL = (5.0, 95.0)  # a 90 % interval
DECIMALS = 2


@dataclass(frozen=True)
class Fit:
    tuned: dict  # attribute -> Tuned, every attribute some try-on had a mismatch on (multiplier 1 included)
    slope: float  # log-odds of a try-on going badly per point of distance (positive: mismatch makes it worse)
    slope_interval: tuple
    predicts: bool  # the distance predicts outcomes (its whole interval above 0)

    def multipliers(self):
        return {attr: t.multiplier for attr, t in self.tuned.items()}


def fit_multipliers(outcomes, seed=0, bootstraps=BOOTSTRAPS):
    """A Fit of `outcomes` (outcomes.Outcomes, at least a few try-ons)."""
    x, y = outcomes.mismatch, outcomes.signal <= 0
    preference = outcomes.preference[:, None]
    counts = (x > 0).sum(axis=0)
    used = np.flatnonzero((counts >= MIN_ATTRIBUTE_TRYONS) & (x.std(axis=0) > 0))
    slope, ratios = _ratios(x, preference, y, used, None)
    rng = np.random.default_rng(seed)
    fittings = len(outcomes.profiles)
    slopes, resampled = [], []
    for _ in range(bootstraps):
        # Resampling fittings, each drawn k times, is weighting its try-ons by k.
        weight = np.bincount(rng.integers(fittings, size=fittings), minlength=fittings)[outcomes.group]
        s, r = _ratios(x, preference, y, used, weight)
        slopes.append(s)
        resampled.append(r)
    slope_interval = tuple(float(v) for v in np.percentile(slopes, INTERVAL))
    predicts = slope_interval[0] > 0 and 0 < y.mean() < 1
    shrink = counts[used] / (counts[used] + SHRINK_TRYONS)
    point = _guarded(ratios, shrink)
    low, high = np.percentile(_guarded(np.array(resampled), shrink), INTERVAL, axis=0)
    tuned = {}
    for k, a in enumerate(used):
        held = predicts and not (low[k] <= 1.0 <= high[k])
        multiplier = round(float(point[k]), DECIMALS) if held else 1.0
        tuned[ATTRIBUTE_NAMES[a]] = Tuned(multiplier, round(float(low[k]), DECIMALS), round(float(high[k]), DECIMALS),
                                          int(counts[a]))  # fmt: skip
    for a in np.flatnonzero((counts > 0) & ~np.isin(np.arange(len(counts)), used)):
        tuned[ATTRIBUTE_NAMES[a]] = Tuned(1.0, 1.0, 1.0, int(counts[a]))
    return Fit(tuned, float(slope), slope_interval, bool(predicts))


def _ratios(x, preference, y, used, weight):
    """(the distance's slope, each used attribute's slope relative to theirs all).

    Relative: an attribute's slope over the mean of the slopes, each weighing by how much mismatch its
    attribute has in these try-ons. Multipliers so made change how the attributes weigh against each other
    and leave the distance as a whole where it was. The shoe's secondary preference (light, affordable: the
    rest of its score) is in both fits, so that what it explains of the outcomes is not taken for a mismatch's.
    """
    if y.all() or not y.any():
        return 0.0, np.ones(len(used))  # every try-on went one way: nothing to learn
    slope = _model().fit(np.hstack([x.sum(axis=1, keepdims=True), preference]), y, sample_weight=weight).coef_[0, 0]
    if len(used) == 0:
        return slope, np.zeros(0)
    apart = _model().fit(np.hstack([x[:, used], preference]), y, sample_weight=weight).coef_[0, : len(used)]
    amounts = x[:, used].sum(axis=0) if weight is None else weight @ x[:, used]
    mean = apart @ amounts / amounts.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return slope, np.nan_to_num(apart / mean, nan=1.0, posinf=MULTIPLIER_MAX, neginf=MULTIPLIER_MIN)


def _model():
    return LogisticRegression(C=INVERSE_PENALTY, solver="newton-cholesky", max_iter=100)


def _guarded(ratios, shrink):
    return np.clip(1.0 + (ratios - 1.0) * shrink, MULTIPLIER_MIN, MULTIPLIER_MAX)
