"""POST /v1/batch/recommendations: many runners, each answered or refused on its own."""

import json

from shoefit import create_app

from helpers import profile

PROBLEM = "application/problem+json"


def post(client, body):
    return client.post("/v1/batch/recommendations", data=json.dumps(body), content_type="application/json")


def test_each_item_is_answered_like_a_single_request(client, app):
    runners = [
        {"arch_type": "high", "symptoms": ["forefoot_pain"], "limit": 3},
        {"pronation": "overpronation", "width": "wide", "max_price": 160},
        {"fit_issues": ["heel_slippage"], "symptoms": ["cannot_bear_weight"], "limit": 1},
    ]
    body = post(client, {"profiles": runners}).get_json()
    assert body["scored"] == 3 and body["failed"] == 0
    for index, (raw, item) in enumerate(zip(runners, body["results"], strict=True)):
        single = client.post("/v1/recommendations", json=raw).get_json()
        assert item["index"] == index and item["status"] == 200
        assert [p["id"] for p in item["recommendations"]] == [p["id"] for p in single["recommendations"]]
        assert [p["score"] for p in item["recommendations"]] == [p["score"] for p in single["recommendations"]]
        assert item["warnings"] == single["warnings"]
        assert item["triage"] == single["triage"]["state"]
        assert item["candidates"] == single["catalog"]["candidates"]


def test_a_bad_item_gets_its_own_problem_and_the_others_are_answered(client):
    body = post(
        client,
        {"profiles": [{"arch_type": "tall"}, "flat", {"brands": ["Acme"]}, {"arch_type": "flat", "limit": 2}]},
    ).get_json()
    assert (body["scored"], body["failed"]) == (1, 3)
    bad_value, not_object, unknown_brand, good = body["results"]
    assert bad_value["status"] == 422
    assert bad_value["problem"]["errors"] == [
        {"field": "arch_type", "value": "tall", "message": "must be one of: flat, neutral, high, unknown"}
    ]
    assert not_object["problem"]["errors"][0]["field"] == "(profile)"
    assert unknown_brand["problem"]["errors"][0] == {
        "field": "brands.0",
        "value": "Acme",
        "message": "no brand 'Acme' in the catalog",
    }
    assert good["status"] == 200 and len(good["recommendations"]) == 2


def test_batch_size_and_body_are_bounded():
    app = create_app({"BATCH_MAX_PROFILES": 3, "BATCH_MAX_BODY_BYTES": 2000})
    client = app.test_client()
    too_many = post(client, {"profiles": [{}] * 4})
    assert too_many.status_code == 422 and too_many.mimetype == PROBLEM
    assert too_many.get_json()["errors"][0]["field"] == "profiles"
    assert post(client, {"profiles": [{"brands": ["x" * 50] * 60}]}).status_code == 413
    assert post(client, {"profiles": []}).status_code == 422
    assert post(client, {"runners": [{}]}).status_code == 422


def test_the_batch_body_limit_is_its_own(client):
    """A batch may be larger than a single request's body limit."""
    runners = [{"arch_type": "flat", "fit_issues": ["too_tight", "blisters"], "symptoms": ["forefoot_pain"]}] * 800
    assert len(json.dumps({"profiles": runners})) > 64 * 1024
    response = post(client, {"profiles": runners})
    assert response.status_code == 200 and response.get_json()["scored"] == 800
    assert client.post("/v1/recommendations", json={"brands": ["x"] * 20000}).status_code == 413


def test_warnings_are_never_dropped_from_batch_items(client, knowledge):
    runners = [{"symptoms": ["swelling", "redness_warmth"]}, {"pain": {"days": 15}}, {}]
    body = post(client, {"profiles": runners}).get_json()
    for raw, item in zip(runners, body["results"], strict=True):
        assert [w["code"] for w in item["warnings"]] == [w["code"] for w in knowledge.assess(profile(**raw)).warnings]
