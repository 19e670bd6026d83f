"""Calibration on synthetic stores of known taste: it finds what was planted, helps held out, and leaves noise alone."""

from types import SimpleNamespace

import numpy as np
import pytest

from shoefit.calibrate.evaluate import held_out_ranks
from shoefit.calibrate.fit import MIN_TRYONS, fit_multipliers
from shoefit.calibrate.outcomes import read_outcomes
from shoefit.calibrate.simulate import Taste, simulated_fittings
from shoefit.core.weights_overlay import MULTIPLIER_MAX, MULTIPLIER_MIN

PLANTED = {"cushioning": 2.0, "toe_box": 2.0, "stability": 0.5, "heel_counter": 0.5}
FITTINGS = 1000


def as_records(simulated):
    """What Store.outcomes() gives, without a database."""
    return [
        (SimpleNamespace(id=str(i), profile=body),
         [SimpleNamespace(shoe_id=s, comfort=c, fit_notes=n, decision=d) for s, c, n, d in tryons])
        for i, (body, tryons) in enumerate(simulated)
    ]  # fmt: skip


def store_outcomes(catalog, knowledge, taste, fittings=FITTINGS, seed=3):
    return read_outcomes(as_records(simulated_fittings(catalog, knowledge, fittings, taste, seed)), catalog, knowledge)


@pytest.fixture(scope="module")
def tasteful(catalog, knowledge):
    return store_outcomes(catalog, knowledge, Taste(PLANTED))


@pytest.fixture(scope="module")
def tasteless(catalog, knowledge):
    return store_outcomes(catalog, knowledge, Taste(PLANTED, signal=False))


def test_the_planted_directions_are_recovered(tasteful):
    fit = fit_multipliers(tasteful, bootstraps=40)
    assert fit.predicts and fit.slope > 0
    for attr, planted in PLANTED.items():
        tuned = fit.tuned[attr]
        # Shrunk toward 1 and bounded, but on the planted side of 1, its whole interval too.
        assert (tuned.multiplier - 1) * (planted - 1) > 0, (attr, tuned)
        assert (tuned.low - 1) * (planted - 1) > 0 and (tuned.high - 1) * (planted - 1) > 0, (attr, tuned)
    # The unplanted ones move less than every planted one.
    strays = [abs(np.log(t.multiplier)) for attr, t in fit.tuned.items() if attr not in PLANTED]
    assert max(strays) < min(abs(np.log(fit.tuned[attr].multiplier)) for attr in PLANTED)


def test_held_out_fittings_rank_their_kept_shoe_higher(tasteful, catalog, knowledge):
    ranks = held_out_ranks(tasteful, catalog, knowledge, folds=3, bootstraps=20).summary()
    assert ranks["kept"] > FITTINGS / 2
    before, after = ranks["tried_mean_rank"]
    assert after < before
    assert ranks["tried_first_share"][1] >= ranks["tried_first_share"][0]


def test_a_store_whose_outcomes_say_nothing_changes_nothing(tasteless, catalog, knowledge):
    fit = fit_multipliers(tasteless, bootstraps=40)
    assert not fit.predicts
    assert {t.multiplier for t in fit.tuned.values()} == {1.0}
    ranks = held_out_ranks(tasteless, catalog, knowledge, folds=3, bootstraps=20)
    assert np.array_equal(ranks.tried_before, ranks.tried_after)
    assert np.array_equal(ranks.catalog_before, ranks.catalog_after)


def test_multipliers_stay_within_bounds_and_shrink_with_few_tryons(catalog, knowledge):
    extreme = {"cushioning": 20.0, "stability": 0.05}
    for fittings in (60, 600):
        fit = fit_multipliers(store_outcomes(catalog, knowledge, Taste(extreme, noise=0.2), fittings), bootstraps=30)
        assert all(MULTIPLIER_MIN <= t.multiplier <= MULTIPLIER_MAX for t in fit.tuned.values())
        assert fit.tuned["cushioning"].multiplier == MULTIPLIER_MAX and fit.tuned["stability"].multiplier <= 1
    moderate = {"cushioning": 1.6}
    few = fit_multipliers(store_outcomes(catalog, knowledge, Taste(moderate, noise=0.2), fittings=60), bootstraps=30)
    many = fit_multipliers(store_outcomes(catalog, knowledge, Taste(moderate, noise=0.2), fittings=600), bootstraps=30)
    assert many.tuned["cushioning"].multiplier > few.tuned["cushioning"].multiplier >= 1.0
    assert many.tuned["cushioning"].tryons > few.tuned["cushioning"].tryons


def test_outcomes_count_what_they_leave_out(catalog, knowledge):
    body = {"arch_type": "flat"}
    shoe = catalog.ids[0]
    records = [
        (SimpleNamespace(id="a", profile=body), [
            SimpleNamespace(shoe_id=shoe, comfort=2, fit_notes=[], decision="undecided"),
            SimpleNamespace(shoe_id=shoe, comfort=5, fit_notes=[], decision="kept"),  # the latest counts
            SimpleNamespace(shoe_id="gone-shoe", comfort=4, fit_notes=[], decision="kept"),
        ]),
        (SimpleNamespace(id="b", profile={"brands": ["NoSuchBrand"]}), [
            SimpleNamespace(shoe_id=shoe, comfort=4, fit_notes=[], decision="kept"),
        ]),
    ]  # fmt: skip
    outcomes = read_outcomes(records, catalog, knowledge)
    assert len(outcomes) == 1 and outcomes.tryons_read == 4
    assert outcomes.kept.tolist() == [True] and outcomes.signal.tolist() == [1.0]
    assert sum(outcomes.skipped.values()) == 3 and len(outcomes.skipped) == 3
    assert len(outcomes) < MIN_TRYONS
