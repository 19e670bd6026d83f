"""One runner's numbers are the same however they are worked out: scores level by level or as one product,
requirements rule by rule or attribute by attribute, the shortlist's greedy over Python numbers or numpy ones."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoefit.core import explain, scoring
from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.requirements import combine
from shoefit.core.scoring import candidate_scores, level_terms, normalized, score, top_k
from shoefit.core.shortlist import CLOSE_POINTS, representatives, shortlist
from shoefit.core.vocabulary import ARCH_TYPES, ATTRIBUTE_NAMES, CUSHION_FEELS, FIT_ISSUES, PRONATIONS, SYMPTOMS

from helpers import profile
from test_scoring import catalogs, requirements


def level_by_level(catalog, lows, highs, weights, rows):
    """The scorer as first written: each weighted attribute's levels, then its shoes' codes, added in order."""
    shares = normalized(weights)
    preference = catalog.preference if rows is None else catalog.preference[rows]
    distance = np.zeros(len(preference))
    for a, (levels, codes) in enumerate(zip(catalog.levels, catalog.level_codes)):
        if shares[a] > 0:
            distance += level_terms(levels, lows[a], highs[a], shares[a])[codes if rows is None else codes[rows]]
    return (scoring.BASE + scoring.PREFERENCE_COEF * preference) - distance * scoring.DISTANCE_COEF


@settings(max_examples=200, deadline=None)
@given(catalogs(max_size=40), requirements(), st.data())
def test_scores_are_the_same_as_one_product_and_level_by_level(catalog, req, data):
    rows = data.draw(st.none() | st.lists(st.integers(0, len(catalog) - 1), min_size=1, unique=True).map(sorted))
    rows = None if rows is None else np.array(rows)
    expected = level_by_level(catalog, *req, rows)
    assert len(catalog.level_table[0]) * len(catalog) <= scoring.ONEHOT_MAX_ENTRIES  # the product
    assert np.array_equal(score(catalog, *req, rows), expected)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scoring, "ONEHOT_MAX_ENTRIES", 0)  # attribute by attribute
        assert np.array_equal(score(catalog, *req, rows), expected)


answers = st.fixed_dictionaries(
    {},
    optional={
        "arch_type": st.sampled_from(list(ARCH_TYPES)),
        "pronation": st.sampled_from(list(PRONATIONS)),
        "fit_issues": st.lists(st.sampled_from(list(FIT_ISSUES)), max_size=3),
        "symptoms": st.lists(st.sampled_from(list(SYMPTOMS)), max_size=3),
        "cushion_feel": st.sampled_from(list(CUSHION_FEELS)),
        "pain": st.fixed_dictionaries({}, optional={"days": st.integers(0, 30), "severity": st.integers(0, 10)}),
        "body_weight_kg": st.integers(40, 140),
        "use": st.sampled_from(["daily", "tempo", "race"]),
        "experience": st.sampled_from(["beginner", "regular", "experienced"]),
    },
)
CONFLICTING = """
[[rules]]
id = "soft"
when = {}
reason = "Soft."
source = { seed = "forefoot-pain-after-running.txt", section = "paragraph 1", quote = "Wearing running shoes" }
require = { cushioning = { at_least = 4, weight = 3 }, stability = { at_most = 2, weight = 0.75 } }

[[rules]]
id = "firm"
when = { arch_type = "high" }
reason = "Firm."
source = { seed = "forefoot-pain-after-running.txt", section = "paragraph 1", quote = "Wearing running shoes" }
require = { cushioning = { at_most = 2.5, weight = 1.25 }, stability = { around = 3, within = 0.5, weight = 1 } }
"""


@pytest.mark.parametrize("rules", ["bundled", "conflicting"])
@settings(max_examples=200, deadline=None)
@given(raw=answers)
def test_requirements_combine_as_combine_does_rule_by_rule(rules, raw):
    knowledge = KnowledgeBase.load() if rules == "bundled" else KnowledgeBase.from_text(CONFLICTING, "test.toml")
    runner = profile(**raw)
    fired = [rule for rule in knowledge.rules if rule.applies(runner.facts)]
    assessment = knowledge.assess(runner)
    assert assessment.fired == tuple(rule.id for rule in fired)
    for i, attr in enumerate(ATTRIBUTE_NAMES):
        band = combine([rule.requires[attr] for rule in fired if attr in rule.requires])
        assert (assessment.lows[i], assessment.highs[i], assessment.weights[i]) == (band.low, band.high, band.weight)


def greedy_as_first_written(catalog, rows, scores, k):
    """The shortlist without try-ons or a current shoe, in numpy scalars over every representative."""
    candidate = np.zeros(len(catalog), dtype=bool)
    candidate[rows] = True
    score_of = np.full(len(catalog), np.nan)
    score_of[rows] = scores
    leading = np.flatnonzero(representatives(catalog, candidate)[rows])
    remaining = list(rows[leading[top_k(scores[leading], catalog.id_rank[rows[leading]], len(leading))]])
    picks, brands = [], set()
    while remaining and len(picks) < k:
        choice = remaining[0]
        if catalog.brand[choice] in brands:
            for row in remaining[1:]:
                if score_of[row] < score_of[remaining[0]] - CLOSE_POINTS:
                    break
                if catalog.brand[row] not in brands:
                    choice = row
                    break
        picks.append(choice)
        brands.add(catalog.brand[choice])
        remaining.remove(choice)
    return [int(row) for row in picks]


@settings(max_examples=200, deadline=None)
@given(catalogs(max_size=40), requirements(), st.integers(1, 12))
def test_the_shortlist_is_the_greedy_over_every_representative(catalog, req, k):
    rows, scores = candidate_scores(catalog, *req, None)
    picks = [row for row, _, _ in shortlist(catalog, rows, scores, k)]
    assert picks == greedy_as_first_written(catalog, rows, scores, k)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([10.0, 20.0, 20.0, 30.0, 55.5]), min_size=1, max_size=2 * scoring.FULL_SORT_MAX),
    st.integers(1, 60),
    st.randoms(),
)
def test_top_k_partitioned_or_sorted_whole_is_the_head_of_a_full_sort(values, k, rnd):
    scores, tiebreak = np.array(values), np.arange(len(values))
    rnd.shuffle(tiebreak)
    full = sorted(range(len(values)), key=lambda i: (-scores[i], tiebreak[i]))[:k]
    assert list(top_k(scores, tiebreak, k)) == full
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scoring, "FULL_SORT_MAX", 0)  # partitioned first, however few
        assert list(top_k(scores, tiebreak, k)) == full


def test_breakdowns_round_as_python_rounds_not_as_numpy_does(catalog, knowledge):
    # A store's multipliers make weights such as 3.83 x 1.5 = 5.745, which numpy rounds to 5.74 and round() to 5.75.
    assessment = knowledge.assess(profile(arch_type="high"))
    weights = np.where(assessment.weights > 0, 5.745, 0.0)
    assert float(np.round(5.745, 2)) != round(5.745, 2)
    (breakdown,) = explain.breakdowns([catalog.matrix[0].tolist()], dataclasses.replace(assessment, weights=weights))
    assert {entry["weight"] for entry in breakdown.values()} == {round(5.745, 2)}
