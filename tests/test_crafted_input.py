"""Crafted input an operator sent (issue 12): each is a clear problem naming what was wrong, never a 500."""

import io
import json

import pytest

from shoefit import create_app
from shoefit.cli import main
from shoefit.web.context import STORE
from shoefit.web.json_body import MAX_DEPTH, MAX_INT_DIGITS

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}
BODY_ENDPOINTS = ["/v1/recommendations", "/v1/requirements", "/v1/fittings", "/v1/batch/recommendations"]


@pytest.fixture(scope="module")
def app():
    # Not TESTING: a bug must show here as the 500 problem production would send, not as an exception.
    return create_app({"MAX_BODY_BYTES": 64 * 1024})


@pytest.fixture()
def client(app):
    return app.test_client()


def raw(client, path, text, method="POST", **headers):
    return client.open(path, method=method, data=text, headers={**JSON, **headers})


def problem_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["request_id"]
    return body


def error_at(response, field, status=422):
    body = problem_of(response, status)
    matching = [e for e in body["errors"] if e["field"] == field]
    assert matching, body
    return matching[0]


def nested(depth, leaf="1"):
    return "[" * depth + leaf + "]" * depth


def shoe_id(client):
    return client.get("/v1/shoes").get_json()["items"][0]["id"]


def open_fitting(client):
    response = client.post("/v1/fittings", json={"arch_type": "flat"})
    assert response.status_code == 201
    return response


# ------------------------------------------------------------------ nesting


@pytest.mark.parametrize(
    "text",
    [
        '{"symptoms": ' + nested(2000) + "}",
        '{"pain": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
        '{"training": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}",
    ],
)
def test_deep_nesting_is_a_400_naming_the_limit(client, text):
    body = problem_of(raw(client, "/v1/recommendations", text), 400)
    assert f"deeper than {MAX_DEPTH} levels" in body["detail"]


def test_nesting_up_to_the_limit_is_read_and_judged_by_the_schema(client):
    # The body is one level, symptoms' array the next: 32 levels in all is read, 33 is not.
    at_limit = raw(client, "/v1/recommendations", '{"symptoms": ' + nested(MAX_DEPTH - 1, '"x"') + "}")
    assert error_at(at_limit, "symptoms.0")["message"]
    over = raw(client, "/v1/recommendations", '{"symptoms": ' + nested(MAX_DEPTH, '"x"') + "}")
    problem_of(over, 400)


def test_brackets_inside_texts_are_not_nesting(client):
    # 50 brackets and an escaped quote, within a brand's 60 characters.
    response = raw(client, "/v1/recommendations", json.dumps({"brands": ["[{" * 25 + '\\"]'], "limit": 3}))
    assert "no brand" in error_at(response, "brands.0")["message"]


def test_deep_nesting_in_a_batch_is_refused_whole_like_malformed_json(client):
    text = '{"profiles": [{}, {"pain": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}]}"
    problem_of(raw(client, "/v1/batch/recommendations", text), 400)


# ------------------------------------------------------------------ integers, surrogates, NUL


def test_an_integer_too_long_to_read_is_a_422_at_its_path(client):
    error = error_at(raw(client, "/v1/recommendations", '{"limit": ' + "9" * 5000 + "}"), "limit")
    assert "5000 digits" in error["message"] and error["value"].startswith("999")
    days = raw(client, "/v1/recommendations", '{"pain": {"days": -' + "1" * 4301 + "}}")
    assert "4301 digits" in error_at(days, "pain.days")["message"]


def test_an_integer_at_the_digit_limit_is_judged_by_its_range(client):
    response = raw(client, "/v1/recommendations", '{"limit": ' + "1" * MAX_INT_DIGITS + "}")
    assert error_at(response, "limit")["value"] == int("1" * MAX_INT_DIGITS)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ('{"brands": ["\\ud800"]}', "brands.0", "\\ud800"),
        ('{"brands": ["ok\\udfffok"]}', "brands.0", "ok\\udfffok"),
        ('{"pain": {"character": "\\ud83d"}}', "pain.character", "\\ud83d"),
        ('{"brands": ["a\\u0000b"]}', "brands.0", "a\\u0000b"),
    ],
)
def test_lone_surrogates_and_nul_in_texts_are_422_naming_field_and_value(client, text, field, value):
    error = error_at(raw(client, "/v1/recommendations", text), field)
    assert error["value"] == value
    assert "surrogate" in error["message"] or "NUL" in error["message"]


@pytest.mark.parametrize(("key", "field"), [("\\ud800", "\\ud800"), ("x\\u0000", "x\\u0000")])
def test_unreadable_keys_are_422_naming_the_key(client, key, field):
    error_at(raw(client, "/v1/recommendations", '{"pain": {"' + key + '": 1}}'), f"pain.{field}")


def test_a_surrogate_pair_is_a_character_like_any_other(client):
    error = error_at(raw(client, "/v1/recommendations", '{"brands": ["\\ud83d\\ude00"]}'), "brands.0")
    assert error == {"field": "brands.0", "value": "\U0001f600", "message": "no brand '\U0001f600' in the catalog"}


def test_nan_and_infinity_are_not_json(client):
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = problem_of(raw(client, "/v1/recommendations", '{"max_price": ' + constant + "}"), 400)
        assert constant in body["detail"]


def test_a_body_that_is_not_utf8_is_a_400(client):
    response = client.post("/v1/recommendations", data=b'{"brands": ["\xff"]}', headers=JSON)
    assert "UTF-8" in problem_of(response, 400)["detail"]


def test_crafted_values_in_fittings_and_tryons_are_422(client):
    opened = open_fitting(client)
    location, etag = opened.headers["Location"], opened.headers["ETag"]
    tryon = raw(client, f"{location}/tryons", '{"shoe_id": "\\ud800", "comfort": 3}')
    assert error_at(tryon, "shoe_id")["value"] == "\\ud800"
    patch = raw(client, location, '{"brands": ["\\udc00"]}', method="PATCH", **{"If-Match": etag})
    error_at(patch, "brands.0")
    opening = raw(client, "/v1/fittings", '{"pain": {"days": ' + "7" * 5000 + "}}")
    error_at(opening, "pain.days")
    assert client.get(location).get_json()["version"] == 1


def test_each_crafted_batch_item_fails_alone(client):
    text = (
        '{"profiles": [{"limit": 2}, {"brands": ["\\ud800"]}, {"limit": '
        + "9" * 5000
        + '}, {"\\u0000": 1}, {"pain": {"days": 3}}]}'
    )
    body = raw(client, "/v1/batch/recommendations", text).get_json()
    assert (body["scored"], body["failed"]) == (2, 3)
    good, surrogate, integer, key, other = body["results"]
    assert good["status"] == other["status"] == 200 and len(good["recommendations"]) == 2
    assert [i["status"] for i in (surrogate, integer, key)] == [422, 422, 422]
    assert surrogate["problem"]["errors"][0]["field"] == "brands.0"
    assert integer["problem"]["errors"][0]["field"] == "limit"
    assert key["problem"]["errors"][0]["field"] == "\\u0000"


def test_crafted_values_outside_the_batch_items_fail_the_batch(client):
    response = raw(client, "/v1/batch/recommendations", '{"profiles": [{}], "note": "\\ud800"}')
    assert error_at(response, "note")["value"] == "\\ud800"


def test_too_many_profiles_are_refused_without_echoing_them():
    small = create_app({"BATCH_MAX_PROFILES": 1})
    response = raw(small.test_client(), "/v1/batch/recommendations", '{"profiles": [{}, {"brands": ["\\ud800"]}]}')
    assert "value" not in error_at(response, "profiles")


# ------------------------------------------------------------------ NUL in a fitting id


class Unreachable:
    def __getattr__(self, name):
        raise AssertionError(f"the store was asked: {name}")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/tryons"), ("POST", "/tryons"), ("GET", "/recommendations")],
)
def test_a_nul_in_a_fitting_id_is_a_404_without_asking_the_database(app, monkeypatch, method, suffix):
    monkeypatch.setitem(app.extensions, STORE, Unreachable())
    response = app.test_client().open(f"/v1/fittings/a%00b{suffix}", method=method, json={}, headers={"If-Match": "*"})
    assert "NUL" in problem_of(response, 404)["detail"]


# ------------------------------------------------------------------ a try-on's Location


def test_a_tryons_location_is_the_tryon(client):
    location = open_fitting(client).headers["Location"]
    added = client.post(f"{location}/tryons", json={"shoe_id": shoe_id(client), "comfort": 4})
    assert added.status_code == 201
    read = client.get(added.headers["Location"])
    assert read.status_code == 200 and read.get_json() == added.get_json()


def test_a_tryon_that_is_not_there_is_a_404_problem(client):
    first, second = open_fitting(client).headers["Location"], open_fitting(client).headers["Location"]
    tryon_id = client.post(f"{first}/tryons", json={"shoe_id": shoe_id(client), "comfort": 2}).get_json()["id"]
    assert "No try-on" in problem_of(client.get(f"{second}/tryons/{tryon_id}"), 404)["detail"]
    assert "No try-on" in problem_of(client.get(f"{first}/tryons/{tryon_id + 1}"), 404)["detail"]
    problem_of(client.get(f"{first}/tryons/one"), 404)
    assert "No fitting" in problem_of(client.get(f"/v1/fittings/gone/tryons/{tryon_id}"), 404)["detail"]


def test_the_tryon_is_documented(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/v1/fittings/{fitting_id}/tryons/{tryon_id}"]["get"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    assert PROBLEM in operation["responses"]["404"]["content"]


# ------------------------------------------------------------------ bodies that are not a JSON object


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
def test_an_empty_body_is_the_same_400_everywhere(client, path):
    assert "empty" in problem_of(raw(client, path, ""), 400)["detail"]


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    ("text", "kind"), [("[]", "an array"), ("null", "null"), ('"flat"', "a string"), ("3", "a number")]
)
def test_a_body_that_is_not_an_object_is_the_same_422_everywhere(client, path, text, kind):
    error = error_at(raw(client, path, text), "(body)")
    assert error["message"] == f"must be a JSON object, not {kind}"


def test_empty_and_non_object_bodies_of_tryons_and_patches(client):
    opened = open_fitting(client)
    location, etag = opened.headers["Location"], opened.headers["ETag"]
    problem_of(raw(client, f"{location}/tryons", ""), 400)
    error_at(raw(client, f"{location}/tryons", "[]"), "(body)")
    problem_of(raw(client, location, "", method="PATCH", **{"If-Match": etag}), 400)
    error_at(raw(client, location, "[1]", method="PATCH", **{"If-Match": etag}), "(body)")


# ------------------------------------------------------------------ unknown query parameters


def test_unknown_query_parameters_are_422_on_every_api_endpoint(client):
    location = open_fitting(client).headers["Location"]
    shoe = shoe_id(client)
    for method, path in [
        ("POST", "/v1/recommendations"),
        ("POST", "/v1/requirements"),
        ("POST", "/v1/batch/recommendations"),
        ("GET", "/v1/vocabulary"),
        ("GET", f"/v1/shoes/{shoe}"),
        ("POST", "/v1/fittings"),
        ("GET", location),
        ("GET", f"{location}/tryons"),
        ("GET", f"{location}/recommendations"),
        ("DELETE", location),
    ]:
        body = {"profiles": [{}]} if "batch" in path else {}
        response = client.open(f"{path}?debug=1&debug=2", method=method, json=body)
        assert error_at(response, "debug")["value"] == "1", path
    assert client.get(location).status_code == 200  # the DELETE was refused, not done


def test_endpoints_with_a_query_schema_still_take_theirs(client):
    assert client.get("/v1/shoes?page=2&per_page=5").status_code == 200
    assert client.get(f"/v1/shoes/{shoe_id(client)}/similar?limit=3").status_code == 200
    assert error_at(client.get("/v1/shoes?colour=red"), "colour")["value"] == "red"


def test_probes_preflights_and_unrouted_requests_are_not_judged_by_their_query(client):
    assert client.get("/healthz?check=1").status_code == 200
    assert client.options("/v1/recommendations?debug=1").status_code == 200
    problem_of(client.open("/v1/shoes?debug=1", method="TRACE"), 405)
    problem_of(client.get("/v1/nothing?debug=1"), 404)


def test_every_api_operation_documents_the_422(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    undocumented = [
        (method, path)
        for path, operations in paths.items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        if method != "parameters" and "422" not in operation["responses"]
    ]
    assert undocumented == []


# ------------------------------------------------------------------ chunked bodies


def chunked(client, path, data):
    return client.post(
        path,
        input_stream=io.BytesIO(data),
        headers={**JSON, "Transfer-Encoding": "chunked"},
        # What gunicorn and Werkzeug's server say of a chunked body they end themselves.
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("path", ["/v1/recommendations", "/v1/batch/recommendations"])
def test_a_chunked_body_over_the_limit_is_a_413(client, path):
    ten_mb = b'{"symptoms": [' + b'"x",' * (10 * 1024 * 1024 // 4) + b'"x"]}'
    assert "bytes" in problem_of(chunked(client, path, ten_mb), 413)["detail"]


def test_a_chunked_body_of_exactly_the_limit_is_read(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = chunked(client, "/v1/recommendations", b"{}" + b" " * (limit - 2))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert problem_of(chunked(client, "/v1/recommendations", b"{}" + b" " * (limit - 1)), 413)


# ------------------------------------------------------------------ validate-catalog


def test_validate_catalog_exits_2_when_there_is_no_file_to_judge(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    assert main(["validate-catalog", str(missing)]) == 2
    assert f"shoefit: {missing}: cannot read" in capsys.readouterr().err
    assert main(["validate-catalog", str(tmp_path)]) == 2
