"""Fitting quality: what a good fitter would hand the runner, on the bundled catalog.

Each case names what it encodes: a seed passage ("seed:"), a case the issue that asked for the
judgment found wrong ("case:"), or what that issue asked for ("asked:"). The assertions are about
categories, uses and ratings, never about a shoe id.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from shoefit.core import attributes
from shoefit.core.catalog import Catalog
from shoefit.core.catalog_csv import family_of
from shoefit.core.feedback import DOWN_FACTOR
from shoefit.core.recommender import Recommender
from shoefit.core.triage import FOR_LATER
from shoefit.core.vocabulary import ATTRIBUTES

from helpers import catalog_csv, profile, runner_bodies, shoe_row


@pytest.fixture(scope="module")
def service(catalog, knowledge):
    return Recommender(catalog, knowledge)


def picks(service, limit=3, **raw):
    return service.recommend(profile(**raw, limit=limit))["recommendations"]


def shoes(service, catalog, limit=3, **raw):
    return [catalog.get(p["id"]) for p in picks(service, limit, **raw)]


# --- the support category: a fitter's first question ---------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"arch_type": "neutral", "pronation": "neutral"},  # case: a neutral runner got three stability shoes
        {},  # case: the empty profile got five stability shoes
        {"arch_type": "unknown", "pronation": "unknown"},
        {"arch_type": "high"},  # case: a high arch, pronation unknown, got the Kayano first
        {"pronation": "underpronation"},
    ],
)
def test_a_neutral_or_unknown_gait_gets_neutral_shoes(service, catalog, raw):
    # seed: "The level of arch support should correspond to your foot type"
    assert [s["category"] for s in shoes(service, catalog, 5, **raw)] == ["neutral"] * 5


@pytest.mark.parametrize("raw", [{"arch_type": "flat", "pronation": "overpronation"}, {"pronation": "overpronation"}])
def test_overpronation_gets_stability_or_motion_control(service, catalog, raw):
    # seed: "Look for features like wider bases, firmer midsoles, and medial posts that enhance stability"
    # Malisoux et al. 2016: motion control cut injury risk for pronated feet.
    assert all(s["category"] in ("stability", "motion_control") for s in shoes(service, catalog, 5, **raw))


def test_flat_feet_with_an_unknown_gait_get_support(service, catalog):
    # seed: "those with flat feet need shoes offering strong arch support ... and prevent overpronation"
    found = shoes(service, catalog, 3, arch_type="flat")
    assert all(s["category"] != "neutral" and s["arch_support"] >= 3.5 for s in found)


def test_first_step_heel_pain_gets_arch_support(service, catalog):
    # seed: "customized orthopedic insole intervention" (plantar fasciitis): support, not a neutral default
    assert all(s["arch_support"] >= 3.5 for s in shoes(service, catalog, 3, symptoms=["morning_heel_pain"]))


# --- what the shoes are for -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [{}, {"fit_issues": ["hot_feet", "blisters"]}, {"arch_type": "high"}, {"body_weight_kg": 52}],
)
def test_daily_use_puts_no_race_shoe_on_top(service, catalog, raw):
    # case: hot feet plus blisters got $270-285 carbon race shoes first
    assert all("daily" in s["use"] for s in shoes(service, catalog, 5, **raw))


@pytest.mark.parametrize("raw", [{}, {"arch_type": "high"}, {"fit_issues": ["hot_feet"]}])
def test_race_day_puts_race_shoes_on_top(service, catalog, raw):
    # asked: "Daily use must not put race shoes on top; race use must."
    assert all("race" in s["use"] for s in shoes(service, catalog, 3, use="race", **raw))


def test_tempo_use_gets_tempo_shoes(service, catalog):
    # asked: profile field `use`: daily, tempo, race, "a scored requirement with its reason"
    assert all("tempo" in s["use"] for s in shoes(service, catalog, 3, use="tempo"))


def test_use_only_is_a_hard_filter(service, catalog):
    # asked: "a hard filter only if the runner asks, e.g. `use_only: true`"
    body = service.recommend(profile(use="race", use_only=True, pronation="overpronation", limit=50))
    assert body["recommendations"] and all("race" in p["use"] for p in body["recommendations"])
    assert body["catalog"]["candidates"] == sum("race" in s["use"] for s in catalog.shoes)


def test_road_runners_get_road_shoes_and_trail_runners_trail_shoes(service, catalog):
    # seed: "tailored to your specific foot type and running style" (the surface is part of the style)
    assert all(s["terrain"] == "road" for s in shoes(service, catalog, 5, cushion_feel="soft"))
    trail = shoes(service, catalog, 3, training={"surface": "trail"})
    assert all(s["terrain"] == "trail" for s in trail)


# --- the runner's own answers -----------------------------------------------------------------


def test_a_heavier_runner_gets_cushioned_stable_shoes(service, catalog):
    # seed: "Cushioning plays a vital role in absorbing impact during each stride"
    assert all(s["cushioning"] >= 4 and s["stability"] >= 2.5 for s in shoes(service, catalog, 3, body_weight_kg=105))


def test_a_lighter_runner_gets_softer_shoes(service, catalog):
    # asked: body_weight_kg; "Malisoux 2020 found softer shoes mattered for lighter runners"
    # Malisoux et al. 2020: lighter runners did better in the softer shoe.
    assert all(s["cushioning"] >= 3.5 for s in shoes(service, catalog, 3, body_weight_kg=52))


@pytest.mark.parametrize(
    ("raw", "holds", "top"),
    [
        ({"cushion_feel": "soft"}, lambda s: s["cushioning"] >= 4, 3),
        # The bundled catalog has two firm neutral road lines for daily miles (Altra Torin, Saucony Kinvara).
        ({"cushion_feel": "firm"}, lambda s: s["cushioning"] <= 2.5, 2),
        ({"drop": "low"}, lambda s: s["drop_mm"] <= 5, 3),
        ({"drop": "high"}, lambda s: s["drop_mm"] >= 10, 3),
        ({"experience": "beginner"}, lambda s: s["cushioning"] >= 3.5 and s["forefoot_cushioning"] >= 3.5, 3),
    ],
)
def test_stated_preferences_are_met(service, catalog, raw, holds, top):
    # seed: "walk around in the shoes ... to assess comfort and support"; Nigg et al. 2015: comfort leads.
    assert all(holds(s) for s in shoes(service, catalog, top, **raw))


def test_a_runner_in_pain_gets_cushioning(service, catalog):
    # seed: "Wearing running shoes with insufficient cushioning performance ... can exacerbate this pain."
    assert all(s["cushioning"] >= 3.5 for s in shoes(service, catalog, 3, pain={"days": 2}))


def test_a_beginner_is_told_to_build_up_gradually(service):
    # seed: "forefoot pain is common in novice runners or those who suddenly increase their running volume"
    advice = service.recommend(profile(experience="beginner"))["advice"]
    assert "gradual_progression" in [a["code"] for a in advice]


# --- words that agree with the numbers --------------------------------------------------------


def requirement_lines(pick, requirements):
    """{attribute: why-line} for the picks' lines about a requirement."""
    found = {}
    for attr in requirements:
        label = ATTRIBUTES[attr]["label"]
        lines = [line for line in pick["why"] if line.startswith(f"{label} ") or line.startswith(f"{label}:")]
        if lines:
            found[attr] = lines[0]
    return found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=runner_bodies())
def test_meets_is_said_only_when_the_shoe_is_in_the_wanted_band(service, raw):
    # case: "Forefoot cushioning 4.5/5 meets the target of 4.7"; "Stability 3/5 is above the target of 2.4"
    body = service.recommend(profile(**raw))
    for pick in body["recommendations"]:
        for attr, line in requirement_lines(pick, body["requirements"]).items():
            part = pick["breakdown"][attr]
            said_meets = " meets the " in line or ", as wanted" in line
            assert said_meets == (part["verdict"] == "meets"), (line, part)
            if part["verdict"] == "short":
                assert "falls short of" in line or "less than" in line or "where yes is wanted" in line, line
            if part["verdict"] == "over":
                assert "more than needed" in line or "more than the" in line or "where no is wanted" in line, line


def test_a_neutral_runner_is_not_told_a_stability_shoe_meets_a_neutral_gait(service):
    # case: "Stability 3/5 is above the target of 2.4: A neutral gait needs no medial posting"
    body = service.recommend(profile(arch_type="neutral", pronation="neutral", limit=5))
    for pick in body["recommendations"]:
        stability = requirement_lines(pick, body["requirements"]).get("stability")
        if stability:
            assert " meets the " in stability and pick["breakdown"]["stability"]["verdict"] == "meets"


def test_a_shortfall_says_by_how_much_in_the_attributes_units(service, catalog):
    # asked: "meets" only when it does, "falls short by 0.7" or "more than needed" otherwise
    body = service.recommend(profile(arch_type="high", drop="low", fit_issues=["hot_feet"], limit=5))
    lines = [line for pick in body["recommendations"] for line in pick["why"]]
    assert any(" falls short of the 4.5 or more wanted by " in line for line in lines)
    assert any(
        line.startswith("Heel-to-toe drop ") and " mm more than needed (5 mm or less wanted)" in line for line in lines
    )


def test_evidence_is_given_once_per_answer_not_in_every_pick(service):
    # case: the Knapik evidence note was repeated in every pick
    body = service.recommend(profile(arch_type="high", limit=5))
    assert any("Knapik" in note["text"] for note in body["evidence"])
    assert not any("Knapik" in line for pick in body["recommendations"] for line in pick["why"])


# --- red flags change the answer --------------------------------------------------------------


@pytest.mark.parametrize(
    "symptoms",
    [["cannot_bear_weight"], ["swelling", "redness_warmth"], ["fever_chills"], ["cannot_bear_weight", "forefoot_pain"]],
)
def test_an_urgent_flag_puts_the_answer_in_see_a_doctor_first(service, symptoms):
    # case: cannot_bear_weight answered 95-point picks with advice to "walk and jog a few minutes in each"
    body = service.recommend(profile(symptoms=symptoms))
    assert body["triage"]["state"] == "see_doctor_first" and body["triage"]["picks"] == "for_later"
    assert "doctor" in body["triage"]["message"]
    assert list(body)[0] == "triage"  # at the top, where a kiosk keys on it
    codes = [a["code"] for a in body["advice"]]
    assert "try_on_for_comfort" not in codes and "try_on_for_comfort" in body["triage"]["withheld_advice"]
    assert not any("jog" in a["text"] or "run" in a["text"].lower().split() for a in body["advice"])
    assert body["recommendations"] and all(p["why"][0] == FOR_LATER for p in body["recommendations"])
    assert body["warnings"][0]["level"] == "urgent"


def test_see_a_doctor_keeps_the_shortlist_and_leads_with_the_doctor(service):
    # asked: "`see_doctor` keeps picks but leads with it"
    body = service.recommend(profile(pain={"days": 5}))
    assert body["triage"]["state"] == "see_doctor" and body["triage"]["picks"] == "shortlist"
    assert "doctor" in body["triage"]["message"] and body["triage"]["withheld_advice"] == []
    assert not any(p["why"][0] == FOR_LATER for p in body["recommendations"])
    assert service.recommend(profile())["triage"]["state"] == "shoes"


# --- a shortlist, not a list ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, family",
    [
        ("Guide 19", "Guide"),
        ("Fresh Foam X 1080 v14", "Fresh Foam X 1080"),
        ("Gel-Kayano 32", "Gel-Kayano"),
        ("ASICS Novablast 5", "Novablast"),
        ("Cielo X1 2.0", "Cielo X1"),
        ("Metaspeed Sky Tokyo", "Metaspeed Sky Tokyo"),
    ],
)
def test_the_family_is_the_model_without_its_version(name, family):
    # asked: "Guide 19", "Fresh Foam X 1080 v14", "Gel-Kayano 32", "ASICS Novablast 5" all work
    assert family_of("ASICS", name) == family


@pytest.mark.parametrize(
    "raw", [{}, {"pronation": "overpronation"}, {"arch_type": "high"}, {"fit_issues": ["heel_slippage"]}]
)
def test_one_version_of_a_model_line_per_shortlist_the_newest(service, catalog, raw):
    # case: the shortlist was crowded with Nimbus 27/28, Guide 18/19, Pegasus 41/42, Hurricane 24/25
    found = picks(service, 10, **raw)
    lines = [catalog.family[catalog.index[p["id"]]] for p in found]
    assert len(set(lines)) == len(lines)
    for pick in found:
        row = catalog.index[pick["id"]]
        versions = catalog.generations(row)
        assert versions[0] == row  # every version passed here, so the newest is shown
        assert [a["id"] for a in pick["also"]] == [catalog.shoes[r]["id"] for r in versions[1:]]
        if pick["also"]:
            older = pick["also"][0]
            assert f"Also: {older['model']}, ${older['price']:g}" in pick["why"][-1]


def test_without_a_shortlist_every_version_is_ranked(service, catalog):
    # asked: "a request flag turns it off"
    plain = service.recommend(profile(pronation="overpronation", shortlist=False, limit=50))["recommendations"]
    lines = [catalog.family[catalog.index[p["id"]]] for p in plain]
    assert len(set(lines)) < len(lines) and all(p["also"] == [] for p in plain)


def close_brands_catalog(gap):
    rows = [
        shoe_row(id="a-one", brand="Alpha", price="120"),
        shoe_row(id="a-two", brand="Alpha", price="125"),
        shoe_row(id="b-one", brand="Beta", price=str(125 + gap)),
    ]
    return Catalog.from_bytes(catalog_csv(rows).encode(), "brands.csv")


@pytest.mark.parametrize(("gap", "order"), [(1, ["a-one", "b-one", "a-two"]), (60, ["a-one", "a-two", "b-one"])])
def test_brands_are_varied_only_when_scores_are_close(knowledge, gap, order):
    # asked: "brands varied when scores are close"
    catalog = close_brands_catalog(gap)
    found = Recommender(catalog, knowledge).recommend(profile(limit=3))["recommendations"]
    assert [p["id"] for p in found] == order
    scores = dict(zip(order, [p["score"] for p in found]))
    if order[1] == "b-one":
        assert 0 < scores["a-two"] - scores["b-one"] <= 1.0  # within CLOSE_POINTS of the Alpha it overtook
    else:
        assert scores["a-two"] - scores["b-one"] > 1.0


def test_an_empty_result_says_which_filter_left_nothing(service, catalog):
    # asked: "An empty result says why (which filter left nothing) and what to relax."
    body = service.recommend(profile(max_price=50, width="extra_wide", use="race", use_only=True))
    assert body["recommendations"] == [] and body["catalog"]["candidates"] == 0
    relax = {entry["filter"]: entry["candidates"] for entry in body["no_match"]["relax"]}
    assert relax["max_price"] == sum("extra_wide" in s["widths"] and "race" in s["use"] for s in catalog.shoes) and set(
        relax
    ) == {"max_price", "width", "use_only"}
    assert "$50 or less" in body["no_match"]["text"] and "extra wide width" in body["no_match"]["text"]


# --- the runner's current shoe ----------------------------------------------------------------


def test_a_loved_shoe_keeps_its_line_on_the_shortlist_and_says_so(service, catalog):
    # asked: "I loved my old shoe" puts it, or its newer generation, on the shortlist; the why-line says so
    older = next(s for s in catalog.shoes if len(catalog.generations(catalog.index[s["id"]])) > 1 and
                 catalog.generations(catalog.index[s["id"]])[0] != catalog.index[s["id"]] and "daily" in s["use"]
                 and s["category"] == "neutral" and s["terrain"] == "road")  # fmt: skip
    newest = catalog.shoes[catalog.generations(catalog.index[older["id"]])[0]]
    body = service.recommend(profile(current_shoe={"id": older["id"], "liked": True}, limit=3))
    found = {p["id"]: p for p in body["recommendations"]}
    assert newest["id"] in found
    assert found[newest["id"]]["why"][0].startswith(f"Your {older['brand']} {older['model']}, which you love")
    assert "on your shortlist" in body["current_shoe"]["text"]


def test_a_loved_shoe_that_misses_a_strong_need_is_left_off_and_the_answer_says_why(service, catalog):
    # asked: "... unless a requirement or filter rules it out"
    neutral = next(s for s in catalog.shoes if s["category"] == "neutral" and "daily" in s["use"])
    body = service.recommend(profile(pronation="overpronation", current_shoe={"id": neutral["id"], "liked": True}))
    lines = {catalog.family[catalog.index[p["id"]]] for p in body["recommendations"]}
    assert catalog.family[catalog.index[neutral["id"]]] not in lines
    assert "misses what you need" in body["current_shoe"]["text"] and "support category" in body["current_shoe"]["text"]


def test_a_disliked_shoe_takes_its_line_off_and_pushes_look_alikes_down(service, catalog):
    # asked: "I disliked it" takes it and its family off the shortlist and pushes shoes like it down
    before = picks(service, 10, shortlist=False)
    disliked = catalog.get(before[0]["id"])
    body = service.recommend(profile(current_shoe={"id": disliked["id"], "liked": False}, shortlist=False, limit=10))
    after = body["recommendations"]
    line = catalog.family[catalog.index[disliked["id"]]]
    assert all(catalog.family[catalog.index[p["id"]]] != line for p in after)
    moved = [
        p
        for p in after
        if any(w.startswith(f"Like the {disliked['brand']} {disliked['model']} you did not") for w in p["why"])
    ]
    assert moved and all(p["why"][0].endswith("points).") and "(-" in p["why"][0] for p in moved)


# --- feedback a fitter can feel ---------------------------------------------------------------


def test_a_returned_shoe_leaves_the_shortlist_and_its_look_alikes_move_down_more(service, catalog):
    # case: a shoe tried at comfort 2/5, heel slipping, returned, stayed #2
    runner = profile(limit=10)
    before = service.recommend(runner)["recommendations"]
    second = before[1]["id"]
    tryon = {"shoe_id": second, "comfort": 2, "fit_notes": ["heel_slippage"], "decision": "returned"}
    after = service.recommend(runner, [tryon])
    assert second not in [p["id"] for p in after["recommendations"]]
    assert after["feedback"]["set_aside"][0]["id"] == second
    kept = {"shoe_id": second, "comfort": 5, "fit_notes": [], "decision": "kept"}
    up = service.recommend(profile(limit=50, shortlist=False), [kept])["recommendations"]
    down = service.recommend(profile(limit=50, shortlist=False), [{**kept, "comfort": 1, "decision": "returned"}])
    ups = {p["id"]: p["feedback_points"] for p in up if p["id"] != second}
    downs = {p["id"]: p["feedback_points"] for p in down["recommendations"]}
    alike = [shoe for shoe, points in ups.items() if points > 1 and shoe in downs]
    assert alike and all(-downs[shoe] >= ups[shoe] * DOWN_FACTOR - 0.01 for shoe in alike)  # shown to 3 decimals


def test_a_returned_shoe_takes_its_other_generations_off_but_not_one_the_runner_kept(service, catalog):
    # case: after the Hurricane 25 was returned for a slipping heel, the Hurricane 24 took its place
    runner = profile(limit=50)
    listed = [p["id"] for p in service.recommend(runner)["recommendations"]]
    newest, older = next(
        (catalog.shoes[line[0]]["id"], catalog.shoes[line[1]]["id"])
        for line in catalog.lines.values()
        if len(line) > 1 and catalog.shoes[line[0]]["id"] in listed
    )
    returned = {"shoe_id": newest, "comfort": 3, "fit_notes": ["heel_slippage"], "decision": "returned"}
    after = service.recommend(runner, [returned])
    ids = [p["id"] for p in after["recommendations"]]
    assert newest not in ids and older not in ids
    (aside,) = after["feedback"]["set_aside"]
    assert older in [a["id"] for a in aside["also"]]
    assert f"with the {catalog.get(older)['model']}" in aside["text"]
    kept = {"shoe_id": older, "comfort": 5, "fit_notes": [], "decision": "kept"}
    both = service.recommend(runner, [returned, kept])
    listed = [p["id"] for p in both["recommendations"]]
    assert older in listed and newest not in listed
    assert older not in [a["id"] for a in both["feedback"]["set_aside"][0]["also"]]


def test_similar_to_a_kept_shoe_never_lists_a_returned_one_first(service, catalog):
    # case: "similar to the kept shoe" listed the returned one first
    runner = profile(limit=10)
    order = [p["id"] for p in service.recommend(runner)["recommendations"]]
    kept, returned = order[0], order[1]
    body = service.recommend(runner, [{"shoe_id": kept, "comfort": 5, "decision": "kept"},
                                      {"shoe_id": returned, "comfort": 2, "decision": "returned"}])  # fmt: skip
    assert returned not in [p["id"] for p in body["recommendations"]]
    liked = 0
    for pick in body["recommendations"]:
        alike = [line for line in pick["why"] if line.startswith("Feels like the ")]
        if len(alike) == 2 and "kept" in " ".join(alike):
            liked += 1
            assert "kept" in alike[0] and "returned" in alike[1], alike
    assert liked


def test_requirement_changes_read_as_sentences(service, catalog):
    # asked: "the changes read as sentences"
    shoe = next(s for s in catalog.shoes if s["heel_counter"] == 3.0)
    body = service.requirements(profile(), [{"shoe_id": shoe["id"], "comfort": 3, "fit_notes": ["heel_slippage"]}])
    (change,) = [c for c in body["feedback"]["changes"] if c["attribute"] == "heel_counter"]
    wanted = f"Heel counter: now {change['to']['wanted']} (was {change['from']['wanted']})"
    assert change["text"] == f"{wanted}: heel slips in the {shoe['brand']} {shoe['model']}."


# --- one answer everywhere --------------------------------------------------------------------


def test_the_units_of_every_attribute_are_spoken_as_such():
    # asked: "make the match, the score and the words agree" (a drop in mm, a category by name)
    assert attributes.shown("drop", attributes.scaled("drop", 8)) == "8 mm"
    assert attributes.shown("category", attributes.scaled("category", "motion_control")) == "motion control"
    assert attributes.shown("seamless_upper", 5.0) == "yes" and attributes.shown("cushioning", 4.5) == "4.5/5"


def test_a_fitting_answers_as_a_request_does(catalog):
    # asked: "fittings ... give the same answers as the single path for every new field"
    from shoefit import create_app

    client = create_app({"TESTING": True}).test_client()
    raw = {
        "use": "race",
        "body_weight_kg": 70,
        "drop": "low",
        "current_shoe": {"id": catalog.shoes[0]["id"], "liked": False},
    }
    direct = client.post("/v1/recommendations", json=raw).get_json()["recommendations"]
    fitting = client.post("/v1/fittings", json=raw).get_json()
    answered = client.get(fitting["links"]["recommendations"]).get_json()["recommendations"]
    assert [p["id"] for p in answered] == [p["id"] for p in direct] and direct
    batch = client.post("/v1/batch/recommendations", json={"profiles": [raw]}).get_json()["results"][0]
    assert [p["id"] for p in batch["recommendations"]] == [p["id"] for p in direct]
    assert np.allclose([p["score"] for p in batch["recommendations"]], [p["score"] for p in direct])
