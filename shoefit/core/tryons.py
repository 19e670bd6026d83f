"""A try-on as the feedback reads it: the shoe, how it felt, what the runner did with it, and its signal."""

import dataclasses
from collections.abc import Mapping

from .errors import FieldErrors
from .vocabulary import COMFORT_MAX, COMFORT_MIN, DECISIONS, FIT_ISSUES

# c = (1 - DECISION_SHARE) * (comfort - 3) / 2 + DECISION_SHARE * decision, with
# decision +1 kept, -1 returned, 0 undecided. Comfort as felt carries two thirds;
# the decision is what the runner did with it (price and looks play a part, so it
# is coarser). Kept at 5/5 is the strongest signal (+1), returned at 1/5 the
# weakest (-1), undecided at 5/5 +2/3, kept at 3/5 +1/3, returned at 5/5 +1/3:
# still a shoe that felt good. c rises with comfort whatever the decision.
DECISION_SHARE = 1.0 / 3.0
DECISION_SIGNALS = {"kept": 1.0, "returned": -1.0, "undecided": 0.0}
NEUTRAL_COMFORT = (COMFORT_MIN + COMFORT_MAX) / 2
COMFORT_HALF_SPAN = (COMFORT_MAX - COMFORT_MIN) / 2


class InvalidTryOn(FieldErrors, ValueError):
    """Try-ons that do not fit this catalog or vocabulary (a ValueError too, as it always was)."""


@dataclasses.dataclass(frozen=True)
class TryOn:
    shoe_id: str
    comfort: float
    fit_notes: tuple = ()
    decision: str = "undecided"

    @property
    def signal(self):
        """c in [-1, 1]: rises with comfort; kept adds, returned takes away (see DECISION_SHARE)."""
        felt = (self.comfort - NEUTRAL_COMFORT) / COMFORT_HALF_SPAN
        return (1.0 - DECISION_SHARE) * felt + DECISION_SHARE * DECISION_SIGNALS[self.decision]

    def as_dict(self):
        return {
            "shoe_id": self.shoe_id,
            "comfort": self.comfort,
            "fit_notes": list(self.fit_notes),
            "decision": self.decision,
        }


def _field(tryon, name, default):
    if isinstance(tryon, Mapping):
        return tryon.get(name, default)
    return getattr(tryon, name, default)


def parse_tryons(catalog, tryons):
    """TryOn objects from dicts or objects with shoe_id, comfort, fit_notes, decision.

    A shoe tried more than once (re-laced, another size) counts by its latest try-on:
    that is the fitter's current verdict on it. Raises InvalidTryOn listing every
    problem: an unknown shoe id, a comfort outside 1-5, an unknown note or decision.
    """
    parsed, errors = {}, []

    def bad(i, name, value, message):
        errors.append({"field": f"tryons.{i}.{name}", "value": value, "message": message})

    for i, raw in enumerate(tryons):
        shoe_id = _field(raw, "shoe_id", None)
        comfort = _field(raw, "comfort", None)
        notes = _field(raw, "fit_notes", ()) or ()
        decision = _field(raw, "decision", "undecided")
        before = len(errors)
        if not isinstance(shoe_id, str) or catalog.get(shoe_id) is None:
            bad(i, "shoe_id", shoe_id, f"no shoe {shoe_id!r} in catalog {catalog.version}")
        if (
            isinstance(comfort, bool)
            or not isinstance(comfort, (int, float))
            or not (COMFORT_MIN <= comfort <= COMFORT_MAX)
        ):
            bad(i, "comfort", comfort, f"must be a number from {COMFORT_MIN} to {COMFORT_MAX}")
        if isinstance(notes, str):
            bad(i, "fit_notes", notes, "must be a list of fit issues")
            notes = ()
        for n, note in enumerate(notes):
            if note not in FIT_ISSUES:
                errors.append(
                    {"field": f"tryons.{i}.fit_notes.{n}", "value": note, "message": f"unknown fit note {note!r}"}
                )
        if decision not in DECISIONS:
            bad(i, "decision", decision, f"must be one of: {', '.join(DECISIONS)}")
        if len(errors) == before:
            parsed.pop(shoe_id, None)
            parsed[shoe_id] = TryOn(shoe_id, comfort, tuple(dict.fromkeys(notes)), decision)
    if errors:
        raise InvalidTryOn(errors)
    return tuple(parsed.values())
