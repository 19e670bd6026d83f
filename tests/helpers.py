"""Builders shared by the tests."""

import csv
import io
import os
from pathlib import Path

from shoefit.catalog import REQUIRED_COLUMNS
from shoefit.profile import Profile
from shoefit.schemas import ProfileSchema

ROOT = Path(__file__).resolve().parent.parent
# CI and developers have the seed texts beside the repo; SHOEFIT_SEEDS_DIR points elsewhere.
SEEDS_DIR = Path(os.environ.get("SHOEFIT_SEEDS_DIR") or ROOT.parent / "shared" / "seeds")


def profile(**raw):
    """A Profile exactly as the API would build it from this request body."""
    return Profile.from_dict(ProfileSchema().load(raw))


def shoe_row(**overrides):
    row = {
        "id": "test-shoe",
        "brand": "Testbrand",
        "model": "Runner 1",
        "terrain": "road",
        "category": "neutral",
        "cushioning": "3",
        "forefoot_cushioning": "3",
        "arch_support": "3",
        "stability": "3",
        "heel_counter": "3",
        "breathability": "3",
        "toe_box": "3",
        "widths": "standard|wide",
        "weight_g": "250",
        "drop_mm": "8",
        "heel_stack_mm": "35",
        "forefoot_stack_mm": "27",
        "price": "140",
    }
    row.update(overrides)
    return row


def catalog_csv(rows, columns=None):
    columns = columns or list(REQUIRED_COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
