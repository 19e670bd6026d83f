"""Builders shared by the tests."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import strategies as st

from shoefit.core.catalog_csv import REQUIRED_COLUMNS
from shoefit.core.profile import Profile
from shoefit.core.validation import ProfileSchema
from shoefit.core.vocabulary import ENUMS

ROOT = Path(__file__).resolve().parent.parent
# CI and developers have the seed texts beside the repo; SHOEFIT_SEEDS_DIR points elsewhere.
SEEDS_DIR = Path(os.environ.get("SHOEFIT_SEEDS_DIR") or ROOT.parent / "shared" / "seeds")


def profile(**raw):
    """A Profile exactly as the API would build it from this request body."""
    return Profile.from_dict(ProfileSchema().load(raw))


def loaded_by(modules, libraries):
    """Which of `libraries` a fresh interpreter has loaded once it has imported `modules`."""
    code = f"import sys, {', '.join(modules)}; print(' '.join(m for m in {tuple(libraries)!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.split()


def shoe_row(**overrides):
    row = {
        "id": "test-shoe",
        "brand": "Testbrand",
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
    # Each shoe its own model line, unless a test gives models that share one.
    model = f"Model {overrides.get('id', row['id'])}"
    row = {"id": row["id"], "brand": row["brand"], "model": model, **row}
    row.update(overrides)
    return row


def catalog_csv(rows, columns=None):
    columns = columns or list(REQUIRED_COLUMNS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def runner_bodies(max_price=st.sampled_from([0, 130, 200])):
    """Request bodies using every profile field a rule may test."""
    return st.fixed_dictionaries(
        {},
        optional={
            "arch_type": st.sampled_from(list(ENUMS["arch_type"])),
            "pronation": st.sampled_from(list(ENUMS["pronation"])),
            "fit_issues": st.lists(st.sampled_from(list(ENUMS["fit_issues"])), max_size=4),
            "symptoms": st.lists(st.sampled_from(list(ENUMS["symptoms"])), max_size=5),
            "conditions": st.lists(st.sampled_from(list(ENUMS["conditions"])), max_size=2),
            "pain": st.fixed_dictionaries(
                {},
                optional={
                    "days": st.integers(0, 40),
                    "severity": st.integers(0, 10),
                    "character": st.sampled_from(list(ENUMS["pain.character"])),
                    "timing": st.sampled_from(list(ENUMS["pain.timing"])),
                    "despite_rest": st.booleans(),
                },
            ),
            "training": st.fixed_dictionaries(
                {},
                optional={
                    "weekly_km": st.floats(0, 200),
                    "weekly_increase_pct": st.floats(0, 50),
                    "surface": st.sampled_from(list(ENUMS["training.surface"])),
                },
            ),
            "terrain": st.sampled_from(list(ENUMS["terrain"])),
            "width": st.sampled_from(list(ENUMS["width"])),
            "max_price": max_price,
            "limit": st.integers(1, 50),
            "use": st.sampled_from(list(ENUMS["use"])),
            "use_only": st.booleans(),
            "body_weight_kg": st.sampled_from([48, 59.5, 60, 75, 90, 120]),
            "cushion_feel": st.sampled_from(list(ENUMS["cushion_feel"])),
            "drop": st.sampled_from(list(ENUMS["drop"])),
            "experience": st.sampled_from(list(ENUMS["experience"])),
            "shortlist": st.booleans(),
        },
    )
