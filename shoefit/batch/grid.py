"""`shoefit grid`: every shoe ranked for every runner type, as one table."""

import collections
import itertools

import numpy as np
import pyarrow as pa

from ..core.atomic_file import atomic_file
from ..core.profile import Profile
from ..core.validation import PROFILE_SCHEMA
from ..core.vocabulary import ARCH_TYPES, FIT_ISSUES, PRONATIONS, USES
from .engine import BatchEngine
from .formats import ENCODERS, OUTPUT_FORMATS, SCORE_DECIMALS, format_of, writer

GRID_SCHEMA = pa.schema(
    [("arch_type", pa.string()), ("pronation", pa.string()), ("concern", pa.string()), ("use", pa.string()),
     ("rank", pa.int32()), ("shoe_id", pa.string()), ("brand", pa.string()), ("model", pa.string()),
     ("score", pa.float64())]
)  # fmt: skip
# The grid's runner types: no concern, or one concern that changes what a shoe must offer.
GRID_CONCERNS = ("none", "top_of_foot_soreness", "forefoot_pain", "morning_heel_pain", *FIT_ISSUES)


def grid_runners():
    """(arch_type, pronation, concern, use) of every runner type in the grid."""
    return list(itertools.product(ARCH_TYPES, PRONATIONS, GRID_CONCERNS, USES))


def grid_batch(catalog, knowledge, top=None):
    """Every shoe ranked for every runner type: one row per (runner type, shoe), or its `top` best."""
    runners = grid_runners()
    profiles = [Profile.from_dict(PROFILE_SCHEMA.load(_grid_body(*runner))) for runner in runners]
    picks = BatchEngine(catalog, knowledge, top=len(catalog)).score(profiles)
    columns = collections.defaultdict(list)
    for runner, p in zip(runners, picks):
        for rank, (shoe_id, score) in enumerate(zip(p.ids[:top], p.scores[:top]), 1):
            shoe = catalog.get(shoe_id)
            for name, value in zip(GRID_SCHEMA.names, (*runner, rank, shoe_id, shoe["brand"], shoe["model"], score)):
                columns[name].append(value)
    columns["score"] = np.round(columns["score"], SCORE_DECIMALS)
    return pa.record_batch([columns[name] for name in GRID_SCHEMA.names], schema=GRID_SCHEMA)


def _grid_body(arch_type, pronation, concern, use):
    # Every shoe ranked, each version on its own row: a merchandiser's table, not a runner's shortlist.
    body = {"arch_type": arch_type, "pronation": pronation, "use": use, "shortlist": False}
    if concern in FIT_ISSUES:
        body["fit_issues"] = [concern]
    elif concern != "none":
        body["symptoms"] = [concern]
    return body


def write_batch(batch, path):
    """One batch to `path`, as its extension says, atomically."""
    kind = format_of(path, OUTPUT_FORMATS, "output file")
    with atomic_file(path) as fh, writer(kind, fh, batch.schema) as write:
        write(ENCODERS[kind](batch))
