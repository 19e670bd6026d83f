"""Synthetic stores: fittings and try-ons made from a known taste, so that calibration can be checked against it.

Each synthetic customer answers the questions at random (common answers more often), is brought the plain
ranking's first four by the fitter, takes one more off the wall, and feels each by its "true" score: the
score with the rules' weights times the planted multipliers. Comfort falls with that score, with noise; the best-felt
shoe is kept when it felt good, and a so-so one is sometimes bought and returned. With no signal, comfort
and decisions are drawn without looking at the shoe: a store whose outcomes say nothing.
"""

from dataclasses import dataclass, field

import numpy as np

from ..core.scoring import Filters, rank, score
from ..core.validation import load_profile
from ..core.vocabulary import ATTRIBUTE_NAMES, CUSHION_FEELS, EXPERIENCES, FIT_ISSUES, USES, WIDTHS

ARCH = {"flat": 15, "neutral": 35, "high": 15, "unknown": 35}
PRONATION = {"overpronation": 20, "neutral": 35, "underpronation": 10, "unknown": 35}
# Complaints with current shoes and aches that shoes address; red flags would only add warnings.
SYMPTOMS = ("top_of_foot_soreness", "forefoot_pain", "morning_heel_pain")
BROUGHT, PICKED = 4, 1  # the fitter brings the first 4 picks; the customer takes one more off the wall
FULL_COMFORT, POINTS_PER_COMFORT = 5.5, 4.0
KEEP_FROM, RETURN_SHARE = 4, 0.3
NO_SIGNAL_POINTS = 8.0


@dataclass(frozen=True)
class Taste:
    """What the synthetic customers truly weigh: per attribute a multiplier on the rules' weights."""

    multipliers: dict = field(default_factory=dict)
    signal: bool = True
    noise: float = 0.5  # how precisely the customers feel a shoe: the spread of their comfort, in points of 1-5

    def vector(self):
        return np.array([self.multipliers.get(attr, 1.0) for attr in ATTRIBUTE_NAMES])


def simulated_fittings(catalog, knowledge, count, taste, seed=0):
    """`count` (profile body, [(shoe_id, comfort, fit_notes, decision)]) pairs, as Store.add_fittings takes them."""
    rng = np.random.default_rng(seed)
    plain = knowledge.with_overlay(None)
    planted = taste.vector()
    made = 0
    while made < count:
        body = _answers(rng)
        profile = load_profile(body, catalog)
        assessment = plain.assess(profile)
        filters = Filters.from_profile(profile)
        shown, _, candidates = rank(catalog, assessment.lows, assessment.highs, assessment.weights, filters, BROUGHT)
        if candidates < BROUGHT + PICKED:
            continue
        mask = filters.mask(catalog)
        wall = np.setdiff1d(np.arange(len(catalog)) if mask is None else np.flatnonzero(mask), shown)
        tried = [*shown, *rng.choice(wall, PICKED, replace=False)] if PICKED else list(shown)
        comfort, latent = _felt(rng, catalog, np.array(tried), assessment, planted, taste)
        decisions = _decisions(rng, comfort, latent)
        tryons = [(catalog.ids[r], int(c), (), d) for r, c, d in zip(tried, comfort, decisions)]
        yield body, tryons
        made += 1


def _answers(rng):
    body = {
        "arch_type": _pick(rng, ARCH),
        "pronation": _pick(rng, PRONATION),
        "fit_issues": list(rng.choice(list(FIT_ISSUES), rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15]), replace=False)),
        "symptoms": list(rng.choice(SYMPTOMS, rng.choice([0, 1], p=[0.7, 0.3]), replace=False)),
        "use": str(rng.choice(list(USES))),
    }
    if rng.random() < 0.4:
        body["cushion_feel"] = str(rng.choice(list(CUSHION_FEELS)))
    if rng.random() < 0.4:
        body["experience"] = str(rng.choice(list(EXPERIENCES)))
    if rng.random() < 0.4:
        body["body_weight_kg"] = int(rng.integers(50, 110))
    if rng.random() < 0.15:
        body["width"] = str(rng.choice(list(WIDTHS)))
    return {k: [str(v) for v in value] if isinstance(value, list) else value for k, value in body.items()}


def _pick(rng, weighted):
    values = list(weighted)
    shares = np.array(list(weighted.values()), dtype=float)
    return str(rng.choice(values, p=shares / shares.sum()))


def _felt(rng, catalog, rows, assessment, planted, taste):
    """(comfort 1-5, the latent feeling) per tried shoe: the shoe's true score, with noise."""
    if taste.signal:
        true = score(catalog, assessment.lows, assessment.highs, assessment.weights * planted, rows)
    else:
        # Scores like a store's, drawn whatever the shoe and whoever the runner.
        true = 100.0 - rng.exponential(NO_SIGNAL_POINTS, len(rows))
    latent = FULL_COMFORT - (100.0 - true) / POINTS_PER_COMFORT + rng.normal(0, taste.noise, len(rows))
    return np.clip(np.rint(latent), 1, 5).astype(int), latent


def _decisions(rng, comfort, latent):
    decisions = ["undecided"] * len(comfort)
    best = int(np.argmax(latent))
    if comfort[best] >= KEEP_FROM:
        decisions[best] = "kept"
    elif comfort[best] == KEEP_FROM - 1 and rng.random() < RETURN_SHARE:
        decisions[best] = "returned"
    return decisions
