"""What a fitting's try-ons changed, as the answer's `feedback` section: try-ons, comfort, requirements."""

from .feedback import FEEDBACK_POINTS, NoteEffect
from .knowledge import cited
from .vocabulary import ATTRIBUTE_NAMES


def report(feedback, plain, adjusted, profile):
    """The response's `feedback` section.

    plain: the assessment of the profile as sent; adjusted: after the notes were
    added to its fit issues and applied relative to the tried shoes.
    """
    catalog, comfort = feedback.catalog, feedback.table.comfort
    added = [note for note in feedback.notes if note not in profile.fit_issues]
    return {
        "tryons": [
            {
                **t.as_dict(),
                "brand": catalog.shoes[row]["brand"],
                "model": catalog.shoes[row]["model"],
                "signal": round(float(c), 4),
                "points": round(float(feedback.points[row]), 3),
            }
            for t, row, c in zip(feedback.tryons, feedback.rows.tolist(), feedback.signals.tolist())
        ],
        "comfort": {
            "text": comfort["reason"],
            "max_points": FEEDBACK_POINTS,
            "source": cited("feedback:comfort", comfort["source"], comfort.get("evidence")),
        },
        "fit_issues_added": added,
        "changes": _changes(feedback, plain, adjusted, added),
    }


def _changes(feedback, plain, adjusted, added):
    changes = []
    for i, attr in enumerate(ATTRIBUTE_NAMES):
        before = (round(float(plain.targets[i]), 2), round(float(plain.weights[i]), 2))
        after = (round(float(adjusted.targets[i]), 2), round(float(adjusted.weights[i]), 2))
        if before == after:
            continue
        known = {reason.id for reason in plain.reasons.get(attr, ())}
        because = [
            _because(feedback, reason, attr, added)
            for reason in adjusted.reasons.get(attr, ())
            if reason.id not in known
        ]
        changes.append(
            {
                "attribute": attr,
                "from": None if plain.weights[i] == 0 else {"target": before[0], "weight": before[1]},
                "to": {"target": after[0], "weight": after[1]},
                "because": because,
            }
        )
    return changes


def _because(feedback, reason, attr, added):
    if isinstance(reason, NoteEffect):
        note, shoe_ids = reason.rule.note, [shoe["id"] for shoe, _ in reason.shoes]
    else:
        # A rule that fired because a felt note joined the profile's fit issues.
        tested = {
            value
            for c in reason.conditions
            if c.field == "fit_issues"
            for value in ((c.value,) if isinstance(c.value, str) else c.value)
        }
        note = next((n for n in added if n in tested), None)
        shoe_ids = [t.shoe_id for t in feedback.tryons if note in t.fit_notes]
    return {"note": note, "shoes": shoe_ids, **reason.reason_entries[attr]}
