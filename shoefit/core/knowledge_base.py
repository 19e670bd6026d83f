"""The knowledge base: the rules table applied to one runner, giving what a shoe must offer and what to tell them."""

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from .fixed_entries import FixedEntry
from .knowledge import parse_table, table_text
from .profile import Profile
from .requirements import combine, described
from .rule_index import RuleIndex
from .rules import RulesError, parse_rules
from .vocabulary import ATTRIBUTE_NAMES, LEVEL_ORDER, RATING_MAX, RATING_MIN

ATTRIBUTE_INDEX = {attr: i for i, attr in enumerate(ATTRIBUTE_NAMES)}


@dataclass(frozen=True)
class Assessment:
    """What a profile requires of a shoe, and what the runner must be told.

    Per attribute (ATTRIBUTE_NAMES order) the combined band [lows, highs] on the 1-5 scale and its
    weight, 0 where no rule speaks to the attribute (requirements.combine).
    """

    lows: np.ndarray
    highs: np.ndarray
    weights: np.ndarray
    reasons: dict  # attribute -> [rule or try-on note] strongest first, for the attributes with a weight
    warnings: list
    advice: list
    fired: tuple
    withheld: tuple = ()  # advice codes kept back until a doctor has seen the runner
    general: frozenset = frozenset()  # ids of the rules every runner gets, whatever they answer
    tuned: dict = dataclasses.field(default_factory=dict)  # attribute -> the weights overlay's multiplier, when not 1

    @functools.cached_property
    def bands(self):
        """[(attribute index, attribute, low, high, weight)] for the attributes with a weight, as Python numbers:
        what the answer's requirements, breakdowns and why-lines are made from."""
        lows, highs = self.lows.tolist(), self.highs.tolist()
        return [(i, ATTRIBUTE_NAMES[i], lows[i], highs[i], w) for i, w in enumerate(self.weights.tolist()) if w > 0]

    def requirements(self):
        return {
            attr: _requirement(attr, low, high, weight, self.tuned.get(attr), self.reasons[attr])
            for _, attr, low, high, weight in self.bands
        }


# Runners share their requirements attribute by attribute (the rules behind one attribute combine in few ways), so
# each entry is made once, as a FixedEntry. Keyed by the reasons' identities: what is kept holds the reasons, so no
# other object can take their ids while it is kept.
_REQUIREMENTS = {}
SHARED_REQUIREMENTS = 4096


def _requirement(attr, low, high, weight, tuned, reasons):
    key = (attr, low, high, weight, tuned, *map(id, reasons))
    found = _REQUIREMENTS.get(key)
    if found is None:
        entry = FixedEntry(
            {
                **described(attr, low, high, weight),
                **({} if tuned is None else {"tuned": tuned}),
                "reasons": [reason.reason_entries[attr] for reason in reasons],
            }
        )
        if len(_REQUIREMENTS) >= SHARED_REQUIREMENTS:
            _REQUIREMENTS.clear()
        found = _REQUIREMENTS[key] = (entry, tuple(reasons))
    return found[0]


class KnowledgeBase:
    def __init__(self, rules, overlay=None):
        self.rules = tuple(rules)
        # What a runner who answers nothing is told: the why-lines speak of the rest first.
        self.general = frozenset(rule.id for rule in self.rules if rule.applies(Profile().facts))
        self.overlay = overlay  # a store's WeightsOverlay, or None: the rules' weights as written
        # Per rule, its bands as (attribute index, low, high, weight): what assess() combines for every runner.
        self.contributions = [tuple((i, b.low, b.high, b.weight) for i, b in rule.contributions) for rule in self.rules]
        self.index = RuleIndex(self.rules)

    @classmethod
    def load(cls, path=None, overlay=None):
        return cls.from_text(*table_text(path, "rules.toml", RulesError), overlay)

    @classmethod
    def from_text(cls, text, name, overlay=None):
        return cls(parse_rules(parse_table(text, name, RulesError).get("rules"), name), overlay)

    def with_overlay(self, overlay):
        """These rules with another weights overlay (None: none)."""
        return type(self)(self.rules, overlay)

    def assess(self, profile):
        facts = profile.facts
        reasons, warnings, advice, fired = {}, {}, {}, []
        n = len(ATTRIBUTE_NAMES)
        lows, highs, weights = [RATING_MIN] * n, [RATING_MAX] * n, [0.0] * n
        for position in self.index.fired(facts):
            rule = self.rules[position]
            fired.append(rule)
            # combine() for every attribute at once, band by band in the same order: the same sums.
            for i, low, high, weight in self.contributions[position]:
                if low > lows[i]:
                    lows[i] = low
                if high < highs[i]:
                    highs[i] = high
                weights[i] += weight
            for attr in rule.reason_entries:
                reasons.setdefault(attr, []).append(rule)
            # Two rules may say the same thing from two passages: the runner sees it once.
            if rule.warning_entry and rule.warning["code"] not in warnings:
                warnings[rule.warning["code"]] = rule.warning_entry
        for attr, rules in reasons.items():
            if len(rules) > 1:
                rules.sort(key=lambda rule: -rule.requires[attr].weight)
            i = ATTRIBUTE_INDEX[attr]
            if lows[i] > highs[i]:  # rules in conflict: combine() works out where they meet
                band = combine([rule.requires[attr] for rule in rules])
                lows[i], highs[i] = band.low, band.high
        ordered = sorted(warnings.values(), key=lambda w: LEVEL_ORDER[w["level"]])
        # An urgent warning holds back the advice that has the runner run, exercise or try shoes on.
        urgent = bool(ordered) and ordered[0]["level"] == "urgent"
        withheld = {}
        for rule in fired:
            if rule.advice_entry and rule.advice["code"] not in advice and rule.advice["code"] not in withheld:
                (withheld if urgent and rule.active else advice)[rule.advice["code"]] = rule.advice_entry
        weights, tuned = self._tuned(np.array(weights), fired)
        return Assessment(
            np.array(lows),
            np.array(highs),
            weights,
            reasons,
            ordered,
            list(advice.values()),
            tuple(rule.id for rule in fired),
            tuple(withheld),
            self.general,
            tuned,
        )

    def _tuned(self, weights, fired):
        """The weights with the overlay's multipliers, and {attribute: multiplier} where one changed a weight."""
        if self.overlay is None:
            return weights, {}
        told = np.zeros(len(ATTRIBUTE_NAMES), dtype=bool)
        for rule in fired:
            if rule.id not in self.general:
                told[[i for i, _ in rule.contributions]] = True
        multipliers = self.overlay.applied(told)
        changed = (multipliers != 1.0) & (weights > 0)
        return weights * multipliers, {ATTRIBUTE_NAMES[i]: float(multipliers[i]) for i in np.flatnonzero(changed)}
