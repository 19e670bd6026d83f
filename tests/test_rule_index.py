"""The rule index fires exactly the rules whose every condition holds, in the rules' order."""

from helpers import profile, runner_bodies
from hypothesis import given, settings

from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.rule_index import RuleIndex

BUNDLED = KnowledgeBase.load()

# Conditions of every kind, filed and not: one value, several values, numbers, none at all.
RULES = """
[[rules]]
id = "always"
when = {}
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }
advice = { code = "a1", text = "t" }

[[rules]]
id = "flat-and-heavy"
when = { "arch_type" = "flat", "body_weight_kg >=" = 90 }
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }
advice = { code = "a2", text = "t" }

[[rules]]
id = "both-symptoms"
when = { "symptoms has" = ["forefoot_pain", "swelling"] }
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }
advice = { code = "a3", text = "t" }

[[rules]]
id = "heavy-then-blisters"
when = { "body_weight_kg >" = 80, "fit_issues" = "blisters" }
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }
advice = { code = "a4", text = "t" }

[[rules]]
id = "no-blisters-or-swelling"
when = { "fit_issues lacks" = "blisters", "symptoms has_any" = ["swelling", "bruising"] }
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }
advice = { code = "a5", text = "t" }

[[rules]]
id = "flat-or-neutral"
when = { "arch_type in" = ["flat", "neutral"], "pain.despite_rest" = true }
reason = "r"
source = { seed = "top-of-foot-soreness-after-running.txt", section = "s", quote = "q" }
advice = { code = "a6", text = "t" }
"""
MADE_UP = KnowledgeBase.from_text(RULES, "rules.toml").rules


def one_by_one(rules, facts):
    return [position for position, rule in enumerate(rules) if rule.applies(facts)]


def test_rules_filed_under_no_value_are_tested():
    index = RuleIndex(MADE_UP)
    tested = {MADE_UP[position].id for position, _ in index.tested}
    # A `has` of two values is filed under neither; numbers, has_any, lacks and none at all are filed under nothing.
    assert tested == {"always", "both-symptoms", "no-blisters-or-swelling"}
    assert ("arch_type", "flat") in index.by_value and ("fit_issues", "blisters") in index.by_value


@settings(max_examples=300, deadline=None)
@given(raw=runner_bodies())
def test_the_index_fires_what_testing_every_rule_fires(raw):
    facts = profile(**raw).facts
    for rules in (BUNDLED.rules, MADE_UP):
        assert RuleIndex(rules).fired(facts) == one_by_one(rules, facts)


def test_a_runner_fires_the_rules_of_each_kind():
    index = RuleIndex(MADE_UP)
    runner = profile(
        arch_type="flat", body_weight_kg=95, symptoms=["forefoot_pain", "swelling"], pain={"despite_rest": True}
    )
    fired = [MADE_UP[position].id for position in index.fired(runner.facts)]
    assert fired == ["always", "flat-and-heavy", "both-symptoms", "no-blisters-or-swelling", "flat-or-neutral"]
    assert [MADE_UP[position].id for position in index.fired(profile().facts)] == ["always"]
