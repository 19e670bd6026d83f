"""The HTTP API through Flask's test client: shapes, sources, and every error path."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from shoefit import create_app
from shoefit.core.vocabulary import ENUMS, LEVEL_ORDER
from shoefit.web.context import catalog_holder

from helpers import runner_bodies

PROBLEM = "application/problem+json"


def post(client, path, body, **kwargs):
    return client.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


def assert_problem(response, status, field=None, value=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    if field is not None:
        matching = [e for e in body["errors"] if e["field"] == field]
        assert matching, body
        if value is not None:
            assert matching[0]["value"] == value
    return body


def test_recommendations_explain_themselves_and_cite_their_sources(client):
    body = post(
        client,
        "/v1/recommendations",
        {"arch_type": "high", "pronation": "overpronation", "symptoms": ["forefoot_pain", "swelling"], "limit": 3},
    ).get_json()
    assert set(body) == {"triage", "requirements", "warnings", "advice", "evidence", "recommendations", "catalog"}
    assert [p["rank"] for p in body["recommendations"]] == [1, 2, 3]
    for req in body["requirements"].values():
        assert 1 <= req["target"] <= 5 and req["weight"] > 0 and req["reasons"]
        assert all(r["source"]["seed"].endswith(".txt") and r["source"]["quote"] for r in req["reasons"])
    assert body["warnings"] and all(w["source"]["rule"] for w in body["warnings"])
    for pick in body["recommendations"]:
        assert 0 <= pick["score"] <= 100
        assert set(pick["breakdown"]) == set(body["requirements"])
        for attr, part in pick["breakdown"].items():
            assert part["target"] == body["requirements"][attr]["target"]
            assert 0 <= part["match"] <= 1
        assert pick["why"]
        assert not any("Evidence" in line for line in pick["why"])
    # Research notes once per answer, not in every pick.
    assert any("Malisoux" in note["text"] for note in body["evidence"])
    assert len({note["text"] for note in body["evidence"]}) == len(body["evidence"])
    assert body["catalog"]["size"] >= 80 and body["catalog"]["candidates"] == body["catalog"]["size"]


def test_requirements_endpoint_is_the_same_without_ranking(client):
    raw = {"fit_issues": ["heel_slippage"], "symptoms": ["night_pain"]}
    req = post(client, "/v1/requirements", raw).get_json()
    rec = post(client, "/v1/recommendations", raw).get_json()
    assert "recommendations" not in req
    for key in ("requirements", "warnings", "advice"):
        assert req[key] == rec[key]


def test_filters_are_hard(client):
    body = post(
        client,
        "/v1/recommendations",
        {"width": "extra_wide", "max_price": 150, "terrain": "road", "limit": 50, "shortlist": False},
    ).get_json()
    assert body["recommendations"]
    for pick in body["recommendations"]:
        assert "extra_wide" in pick["widths"] and pick["price"] <= 150 and pick["terrain"] == "road"
    assert len(body["recommendations"]) == body["catalog"]["candidates"] < body["catalog"]["size"]


def test_brand_filters_are_case_insensitive_and_validated(client):
    body = post(client, "/v1/recommendations", {"brands": ["brooks", "HOKA"], "limit": 50, "shortlist": False}).get_json()
    assert {p["brand"] for p in body["recommendations"]} == {"Brooks", "HOKA"}
    excluded = post(client, "/v1/recommendations", {"exclude_brands": ["Brooks"], "limit": 50}).get_json()
    assert "Brooks" not in {p["brand"] for p in excluded["recommendations"]}
    response = post(client, "/v1/recommendations", {"brands": ["Brooks", "Acme Shoes"]})
    assert_problem(response, 422, "brands.1", "Acme Shoes")


def test_no_shoe_left_after_filters_is_an_empty_ranking_with_the_warnings(client):
    body = post(client, "/v1/recommendations", {"max_price": 1, "symptoms": ["cannot_bear_weight"]}).get_json()
    assert body["recommendations"] == [] and body["catalog"]["candidates"] == 0
    assert body["warnings"][0]["level"] == "urgent"


def test_duplicates_in_lists_are_folded(client):
    once = post(client, "/v1/requirements", {"symptoms": ["forefoot_pain"]}).get_json()
    twice = post(client, "/v1/requirements", {"symptoms": ["forefoot_pain", "forefoot_pain"]}).get_json()
    assert once == twice


def test_vocabulary_lists_every_value_with_label_and_hint(client):
    body = client.get("/v1/vocabulary").get_json()
    for name, terms in ENUMS.items():
        assert [t["value"] for t in body["fields"][name]] == list(terms)
        assert all(t["label"] and t["hint"] for t in body["fields"][name])
    assert "Brooks" in body["brands"]
    assert body["limits"]["limit"] == {"min": 1, "max": 50, "default": 5}


def test_every_vocabulary_value_is_accepted(client):
    vocab = client.get("/v1/vocabulary").get_json()["fields"]
    for name in ("arch_type", "pronation", "width", "terrain", "use", "cushion_feel", "drop", "experience"):
        for term in vocab[name]:
            assert post(client, "/v1/requirements", {name: term["value"]}).status_code == 200
    body = {
        "fit_issues": [t["value"] for t in vocab["fit_issues"]],
        "symptoms": [t["value"] for t in vocab["symptoms"]],
        "conditions": [t["value"] for t in vocab["conditions"]],
    }
    assert post(client, "/v1/recommendations", body).status_code == 200


def test_vocabulary_limits_are_the_edges_of_what_is_accepted(client):
    limits = client.get("/v1/vocabulary").get_json()["limits"]
    for path in ("limit", "pain.severity", "body_weight_kg"):
        low, high = limits[path]["min"], limits[path]["max"]

        def body(value):
            head, _, tail = path.partition(".")
            return {head: {tail: value}} if tail else {head: value}

        for value in (low, high):
            assert post(client, "/v1/requirements", body(value)).status_code == 200, (path, value)
        for value in (low - 1, high + 1):
            assert post(client, "/v1/requirements", body(value)).status_code == 422, (path, value)


def test_shoes_list_filters_and_pages(client):
    everything = client.get("/v1/shoes?per_page=100").get_json()
    trail = client.get("/v1/shoes?terrain=trail&per_page=100").get_json()
    assert trail["total"] == sum(s["terrain"] == "trail" for s in everything["items"]) > 0
    page2 = client.get("/v1/shoes?per_page=10&page=2").get_json()
    assert [s["id"] for s in page2["items"]] == [s["id"] for s in everything["items"][10:20]]
    wide_brooks = client.get("/v1/shoes?brand=brooks&width=wide&category=stability").get_json()["items"]
    assert wide_brooks and all(s["brand"] == "Brooks" and "wide" in s["widths"] for s in wide_brooks)


def test_one_shoe_and_a_missing_one(client):
    first = client.get("/v1/shoes?per_page=1").get_json()["items"][0]
    assert client.get(f"/v1/shoes/{first['id']}").get_json() == first
    body = assert_problem(client.get("/v1/shoes/no-such-shoe"), 404)
    assert "no-such-shoe" in body["detail"]


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["catalog"]["size"] >= 80


def test_openapi_document_and_docs_page(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/recommendations", "/v1/requirements", "/v1/vocabulary", "/v1/shoes", "/v1/shoes/{shoe_id}"):
        assert path in spec["paths"]
    request = spec["paths"]["/v1/recommendations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request["$ref"].endswith("/Profile")
    assert spec["components"]["schemas"]["Profile"]["properties"]["arch_type"]["enum"] == list(ENUMS["arch_type"])
    assert "422" in spec["paths"]["/v1/recommendations"]["post"]["responses"]
    page = client.get("/docs")
    assert page.status_code == 200 and b"swagger" in page.data.lower()
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field, value",
    [
        ({"arch_type": "tall"}, "arch_type", "tall"),
        ({"pronation": 3}, "pronation", 3),
        ({"favourite_colour": "red"}, "favourite_colour", "red"),
        ({"symptoms": ["forefoot_pain", "achy"]}, "symptoms.1", "achy"),
        ({"symptoms": "forefoot_pain"}, "symptoms", "forefoot_pain"),
        ({"pain": {"severity": 11}}, "pain.severity", 11),
        ({"pain": {"severity": 5.5}}, "pain.severity", 5.5),
        ({"pain": {"days": "4"}}, "pain.days", "4"),
        ({"pain": {"despite_rest": "yes"}}, "pain.despite_rest", "yes"),
        ({"pain": {"where": "heel"}}, "pain.where", "heel"),
        ({"training": {"surface": "sand"}}, "training.surface", "sand"),
        ({"limit": 0}, "limit", 0),
        ({"limit": 51}, "limit", 51),
        ({"limit": True}, "limit", True),
        ({"max_price": -5}, "max_price", -5),
        ({"width": "xxl"}, "width", "xxl"),
        ({"brands": ["x" * 61]}, "brands.0", "x" * 61),
    ],
)
def test_invalid_profile_is_a_422_naming_field_and_value(client, body, field, value):
    response = post(client, "/v1/recommendations", body)
    problem = assert_problem(response, 422, field, value)
    assert field in problem["detail"]


def test_a_body_that_is_not_an_object_is_a_422(client):
    assert_problem(post(client, "/v1/recommendations", ["flat"]), 422, "(body)")


def test_malformed_json_is_a_400(client):
    response = client.post("/v1/recommendations", data='{"arch_type": "flat",', content_type="application/json")
    assert_problem(response, 400)


def test_a_body_that_is_not_json_is_a_415(client):
    response = client.post("/v1/recommendations", data="arch_type=flat")
    body = assert_problem(response, 415)
    assert "application/json" in body["detail"]


def test_an_oversized_body_is_a_413(app):
    client = app.test_client()
    big = {"brands": ["Brooks"] * 20000}
    assert_problem(post(client, "/v1/recommendations", big), 413)


def test_unknown_query_parameters_and_bad_paging_are_422(client):
    assert_problem(client.get("/v1/shoes?colour=red"), 422, "colour", "red")
    assert_problem(client.get("/v1/shoes?page=0"), 422, "page")
    assert_problem(client.get("/v1/shoes?per_page=1000"), 422, "per_page")
    assert_problem(client.get("/v1/shoes?per_page=2.5"), 422, "per_page", "2.5")


def test_wrong_method_and_unknown_path_are_problems(client):
    wrong = client.get("/v1/recommendations")
    assert_problem(wrong, 405)
    assert set(wrong.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert_problem(client.get("/v2/nothing"), 404)


def test_an_internal_error_is_a_500_problem_without_a_traceback(monkeypatch):
    app = create_app()  # not TESTING: errors are handled as in production
    service = catalog_holder(app).served_catalog().recommender

    def explode(profile):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "recommend", explode)
    response = post(app.test_client(), "/v1/recommendations", {})
    body = assert_problem(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["detail"]


# --- no ranking without its warnings ---------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=runner_bodies())
def test_no_ranking_ever_comes_without_its_warnings(client, knowledge, catalog, raw):
    from helpers import profile

    from shoefit.core.scoring import Filters

    response = post(client, "/v1/recommendations", raw)
    assert response.status_code == 200
    body = response.get_json()
    expected = knowledge.assess(profile(**raw)).warnings
    assert [w["code"] for w in body["warnings"]] == [w["code"] for w in expected]
    levels = [LEVEL_ORDER[w["level"]] for w in body["warnings"]]
    assert levels == sorted(levels)
    mask = Filters.from_profile(profile(**raw)).mask(catalog)
    passing = np.arange(len(catalog)) if mask is None else np.flatnonzero(mask)
    assert body["catalog"]["candidates"] == len(passing)
    # A shortlist names each model line once.
    choices = len(set(catalog.family[passing].tolist())) if raw.get("shortlist", True) else len(passing)
    assert len(body["recommendations"]) == min(raw.get("limit", 5), choices)
