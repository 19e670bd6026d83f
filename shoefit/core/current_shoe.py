"""The runner's current shoe: loved, its line stays in view and shoes like it move up; disliked, its line
leaves the shortlist and shoes like it move down.

Like a try-on (feedback.py), with the same bounded points and the same similarity kernel (similar.py):
a shoe the runner has run in for months says as much as one tried for a few minutes in the store.
"""

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from .feedback import DOWN_FACTOR, FEEDBACK_POINTS
from .similar import space

_built = weakref.WeakKeyDictionary()  # catalog -> {(shoe id, liked): CurrentShoe}, dropped with the catalog
_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class CurrentShoe:
    row: int  # the shoe's catalog row
    liked: bool
    points: np.ndarray  # per catalog row, within +-FEEDBACK_POINTS (down: DOWN_FACTOR times)
    excluded: np.ndarray | None  # per catalog row: the disliked shoe's line, kept off the shortlist


def current_shoe(catalog, shoe_id, liked):
    """The CurrentShoe of `shoe_id` in `catalog`; built once per catalog and answer, then shared."""
    with _lock:
        known = _built.setdefault(catalog, {})
        found = known.get((shoe_id, liked))
        if found is None:
            found = known[(shoe_id, liked)] = _build(catalog, shoe_id, liked)
    return found


def _build(catalog, shoe_id, liked):
    row = catalog.index[shoe_id]
    alike = space(catalog).kernel(np.array([row]))[:, 0]
    line = catalog.family == catalog.family[row]
    alike[line] = 1.0  # its own line is the shoe, whatever changed between versions
    points = FEEDBACK_POINTS * alike if liked else -DOWN_FACTOR * FEEDBACK_POINTS * alike
    points.flags.writeable = False
    if not liked:
        line.flags.writeable = False
    return CurrentShoe(row, liked, points, None if liked else line)
