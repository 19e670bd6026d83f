"""What a fitting's try-ons changed, as the answer's `feedback` section: try-ons, comfort, requirements."""

from .feedback import FEEDBACK_POINTS, NoteEffect
from .knowledge import cited
from .requirements import target_of, wanted
from .vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES, FIT_ISSUES


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
        "set_aside": [_set_aside(feedback, row, t) for row, t in feedback.set_aside],
    }


def _set_aside(feedback, row, tryon):
    catalog = feedback.catalog
    shoe = catalog.shoes[row]
    aside = set(feedback.set_aside_rows.tolist()) - {row}
    others = [r for r in catalog.lines[int(catalog.family[row])] if r in aside]  # newest first
    also = [{key: catalog.shoes[r][key] for key in ("id", "model", "price")} for r in others]
    with_line = " and".join(f" the {a['model']}" for a in also)
    with_line = f" with{with_line}" if also else ""
    why = "you returned it" if tryon.decision == "returned" else f"it felt {tryon.comfort:g}/5"
    return {
        "id": tryon.shoe_id,
        "brand": shoe["brand"],
        "model": shoe["model"],
        "text": f"{shoe['brand']} {shoe['model']}: off the shortlist{with_line}, {why}.",
        "also": also,
    }


def _changes(feedback, plain, adjusted, added):
    changes = []
    for i, attr in enumerate(ATTRIBUTE_NAMES):
        before, after = _requirement(plain, i), _requirement(adjusted, i)
        if before == after:
            continue
        known = {reason.id for reason in plain.reasons.get(attr, ())}
        because = [
            _because(feedback, reason, attr, added)
            for reason in adjusted.reasons.get(attr, ())
            if reason.id not in known
        ]
        was = None if plain.weights[i] == 0 else before
        changes.append(
            {
                "attribute": attr,
                "from": was,
                "to": after,
                "because": because,
                "text": _sentence(feedback.catalog, attr, was, after, because),
            }
        )
    return changes


def _requirement(assessment, i):
    low, high = assessment.lows[i], assessment.highs[i]
    return {
        "target": round(target_of(low, high), 2),
        "wanted": wanted(ATTRIBUTE_NAMES[i], low, high),
        "weight": round(float(assessment.weights[i]), 2),
    }


def _sentence(catalog, attr, was, now, because):
    """A change as a fitter would say it: "Heel counter: now 4.5 or more (was 3 or more): heel slips in the ..."."""
    label = ATTRIBUTES[attr]["label"]
    then = f"was {was['wanted']}" if was else "not asked before"
    felt = {}
    for entry in because:
        if entry["note"]:
            felt.setdefault(entry["note"], dict.fromkeys(entry["shoes"]))
    said = "; ".join(
        f"{FIT_ISSUES[note]['label'].lower()} in the "
        + " and the ".join(f"{catalog.get(s)['brand']} {catalog.get(s)['model']}" for s in shoes)
        for note, shoes in sorted(felt.items(), key=lambda item: list(FIT_ISSUES).index(item[0]))
    )
    return f"{label}: now {now['wanted']} ({then}): {said or 'what the try-ons showed'}."


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
