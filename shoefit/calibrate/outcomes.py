"""A store's try-ons as a table: per try-on, the shoe's mismatch with each requirement and how the try-on went.

The mismatch is the score's own distance term, attribute by attribute (scoring.level_terms): the share of the
attribute's weight times how far the shoe lies outside the wanted band, the numbers the API's breakdown
explains. It is taken against the rules' weights as written, whatever overlay the service runs with, so that
calibrating again does not compound an earlier calibration.
"""

import collections
from dataclasses import dataclass

import numpy as np

from ..core.scoring import normalized
from ..core.tryons import TryOn
from ..core.validation import InvalidProfile, load_profile


@dataclass(frozen=True)
class Outcomes:
    profiles: list  # per fitting, its Profile
    fitting_ids: list  # per fitting, its id in the store
    group: np.ndarray  # per try-on, its fitting (an index into profiles)
    rows: np.ndarray  # per try-on, the catalog row of the shoe
    mismatch: np.ndarray  # try-ons x attributes
    preference: np.ndarray  # per try-on, the shoe's secondary preference (scoring: light, affordable), 0-1
    signal: np.ndarray  # per try-on, TryOn.signal: -1 (returned at 1/5) to +1 (kept at 5/5)
    kept: np.ndarray  # per try-on, whether the runner kept the shoe
    tryons_read: int
    skipped: collections.Counter  # why try-ons were left out -> how many

    def __len__(self):
        return len(self.signal)

    def take(self, fittings):
        """These outcomes for some fittings only (indices into profiles), renumbered."""
        fittings = np.asarray(fittings, dtype=np.intp)
        renumber = np.full(len(self.profiles), -1, dtype=np.intp)
        renumber[fittings] = np.arange(len(fittings))
        at = np.flatnonzero(renumber[self.group] >= 0)
        return Outcomes(
            [self.profiles[f] for f in fittings],
            [self.fitting_ids[f] for f in fittings],
            renumber[self.group[at]],
            self.rows[at],
            self.mismatch[at],
            self.preference[at],
            self.signal[at],
            self.kept[at],
            len(at),
            collections.Counter(),
        )


def read_outcomes(records, catalog, knowledge):
    """Outcomes of (fitting, [try-on record]) pairs, as Store.outcomes() gives them, against this catalog and rules.

    A shoe tried more than once counts by its latest try-on, as the re-ranking counts it. Left out, and counted:
    try-ons of shoes the catalog no longer has, and fittings whose profile this catalog refuses (a brand gone).
    """
    plain = knowledge.with_overlay(None)
    profiles, ids, group, rows, mismatch, signal, kept = [], [], [], [], [], [], []
    skipped, read = collections.Counter(), 0
    for fitting, tryons in records:
        read += len(tryons)
        try:
            profile = load_profile(fitting.profile, catalog)
        except InvalidProfile:
            skipped["the fitting's profile is no longer valid for this catalog"] += len(tryons)
            continue
        latest = {t.shoe_id: t for t in tryons}
        skipped["the same shoe tried again (the latest try-on counts)"] += len(tryons) - len(latest)
        known = [(catalog.index[t.shoe_id], t) for t in latest.values() if t.shoe_id in catalog.index]
        skipped["the shoe is no longer in the catalog"] += len(latest) - len(known)
        if not known:
            continue
        assessment = plain.assess(profile)
        at = np.array([row for row, _ in known])
        mismatch.append(mismatch_of(catalog.matrix[at], assessment))
        group += [len(profiles)] * len(known)
        rows.append(at)
        signal += [TryOn(t.shoe_id, t.comfort, tuple(t.fit_notes), t.decision).signal for _, t in known]
        kept += [t.decision == "kept" for _, t in known]
        profiles.append(profile)
        ids.append(fitting.id)
    width = catalog.matrix.shape[1]
    return Outcomes(
        profiles,
        ids,
        np.array(group, dtype=np.intp),
        np.concatenate(rows) if rows else np.zeros(0, dtype=np.intp),
        np.vstack(mismatch) if mismatch else np.zeros((0, width)),
        catalog.preference[np.concatenate(rows)] if rows else np.zeros(0),
        np.array(signal, dtype=np.float64),
        np.array(kept, dtype=bool),
        read,
        +skipped,
    )


def mismatch_of(values, assessment):
    """Shoes (rows of attribute values) x attributes: weight share times the distance outside the wanted band."""
    outside = np.maximum(assessment.lows - values, 0.0) + np.maximum(values - assessment.highs, 0.0)
    return outside * normalized(assessment.weights)
