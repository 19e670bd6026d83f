"""RuleBlock: the rules for a block of runners at once, runner for runner what assess() says."""

from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.batch.rule_block import RuleBlock, _ValueTable
from shoefit.core.knowledge_base import KnowledgeBase

from helpers import profile, runner_bodies

SOURCE = 'source = { seed = "forefoot-pain-after-running.txt", section = "s", quote = "q" }'
# Every operator, every kind of bound, numbers off the binary grid, overlapping and
# conflicting effects, a repeated warning code from two rules of different order, a
# rule with no conditions.
EVERY_OPERATOR = f"""
[[rules]]
id = "always"
when = {{}}
reason = "r"
{SOURCE}
require = {{ cushioning = {{ target = 3.3, weight = 0.7 }} }}

[[rules]]
id = "in-and-number"
when = {{ "arch_type in" = ["flat", "high"], "pain.days >=" = 3 }}
reason = "r"
{SOURCE}
require = {{ cushioning = {{ target = 4.1, weight = 1.3 }}, stability = {{ target = 2.2, weight = 0.1 }} }}
warning = {{ code = "w-late", level = "caution", message = "m" }}

[[rules]]
id = "has-lacks"
when = {{ "symptoms has" = ["swelling", "bruising"], "fit_issues lacks" = "too_tight" }}
reason = "r"
{SOURCE}
warning = {{ code = "w-urgent", level = "urgent", message = "m" }}

[[rules]]
id = "has-any-and-bool"
when = {{ "conditions has_any" = ["diabetes", "osteoporosis"], "pain.despite_rest" = true }}
reason = "r"
{SOURCE}
warning = {{ code = "w-late", level = "caution", message = "m2" }}
require = {{ toe_box = {{ target = 1.7, weight = 2.9 }} }}

[[rules]]
id = "comparisons"
when = {{ "training.weekly_km >" = 40.5, "training.weekly_increase_pct <" = 10, "pain.severity <=" = 4 }}
reason = "r"
{SOURCE}
advice = {{ code = "a", text = "t" }}
require = {{ cushioning = {{ target = 2.6, weight = 0.45 }} }}

[[rules]]
id = "equals-unset"
when = {{ terrain = "trail", "width" = "wide", has_pain = false }}
reason = "r"
{SOURCE}
require = {{ heel_counter = {{ target = 4.9, weight = 0.35 }} }}
warning = {{ code = "w-doctor", level = "see_doctor", message = "m" }}

[[rules]]
id = "floors-and-ceilings"
when = {{ "arch_type in" = ["flat", "neutral"] }}
reason = "r"
{SOURCE}
require = {{ cushioning = {{ at_least = 3.9, weight = 0.3 }}, stability = {{ at_most = 1.9, weight = 0.7 }}, category = {{ at_least = "stability", weight = 1.1 }} }}

[[rules]]
id = "around-in-conflict"
when = {{ "fit_issues has_any" = ["too_tight", "blisters"] }}
reason = "r"
{SOURCE}
require = {{ cushioning = {{ around = 2.1, within = 0.35, weight = 0.9 }}, drop = {{ at_most = 4, weight = 0.6 }}, category = {{ at_most = "neutral", weight = 0.4 }} }}
"""


def knowledge_bases():
    return st.sampled_from([KnowledgeBase.load(), KnowledgeBase.from_text(EVERY_OPERATOR, "every-operator.toml")])


def assert_same_as_assess(knowledge, block, runners):
    result = block.assess(runners)
    assert len(result.requirements) == len(result.warning_sets) == len(runners)
    for row, runner in enumerate(runners):
        single = knowledge.assess(runner)
        at = result.requirements[row]
        # Bit for bit: the scores built on them must be too.
        assert result.lows[at].tobytes() == single.lows.tobytes()
        assert result.highs[at].tobytes() == single.highs.tobytes()
        assert result.weights[at].tobytes() == single.weights.tobytes()
        assert result.warning_codes[result.warning_sets[row]] == tuple(w["code"] for w in single.warnings)


@settings(max_examples=80, deadline=None)
@given(knowledge=knowledge_bases(), bodies=st.lists(runner_bodies(), max_size=40))
def test_a_block_says_what_assess_says_for_each_runner(knowledge, bodies):
    block = RuleBlock(knowledge.rules)
    runners = [profile(**body) for body in bodies]
    assert_same_as_assess(knowledge, block, runners)
    # Again with the value tables filled by the first block.
    assert_same_as_assess(knowledge, block, runners[::-1])


def test_runners_with_the_same_requirements_share_one_row():
    knowledge = KnowledgeBase.load()
    runners = [
        profile(arch_type="flat"),
        profile(arch_type="high"),
        profile(arch_type="flat", training={"weekly_increase_pct": 20}),
    ]
    result = RuleBlock(knowledge.rules).assess(runners * 50)
    # A fast mileage increase changes the warnings and advice, not what the shoe must do.
    assert len(result.lows) == 2
    assert result.requirements[0] == result.requirements[2] != result.requirements[1]
    assert result.warning_sets[0] != result.warning_sets[2]


def test_value_tables_stay_bounded_and_right_when_they_start_afresh():
    knowledge = KnowledgeBase.from_text(EVERY_OPERATOR, "every-operator.toml")
    block = RuleBlock(knowledge.rules)
    runners = [profile(training={"weekly_km": 35 + i / 4, "weekly_increase_pct": 5}) for i in range(40)]
    with mock.patch.object(_ValueTable, "MAX_VALUES", 8):
        for start in range(0, 40, 5):
            assert_same_as_assess(knowledge, block, runners[start : start + 5])
        sizes = [len(table) for _, _, table in block.fields]
    assert max(sizes) <= 8 + 5


def test_an_empty_block_and_a_knowledge_base_without_conditions():
    knowledge = KnowledgeBase.from_text(EVERY_OPERATOR.split('[[rules]]\nid = "in-and-number"')[0], "one.toml")
    block = RuleBlock(knowledge.rules)
    assert len(block.assess([]).requirements) == 0
    result = block.assess([profile(), profile(arch_type="flat")])
    assert result.requirements.tolist() == [0, 0]
    assert np.allclose([result.lows[0][0], result.highs[0][0]], 3.3, atol=1e-6)
    assert result.warning_codes == [()]
