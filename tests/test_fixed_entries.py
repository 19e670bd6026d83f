"""Entries written once: an answer sent as bytes is what orjson makes of the answer as dicts, byte for byte."""

import orjson
import pytest
from helpers import profile, runner_bodies
from hypothesis import given, settings

from shoefit.core import fixed_entries
from shoefit.core.catalog import Catalog
from shoefit.core.fixed_entries import FixedEntry
from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.recommender import Recommender


@pytest.fixture(scope="module")
def recommender():
    return Recommender(Catalog.load(), KnowledgeBase.load())


def test_an_entry_is_spliced_in_as_it_was_written():
    entry = FixedEntry({"text": "Wide toe box", "weight": 1.5, "source": {"rule": "r", "quote": "\u00e9\u201c"}})
    value = {"a": [entry, {"b": entry}], "c": 0.1}
    assert entry.encoded == orjson.dumps(dict(entry))
    assert fixed_entries.dumps(value) == orjson.dumps(value)
    # What is spliced in is the JSON written when the entry was made, not the dict as it is now.
    entry["weight"] = 2.0
    assert fixed_entries.dumps(value) != orjson.dumps(value)


def test_a_subclass_of_another_kind_is_refused_not_written_some_other_way():
    class Label(str):
        pass

    with pytest.raises(TypeError, match="Label"):
        fixed_entries.dumps({"label": Label("x")})


@settings(max_examples=150, deadline=None)
@given(raw=runner_bodies())
def test_the_answer_sent_is_the_answer_made(recommender, raw):
    runner = profile(**raw)
    assert recommender.recommend_json(runner) == orjson.dumps(recommender.recommend(runner))


def test_runners_alike_in_an_attribute_share_its_requirement_entry(recommender):
    def required(**raw):
        return recommender.requirements(profile(**raw))["requirements"]

    flat = required(arch_type="flat", symptoms=["forefoot_pain"])
    also_flat = required(arch_type="flat", symptoms=["forefoot_pain"], width="wide")
    high = required(arch_type="high")
    assert flat["arch_support"] is also_flat["arch_support"]
    assert flat["arch_support"] != high["arch_support"]
    assert [reason["source"]["rule"] for reason in flat["arch_support"]["reasons"]] != [
        reason["source"]["rule"] for reason in high["arch_support"]["reasons"]
    ]
