"""The knowledge base: loads the rules table and turns a profile into requirements.

The rules are data (`knowledge/rules.toml`); this module only knows how to read,
check and apply them. A broken rules file fails loudly at start-up with every
problem listed, never at request time.
"""

import operator
import threading
import tomllib
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from .profile import FACT_FIELDS, LIST_FIELDS
from .vocabulary import ATTRIBUTES, ENUMS, LEVEL_ORDER, RATING_MAX, RATING_MIN, WARNING_LEVELS

ATTRIBUTE_NAMES = tuple(ATTRIBUTES)
SEEDS = ("top-of-foot-soreness-after-running.txt", "forefoot-pain-after-running.txt")
_NUMERIC_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_LIST_OPS = {"has", "has_any", "lacks"}
_SCALAR_OPS = {"=", "in"} | set(_NUMERIC_OPS)
# Rule effects are put on a 2**-20 grid (target x weight, and weight), so that their
# sums over any set of rules are exact: the same whatever order they are added in,
# a loop in assess() or a matrix product in RuleBlock. Targets move by < 1e-6.
EFFECT_GRID = 2.0**20


_FACTS = operator.attrgetter("facts")


def _on_grid(value):
    return round(value * EFFECT_GRID) / EFFECT_GRID


class RulesError(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("invalid rules:\n" + "\n".join(problems))


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
        cited = {"rule": self.id, **self.source}
        if self.evidence:
            cited["evidence"] = self.evidence
        entries = {
            "tests": tuple(c.holds for c in self.conditions),
            "contributions": tuple(
                (ATTRIBUTE_NAMES.index(attr), _on_grid(target * weight), _on_grid(weight))
                for attr, (target, weight) in self.requires.items()
            ),
            "reason_entries": {
                attr: {"text": self.reason, "weight": weight, "source": cited}
                for attr, (_, weight) in self.requires.items()
            },
            "warning_entry": {**self.warning, "source": cited} if self.warning else None,
            "advice_entry": {**self.advice, "source": cited} if self.advice else None,
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


def table_text(path, bundled, error):
    """(text, name) of a knowledge table: the file at `path`, or knowledge/`bundled` when path is None."""
    if path is None:
        name = f"knowledge/{bundled}"
        return resources.files(__package__).joinpath(name).read_text("utf-8"), name
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise error([f"{path}: cannot read: {exc}"]) from None


def parse_table(text, name, error):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error([f"{name}: {exc}"]) from None


@dataclass(frozen=True)
class BlockAssessment:
    """assess() for a block of runners, as far as batch scoring needs it."""

    requirements: np.ndarray  # per runner, a row of targets and weights
    targets: np.ndarray  # distinct requirements x attributes, equal to Assessment.targets
    weights: np.ndarray
    warning_sets: np.ndarray  # per runner, an index into warning_codes
    warning_codes: list  # tuples of warning codes, most serious first


class RuleBlock:
    """Evaluates the rules for a whole block of runners at once.

    Each distinct (field, operator, value) condition is a boolean column; a rule
    fires where all its columns hold; the effects are a matrix product. A field's
    values are few and repeat (an arch type, a set of symptoms, a number of days),
    so each condition is evaluated once per distinct value, with the same compiled
    test assess() uses, and looked up for every runner with that value.
    One per engine: the value tables grow as the engine meets new values.
    """

    def __init__(self, rules):
        self.rules = rules
        conditions = list(dict.fromkeys(c for rule in rules for c in rule.conditions))
        column = {c: i for i, c in enumerate(conditions)}
        self.needs = np.zeros((len(conditions), len(rules)), dtype=np.float32)
        for j, rule in enumerate(rules):
            for c in rule.conditions:
                self.needs[column[c], j] = 1
        self.counts = self.needs.sum(axis=0)
        by_field = {}
        for i, c in enumerate(conditions):
            by_field.setdefault(c.field, []).append(i)
        self.fields = [
            (name, np.array(cols), _ValueTable(name, [conditions[i].holds for i in cols]))
            for name, cols in by_field.items()
        ]
        names = list(by_field)
        self.read = operator.itemgetter(*names) if len(names) > 1 else lambda facts: (facts[names[0]],)
        self.weighted_targets = np.zeros((len(rules), len(ATTRIBUTE_NAMES)))
        self.weights = np.zeros_like(self.weighted_targets)
        for j, rule in enumerate(rules):
            for i, weighted_target, weight in rule.contributions:
                self.weighted_targets[j, i] = weighted_target
                self.weights[j, i] = weight
        self.requiring_rules = [j for j, rule in enumerate(rules) if rule.requires]
        self.warning_rules = [j for j, rule in enumerate(rules) if rule.warning]

    def assess(self, profiles):
        held = np.empty((len(profiles), len(self.needs)), dtype=np.float32)
        if self.fields and profiles:
            # One field's values for every runner, then each looked up in its table: loops in C.
            values = zip(*map(self.read, map(_FACTS, profiles)), strict=True)
            for i, ((name, cols, table), column) in enumerate(zip(self.fields, values, strict=True)):
                if len(table) > _ValueTable.MAX_VALUES:
                    # Free-form numbers could grow a table without end: start afresh.
                    table = _ValueTable(name, table.tests)
                    self.fields[i] = (name, cols, table)
                held[:, cols] = table.truth(column)
        fired = (held @ self.needs) == self.counts
        # Far fewer runners differ in which requiring rules fire than in their answers.
        first, requirements = unique_rows(np.packbits(fired[:, self.requiring_rules], axis=1))
        on = fired[first].astype(np.float64)
        # Exact sums (see EFFECT_GRID), so the order BLAS adds in does not matter.
        sums, weights = on @ self.weighted_targets, on @ self.weights
        targets = np.divide(sums, weights, out=np.zeros_like(weights), where=weights > 0)
        warned = fired[:, self.warning_rules]
        first, sets = unique_rows(np.packbits(warned, axis=1))
        codes = [self._warning_codes(warned[i]) for i in first]
        return BlockAssessment(requirements, targets, weights, sets, codes)

    def _warning_codes(self, warned):
        # As assess(): the first rule to give a code speaks for it; most serious first.
        codes = {}
        for j, on in zip(self.warning_rules, warned):
            if on:
                codes.setdefault(self.rules[j].warning["code"], self.rules[j].warning["level"])
        return tuple(sorted(codes, key=lambda code: LEVEL_ORDER[codes[code]]))


class _ValueTable(dict):
    """A field's value -> its row in a table of which of the field's conditions hold."""

    MAX_VALUES = 1 << 16

    def __init__(self, name, tests):
        super().__init__()
        self.name, self.tests = name, tests
        self.rows = []
        self.table = np.zeros((0, len(tests)), dtype=bool)
        self.lock = threading.Lock()  # an engine may serve several threads

    def __missing__(self, value):
        with self.lock:
            if value in self:
                return dict.__getitem__(self, value)
            facts = {self.name: value}
            self.rows.append([test(facts) for test in self.tests])
            code = self[value] = len(self.rows) - 1
            return code

    def truth(self, values):
        """(runners x conditions) truth of this field's conditions for each runner's value."""
        codes = np.fromiter(map(self.__getitem__, values), dtype=np.intp, count=len(values))
        table = self.table
        if len(table) < len(self.rows):
            table = self.table = np.array(self.rows, dtype=bool).reshape(-1, len(self.tests))
        return table[codes]


def unique_rows(matrix):
    """(index of each distinct row's first occurrence, each row's distinct-row index)."""
    matrix = np.ascontiguousarray(matrix)
    if matrix.shape[1] == 0:
        return np.zeros(min(1, len(matrix)), dtype=np.intp), np.zeros(len(matrix), dtype=np.intp)
    keys = matrix.view(np.dtype((np.void, matrix.dtype.itemsize * matrix.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


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
