"""A weights overlay changes how much attributes weigh, within its bounds, and nothing the rules say beyond that."""

import numpy as np
import pytest
from helpers import profile
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.batch.engine import BatchEngine
from shoefit.batch.rule_block import RuleBlock
from shoefit.core.recommender import Recommender
from shoefit.core.vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES
from shoefit.core.weights_overlay import WeightsError, WeightsOverlay

HEAD = '[calibration]\nversion = "2026-12-01-test"\nfittings = 2000\ntryons = 9000\n'


def overlay_text(**multipliers):
    entries = "".join(
        f"\n[weights.{attr}]\nmultiplier = {m}\nlow = {min(m, 1)}\nhigh = {max(m, 1)}\ntryons = 500\n"
        for attr, m in multipliers.items()
    )
    return HEAD + entries


def overlay(**multipliers):
    return WeightsOverlay.from_text(overlay_text(**multipliers), "test.toml")


def test_an_overlay_file_is_read_with_its_version_and_fittings(tmp_path):
    path = tmp_path / "weights.toml"
    path.write_text(overlay_text(cushioning=1.5, stability=1.0), encoding="utf-8")
    loaded = WeightsOverlay.load(path)
    assert loaded.info() == {"version": "2026-12-01-test", "fittings": 2000}
    assert set(loaded.attributes) == {"cushioning"}  # a multiplier of 1 changes nothing
    assert loaded.multipliers[ATTRIBUTE_NAMES.index("cushioning")] == 1.5


@pytest.mark.parametrize(
    "text, complaint",
    [
        (overlay_text(cushioning=2.5), "multiplier 2.5 outside 0.5-2"),
        (overlay_text(cushioning=0.4), "multiplier 0.4 outside 0.5-2"),
        (overlay_text(cushion=1.2), "unknown attribute 'cushion'"),
        ("[weights.cushioning]\nmultiplier = 1.2\n", "no [calibration] table"),
        (HEAD.replace("2000", '"many"') + "", "fittings must be a whole number"),
        (HEAD + "\n[weights.cushioning]\nmultiplier = 1.2\n", "needs exactly high, low, multiplier, tryons"),
        (HEAD + "[weights", "test.toml:"),
    ],
)
def test_a_bad_overlay_is_refused_naming_what_is_wrong(text, complaint):
    with pytest.raises(WeightsError) as refused:
        WeightsOverlay.from_text(text, "test.toml")
    assert any(complaint in problem for problem in refused.value.problems), refused.value.problems


def test_a_requirement_the_runners_answers_asked_for_keeps_its_weight(knowledge):
    lighter = knowledge.with_overlay(overlay(arch_support=0.5, cushioning=1.5))
    flat = profile(arch_type="flat", pronation="overpronation")  # a rule asks this runner for arch support
    neutral = profile()  # only the rule every runner gets speaks of arch support
    arch = ATTRIBUTE_NAMES.index("arch_support")
    assert lighter.assess(flat).weights[arch] == knowledge.assess(flat).weights[arch]
    assert lighter.assess(neutral).weights[arch] == knowledge.assess(neutral).weights[arch] * 0.5
    assert lighter.assess(neutral).tuned == {"arch_support": 0.5, "cushioning": 1.5}
    assert "arch_support" not in lighter.assess(flat).tuned


answers = st.fixed_dictionaries(
    {},
    optional={
        "arch_type": st.sampled_from(["flat", "neutral", "high", "unknown"]),
        "pronation": st.sampled_from(["overpronation", "neutral", "underpronation", "unknown"]),
        "fit_issues": st.lists(st.sampled_from(["too_tight", "heel_slippage", "cramped_toes", "hot_feet"]), max_size=2),
        "symptoms": st.lists(st.sampled_from(["forefoot_pain", "morning_heel_pain", "numbness_tingling", "swelling"]), max_size=2),
        "body_weight_kg": st.integers(40, 140),
    },
)


@settings(max_examples=60, deadline=None)
@given(answers, st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES), st.floats(0.5, 2.0), max_size=5))
def test_an_overlay_changes_weights_only(knowledge, body, multipliers):
    plain, tuned = knowledge.assess(profile(**body)), knowledge.with_overlay(overlay(**multipliers)).assess(profile(**body))
    assert tuned.warnings == plain.warnings and tuned.advice == plain.advice and tuned.withheld == plain.withheld
    assert np.array_equal(tuned.lows, plain.lows) and np.array_equal(tuned.highs, plain.highs)
    assert tuned.fired == plain.fired and (tuned.weights > 0).tolist() == (plain.weights > 0).tolist()
    ratio = np.divide(tuned.weights, plain.weights, out=np.ones_like(plain.weights), where=plain.weights > 0)
    assert ((ratio >= 0.5) & (ratio <= 2.0)).all()


def test_answers_name_the_overlay_and_say_which_weight_it_tuned(catalog, knowledge):
    body = profile(fit_issues=["cramped_toes"])
    tuned = Recommender(catalog, knowledge.with_overlay(overlay(toe_box=1.8))).recommend(body)
    plain = Recommender(catalog, knowledge).recommend(body)
    assert tuned["calibration"] == {"version": "2026-12-01-test", "fittings": 2000}
    assert "calibration" not in plain
    assert tuned["requirements"]["toe_box"]["tuned"] == 1.8 and "tuned" not in plain["requirements"]["toe_box"]
    assert tuned["requirements"]["toe_box"]["weight"] == round(plain["requirements"]["toe_box"]["weight"] * 1.8, 2)
    label = ATTRIBUTES["toe_box"]["label"]
    lines = [line for pick in tuned["recommendations"] for line in pick["why"] if line.startswith(label)]
    assert lines and all(line.endswith("This store's kept and returned try-ons make it count more here (1.8x).") for line in lines)
    assert not any("try-ons make it count" in line for pick in plain["recommendations"] for line in pick["why"])
    assert tuned["warnings"] == plain["warnings"] and tuned["advice"] == plain["advice"]


def test_tryon_notes_add_to_the_tuned_weight(catalog, knowledge):
    body = profile(fit_issues=["cramped_toes"])
    shoe = catalog.ids[0]
    tryons = [{"shoe_id": shoe, "comfort": 2, "fit_notes": ["cramped_toes"], "decision": "undecided"}]
    at = ATTRIBUTE_NAMES.index("toe_box")
    plain = Recommender(catalog, knowledge)._assess(body, tryons)[1]
    tuned = Recommender(catalog, knowledge.with_overlay(overlay(toe_box=1.8)))._assess(body, tryons)[1]
    notes = plain.weights[at] - knowledge.assess(body).weights[at]
    assert tuned.weights[at] == pytest.approx(knowledge.assess(body).weights[at] * 1.8 + notes)


@settings(max_examples=40, deadline=None)
@given(st.lists(answers, min_size=1, max_size=12), st.dictionaries(st.sampled_from(ATTRIBUTE_NAMES), st.floats(0.5, 2.0),
                                                                  min_size=1, max_size=5))  # fmt: skip
def test_the_batch_engine_weighs_as_the_single_answer_does(catalog, knowledge, bodies, multipliers):
    tuned = knowledge.with_overlay(overlay(**multipliers))
    runners = [profile(**body, limit=5) for body in bodies]
    block = RuleBlock(tuned.rules, tuned.overlay, tuned.general).assess(runners)
    for i, runner in enumerate(runners):
        assert np.array_equal(block.weights[block.requirements[i]], tuned.assess(runner).weights)  # bit for bit
    single = Recommender(catalog, tuned)
    for runner, picks in zip(runners, BatchEngine(catalog, tuned, top=5).score(runners), strict=True):
        assert picks.ids == tuple(pick["id"] for pick in single.recommend(runner)["recommendations"])
