"""One calibration: a store's outcomes read, the multipliers fitted and judged on held-out fittings."""

from ..core.weights_overlay import version_of
from .evaluate import FOLDS, held_out_ranks
from .fit import fit_multipliers
from .outcomes import read_outcomes
from .report import Calibration


def calibrate(records, catalog, knowledge, made, folds=FOLDS, seed=0):
    """A Calibration of (fitting, [try-on]) records against this catalog and rules; `made`: its UTC datetime."""
    outcomes = read_outcomes(records, catalog, knowledge)
    calibration = Calibration(outcomes, None, None, None, made, catalog.version)
    if not calibration.enough:
        return calibration
    fit = fit_multipliers(outcomes, seed)
    ranks = held_out_ranks(outcomes, catalog, knowledge, folds, seed)
    version = version_of(fit.multipliers(), len(outcomes.profiles), made)
    return Calibration(outcomes, fit, ranks, version, made, catalog.version)
