"""The knowledge base: loads the rules table and turns a profile into requirements.

The rules are data (`knowledge/rules.toml`); this module only knows how to read,
check and apply them. A broken rules file fails loudly at start-up with every
problem listed, never at request time.
"""

import operator
import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .profile import FACT_FIELDS, LIST_FIELDS
from .vocabulary import ATTRIBUTES, ENUMS, LEVEL_ORDER, RATING_MAX, RATING_MIN, WARNING_LEVELS

ATTRIBUTE_NAMES = tuple(ATTRIBUTES)
SEEDS = ("top-of-foot-soreness-after-running.txt", "forefoot-pain-after-running.txt")
_NUMERIC_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_LIST_OPS = {"has", "has_any", "lacks"}
_SCALAR_OPS = {"=", "in"} | set(_NUMERIC_OPS)


class RulesError(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("invalid rules:\n" + "\n".join(problems))


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object

    def holds(self, facts):
        fact = facts.get(self.field)
        if self.op in _LIST_OPS:
            wanted = {self.value} if isinstance(self.value, str) else set(self.value)
            if self.op == "has":
                return wanted <= fact
            if self.op == "has_any":
                return bool(wanted & fact)
            return not wanted & fact
        if self.op == "=":
            return fact == self.value
        if self.op == "in":
            return fact in self.value
        return fact is not None and _NUMERIC_OPS[self.op](fact, self.value)


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

    def applies(self, facts):
        return all(c.holds(facts) for c in self.conditions)

    def cite(self):
        """What every reason, warning and advice carries about where it comes from."""
        cited = {"rule": self.id, **self.source}
        if self.evidence:
            cited["evidence"] = self.evidence
        return cited


@dataclass(frozen=True)
class Assessment:
    """What a profile requires of a shoe, and what the runner must be told."""

    targets: np.ndarray  # per attribute, in ATTRIBUTE_NAMES order
    weights: np.ndarray  # 0 where no rule speaks to the attribute
    reasons: dict  # attribute -> [(weight, rule)] strongest first
    warnings: list
    advice: list
    fired: tuple

    def requirements(self):
        return {
            attr: {
                "target": round(float(self.targets[i]), 2),
                "weight": round(float(self.weights[i]), 2),
                "reasons": [{"text": rule.reason, "weight": w, "source": rule.cite()} for w, rule in self.reasons[attr]],
            }
            for i, attr in enumerate(ATTRIBUTE_NAMES)
            if self.weights[i] > 0
        }


class KnowledgeBase:
    def __init__(self, rules):
        self.rules = tuple(rules)

    @classmethod
    def load(cls, path=None):
        if path is None:
            text = resources.files(__package__).joinpath("knowledge/rules.toml").read_text("utf-8")
            name = "knowledge/rules.toml"
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            name = str(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RulesError([f"{name}: {exc}"]) from None
        return cls(_parse_rules(data.get("rules"), name))

    def assess(self, profile):
        facts = profile.facts
        sums = np.zeros(len(ATTRIBUTE_NAMES))
        weights = np.zeros(len(ATTRIBUTE_NAMES))
        reasons = {attr: [] for attr in ATTRIBUTE_NAMES}
        warnings, advice, fired = {}, {}, []
        for rule in self.rules:
            if not rule.applies(facts):
                continue
            fired.append(rule.id)
            for attr, (target, weight) in rule.requires.items():
                i = ATTRIBUTE_NAMES.index(attr)
                sums[i] += target * weight
                weights[i] += weight
                reasons[attr].append((weight, rule))
            # Two rules may say the same thing from two passages: the runner sees it once.
            if rule.warning and rule.warning["code"] not in warnings:
                warnings[rule.warning["code"]] = {**rule.warning, "source": rule.cite()}
            if rule.advice and rule.advice["code"] not in advice:
                advice[rule.advice["code"]] = {**rule.advice, "source": rule.cite()}
        targets = np.divide(sums, weights, out=np.zeros_like(sums), where=weights > 0)
        for attr in reasons:
            reasons[attr].sort(key=lambda pair: -pair[0])
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
        if not isinstance(source, dict) or set(source) != {"seed", "section", "quote"}:
            problems.append(f"{where}: source needs exactly seed, section, quote")
        elif source["seed"] not in SEEDS:
            problems.append(f"{where}: unknown seed {source['seed']!r}")
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
