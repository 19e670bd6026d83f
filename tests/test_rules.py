"""The knowledge base: every rule against its seed passage, its trigger and its effect."""

import re
import tomllib

import pytest

from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.requirements import Band
from shoefit.core.rules import RulesError
from shoefit.core.vocabulary import ATTRIBUTE_NAMES, LEVEL_ORDER

from helpers import SEEDS_DIR, profile

# One profile per rule that must make it fire. A rule added to the table without
# a case here fails test_every_rule_has_a_trigger_case.
TRIGGERS = {
    "baseline-support": {},
    "baseline-heel-counter": {},
    "baseline-toe-room": {},
    "baseline-breathability": {},
    "try-on-comfort": {},
    "arch-high-max-cushioning": {"arch_type": "high"},
    "arch-flat-strong-support": {"arch_type": "flat"},
    "arch-neutral-moderate": {"arch_type": "neutral"},
    "overpronation-stability": {"pronation": "overpronation"},
    "pronation-neutral-no-posting": {"pronation": "neutral"},
    "underpronation-cushioned-neutral": {"pronation": "underpronation"},
    "gait-unknown-get-fitted": {"pronation": "unknown"},
    "gait-unknown-neutral": {},
    "use-daily": {},
    "use-tempo": {"use": "tempo"},
    "use-race": {"use": "race"},
    "terrain-roads": {},
    "terrain-trails": {"training": {"surface": "trail"}},
    "body-weight-heavy": {"body_weight_kg": 95},
    "body-weight-light": {"body_weight_kg": 55},
    "experience-beginner": {"experience": "beginner"},
    "feel-soft": {"cushion_feel": "soft"},
    "feel-balanced": {"cushion_feel": "balanced"},
    "feel-firm": {"cushion_feel": "firm"},
    "drop-low": {"drop": "low"},
    "drop-standard": {"drop": "standard"},
    "drop-high": {"drop": "high"},
    "fit-too-tight-room": {"fit_issues": ["too_tight"]},
    "fit-pressure-on-top-room": {"fit_issues": ["pressure_on_top"]},
    "fit-too-loose-hold": {"fit_issues": ["too_loose"]},
    "fit-heel-slippage-firm-counter": {"fit_issues": ["heel_slippage"]},
    "fit-cramped-toes-room": {"fit_issues": ["cramped_toes"]},
    "fit-blisters-seamless": {"fit_issues": ["blisters"]},
    "fit-hot-feet-mesh": {"fit_issues": ["hot_feet"]},
    "top-of-foot-support": {"symptoms": ["top_of_foot_soreness"]},
    "forefoot-pain-cushioning": {"symptoms": ["forefoot_pain"]},
    "hard-roads-cushioning": {"training": {"surface": "road"}},
    "pain-cushioning": {"pain": {"days": 2}},
    "morning-heel-pain-support": {"symptoms": ["morning_heel_pain"]},
    "numbness-room": {"symptoms": ["numbness_tingling"]},
    "red-flag-cannot-bear-weight": {"symptoms": ["cannot_bear_weight"]},
    "red-flag-swelling-redness": {"symptoms": ["swelling", "redness_warmth"]},
    "red-flag-fever-chills": {"symptoms": ["fever_chills"]},
    "red-flag-numbness": {"symptoms": ["numbness_tingling"]},
    "red-flag-pain-over-three-days": {"pain": {"days": 4}},
    "red-flag-swelling-bruising": {"symptoms": ["bruising"]},
    "red-flag-redness": {"symptoms": ["redness_warmth"]},
    "red-flag-two-weeks": {"pain": {"days": 14}},
    "red-flag-night-pain": {"symptoms": ["night_pain"]},
    "red-flag-plantar-fasciitis": {"symptoms": ["morning_heel_pain"]},
    "red-flag-severe-pain": {"pain": {"severity": 7}},
    "red-flag-persistent-despite-rest": {"pain": {"despite_rest": True}},
    "red-flag-sharp-during-run": {"pain": {"character": "sharp", "timing": "during_run"}},
    "caution-burning-pain": {"pain": {"character": "burning"}},
    "caution-bone-health": {"conditions": ["osteoporosis"], "symptoms": ["forefoot_pain"]},
    "caution-fast-increase": {"training": {"weekly_increase_pct": 15}},
    "advice-rice": {"symptoms": ["top_of_foot_soreness"]},
    "advice-low-impact": {"pain": {"days": 1}},
    "advice-top-of-foot-stretches": {"symptoms": ["top_of_foot_soreness"]},
    "advice-top-of-foot-strength": {"symptoms": ["top_of_foot_soreness"]},
    "advice-plantar-stretch": {"symptoms": ["morning_heel_pain"]},
    "advice-arch-strength": {"symptoms": ["forefoot_pain"]},
    "advice-running-form": {"symptoms": ["forefoot_pain"]},
    "advice-gradual-progression": {"training": {"weekly_increase_pct": 12}},
    "advice-gradual-progression-pain": {"symptoms": ["forefoot_pain"]},
}

SECTION_HEADINGS = (
    "Identifying the Culprit: Common Causes of Top-of-Foot Pain",
    "Self-Assessment: Pinpointing the Source of Your Discomfort",
    "How to Alleviate Top-of-Foot Pain After Running: Immediate Relief Strategies",
    "Long-Term Solutions: Preventing Future Foot Pain",
    "Strengthening Exercises: Building Foot and Ankle Stability",
    "Stretching Routine: Increasing Flexibility and Range of Motion",
    "When to See a Doctor: Recognizing Serious Issues",
    "Choosing the Right Running Shoes: A Guide to Foot Support",
)


def seed_sections(name):
    """Section title -> text. The forefoot seed has no headings: its paragraphs count."""
    path = SEEDS_DIR / name
    if not path.is_file():
        pytest.skip(f"seed texts not found at {SEEDS_DIR} (they live in ../shared/seeds beside the repo)")
    lines = [line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()]
    if not any(line in SECTION_HEADINGS for line in lines):
        return {f"paragraph {n}": line for n, line in enumerate(lines, 1)}
    sections, current = {}, None
    for line in lines:
        if line in SECTION_HEADINGS:
            current = line
            sections.setdefault(current, "")
        elif current:
            sections[current] += line + "\n"
    return sections


def rule_by_id(knowledge, rule_id):
    return next(r for r in knowledge.rules if r.id == rule_id)


def test_every_rule_has_a_trigger_case(knowledge):
    assert sorted(r.id for r in knowledge.rules) == sorted(TRIGGERS)


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_quotes_its_seed_section_verbatim(knowledge, rule_id):
    rule = rule_by_id(knowledge, rule_id)
    sections = seed_sections(rule.source["seed"])
    assert rule.source["section"] in sections, f"{rule_id}: no section {rule.source['section']!r}"
    assert rule.source["quote"] in sections[rule.source["section"]]


@pytest.mark.parametrize("rule_id", sorted(TRIGGERS))
def test_rule_fires_and_its_effect_reaches_the_runner(knowledge, rule_id):
    rule = rule_by_id(knowledge, rule_id)
    assessment = knowledge.assess(profile(**TRIGGERS[rule_id]))
    assert rule_id in assessment.fired
    requirements = assessment.requirements()
    for attr in rule.requires:
        cited = [reason["source"]["rule"] for reason in requirements[attr]["reasons"]]
        assert rule_id in cited
    if rule.warning:
        (warning,) = [w for w in assessment.warnings if w["code"] == rule.warning["code"]]
        assert warning["level"] == rule.warning["level"]
        assert warning["source"]["seed"] == rule.source["seed"]
    if rule.advice:
        assert rule.advice["code"] in [a["code"] for a in assessment.advice]


# The rules a runner who tells us nothing gets: they run daily, on roads, gait unknown.
EVERYONES = {"gait-unknown-get-fitted", "gait-unknown-neutral", "use-daily", "terrain-roads"}


@pytest.mark.parametrize("rule_id", [r for r, trigger in TRIGGERS.items() if trigger and r not in EVERYONES])
def test_conditional_rule_stays_silent_for_an_empty_profile(knowledge, rule_id):
    assert rule_id not in knowledge.assess(profile()).fired


def band(knowledge, attr, **raw):
    """(floor, ceiling, weight) of the runner's requirement on `attr`."""
    assessment = knowledge.assess(profile(**raw))
    i = ATTRIBUTE_NAMES.index(attr)
    return assessment.lows[i], assessment.highs[i], assessment.weights[i]


# --- the seed statements, as behaviour -------------------------------------------------


def test_high_arches_get_maximum_cushioning(knowledge):
    # "Individuals with high arches require shoes with maximum cushioning": at least, not around.
    low, high, _ = band(knowledge, "cushioning", arch_type="high")
    assert low >= 4.5 and high == 5
    neutral_low, neutral_high, _ = band(knowledge, "cushioning", arch_type="neutral")
    assert low > neutral_high


def test_flat_feet_get_strong_arch_support_and_some_stability(knowledge):
    flat, _, _ = band(knowledge, "arch_support", arch_type="flat")
    _, neutral, _ = band(knowledge, "arch_support", arch_type="neutral")
    assert flat > neutral
    assert band(knowledge, "stability", arch_type="flat")[0] > band(knowledge, "stability", arch_type="neutral")[0]
    assert band(knowledge, "category", arch_type="flat")[:2] == (3.0, 5.0)  # stability or motion control


def test_neutral_feet_get_moderate_cushioning_and_support(knowledge):
    # "Neutral feet ... generally benefit from shoes with moderate cushioning and support": a band, both ways.
    for attr in ("cushioning", "arch_support"):
        low, high, _ = band(knowledge, attr, arch_type="neutral")
        assert 2 <= low < high <= 3.5


def test_overpronation_asks_for_stability_and_outweighs_arch_shape(knowledge):
    low, _, over_weight = band(knowledge, "stability", pronation="overpronation")
    assert low >= 4
    assert band(knowledge, "category", pronation="overpronation")[0] == 3.0  # at least stability
    # Malisoux 2016 (pronation) is stronger evidence than Knapik 2014 (arch shape).
    _, _, flat_weight = band(knowledge, "arch_support", arch_type="flat")
    assert over_weight > flat_weight


def test_a_neutral_or_unknown_gait_is_pointed_to_neutral_shoes(knowledge):
    for raw in ({"pronation": "neutral"}, {}, {"arch_type": "high"}, {"pronation": "underpronation"}):
        assert band(knowledge, "category", **raw)[1] == 1.0, raw  # at most neutral
    # ... unless the foot calls for support.
    assert band(knowledge, "category", arch_type="flat")[1] == 5.0
    assert band(knowledge, "category", symptoms=["morning_heel_pain"])[2] == 0


def test_fit_issues_move_room_and_hold_the_documented_way(knowledge):
    base_floor, base_ceiling, _ = band(knowledge, "toe_box")
    assert band(knowledge, "toe_box", fit_issues=["too_tight"])[0] > base_floor
    assert band(knowledge, "toe_box", fit_issues=["cramped_toes"])[0] > base_floor
    assert band(knowledge, "toe_box", fit_issues=["too_loose"])[1] < base_ceiling
    base_counter, _, base_weight = band(knowledge, "heel_counter")
    counter, _, weight = band(knowledge, "heel_counter", fit_issues=["heel_slippage"])
    assert counter > base_counter and weight > base_weight


def test_blisters_and_hot_feet_ask_for_seamless_breathable_uppers(knowledge):
    seamless, _, weight = band(knowledge, "seamless_upper", fit_issues=["blisters"])
    assert seamless == 5 and weight > 0
    assert band(knowledge, "seamless_upper")[2] == 0
    assert band(knowledge, "breathability", fit_issues=["hot_feet"])[0] >= 4.5


def test_forefoot_pain_makes_forefoot_cushioning_the_heaviest_requirement(knowledge):
    assessment = knowledge.assess(profile(symptoms=["forefoot_pain"]))
    i = ATTRIBUTE_NAMES.index("forefoot_cushioning")
    assert assessment.lows[i] >= 4
    assert assessment.weights[i] == assessment.weights.max()


def test_agreeing_bounds_hold_together(knowledge):
    # Two floors on cushioning (the baseline's and a high arch's): the higher one holds, the weights add.
    alone, _, alone_weight = band(knowledge, "cushioning")
    high, _, high_weight = band(knowledge, "cushioning", arch_type="high", cushion_feel="soft")
    assert high == max(band(knowledge, "cushioning", arch_type="high")[0], alone)
    assert high_weight > alone_weight


def test_conflicting_rules_meet_halfway_weighted(knowledge):
    tight = band(knowledge, "toe_box", fit_issues=["too_tight"])
    loose = band(knowledge, "toe_box", fit_issues=["too_loose"])
    low, high, both_weight = band(knowledge, "toe_box", fit_issues=["too_tight", "too_loose"])
    assert low == high  # the band shrinks to the meeting point
    assert loose[1] < low < tight[0]
    assert both_weight > max(tight[2], loose[2])


def test_an_urgent_warning_holds_back_advice_to_run_or_try_shoes_on(knowledge):
    plain = knowledge.assess(profile(symptoms=["forefoot_pain"]))
    urgent = knowledge.assess(profile(symptoms=["forefoot_pain", "cannot_bear_weight"]))
    active = {rule.advice["code"] for rule in knowledge.rules if rule.advice and rule.active}
    given = {a["code"] for a in urgent.advice}
    assert "rice" in given and not given & active
    assert set(urgent.withheld) == {a["code"] for a in plain.advice} & active
    assert plain.withheld == ()


# --- red flags -------------------------------------------------------------------------


def levels(knowledge, **raw):
    return {w["code"]: w["level"] for w in knowledge.assess(profile(**raw)).warnings}


@pytest.mark.parametrize(
    "raw, code, level",
    [
        ({"symptoms": ["cannot_bear_weight"]}, "cannot_bear_weight", "urgent"),
        ({"symptoms": ["swelling", "redness_warmth"]}, "possible_infection", "urgent"),
        ({"symptoms": ["fever_chills"]}, "systemic_symptoms", "urgent"),
        ({"symptoms": ["numbness_tingling"]}, "nerve_involvement", "see_doctor"),
        ({"pain": {"days": 4}}, "stress_fracture_risk_duration", "see_doctor"),
        ({"symptoms": ["forefoot_pain", "swelling"]}, "stress_fracture_risk_swelling", "see_doctor"),
        ({"pain": {"days": 20}}, "pain_two_weeks", "see_doctor"),
        ({"symptoms": ["night_pain"]}, "night_pain", "see_doctor"),
        ({"symptoms": ["morning_heel_pain"]}, "plantar_fasciitis_signs", "see_doctor"),
        ({"pain": {"severity": 9}}, "severe_pain", "see_doctor"),
        ({"pain": {"despite_rest": True}}, "persistent_despite_rest", "see_doctor"),
        ({"conditions": ["diabetes"], "pain": {"days": 1}}, "higher_fracture_risk", "caution"),
        ({"training": {"weekly_increase_pct": 25}}, "fast_mileage_increase", "caution"),
    ],
)
def test_red_flag_levels(knowledge, raw, code, level):
    assert levels(knowledge, **raw).get(code) == level


@pytest.mark.parametrize(
    "below, at, code",
    [
        ({"pain": {"days": 3}}, {"pain": {"days": 4}}, "stress_fracture_risk_duration"),
        ({"pain": {"days": 13}}, {"pain": {"days": 14}}, "pain_two_weeks"),
        ({"pain": {"severity": 6}}, {"pain": {"severity": 7}}, "severe_pain"),
        (
            {"training": {"weekly_increase_pct": 10}},
            {"training": {"weekly_increase_pct": 10.5}},
            "fast_mileage_increase",
        ),
        (
            {"conditions": ["diabetes"]},
            {"conditions": ["diabetes"], "symptoms": ["forefoot_pain"]},
            "higher_fracture_risk",
        ),
        ({"symptoms": ["swelling"]}, {"symptoms": ["swelling", "redness_warmth"]}, "possible_infection"),
        (
            {"pain": {"character": "sharp", "timing": "after_run"}},
            {"pain": {"character": "sharp", "timing": "during_run"}},
            "sharp_pain_during_run",
        ),
    ],
)
def test_red_flag_thresholds_are_where_the_seeds_put_them(knowledge, below, at, code):
    assert code not in levels(knowledge, **below)
    assert code in levels(knowledge, **at)


def test_warnings_come_most_serious_first(knowledge):
    assessment = knowledge.assess(
        profile(
            symptoms=["numbness_tingling", "cannot_bear_weight", "forefoot_pain"],
            conditions=["diabetes"],
            training={"weekly_increase_pct": 30},
        )
    )
    order = [LEVEL_ORDER[w["level"]] for w in assessment.warnings]
    assert order == sorted(order)
    assert {w["level"] for w in assessment.warnings} == {"urgent", "see_doctor", "caution"}


def test_the_same_advice_from_two_passages_is_given_once(knowledge):
    advice = knowledge.assess(profile(symptoms=["forefoot_pain"], training={"weekly_increase_pct": 20})).advice
    codes = [a["code"] for a in advice]
    assert codes.count("gradual_progression") == 1


# --- the rules file is checked at load -------------------------------------------------

GOOD_RULE = """
[[rules]]
id = "x"
when = { arch_type = "high" }
reason = "r"
source = { seed = "forefoot-pain-after-running.txt", section = "paragraph 1", quote = "q" }
[rules.require]
cushioning = { target = 5, weight = 1 }
"""


@pytest.mark.parametrize(
    "change, message",
    [
        (('arch_type = "high"', 'arch_shape = "high"'), "unknown field 'arch_shape'"),
        (('arch_type = "high"', 'arch_type = "tall"'), "has no value(s) ['tall']"),
        (('arch_type = "high"', '"arch_type >" = 3'), "operator '>' does not apply"),
        (('arch_type = "high"', '"pain.days >" = "three"'), "needs a number"),
        (("target = 5", "target = 6"), "target must be 1-5"),
        (("target = 5", "at_least = 0.5"), "at_least must be 1-5"),
        (("target = 5", "at_least = 1"), "asks nothing of a shoe"),
        (("target = 5", "at_least = 4, at_most = 2"), "needs exactly one of at_least, at_most, around"),
        (("target = 5", "at_most = 4, within = 1"), "within goes with around"),
        (("cushioning = { target = 5", 'category = { at_least = "sturdy"'), "category is one of"),
        (("target = 5", 'at_least = "soft"'), "cushioning needs a number"),
        (("weight = 1", "weight = 0"), "weight must be a number from 2**-20"),
        (("weight = 1", "weight = 1e-7"), "got 1e-07"),  # it would round to 0: the requirement dropped unsaid
        (("weight = 1", "weight = inf"), "got inf"),
        (("weight = 1", "weight = nan"), "got nan"),
        (("weight = 1", "weight = 1e300"), "to 1000"),
        (("cushioning = {", "squishiness = {"), "unknown attribute 'squishiness'"),
        (('seed = "forefoot-pain-after-running.txt"', 'seed = "elsewhere.txt"'), "unknown seed"),
        (('reason = "r"', 'reason = ""'), "missing reason"),
        (("[rules.require]\ncushioning = { target = 5, weight = 1 }", ""), "no effect"),
    ],
)
def test_a_broken_rule_is_refused_with_its_problem(tmp_path, change, message):
    path = tmp_path / "rules.toml"
    path.write_text(GOOD_RULE.replace(*change))
    with pytest.raises(RulesError) as caught:
        KnowledgeBase.load(path)
    assert message in str(caught.value)


def test_the_good_rule_loads(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(GOOD_RULE)
    (rule,) = KnowledgeBase.load(path).rules
    assert rule.requires == {"cushioning": Band(5.0, 5.0, 1.0)}


def test_warning_levels_and_duplicate_ids_are_checked(tmp_path):
    bad = GOOD_RULE + GOOD_RULE.replace(
        "[rules.require]\ncushioning = { target = 5, weight = 1 }",
        'warning = { code = "c", level = "panic", message = "m" }',
    )
    path = tmp_path / "rules.toml"
    path.write_text(bad)
    with pytest.raises(RulesError) as caught:
        KnowledgeBase.load(path)
    text = str(caught.value)
    assert "duplicate id" in text and "'panic'" in text


def test_the_rules_file_is_a_readable_table():
    from importlib import resources

    text = resources.files("shoefit").joinpath("knowledge/rules.toml").read_text("utf-8")
    rules = tomllib.loads(text)["rules"]
    assert all(re.fullmatch(r"[a-z0-9-]+", r["id"]) for r in rules)


def test_an_unreadable_rules_file_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        KnowledgeBase.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rules]\nid = ")
    with pytest.raises(RulesError, match="bad.toml"):
        KnowledgeBase.load(bad)
