"""Turns a scored shoe into an attribute-by-attribute breakdown and plain-language lines."""

from .rules import ATTRIBUTE_NAMES
from .scoring import match
from .vocabulary import ATTRIBUTES, WIDTHS

# A gap this small on a 1-5 rating is within the judgement of a catalog rating.
MEETS_WITHIN = 0.5
# Requirements lighter than this come from the baseline rules alone; they rank,
# but saying "meets your target" about them would be noise.
WHY_MIN_WEIGHT = 1.0
WHY_MAX_ATTRIBUTES = 4


def breakdown(catalog, row, assessment):
    out = {}
    for i, attr in enumerate(ATTRIBUTE_NAMES):
        weight = assessment.weights[i]
        if weight <= 0:
            continue
        value, target = catalog.matrix[row, i], assessment.targets[i]
        out[attr] = {
            "target": round(float(target), 2),
            "value": float(value),
            "match": round(float(match(value, target)), 4),
            "weight": round(float(weight), 2),
        }
    return out


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
