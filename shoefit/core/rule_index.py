"""Which rules one runner's facts fire, found by looking the facts up rather than testing every rule.

Nearly every rule has a condition that names one value: `pronation = "overpronation"`, `symptoms has
"forefoot_pain"`. Such a rule can only fire for a runner who has that value, so the rules are filed under it, and a
runner's facts look up the few rules filed under what they hold. Those rules' other conditions, and the rules with
no such condition (numbers, `has_any`, `lacks`, none at all), are tested as Rule.applies tests them.
"""

from .profile import LIST_FIELDS

EQUALS, HAS = "=", "has"


class RuleIndex:
    def __init__(self, rules):
        self.by_value = {}  # (field, value) -> [(position, the rule's other tests)]
        self.tested = []  # [(position, every test of the rule)] for the rules filed under no value
        for position, rule in enumerate(rules):
            key = _filed_under(rule.conditions)
            if key is None:
                self.tested.append((position, rule.tests))
            else:
                filed, condition = key
                others = tuple(c.holds for c in rule.conditions if c is not condition)
                self.by_value.setdefault(filed, []).append((position, others))
        self.scalar_fields = sorted({field for field, _ in self.by_value if field not in LIST_FIELDS})
        self.list_fields = sorted({field for field, _ in self.by_value if field in LIST_FIELDS})

    def fired(self, facts):
        """The positions of the rules that fire for `facts`, in the rules' order."""
        by_value, found = self.by_value, list(self.tested)
        for field in self.scalar_fields:
            filed = by_value.get((field, facts.get(field)))
            if filed is not None:
                found += filed
        for field in self.list_fields:
            for value in facts[field]:
                filed = by_value.get((field, value))
                if filed is not None:
                    found += filed
        found.sort()
        fired = []
        for position, tests in found:
            for test in tests:
                if not test(facts):
                    break
            else:
                fired.append(position)
        return fired


def _filed_under(conditions):
    """((field, value), the condition) for the first condition that holds only for facts with that one value."""
    for condition in conditions:
        value = condition.value
        if condition.op == EQUALS and _hashable(value):
            return (condition.field, value), condition
        if condition.op == HAS and (isinstance(value, str) or len(value) == 1):
            return (condition.field, value if isinstance(value, str) else value[0]), condition
    return None


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
