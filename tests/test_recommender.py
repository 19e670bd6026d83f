"""The pipeline object: canonical profiles and the memo of answers."""

import orjson

from shoefit import create_app
from shoefit.core.catalog import Catalog
from shoefit.core.recommender import Recommender
from shoefit.web.context import catalog_holder

from helpers import catalog_csv, profile, shoe_row


def test_answers_that_cannot_change_the_result_make_equal_profiles():
    a = profile(symptoms=["forefoot_pain", "swelling"], pain={"days": 4, "severity": 3})
    b = profile(symptoms=["swelling", "forefoot_pain", "swelling"], pain={"severity": 3, "days": 4})
    assert a == b and hash(a) == hash(b)
    assert a != profile(symptoms=["forefoot_pain"], pain={"days": 4, "severity": 3})


def test_the_memo_answers_a_repeated_runner_without_recomputing(catalog, knowledge):
    service = Recommender(catalog, knowledge, memo_size=8)
    first = service.recommend_json(profile(fit_issues=["too_tight", "blisters"]))
    again = service.recommend_json(profile(fit_issues=["blisters", "too_tight"]))
    assert again is first
    assert service.recommend_json.cache_info().hits == 1
    assert orjson.loads(first) == orjson.loads(
        orjson.dumps(service.recommend(profile(fit_issues=["blisters", "too_tight"])))
    )


def test_the_memo_is_bounded_and_belongs_to_one_catalog(knowledge):
    small = Catalog.from_bytes(catalog_csv([shoe_row(id="only-shoe")]).encode(), "small.csv")
    other = Catalog.from_bytes(catalog_csv([shoe_row(id="other-shoe")]).encode(), "other.csv")
    one, two = Recommender(small, knowledge, memo_size=2), Recommender(other, knowledge, memo_size=2)
    p = profile()
    assert orjson.loads(one.recommend_json(p))["recommendations"][0]["id"] == "only-shoe"
    assert orjson.loads(two.recommend_json(p))["recommendations"][0]["id"] == "other-shoe"
    for days in range(5):
        one.recommend_json(profile(pain={"days": days}))
    assert one.recommend_json.cache_info().currsize == 2


def test_memo_size_zero_turns_it_off():
    service = catalog_holder(create_app({"MEMO_SIZE": 0})).served_catalog().recommender
    assert not hasattr(service.recommend_json, "cache_info")
    assert hasattr(catalog_holder(create_app()).served_catalog().recommender.recommend_json, "cache_info")
