"""The rules for a whole block of runners at once: assess() laid out as boolean columns and a matrix product."""

import threading
from dataclasses import dataclass

import numpy as np

from ..core.triage import STATES
from ..core.vocabulary import ATTRIBUTE_NAMES, LEVEL_ORDER, RATING_MAX, RATING_MIN
from .runners import ProfileRunners, unique_rows


@dataclass(frozen=True)
class BlockAssessment:
    """KnowledgeBase.assess() for a block of runners, as far as batch scoring needs it."""

    requirements: np.ndarray  # per runner, an index into the distinct requirements
    lows: np.ndarray  # distinct requirements x attributes, equal to Assessment.lows
    highs: np.ndarray
    weights: np.ndarray
    warning_sets: np.ndarray  # per runner, an index into warning_codes
    warning_codes: list  # tuples of warning codes, most serious first
    triage_states: list  # per warning set, the answer's triage state (triage.py)


class RuleBlock:
    """Evaluates the rules for a whole block of runners at once.

    Each distinct (field, operator, value) condition is a boolean column; a rule
    fires where all its columns hold; its bands combine as requirements.combine() does
    (floors by maximum, ceilings by minimum, weights by a matrix product). A field's
    values are few and repeat (an arch type, a set of symptoms, a number of days),
    so each condition is evaluated once per distinct value, with the same compiled
    test assess() uses, and looked up for every runner with that value.
    One per engine: the value tables grow as the engine meets new values.
    With a weights overlay (KnowledgeBase.overlay), the weights get its multipliers as assess() gives them.
    """

    def __init__(self, rules, overlay=None, general=frozenset()):
        self.rules = rules
        self.overlay = overlay
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
        # Per rule and attribute its band; a rule silent on an attribute has no floor, no ceiling, no weight.
        self.lows = np.full((len(rules), len(ATTRIBUTE_NAMES)), RATING_MIN)
        self.highs = np.full_like(self.lows, RATING_MAX)
        self.weights = np.zeros_like(self.lows)
        for j, rule in enumerate(rules):
            for i, band in rule.contributions:
                self.lows[j, i], self.highs[j, i], self.weights[j, i] = band.low, band.high, band.weight
        self.bounding = [
            (np.flatnonzero(self.lows[:, a] > RATING_MIN), np.flatnonzero(self.highs[:, a] < RATING_MAX))
            for a in range(len(ATTRIBUTE_NAMES))
        ]
        # Per rule, the attributes it asks for when it is not one every runner gets: what the overlay's floor keeps.
        self.tells = np.zeros_like(self.lows, dtype=bool)
        for j, rule in enumerate(rules):
            if rule.id not in general:
                self.tells[j, [i for i, _ in rule.contributions]] = True
        self.requiring_rules = [j for j, rule in enumerate(rules) if rule.requires]
        self.warning_rules = [j for j, rule in enumerate(rules) if rule.warning]

    def assess(self, profiles):
        return self.assess_runners(ProfileRunners(list(profiles)))

    def assess_runners(self, runners):
        """A BlockAssessment of `runners` (runners.py): each fact read as codes into its distinct values."""
        held = np.empty((len(runners), len(self.needs)), dtype=np.float32)
        if len(runners):
            for i, (name, cols, table) in enumerate(self.fields):
                if len(table) > _ValueTable.MAX_VALUES:
                    # Free-form numbers could grow a table without end: start afresh.
                    table = _ValueTable(name, table.tests)
                    self.fields[i] = (name, cols, table)
                codes, values = runners.fact(name)
                held[:, cols] = table.truth(values)[codes]
        fired = (held @ self.needs) == self.counts
        # Far fewer runners differ in which requiring rules fire than in their answers.
        first, requirements = unique_rows(np.packbits(fired[:, self.requiring_rules], axis=1))
        lows, highs, weights = self._bands(fired[first])
        warned = fired[:, self.warning_rules]
        first, sets = unique_rows(np.packbits(warned, axis=1))
        codes, states = zip(*[self._warning_codes(warned[i]) for i in first]) if len(first) else ((), ())
        return BlockAssessment(requirements, lows, highs, weights, sets, list(codes), list(states))

    def _bands(self, fired):
        """(lows, highs, weights) per row of fired rules, each attribute as requirements.combine() makes it."""
        on = fired.astype(np.float64)
        # Exact sums (see rules.EFFECT_GRID), so the order BLAS adds in does not matter.
        weights = on @ self.weights
        lows = np.empty_like(weights)
        highs = np.empty_like(weights)
        for a, (floors, ceilings) in enumerate(self.bounding):
            # Only the few rules that bound this attribute: a floor by maximum, a ceiling by minimum.
            lows[:, a] = np.where(fired[:, floors], self.lows[floors, a], RATING_MIN).max(axis=1, initial=RATING_MIN)
            highs[:, a] = np.where(fired[:, ceilings], self.highs[ceilings, a], RATING_MAX).min(
                axis=1, initial=RATING_MAX
            )
        for a in np.flatnonzero((lows > highs).any(axis=0)).tolist():
            # A floor above a ceiling: the band is their mean, weighted by the rules on each side.
            rows = np.flatnonzero(lows[:, a] > highs[:, a])
            low, high, mine = lows[rows, a], highs[rows, a], fired[rows]
            floors = np.where(mine & (self.lows[:, a] > high[:, None]), self.weights[:, a], 0.0).sum(axis=1)
            ceilings = np.where(mine & (self.highs[:, a] < low[:, None]), self.weights[:, a], 0.0).sum(axis=1)
            lows[rows, a] = highs[rows, a] = (low * floors + high * ceilings) / (floors + ceilings)
        if self.overlay is not None:
            # The same products as assess(): each combined weight times the multiplier its runner gets.
            weights = weights * self.overlay.applied((on @ self.tells) > 0)
        return lows, highs, weights

    def _warning_codes(self, warned):
        """(codes, triage state): as assess(), the first rule to give a code speaks for it; most serious first."""
        codes = {}
        for j, on in zip(self.warning_rules, warned):
            if on:
                codes.setdefault(self.rules[j].warning["code"], self.rules[j].warning["level"])
        ordered = tuple(sorted(codes, key=lambda code: LEVEL_ORDER[codes[code]]))
        return ordered, STATES[codes[ordered[0]] if ordered else None]


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
        """(values x conditions) truth of this field's conditions for each of these values."""
        codes = np.fromiter(map(self.__getitem__, values), dtype=np.intp, count=len(values))
        table = self.table
        if len(table) < len(self.rows):
            table = self.table = np.array(self.rows, dtype=bool).reshape(-1, len(self.tests))
        return table[codes]
