"""Rules: the entries of knowledge/rules.toml, read and checked, each a condition on the runner's facts
and its effects (requirements with a direction, a warning, advice).

The rules are data; this module only knows how to read and check them, and compiles each condition
once. A broken rules file fails loudly at start-up with every problem listed, never at request time.
"""

import operator
from dataclasses import dataclass, field

from .attributes import LEVELS, scaled
from .errors import InvalidFile
from .fixed_entries import FixedEntry
from .knowledge import check_source, cited
from .profile import FACT_FIELDS, LIST_FIELDS
from .requirements import Band
from .vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES, ENUMS, RATING_MAX, RATING_MIN, WARNING_LEVELS

NUMERIC_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
LIST_OPS = {"has", "has_any", "lacks"}
SCALAR_OPS = {"=", "in"} | set(NUMERIC_OPS)
RULE_KEYS = {"id", "when", "reason", "source", "evidence", "require", "warning", "advice"}
BOUND_KEYS = ("at_least", "at_most", "around", "target")  # target: the old point form, around within 0
# Bounds and weights are put on a 2**-20 grid, so that a conflict's weighted mean (requirements.combine)
# is computed from exact sums, the same whatever order rules are met in: a loop in assess() or a
# matrix product in RuleBlock. A bound moves by < 1e-6.
EFFECT_GRID = 2.0**20


# A weight 1000 times the table's usual 1 drowns every other already; beyond that, sums of weights could overflow.
WEIGHT_MIN, WEIGHT_MAX = 1 / EFFECT_GRID, 1000.0


def on_grid(value):
    return round(value * EFFECT_GRID) / EFFECT_GRID


def weight_problem(weight):
    """Why `weight` cannot weigh a requirement, or None. Below the grid's step a weight would round to 0 and its
    requirement be dropped without a word; infinity and NaN would make every score NaN."""
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not WEIGHT_MIN <= weight <= WEIGHT_MAX:
        return f"weight must be a number from 2**-20 (about 1e-6) to {WEIGHT_MAX:g}, got {weight!r}"
    return None


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
    if op in LIST_OPS:
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
    compare = NUMERIC_OPS[op]
    return lambda facts: (fact := facts.get(name)) is not None and compare(fact, value)


@dataclass(frozen=True)
class Rule:
    id: str
    conditions: tuple
    reason: str
    source: dict
    evidence: str | None
    requires: dict  # attribute -> requirements.Band
    warning: dict | None
    advice: dict | None
    active: bool = False  # the advice asks the runner to run, exercise or try shoes on

    def __post_init__(self):
        # What the rule says is fixed, so its response entries are built once and
        # shared by every response (nothing mutates them).
        source = cited(self.id, self.source, self.evidence)
        entries = {
            "tests": tuple(c.holds for c in self.conditions),
            "contributions": tuple((ATTRIBUTE_NAMES.index(attr), band) for attr, band in self.requires.items()),
            "reason_entries": {
                attr: FixedEntry({"text": self.reason, "weight": band.weight, "source": source})
                for attr, band in self.requires.items()
            },
            "warning_entry": FixedEntry({**self.warning, "source": source}) if self.warning else None,
            "advice_entry": FixedEntry({**self.advice, "source": source}) if self.advice else None,
            "evidence_entry": FixedEntry({"rule": self.id, "text": self.evidence}) if self.evidence else None,
        }
        for key, value in entries.items():
            object.__setattr__(self, key, value)

    def applies(self, facts):
        for test in self.tests:
            if not test(facts):
                return False
        return True


def parse_rules(raw, name):
    """Rules from the [[rules]] tables of a rules file named `name`; RulesError listing every problem."""
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
        unknown = set(entry) - RULE_KEYS
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
        if advice is not None and not {"code", "text"} <= set(advice) <= {"code", "text", "active"}:
            problems.append(f"{where}: advice needs exactly code, text (and active = true for advice to run or try on)")
        elif advice is not None and not isinstance(advice.get("active", False), bool):
            problems.append(f"{where}: advice active must be true or false")
        if not (requires or warning or advice):
            problems.append(f"{where}: no effect (require, warning or advice)")
        source = entry.get("source")
        check_source(source, where, problems)
        if not isinstance(entry.get("reason"), str) or not entry["reason"]:
            problems.append(f"{where}: missing reason")
        if len(problems) == before:
            active = bool(advice and advice.pop("active", False))
            rules.append(
                Rule(
                    rule_id,
                    conditions,
                    entry["reason"],
                    source,
                    entry.get("evidence"),
                    requires,
                    warning,
                    advice,
                    active,
                )
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
        allowed = LIST_OPS if is_list else {"=", "in"} if vocabulary else SCALAR_OPS
        if op not in allowed:
            problems.append(f"{where}: operator {op!r} does not apply to {field!r}")
            continue
        if op in NUMERIC_OPS and not isinstance(value, (int, float)):
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
    if not isinstance(require, dict):
        problems.append(f"{where}: 'require' must be a table of attributes")
        return requires
    for attr, spec in require.items():
        if attr not in ATTRIBUTES:
            problems.append(f"{where}: unknown attribute {attr!r}")
            continue
        band = _parse_band(attr, spec, f"{where}: {attr}", problems)
        if band is not None:
            requires[attr] = band
    return requires


def _parse_band(attr, spec, where, problems):
    """{at_least | at_most | around (with within) | target, weight} -> a Band on the 1-5 scale, or None."""
    if not isinstance(spec, dict):
        problems.append(f"{where}: needs a table such as {{ at_least = 4, weight = 1 }}")
        return None
    unknown = set(spec) - {*BOUND_KEYS, "within", "weight"}
    kinds = [key for key in BOUND_KEYS if key in spec]
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
        return None
    if len(kinds) != 1:
        problems.append(f"{where}: needs exactly one of at_least, at_most, around, got {kinds or 'none'}")
        return None
    kind, value, within, weight = kinds[0], spec[kinds[0]], spec.get("within", 0), spec.get("weight")
    if problem := weight_problem(weight):
        problems.append(f"{where}: {problem}")
        return None
    if "within" in spec and (kind != "around" or isinstance(within, bool) or not isinstance(within, (int, float))
                             or within < 0 or isinstance(value, str)):  # fmt: skip
        problems.append(f"{where}: within goes with around and a number, and must be >= 0, got {within!r}")
        return None
    if attr in LEVELS and not isinstance(value, str) and not RATING_MIN <= value <= RATING_MAX:
        problems.append(f"{where}: {kind} must be one of {', '.join(LEVELS[attr])} (or 1-5), got {value!r}")
        return None
    try:
        if kind == "at_least":
            low, high = scaled(attr, value), RATING_MAX
        elif kind == "at_most":
            low, high = RATING_MIN, scaled(attr, value)
        elif isinstance(value, str):
            low = high = scaled(attr, value)
        else:
            low, high = scaled(attr, value - within), scaled(attr, value + within)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None
    if not RATING_MIN <= low <= high <= RATING_MAX:
        problems.append(f"{where}: {kind} must be {RATING_MIN:g}-{RATING_MAX:g}, got {value!r}")
        return None
    if low <= RATING_MIN and high >= RATING_MAX:
        problems.append(f"{where}: {kind} {value!r} asks nothing of a shoe")
        return None
    return Band(on_grid(low), on_grid(high), on_grid(weight))
