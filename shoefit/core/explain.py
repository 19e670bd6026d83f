"""Turns scored shoes into attribute-by-attribute breakdowns and plain-language lines."""

from .scoring import RATING_SPAN
from .vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES, FIT_ISSUES, RATING_MAX, WIDTHS

# A gap this small on a 1-5 rating is within the judgement of a catalog rating.
MEETS_WITHIN = 0.5
# Requirements lighter than this come from the baseline rules alone; they rank,
# but saying "meets your target" about them would be noise.
WHY_MIN_WEIGHT = 1.0
WHY_MAX_ATTRIBUTES = 4


def breakdowns(picked_values, assessment):
    """Per pick (its attribute values as a list), per required attribute: target, value, match, weight."""
    required = [
        (i, ATTRIBUTE_NAMES[i], float(assessment.targets[i]), round(float(t), 2), round(float(w), 2))
        for i, (t, w) in enumerate(zip(assessment.targets, assessment.weights))
        if w > 0
    ]
    # A handful of picks: plain Python on lists beats numpy's per-call overhead here.
    return [
        {
            name: {
                "target": shown,
                "value": values[i],
                "match": round(1.0 - abs(values[i] - target) / RATING_SPAN, 4),
                "weight": w,
            }
            for i, name, target, shown, w in required
        }
        for values in picked_values
    ]


class Why:
    """Plain-language lines for each pick; what does not depend on the shoe is worked out once."""

    def __init__(self, assessment, profile):
        strongest = sorted(
            (i for i, w in enumerate(assessment.weights) if w >= WHY_MIN_WEIGHT),
            key=lambda i: (-assessment.weights[i], i),
        )[:WHY_MAX_ATTRIBUTES]
        self.lines = []  # (attribute index, attribute, target, target as shown, reason)
        evidence = []
        for i in strongest:
            attr = ATTRIBUTE_NAMES[i]
            rule = assessment.reasons[attr][0]
            target = float(assessment.targets[i])
            self.lines.append((i, attr, target, f"{target:.1f}", rule.reason))
            if rule.evidence and rule.evidence not in evidence:
                evidence.append(rule.evidence)
        self.head = (
            []
            if strongest
            else [
                "A balanced all-round shoe: you told us of no fit issue or symptom, so the ranking follows the general advice."
            ]
        )
        self.width = f"Offered in {WIDTHS[profile.width]['label'].lower()} width." if profile.width else None
        self.budget = profile.max_price
        self.tail = [f"Evidence: {e}" for e in evidence]

    def __call__(self, catalog, row, values):
        lines = [_line(attr, values[i], target, shown, reason) for i, attr, target, shown, reason in self.lines]
        lines += self.head
        if self.width:
            lines.append(self.width)
        if self.budget is not None:
            lines.append(f"${catalog.shoes[row]['price']:g}, within your ${self.budget:g} budget.")
        return lines + self.tail


def _line(attr, value, target, shown, reason):
    label = ATTRIBUTES[attr]["label"]
    if attr == "seamless_upper":
        return f"{label}: {'yes' if value == RATING_MAX else 'no'}: {reason}"
    gap = value - target
    if abs(gap) <= MEETS_WITHIN:
        how = "meets"
    elif gap < 0:
        how = "is below"
    else:
        how = "is above"
    return f"{label} {value:g}/5 {how} the target of {shown}: {reason}"


# ----------------------------------------------------------------- try-on feedback

# A look-alike moving a shoe by less than this is not worth a line; at most this many are named.
WHY_MIN_POINTS = 0.5
WHY_MAX_ALIKE = 2


def _rated(tryon):
    done = {"kept": " and kept", "returned": " and returned"}.get(tryon.decision, "")
    return f"{tryon.comfort:g}/5{done}"


def tried_line(tryon, points):
    """A pick the runner tried on: what they felt and what it did to the score."""
    return f"You tried it on: comfort {_rated(tryon)} ({points:+.1f} points)."


def alike_line(shoe, tryon, points):
    """A pick like a shoe the runner tried: which one, how they rated it, and the points it moved this one."""
    return f"Feels like the {shoe['brand']} {shoe['model']} you rated {_rated(tryon)} ({points:+.1f} points)."


def felt_reason(note, attr, shoes, reason):
    """A fit note felt in tried shoes, as the reason for a requirement relative to them."""
    label = ATTRIBUTES[attr]["label"].lower()

    def rating(value):
        if attr == "seamless_upper":
            return f"{label}: {'yes' if value == RATING_MAX else 'no'}"
        return f"{label} {value:g}/5"

    felt_in = " and the ".join(f"{shoe['brand']} {shoe['model']} ({rating(value)})" for shoe, value in shoes)
    return f"{FIT_ISSUES[note]['label']} in the {felt_in}: {reason}"
