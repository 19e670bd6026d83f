"""Try-on feedback: the table against its seeds, the score adjustment's properties, and worked fittings."""

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import fields as f

from shoefit.core.catalog import Catalog
from shoefit.core.catalog_csv import RATING_COLUMNS
from shoefit.core.feedback import DOWN_FACTOR, FEEDBACK_POINTS, Feedback
from shoefit.core.feedback_table import FeedbackError, FeedbackTable, default_table
from shoefit.core.tryons import InvalidTryOn
from shoefit.core.recommender import Recommender
from shoefit.core.vocabulary import ATTRIBUTE_NAMES
from shoefit.web.fitting_schemas import FeedbackSchema
from shoefit.web.response_schemas import RecommendationsResponseSchema
from shoefit.core.scoring import Filters, rank, shown
from shoefit.core.similar import space
from shoefit.core.vocabulary import DECISIONS, FIT_ISSUES

from helpers import catalog_csv, profile, runner_bodies, shoe_row
from test_rules import seed_sections
from test_scoring import RATINGS, catalogs

TIGHT = 1e-9


class FittingResponseSchema(RecommendationsResponseSchema):
    feedback = f.Nested(FeedbackSchema, allow_none=True)


@pytest.fixture(scope="module")
def service(catalog, knowledge):
    return Recommender(catalog, knowledge)


def ranks(body):
    return {pick["id"]: pick["rank"] for pick in body["recommendations"]}


# --- the table ---------------------------------------------------------------------------


@pytest.mark.parametrize("entry", default_table().notes, ids=lambda entry: entry.id)
def test_note_quotes_its_seed_section_verbatim(entry):
    sections = seed_sections(entry.source["seed"])
    assert entry.source["section"] in sections, entry.id
    assert entry.source["quote"] in sections[entry.source["section"]], entry.id


def test_comfort_quotes_its_seed_section_verbatim():
    source = default_table().comfort["source"]
    sections = seed_sections(source["seed"])
    assert source["quote"] in sections[source["section"]]


def test_every_fit_note_changes_a_requirement():
    assert set(FIT_ISSUES) == {entry.note for entry in default_table().notes}


def test_a_broken_table_lists_every_problem_at_load():
    text = """
[comfort]
reason = "x"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }

[[notes]]
note = "wobbly"
attribute = "colour"
direction = "sideways"
margin = 0
weight = -1
reason = ""
source = { seed = "nowhere.txt", section = "s", quote = "q" }
colour = "red"

[[notes]]
note = "hot_feet"
attribute = "breathability"
direction = "more"
margin = 1
weight = 1
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s" }
"""
    with pytest.raises(FeedbackError) as caught:
        FeedbackTable.from_text(text, "bad.toml")
    problems = "\n".join(caught.value.problems)
    for expected in (
        "unknown note 'wobbly'",
        "unknown attribute 'colour'",
        "direction must be",
        "margin must be",
        "weight must be",
        "reason must be",
        "unknown seed 'nowhere.txt'",
        "unknown keys ['colour']",
        "note #2 (hot_feet -> breathability): source needs exactly seed, section, quote",
    ):
        assert expected in problems, expected


@pytest.mark.parametrize("weight", ["inf", "nan", "1e-9", "0"])
def test_a_note_weight_that_would_break_or_vanish_from_scores_is_refused(weight):
    from importlib import resources

    text = resources.files("shoefit").joinpath("knowledge/feedback.toml").read_text("utf-8")
    at = text.index("\nweight = ") + 1
    broken = text[:at] + f"weight = {weight}" + text[text.index("\n", at) :]
    with pytest.raises(FeedbackError) as caught:
        FeedbackTable.from_text(broken, "feedback.toml")
    assert "weight must be a number from 2**-20 (about 1e-6) to 1000, got" in str(caught.value)


def test_try_ons_that_do_not_fit_the_catalog_are_refused_by_name(catalog):
    shoe = catalog.shoes[0]["id"]
    bad = [
        {"shoe_id": "no-such-shoe", "comfort": 3},
        {"shoe_id": shoe, "comfort": 6, "fit_notes": ["itchy"], "decision": "maybe"},
        {"shoe_id": shoe, "comfort": "4"},
    ]
    with pytest.raises(InvalidTryOn) as caught:
        Feedback.from_tryons(catalog, bad)
    fields = [e["field"] for e in caught.value.errors]
    assert fields == [
        "tryons.0.shoe_id",
        "tryons.1.comfort",
        "tryons.1.fit_notes.0",
        "tryons.1.decision",
        "tryons.2.comfort",
    ]
    assert "no-such-shoe" in str(caught.value)


def test_a_shoe_tried_again_counts_by_its_latest_try_on(catalog):
    first, other = catalog.shoes[0]["id"], catalog.shoes[1]["id"]

    class Stored:  # as a store hands them over: attributes, not a dict
        def __init__(self, shoe_id, comfort, fit_notes=(), decision="undecided"):
            self.shoe_id, self.comfort, self.fit_notes, self.decision = shoe_id, comfort, fit_notes, decision

    feedback = Feedback.from_tryons(
        catalog, [Stored(first, 1, ["too_tight"]), Stored(other, 4), Stored(first, 5, [], "kept")]
    )
    assert [t.as_dict() for t in feedback.tryons] == [
        {"shoe_id": other, "comfort": 4, "fit_notes": [], "decision": "undecided"},
        {"shoe_id": first, "comfort": 5, "fit_notes": [], "decision": "kept"},
    ]
    assert feedback.points[0] == FEEDBACK_POINTS and feedback.notes == ()


# --- the score adjustment's properties ---------------------------------------------------


@st.composite
def look_alike_catalogs(draw):
    """Catalogs whose shoes differ in one to three ratings only, so many pairs are partly alike.

    In random catalogs (test_scoring's) almost every pair differs in most of nine
    attributes, so the kernel is nearly 0 between shoes and the properties are untested.
    """
    varying = draw(st.lists(st.sampled_from(list(RATING_COLUMNS)), min_size=1, max_size=3, unique=True))
    n = draw(st.integers(2, 15))
    rows = [
        shoe_row(id=f"shoe-{i:03d}", **{attr: str(draw(RATINGS)) for attr in varying}, seamless_upper="false")
        for i in range(n)
    ]
    return Catalog.from_bytes(catalog_csv(rows, list(rows[0])).encode(), "alike.csv")


@st.composite
def fittings(draw, min_tries=1):
    """A generated catalog and try-ons of distinct shoes in it."""
    catalog = draw(st.one_of(catalogs(min_size=2, max_size=20), look_alike_catalogs()))
    rows = draw(st.lists(st.integers(0, len(catalog) - 1), min_size=min_tries, max_size=4, unique=True))
    tryons = [
        {
            "shoe_id": catalog.shoes[row]["id"],
            "comfort": draw(st.integers(1, 5)),
            "fit_notes": draw(st.lists(st.sampled_from(list(FIT_ISSUES)), max_size=3, unique=True)),
            "decision": draw(st.sampled_from(list(DECISIONS))),
        }
        for row in rows
    ]
    return catalog, tryons


@settings(max_examples=150, deadline=None)
@given(fittings())
def test_adjustments_are_bounded(fitting):
    catalog, tryons = fitting
    points = Feedback.from_tryons(catalog, tryons).points
    assert points.shape == (len(catalog),)
    assert np.all(points <= FEEDBACK_POINTS + TIGHT)
    assert np.all(points >= -DOWN_FACTOR * FEEDBACK_POINTS - TIGHT)


@settings(max_examples=200, deadline=None)
@given(fittings(), st.data())
def test_raising_comfort_never_lowers_a_shoe_and_moves_the_tried_shoe_most(fitting, data):
    """Raising try-on j's comfort (same decision) raises no shoe's points less than 0, and none more than j's own."""
    catalog, tryons = fitting
    j = data.draw(st.integers(0, len(tryons) - 1))
    if tryons[j]["comfort"] == 5:
        return
    higher = [dict(t) for t in tryons]
    higher[j]["comfort"] = data.draw(st.integers(tryons[j]["comfort"] + 1, 5))
    before = Feedback.from_tryons(catalog, tryons).points
    after = Feedback.from_tryons(catalog, higher).points
    gain = after - before
    tried = catalog.index[tryons[j]["shoe_id"]]
    assert np.all(gain >= 0)
    assert gain[tried] > 0
    assert np.all(gain <= gain[tried] + TIGHT)


@settings(max_examples=100, deadline=None)
@given(fittings(), st.data())
def test_kept_counts_for_more_than_undecided_and_undecided_more_than_returned(fitting, data):
    catalog, tryons = fitting
    j = data.draw(st.integers(0, len(tryons) - 1))
    by_decision = {}
    for decision in ("returned", "undecided", "kept"):
        changed = [dict(t) for t in tryons]
        changed[j]["decision"] = decision
        by_decision[decision] = Feedback.from_tryons(catalog, changed).points
    assert np.all(by_decision["kept"] >= by_decision["undecided"])
    assert np.all(by_decision["undecided"] >= by_decision["returned"])


@settings(max_examples=100, deadline=None)
@given(fittings(), st.sampled_from([(5, "kept"), (1, "returned")]))
def test_adjusted_scores_stay_between_0_and_100(fitting, verdict):
    catalog, tryons = fitting
    tryons = [{**tryons[0], "comfort": verdict[0], "decision": verdict[1]}, *tryons[1:]]
    row = catalog.index[tryons[0]["shoe_id"]]
    points = Feedback.from_tryons(catalog, tryons).points
    # Bands the tried shoe meets exactly (or misses by the most): its plain score is near 100 (or near 0).
    targets = catalog.matrix[row] if verdict[1] == "kept" else 6.0 - catalog.matrix[row]
    weights = np.ones(len(ATTRIBUTE_NAMES))
    picked, scores, _ = rank(catalog, targets, targets, weights, Filters(), len(catalog), points)
    answered = [shown(s) for s in scores]
    assert all(0 <= s <= 100 for s in answered)
    if verdict[1] == "kept":
        assert answered[list(picked).index(row)] == 100.0


@settings(max_examples=100, deadline=None)
@given(fitting=fittings())
def test_a_felt_note_moves_its_attribute_past_the_tried_shoe(fitting, knowledge):
    catalog, tryons = fitting
    feedback = Feedback.from_tryons(catalog, tryons)
    adjusted = feedback.adjust(knowledge.assess(feedback.profile(profile())))
    for effects in feedback.effects.values():
        for effect in effects:
            i = ATTRIBUTE_NAMES.index(effect.rule.attribute)
            directions = {e.rule.direction for e in feedback.effects[effect.rule.attribute]}
            if len(directions) == 2:
                continue  # contradicting notes meet halfway
            for _, value in effect.shoes:
                if effect.rule.direction == "more":
                    assert adjusted.lows[i] >= min(5.0, value + effect.rule.margin) - TIGHT
                else:
                    assert adjusted.highs[i] <= max(1.0, value - effect.rule.margin) + TIGHT


# --- no try-ons, no change -----------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(raw=runner_bodies())
def test_no_try_ons_is_the_plain_answer_byte_for_byte(service, raw):
    runner = profile(**raw)
    plain = orjson.dumps(service.recommend(runner))
    assert orjson.dumps(service.recommend(runner, tryons=())) == plain
    assert orjson.dumps(service.recommend(runner, tryons=[])) == plain
    assert orjson.dumps(service.requirements(runner, tryons=())) == orjson.dumps(service.requirements(runner))


def test_an_answer_with_try_ons_keeps_the_response_shape(service, catalog):
    body = service.recommend(
        profile(limit=10),
        [{"shoe_id": catalog.shoes[0]["id"], "comfort": 2, "fit_notes": ["cramped_toes", "hot_feet"]}],
    )
    assert FittingResponseSchema().validate(body) == {}
    assert all("tried" in pick and "feedback_points" in pick for pick in body["recommendations"])
    requirements = service.requirements(profile(), [{"shoe_id": catalog.shoes[0]["id"], "comfort": 4}])
    assert requirements["feedback"]["tryons"][0]["shoe_id"] == catalog.shoes[0]["id"]


# --- worked fittings on the bundled catalog ------------------------------------------------


def nearest_and_farthest(catalog, row, among):
    alike = space(catalog).kernel(np.array([row]))[:, 0]
    others = [catalog.index[i] for i in among if catalog.index[i] != row]
    nearest = max(others, key=lambda r: (alike[r], -catalog.id_rank[r]))
    farthest = min(others, key=lambda r: (alike[r], catalog.id_rank[r]))
    return catalog.shoes[nearest]["id"], catalog.shoes[farthest]["id"], alike


def test_a_shoe_rated_5_and_kept_lifts_its_neighbour_and_not_a_shoe_unlike_it(service, catalog):
    runner = profile(limit=50, shortlist=False)
    before = service.recommend(runner)
    order = [pick["id"] for pick in before["recommendations"]]
    loved = order[29]
    # Its nearest neighbour below it, so there is room to move up.
    neighbour, far, alike = nearest_and_farthest(catalog, catalog.index[loved], order[30:])
    after = service.recommend(runner, [{"shoe_id": loved, "comfort": 5, "fit_notes": [], "decision": "kept"}])
    was, now = ranks(before), ranks(after)
    assert now[loved] < was[loved]
    assert now[neighbour] < was[neighbour]
    assert now.get(far, 51) >= was[far]
    picks = {pick["id"]: pick for pick in after["recommendations"]}
    assert picks[loved]["tried"] == {"shoe_id": loved, "comfort": 5, "fit_notes": [], "decision": "kept"}
    assert picks[loved]["feedback_points"] == FEEDBACK_POINTS
    expected = FEEDBACK_POINTS * alike[catalog.index[neighbour]]
    assert picks[neighbour]["feedback_points"] == pytest.approx(expected, abs=1e-3)
    model = catalog.get(loved)["model"]
    assert picks[neighbour]["why"][0].startswith(f"Feels like the {catalog.get(loved)['brand']} {model} you rated 5/5")
    assert after["feedback"]["changes"] == [] and after["feedback"]["fit_issues_added"] == []


@pytest.mark.parametrize("heel_counter", [3.0, 4.5])
def test_heel_slippage_asks_for_a_firmer_heel_counter_than_the_tried_shoe(service, catalog, heel_counter):
    shoe = next(s for s in catalog.shoes if s["heel_counter"] == heel_counter)
    runner = profile()
    plain = service.requirements(runner)["requirements"]["heel_counter"]
    tryon = {"shoe_id": shoe["id"], "comfort": 3, "fit_notes": ["heel_slippage"], "decision": "returned"}
    body = service.requirements(runner, [tryon])
    after = body["requirements"]["heel_counter"]
    assert after["kind"] == "at_least" and after["min"] >= min(5.0, heel_counter + 1)
    assert after["weight"] > plain["weight"]
    assert body["feedback"]["fit_issues_added"] == ["heel_slippage"]
    (change,) = [c for c in body["feedback"]["changes"] if c["attribute"] == "heel_counter"]
    assert change["from"] == {key: plain[key] for key in ("target", "wanted", "weight")}
    assert change["to"] == {key: after[key] for key in ("target", "wanted", "weight")}
    assert change["text"].startswith(f"Heel counter: now {after['wanted']} (was {plain['wanted']})")
    cited = {because["source"]["rule"]: because for because in change["because"]}
    assert set(cited) == {"fit-heel-slippage-firm-counter", "feedback:heel_slippage:heel_counter"}
    felt = cited["feedback:heel_slippage:heel_counter"]
    assert felt["note"] == "heel_slippage" and felt["shoes"] == [shoe["id"]]
    assert f"{shoe['brand']} {shoe['model']} (heel counter {heel_counter:g}/5)" in felt["text"]
    assert felt["source"]["quote"] in seed_sections(felt["source"]["seed"])[felt["source"]["section"]]
    assert any(r["source"]["rule"] == "feedback:heel_slippage:heel_counter" for r in after["reasons"])


def test_the_top_pick_rated_1_and_returned_leaves_and_takes_its_neighbours_down(service, catalog):
    runner = profile(arch_type="high", limit=50, shortlist=False)
    before = service.recommend(runner)
    order = [pick["id"] for pick in before["recommendations"]]
    top = order[0]
    tryon = {"shoe_id": top, "comfort": 1, "fit_notes": [], "decision": "returned"}
    after = service.recommend(runner, [tryon])
    was, now = ranks(before), ranks(after)
    assert top not in now
    (aside,) = after["feedback"]["set_aside"]
    assert aside["id"] == top and aside["text"].endswith("off the shortlist, you returned it.")
    assert Feedback.from_tryons(catalog, [tryon]).points[catalog.index[top]] == -DOWN_FACTOR * FEEDBACK_POINTS
    neighbours = [other for other, _, alike in space(catalog).neighbours(catalog.index[top], 3) if alike > 0.5]
    assert neighbours
    for row in neighbours:
        shoe = catalog.shoes[row]["id"]
        if shoe in was:
            assert now.get(shoe, 51) > was[shoe], shoe
