"""The knowledge base: loads the rules table and turns a profile into requirements.

The rules are data (`knowledge/rules.toml`); this module only knows how to read,
check and apply them. A broken rules file fails loudly at start-up with every
problem listed, never at request time.
"""

import operator
from dataclasses import dataclass, field

import numpy as np

from .errors import InvalidFile
from .knowledge import check_source, cited, parse_table, table_text
from .profile import FACT_FIELDS, LIST_FIELDS
from .vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES, ENUMS, LEVEL_ORDER, RATING_MAX, RATING_MIN, WARNING_LEVELS

_NUMERIC_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_LIST_OPS = {"has", "has_any", "lacks"}
_SCALAR_OPS = {"=", "in"} | set(_NUMERIC_OPS)
# Rule effects are put on a 2**-20 grid (target x weight, and weight), so that their
# sums over any set of rules are exact: the same whatever order they are added in,
# a loop in assess() or a matrix product in RuleBlock. Targets move by < 1e-6.
EFFECT_GRID = 2.0**20


def _on_grid(value):
    return round(value * EFFECT_GRID) / EFFECT_GRID


class RulesError(InvalidFile):
    heading = "invalid rules"


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object
    holds: object = field(init=False, repr=False, compare=False)  # facts -> bool, built once

    def __post_init__(self):
        object.__setattr__(self, "holds", _compile(self.field, self.op, self.value))


def _compile(name, op, value):
    # Rules run on every request: each condition becomes one small closure at load
    # time instead of dispatching on its operator per call.
    if op in _LIST_OPS:
        wanted = frozenset([value] if isinstance(value, str) else value)
        if op == "has":
            return lambda facts: wanted <= facts[name]
        if op == "has_any":
            return lambda facts: not wanted.isdisjoint(facts[name])
        return lambda facts: wanted.isdisjoint(facts[name])
    if op == "=":
        return lambda facts: facts.get(name) == value
    if op == "in":
        return lambda facts: facts.get(name) in value
    compare = _NUMERIC_OPS[op]
    return lambda facts: (fact := facts.get(name)) is not None and compare(fact, value)


@dataclass(frozen=True)
class Rule:
    id: str
    conditions: tuple
    reason: str
    source: dict
    evidence: str | None
    requires: dict
    warning: dict | None
    advice: dict | None

    def __post_init__(self):
        # What the rule says is fixed, so its response entries are built once and
        # shared by every response (nothing mutates them).
        source = cited(self.id, self.source, self.evidence)
        entries = {
            "tests": tuple(c.holds for c in self.conditions),
            "contributions": tuple(
                (ATTRIBUTE_NAMES.index(attr), _on_grid(target * weight), _on_grid(weight))
                for attr, (target, weight) in self.requires.items()
            ),
            "reason_entries": {
                attr: {"text": self.reason, "weight": weight, "source": source}
                for attr, (_, weight) in self.requires.items()
            },
            "warning_entry": {**self.warning, "source": source} if self.warning else None,
            "advice_entry": {**self.advice, "source": source} if self.advice else None,
        }
        for key, value in entries.items():
            object.__setattr__(self, key, value)

    def applies(self, facts):
        for test in self.tests:
            if not test(facts):
                return False
        return True


@dataclass(frozen=True)
class Assessment:
    """What a profile requires of a shoe, and what the runner must be told."""

    targets: np.ndarray  # per attribute, in ATTRIBUTE_NAMES order
    weights: np.ndarray  # 0 where no rule speaks to the attribute
    reasons: dict  # attribute -> [rule] strongest first, for the attributes with a weight
    warnings: list
    advice: list
    fired: tuple

    def requirements(self):
        targets = np.round(self.targets, 2).tolist()
        weights = np.round(self.weights, 2).tolist()
        return {
            attr: {
                "target": targets[i],
                "weight": weights[i],
                "reasons": [rule.reason_entries[attr] for rule in self.reasons[attr]],
            }
            for i, attr in enumerate(ATTRIBUTE_NAMES)
            if attr in self.reasons
        }


class KnowledgeBase:
    def __init__(self, rules):
        self.rules = tuple(rules)

    @classmethod
    def load(cls, path=None):
        return cls.from_text(*table_text(path, "rules.toml", RulesError))

    @classmethod
    def from_text(cls, text, name):
        return cls(_parse_rules(parse_table(text, name, RulesError).get("rules"), name))

    def assess(self, profile):
        facts = profile.facts
        sums = [0.0] * len(ATTRIBUTE_NAMES)
        weights = [0.0] * len(ATTRIBUTE_NAMES)
        reasons, warnings, advice, fired = {}, {}, {}, []
        for rule in self.rules:
            if not rule.applies(facts):
                continue
            fired.append(rule.id)
            for i, weighted_target, weight in rule.contributions:
                sums[i] += weighted_target
                weights[i] += weight
            for attr in rule.reason_entries:
                reasons.setdefault(attr, []).append(rule)
            # Two rules may say the same thing from two passages: the runner sees it once.
            if rule.warning_entry and rule.warning["code"] not in warnings:
                warnings[rule.warning["code"]] = rule.warning_entry
            if rule.advice_entry and rule.advice["code"] not in advice:
                advice[rule.advice["code"]] = rule.advice_entry
        for attr, rules in reasons.items():
            rules.sort(key=lambda rule: -rule.requires[attr][1])
        weights = np.array(weights)
        targets = np.divide(sums, weights, out=np.zeros_like(weights), where=weights > 0)
        ordered = sorted(warnings.values(), key=lambda w: LEVEL_ORDER[w["level"]])
        return Assessment(targets, weights, reasons, ordered, list(advice.values()), tuple(fired))


def _parse_rules(raw, name):
    problems = []
    if not isinstance(raw, list) or not raw:
        raise RulesError([f"{name}: no [[rules]] tables"])
    rules, seen = [], set()
    for n, entry in enumerate(raw, 1):
        where = f"{name}: rule #{n} ({entry.get('id', '?')})"
        before = len(problems)
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            problems.append(f"{where}: missing id")
        elif rule_id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(rule_id)
        unknown = set(entry) - {"id", "when", "reason", "source", "evidence", "require", "warning", "advice"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        conditions = _parse_when(entry.get("when"), where, problems)
        requires = _parse_require(entry.get("require", {}), where, problems)
        warning, advice = entry.get("warning"), entry.get("advice")
        if warning is not None:
            if set(warning) != {"code", "level", "message"}:
                problems.append(f"{where}: warning needs exactly code, level, message")
            elif warning["level"] not in WARNING_LEVELS:
                problems.append(f"{where}: warning level {warning['level']!r} not one of {list(WARNING_LEVELS)}")
        if advice is not None and set(advice) != {"code", "text"}:
            problems.append(f"{where}: advice needs exactly code, text")
        if not (requires or warning or advice):
            problems.append(f"{where}: no effect (require, warning or advice)")
        source = entry.get("source")
        check_source(source, where, problems)
        if not isinstance(entry.get("reason"), str) or not entry["reason"]:
            problems.append(f"{where}: missing reason")
        if len(problems) == before:
            rules.append(
                Rule(rule_id, conditions, entry["reason"], source, entry.get("evidence"), requires, warning, advice)
            )
    if problems:
        raise RulesError(problems)
    return rules


def _parse_when(when, where, problems):
    if not isinstance(when, dict):
        problems.append(f"{where}: 'when' must be a table ({{}} for always)")
        return ()
    conditions = []
    for key, value in when.items():
        field, _, op = key.partition(" ")
        if field not in FACT_FIELDS:
            problems.append(f"{where}: unknown field {field!r}")
            continue
        is_list = field in LIST_FIELDS
        vocabulary = ENUMS.get(field)
        op = op or ("has" if is_list else "=")
        allowed = _LIST_OPS if is_list else {"=", "in"} if vocabulary else _SCALAR_OPS
        if op not in allowed:
            problems.append(f"{where}: operator {op!r} does not apply to {field!r}")
            continue
        if op in _NUMERIC_OPS and not isinstance(value, (int, float)):
            problems.append(f"{where}: {key!r} needs a number, got {value!r}")
            continue
        if vocabulary is not None:
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if not isinstance(v, str) or v not in vocabulary]
            if bad:
                problems.append(f"{where}: {field!r} has no value(s) {bad}")
                continue
        conditions.append(Condition(field, op, tuple(value) if isinstance(value, list) else value))
    return tuple(conditions)


def _parse_require(require, where, problems):
    requires = {}
    for attr, spec in require.items():
        if attr not in ATTRIBUTES:
            problems.append(f"{where}: unknown attribute {attr!r}")
            continue
        target, weight = spec.get("target"), spec.get("weight")
        if not isinstance(target, (int, float)) or not RATING_MIN <= target <= RATING_MAX:
            problems.append(f"{where}: {attr} target must be {RATING_MIN:g}-{RATING_MAX:g}, got {target!r}")
        elif not isinstance(weight, (int, float)) or weight <= 0:
            problems.append(f"{where}: {attr} weight must be > 0, got {weight!r}")
        else:
            requires[attr] = (float(target), float(weight))
    return requires
