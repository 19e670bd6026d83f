"""The scorer's properties, on generated catalogs and requirements."""

import json
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.core.catalog_csv import RATING_COLUMNS as RATING_ATTRIBUTES
from shoefit.core.catalog import Catalog
from shoefit.core.recommender import Recommender
from shoefit.core.requirements import gap
from shoefit.core.scoring import Filters, rank, score, top_k
from shoefit.core.vocabulary import ATTRIBUTE_NAMES

from helpers import ROOT, catalog_csv, profile, shoe_row

RATINGS = st.sampled_from([1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5])
WIDTH_SETS = st.sampled_from(["standard", "standard|wide", "narrow|standard", "standard|wide|extra_wide"])


@st.composite
def catalog_rows(draw, min_size=1, max_size=30):
    n = draw(st.integers(min_size, max_size))
    rows = []
    for i in range(n):
        ratings = {a: str(draw(RATINGS)) for a in RATING_ATTRIBUTES}
        rows.append(
            shoe_row(
                id=f"shoe-{i:03d}",
                brand=draw(st.sampled_from(["Alpha", "Beta", "Gamma"])),
                terrain=draw(st.sampled_from(["road", "trail"])),
                widths=draw(WIDTH_SETS),
                weight_g=str(draw(st.integers(180, 350))),
                price=str(draw(st.integers(80, 250))),
                seamless_upper=draw(st.sampled_from(["true", "false"])),
                category=draw(st.sampled_from(["neutral", "stability", "motion_control"])),
                use=draw(st.sampled_from(["daily", "race", "daily|tempo", "tempo"])),
                drop_mm=str(draw(st.sampled_from([0, 4, 8, 10, 12]))),
                **ratings,
            )
        )
    return rows


def build(rows):
    return Catalog.from_bytes(catalog_csv(rows, list(rows[0])).encode(), "generated.csv")


def catalogs(**kwargs):
    return catalog_rows(**kwargs).map(build)


@st.composite
def requirements(draw):
    """(lows, highs, weights): a wanted band per attribute, at least, at most, around or none."""
    lows, highs = [], []
    for _ in ATTRIBUTE_NAMES:
        a, b = sorted((draw(RATINGS), draw(RATINGS)))
        kind = draw(st.sampled_from(["at_least", "at_most", "around"]))
        lows.append(1.0 if kind == "at_most" else a)
        highs.append(5.0 if kind == "at_least" else b)
    weights = np.array([draw(st.sampled_from([0, 0, 0.5, 1, 2.5, 3])) for _ in ATTRIBUTE_NAMES], dtype=float)
    return np.array(lows, dtype=float), np.array(highs, dtype=float), weights


@settings(max_examples=150, deadline=None)
@given(catalog_rows(), requirements(), st.data())
def test_moving_a_shoe_toward_the_wanted_band_never_lowers_its_score(rows, req, data):
    lows, highs, weights = req
    row = data.draw(st.integers(0, len(rows) - 1))
    attr = data.draw(st.sampled_from(RATING_ATTRIBUTES))
    a = ATTRIBUTE_NAMES.index(attr)
    value = float(rows[row][attr])
    off = gap(lows[a], highs[a], value)
    step = data.draw(st.sampled_from([0.5, 1.0])) * min(1.0, abs(off))
    closer = value - np.sign(off) * step
    before = score(build(rows), *req)[row]
    rows[row] = {**rows[row], attr: str(closer)}
    after = score(build(rows), *req)[row]
    assert after >= before
    if weights[a] > 0 and closer != value:
        assert after > before


@settings(max_examples=100, deadline=None)
@given(catalog_rows(), requirements(), st.data())
def test_inside_the_band_every_value_scores_the_same(rows, req, data):
    lows, highs, weights = req
    row = data.draw(st.integers(0, len(rows) - 1))
    attr = data.draw(st.sampled_from(RATING_ATTRIBUTES))
    a = ATTRIBUTE_NAMES.index(attr)
    inside = [v for v in (1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5) if lows[a] <= v <= highs[a]]
    scores = set()
    for value in inside:
        rows[row] = {**rows[row], attr: str(value)}
        scores.add(score(build(rows), *req)[row])
    assert len(scores) <= 1


@settings(max_examples=150, deadline=None)
@given(catalogs(), requirements())
def test_scores_stay_between_0_and_100(catalog, req):
    scores = score(catalog, *req)
    assert np.all((scores >= 0) & (scores <= 100))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([10.0, 20.0, 20.0, 30.0, 55.5]), min_size=1, max_size=40), st.integers(1, 50), st.randoms()
)
def test_top_k_is_the_head_of_a_full_sort_even_with_ties(values, k, rnd):
    scores = np.array(values)
    tiebreak = np.arange(len(values))
    rnd.shuffle(tiebreak)
    full = sorted(range(len(values)), key=lambda i: (-scores[i], tiebreak[i]))
    assert list(top_k(scores, tiebreak, k)) == full[:k]


@settings(max_examples=100, deadline=None)
@given(
    catalogs(min_size=2),
    requirements(),
    st.builds(
        Filters,
        terrain=st.sampled_from([None, "road", "trail"]),
        width=st.sampled_from([None, "wide", "narrow", "extra_wide"]),
        max_price=st.sampled_from([None, 100.0, 180.0]),
        brands=st.sampled_from([frozenset(), frozenset({"alpha"}), frozenset({"beta", "gamma"})]),
        exclude_brands=st.sampled_from([frozenset(), frozenset({"gamma"})]),
        use=st.sampled_from([None, "daily", "race"]),
    ),
    st.integers(1, 10),
)
def test_ranking_respects_filters_and_beats_every_shoe_it_leaves_out(catalog, req, filters, k):
    rows, scores, candidates = rank(catalog, *req, filters, k)
    everything = score(catalog, *req)
    mask = filters.mask(catalog)
    passing = set(range(len(catalog))) if mask is None else set(np.flatnonzero(mask))
    assert candidates == len(passing)
    assert set(rows) <= passing and len(rows) == min(k, len(passing))
    assert np.allclose(scores, everything[rows])
    left_out = passing - set(rows)
    if len(rows) and left_out:
        assert max(everything[i] for i in left_out) <= scores[-1]


def test_shoes_that_meet_a_target_equally_are_told_apart(catalog, knowledge):
    """Graded scores: no wall of equal scores sorted by id."""
    service = Recommender(catalog, knowledge)
    for raw in (
        {},
        {"arch_type": "high"},
        {"pronation": "overpronation", "width": "wide"},
        {"symptoms": ["forefoot_pain"]},
    ):
        picks = service.recommend(profile(**raw, limit=10, shortlist=False))["recommendations"]
        scores = [p["score"] for p in picks]
        assert len(set(scores)) == len(scores), (raw, scores)
        assert scores == sorted(scores, reverse=True)


POINT_3 = (np.full(len(ATTRIBUTE_NAMES), 3.0), np.full(len(ATTRIBUTE_NAMES), 3.0), np.ones(len(ATTRIBUTE_NAMES)))


def test_equal_fit_prefers_the_lighter_cheaper_shoe():
    rows = [
        shoe_row(id="heavy-dear", weight_g="320", price="200"),
        shoe_row(id="light-cheap", weight_g="220", price="120"),
    ]
    catalog = Catalog.from_bytes(catalog_csv(rows).encode(), "x.csv")
    picked, _, _ = rank(catalog, *POINT_3, Filters(), 2)
    assert [catalog.shoes[i]["id"] for i in picked] == ["light-cheap", "heavy-dear"]


def test_identical_shoes_tie_break_by_id_not_by_file_order():
    rows = [shoe_row(id=i) for i in ("c-shoe", "a-shoe", "b-shoe")]
    catalog = Catalog.from_bytes(catalog_csv(rows).encode(), "x.csv")
    picked, scores, _ = rank(catalog, *POINT_3, Filters(), 3)
    assert [catalog.shoes[i]["id"] for i in picked] == ["a-shoe", "b-shoe", "c-shoe"]
    assert len(set(scores)) == 1


PROBE = """
import json, sys
from shoefit.core.catalog import Catalog
from shoefit.core.profile import Profile
from shoefit.core.recommender import Recommender
from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.validation import ProfileSchema
raw = json.loads(sys.argv[1])
body = Recommender(Catalog.load(), KnowledgeBase.load()).recommend(Profile.from_dict(ProfileSchema().load(raw)))
print(json.dumps(body, sort_keys=True))
"""


def test_results_are_identical_across_processes(catalog, knowledge):
    raw = {"arch_type": "flat", "fit_issues": ["too_tight"], "limit": 50}
    runs = {
        subprocess.run(
            [sys.executable, "-c", PROBE, json.dumps(raw)],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1
    here = Recommender(catalog, knowledge).recommend(profile(**raw))
    assert json.loads(runs.pop()) == json.loads(json.dumps(here))
