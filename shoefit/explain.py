"""Turns scored shoes into attribute-by-attribute breakdowns and plain-language lines."""

import numpy as np

from .rules import ATTRIBUTE_NAMES
from .scoring import match
from .vocabulary import ATTRIBUTES, WIDTHS

# A gap this small on a 1-5 rating is within the judgement of a catalog rating.
MEETS_WITHIN = 0.5
# Requirements lighter than this come from the baseline rules alone; they rank,
# but saying "meets your target" about them would be noise.
WHY_MIN_WEIGHT = 1.0
WHY_MAX_ATTRIBUTES = 4


def breakdowns(catalog, rows, assessment):
    """Per pick, per required attribute: target, the shoe's value, match and weight."""
    active = np.flatnonzero(assessment.weights > 0)
    names = [ATTRIBUTE_NAMES[i] for i in active]
    targets = np.round(assessment.targets[active], 2).tolist()
    weights = np.round(assessment.weights[active], 2).tolist()
    values = catalog.matrix[np.ix_(rows, active)]
    matches = np.round(match(values, assessment.targets[active]), 4).tolist()
    return [
        {
            name: {"target": t, "value": v, "match": m, "weight": w}
            for name, t, v, m, w in zip(names, targets, shoe_values, shoe_matches, weights)
        }
        for shoe_values, shoe_matches in zip(values.tolist(), matches)
    ]


def why(catalog, row, assessment, profile):
    shoe = catalog.shoes[row]
    lines, evidence = [], []
    strongest = sorted(
        (i for i, w in enumerate(assessment.weights) if w >= WHY_MIN_WEIGHT),
        key=lambda i: (-assessment.weights[i], i),
    )[:WHY_MAX_ATTRIBUTES]
    for i in strongest:
        attr = ATTRIBUTE_NAMES[i]
        rule = assessment.reasons[attr][0][1]
        lines.append(f"{_verdict(attr, catalog.matrix[row, i], assessment.targets[i])}: {rule.reason}")
        if rule.evidence and rule.evidence not in evidence:
            evidence.append(rule.evidence)
    if not strongest:
        lines.append("A balanced all-round shoe: you told us of no fit issue or symptom, so the ranking follows the general advice.")
    if profile.width:
        lines.append(f"Offered in {WIDTHS[profile.width]['label'].lower()} width.")
    if profile.max_price is not None:
        lines.append(f"${shoe['price']:g}, within your ${profile.max_price:g} budget.")
    lines.extend(f"Evidence: {e}" for e in evidence)
    return lines


def _verdict(attr, value, target):
    label = ATTRIBUTES[attr]["label"]
    if attr == "seamless_upper":
        return f"{label}: {'yes' if value == 5 else 'no'}"
    gap = value - target
    if abs(gap) <= MEETS_WITHIN:
        how = "meets"
    elif gap < 0:
        how = "is below"
    else:
        how = "is above"
    return f"{label} {value:g}/5 {how} the target of {target:.1f}"
