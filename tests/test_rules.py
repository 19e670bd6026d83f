"""The knowledge base: every rule against its seed passage, its trigger and its effect."""

import re
import tomllib

import pytest

from shoefit.core.rules import KnowledgeBase, RulesError
from shoefit.core.vocabulary import ATTRIBUTE_NAMES
from shoefit.core.vocabulary import LEVEL_ORDER

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


@pytest.mark.parametrize(
    "rule_id", [r for r, trigger in TRIGGERS.items() if trigger and r != "gait-unknown-get-fitted"]
)
def test_conditional_rule_stays_silent_for_an_empty_profile(knowledge, rule_id):
    assert rule_id not in knowledge.assess(profile()).fired


def target(knowledge, attr, **raw):
    assessment = knowledge.assess(profile(**raw))
    return assessment.targets[ATTRIBUTE_NAMES.index(attr)], assessment.weights[ATTRIBUTE_NAMES.index(attr)]


# --- the seed statements, as behaviour -------------------------------------------------


def test_high_arches_get_maximum_cushioning(knowledge):
    high, _ = target(knowledge, "cushioning", arch_type="high")
    neutral, _ = target(knowledge, "cushioning", arch_type="neutral")
    assert high > neutral
    assert high >= 4.5


def test_flat_feet_get_strong_arch_support_and_some_stability(knowledge):
    flat, _ = target(knowledge, "arch_support", arch_type="flat")
    neutral, _ = target(knowledge, "arch_support", arch_type="neutral")
    assert flat >= 4.5 > neutral
    assert target(knowledge, "stability", arch_type="flat")[0] > target(knowledge, "stability", arch_type="neutral")[0]


def test_neutral_feet_get_moderate_cushioning_and_support(knowledge):
    for attr in ("cushioning", "arch_support"):
        value, _ = target(knowledge, attr, arch_type="neutral")
        assert 2.5 <= value <= 3.5


def test_overpronation_asks_for_stability_and_outweighs_arch_shape(knowledge):
    value, over_weight = target(knowledge, "stability", pronation="overpronation")
    assert value >= 4.5
    # Malisoux 2016 (pronation) is stronger evidence than Knapik 2014 (arch shape).
    _, flat_weight = target(knowledge, "arch_support", arch_type="flat")
    assert over_weight > flat_weight


def test_fit_issues_move_room_and_hold_the_documented_way(knowledge):
    base_room, _ = target(knowledge, "toe_box")
    assert target(knowledge, "toe_box", fit_issues=["too_tight"])[0] > base_room
    assert target(knowledge, "toe_box", fit_issues=["cramped_toes"])[0] > base_room
    assert target(knowledge, "toe_box", fit_issues=["too_loose"])[0] < base_room
    base_counter, base_weight = target(knowledge, "heel_counter")
    counter, weight = target(knowledge, "heel_counter", fit_issues=["heel_slippage"])
    assert counter > base_counter and weight > base_weight


def test_blisters_and_hot_feet_ask_for_seamless_breathable_uppers(knowledge):
    seamless, weight = target(knowledge, "seamless_upper", fit_issues=["blisters"])
    assert seamless == 5 and weight > 0
    assert target(knowledge, "seamless_upper")[1] == 0
    assert target(knowledge, "breathability", fit_issues=["hot_feet"])[0] >= 4.5


def test_forefoot_pain_makes_forefoot_cushioning_the_heaviest_requirement(knowledge):
    assessment = knowledge.assess(profile(symptoms=["forefoot_pain"]))
    i = ATTRIBUTE_NAMES.index("forefoot_cushioning")
    assert assessment.targets[i] >= 4.5
    assert assessment.weights[i] == assessment.weights.max()


def test_conflicting_rules_meet_halfway_weighted(knowledge):
    tight, tight_w = target(knowledge, "toe_box", fit_issues=["too_tight"])
    loose, loose_w = target(knowledge, "toe_box", fit_issues=["too_loose"])
    both, both_w = target(knowledge, "toe_box", fit_issues=["too_tight", "too_loose"])
    assert min(tight, loose) < both < max(tight, loose)
    assert both_w > max(tight_w, loose_w)


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
        (("weight = 1", "weight = 0"), "weight must be > 0"),
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
    assert rule.requires == {"cushioning": (5.0, 1.0)}


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
