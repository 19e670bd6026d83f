"""Catalog upload and reload: admin keys, validation first, atomic swaps, and workers that follow each other."""

import os
import threading
import time

import pytest

from shoefit import create_app
from shoefit.core import similar
from shoefit.web import served_catalog as served
from shoefit.web.context import catalog_holder, recommender
from shoefit.core.catalog import Catalog
from shoefit.core.catalog_csv import CatalogError

from helpers import catalog_csv, shoe_row

KEY, OTHER_KEY = "first-admin-key-0123456789", "second-admin-key-0123456789"
PROBLEM = "application/problem+json"

OLD = catalog_csv([shoe_row(id="old-1", brand="Oldbrand"), shoe_row(id="old-2", brand="Oldbrand", price="90")])
NEW = catalog_csv(
    [
        shoe_row(id="new-1", brand="Newbrand"),
        shoe_row(id="new-2", brand="Otherbrand", terrain="trail", price="120"),
        shoe_row(id="new-3", brand="Otherbrand", cushioning="5", forefoot_cushioning="5"),
    ]
)
OLD_VERSION = Catalog.from_bytes(OLD.encode(), "old").version
NEW_VERSION = Catalog.from_bytes(NEW.encode(), "new").version
# Three problems on two lines.
BROKEN = catalog_csv([shoe_row(id="bad-1", price="cheap"), shoe_row(id="bad-2", terrain="moon", drop_mm="99")])


@pytest.fixture()
def configured(tmp_path):
    path = tmp_path / "configured.csv"
    path.write_text(OLD)
    return path


@pytest.fixture()
def instance(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


def make_app(instance, configured, **config):
    # Rate limits off: the propagation tests poll faster than a client would.
    settings = {"CATALOG": str(configured), "INSTANCE_PATH": str(instance), "RATE_LIMIT": "off"}
    return create_app({**settings, "ADMIN_KEYS": (KEY, OTHER_KEY), **config})


@pytest.fixture()
def app(instance, configured):
    return make_app(instance, configured)


@pytest.fixture()
def client(app):
    return app.test_client()


def bearer(key=KEY):
    return {"Authorization": f"Bearer {key}"}


def upload(client, text, key=KEY):
    return client.post("/v1/admin/catalog", data=text, content_type="text/csv", headers=bearer(key))


def reload(client, key=KEY):
    return client.post("/v1/admin/catalog/reload", headers=bearer(key))


def served_version(client):
    return client.get("/v1/vocabulary").get_json()["catalog"]["version"]


def shoe_ids(client):
    return [shoe["id"] for shoe in client.get("/v1/shoes").get_json()["items"]]


def point_at(instance, name):
    # As served_catalog.py writes it: a new file renamed over the old, so each write is told apart at once.
    instance.joinpath("pointer.tmp").write_bytes(name if isinstance(name, bytes) else name.encode())
    os.replace(instance / "pointer.tmp", instance / served.POINTER)


def wait_for_version(client, version, seconds=3.0):
    start = time.monotonic()
    while served_version(client) != version:
        assert time.monotonic() - start < seconds, f"still not serving {version}"
        time.sleep(0.05)
    return time.monotonic() - start


# --- who may ---------------------------------------------------------------------------


def test_without_admin_keys_the_admin_endpoints_do_not_exist(instance, configured):
    client = make_app(instance, configured, ADMIN_KEYS=()).test_client()
    for response in (
        client.post("/v1/admin/catalog/reload"),
        client.post("/v1/admin/catalog/reload", headers=bearer()),
        client.post("/v1/admin/catalog", data=NEW, content_type="text/csv", headers=bearer()),
        client.post("/v1/admin/catalog", json={}),
    ):
        assert response.status_code == 404 and response.mimetype == PROBLEM
    spec = client.get("/openapi.json").get_json()
    assert not [path for path in spec["paths"] if "admin" in path]
    assert "adminKey" not in spec["components"].get("securitySchemes", {})
    assert served_version(client) == OLD_VERSION and not instance.joinpath(served.POINTER).exists()


def test_with_admin_keys_the_endpoints_are_documented(client):
    spec = client.get("/openapi.json").get_json()
    assert {"/v1/admin/catalog", "/v1/admin/catalog/reload"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["adminKey"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/admin/catalog"]["post"]["security"] == [{"adminKey": []}]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}, {"X-Admin-Key": KEY}]
)
def test_without_a_key_it_is_401_asking_for_a_bearer_token(client, headers, instance):
    for path in ("/v1/admin/catalog", "/v1/admin/catalog/reload"):
        response = client.post(path, data=NEW, content_type="text/csv", headers=headers)
        assert response.status_code == 401 and response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert served_version(client) == OLD_VERSION and not instance.joinpath(served.POINTER).exists()


@pytest.mark.parametrize("key", ["wrong", KEY[:-1], KEY + "x", KEY.upper(), f"{KEY},{OTHER_KEY}"])
def test_a_wrong_key_is_403_and_changes_nothing(client, key, instance):
    assert upload(client, NEW, key).status_code == 403
    assert reload(client, key).status_code == 403
    assert served_version(client) == OLD_VERSION and not instance.joinpath(served.POINTER).exists()


def test_every_configured_key_is_accepted(client):
    assert upload(client, NEW, OTHER_KEY).status_code == 200
    assert reload(client, KEY).status_code == 200


# --- upload ----------------------------------------------------------------------------


def test_an_uploaded_catalog_is_served_at_once(app, client):
    before = client.get("/v1/shoes")
    shoe_before = client.get("/v1/shoes/old-1")
    assert before.get_json()["catalog"]["version"] == OLD_VERSION

    response = upload(client, NEW)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "catalog": {"version": NEW_VERSION, "size": 3, "brands": 2},
        "previous_version": OLD_VERSION,
        "calibration": None,
    }

    after = client.get("/v1/shoes")
    assert [s["id"] for s in after.get_json()["items"]] == ["new-1", "new-2", "new-3"]
    assert after.get_json()["catalog"] == {"version": NEW_VERSION, "size": 3}
    assert after.headers["ETag"] != before.headers["ETag"] and NEW_VERSION in after.headers["ETag"]
    assert client.get("/v1/shoes", headers={"If-None-Match": before.headers["ETag"]}).status_code == 200
    assert client.get("/v1/shoes", headers={"If-None-Match": after.headers["ETag"]}).status_code == 304
    assert client.get("/v1/shoes/old-1").status_code == 404
    shoe_after = client.get("/v1/shoes/new-1", headers={"If-None-Match": shoe_before.headers["ETag"]})
    assert shoe_after.status_code == 200 and shoe_after.headers["ETag"] != shoe_before.headers["ETag"]

    picks = client.post("/v1/recommendations", json={"brands": ["otherbrand"], "terrain": "trail"}).get_json()
    assert [p["id"] for p in picks["recommendations"]] == ["new-2"] and picks["catalog"]["version"] == NEW_VERSION
    batch = client.post("/v1/batch/recommendations", json={"profiles": [{"brands": ["Newbrand"]}]}).get_json()
    assert batch["results"][0]["recommendations"][0]["id"] == "new-1" and batch["catalog"]["version"] == NEW_VERSION
    vocabulary = client.get("/v1/vocabulary").get_json()
    assert vocabulary["brands"] == ["Newbrand", "Otherbrand"] and vocabulary["catalog"]["version"] == NEW_VERSION
    assert client.get("/readyz").get_json()["catalog"]["version"] == NEW_VERSION
    assert catalog_holder(app).served_catalog().catalog.version == NEW_VERSION


def test_the_memo_does_not_outlive_its_catalog(client):
    runner = {"symptoms": ["forefoot_pain"], "limit": 1}
    assert client.post("/v1/recommendations", json=runner).get_json()["recommendations"][0]["id"].startswith("old-")
    upload(client, NEW)
    assert client.post("/v1/recommendations", json=runner).get_json()["recommendations"][0]["id"] == "new-3"


def test_shoe_list_etags_follow_the_query(client):
    first = client.get("/v1/shoes?per_page=1&page=1")
    second = client.get("/v1/shoes?per_page=1&page=2")
    assert first.headers["ETag"] != second.headers["ETag"]
    assert client.get("/v1/shoes?page=1&per_page=1").headers["ETag"] == first.headers["ETag"]
    unchanged = client.get("/v1/shoes?per_page=1&page=1", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == first.headers["ETag"]
    assert (
        client.get("/v1/shoes?per_page=1&page=2", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    )


def test_a_broken_catalog_is_refused_with_every_problem_and_the_old_one_keeps_serving(client, instance):
    etag = client.get("/v1/shoes").headers["ETag"]
    response = upload(client, BROKEN)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert OLD_VERSION in body["detail"]
    found = {(e["line"], e["column"], e["value"]) for e in body["errors"]}
    assert found == {(2, "price", "cheap"), (3, "terrain", "moon"), (3, "drop_mm", "99")}
    assert all(e["message"] and e["file"] for e in body["errors"])

    assert served_version(client) == OLD_VERSION and shoe_ids(client) == ["old-1", "old-2"]
    assert client.get("/v1/shoes", headers={"If-None-Match": etag}).status_code == 304
    assert not instance.joinpath(served.POINTER).exists()


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [(b"", 1, "empty file"), (b"id,brand\n", 1, "required column is missing"), (b"\xff\xfe", 1, "not UTF-8")],
)
def test_unusable_uploads_are_422(client, body, line, message):
    response = upload(client, body)
    assert response.status_code == 422
    assert any(e["line"] == line and message in e["message"] for e in response.get_json()["errors"])
    assert served_version(client) == OLD_VERSION


def test_an_upload_must_be_text_csv(client):
    response = client.post("/v1/admin/catalog", data=NEW, content_type="application/json", headers=bearer())
    assert response.status_code == 415 and "text/csv" in response.get_json()["detail"]
    assert served_version(client) == OLD_VERSION


def test_the_upload_alone_takes_bigger_bodies(instance, configured):
    big = catalog_csv([shoe_row(id=f"shoe-{i}", model=f"Model {i}") for i in range(40)])
    assert len(big) > 2048
    client = make_app(instance, configured, MAX_BODY_BYTES=1024, ADMIN_MAX_CATALOG_BYTES=len(big)).test_client()
    assert client.post("/v1/recommendations", json={"brands": ["x" * 50] * 25}).status_code == 413
    assert upload(client, big).status_code == 200
    too_big = big + "\n" * 10
    assert upload(client, too_big).status_code == 413


# --- reload ----------------------------------------------------------------------------


def test_reload_rereads_the_configured_file(client, configured):
    configured.write_text(NEW)
    response = reload(client)
    assert response.status_code == 200
    assert response.get_json()["catalog"]["version"] == NEW_VERSION
    assert response.get_json()["previous_version"] == OLD_VERSION
    assert shoe_ids(client) == ["new-1", "new-2", "new-3"]

    configured.write_text(BROKEN)
    refused = reload(client)
    assert refused.status_code == 422
    assert {e["file"] for e in refused.get_json()["errors"]} == {str(configured)}
    assert served_version(client) == NEW_VERSION


def test_reload_is_the_way_back_from_an_upload(client):
    upload(client, NEW)
    assert reload(client).get_json() == {
        "catalog": {"version": OLD_VERSION, "size": 2, "brands": 1},
        "previous_version": NEW_VERSION,
        "calibration": None,
    }
    assert served_version(client) == OLD_VERSION


def test_reload_of_an_unreadable_file_is_422(client, configured):
    configured.unlink()
    response = reload(client)
    assert response.status_code == 422 and "cannot read" in response.get_json()["errors"][0]["message"]
    assert served_version(client) == OLD_VERSION


# --- atomicity -------------------------------------------------------------------------


def test_a_request_in_flight_finishes_on_the_catalog_it_started_with(app, monkeypatch):
    # The similar-shoes view reads the catalog, computes, then reads the catalog info again: the swap
    # happens in between. An accessor that looked at the catalog in force each time would mix the two.
    started, go = threading.Event(), threading.Event()
    build_space = similar.space

    def slow_space(catalog):
        started.set()
        assert go.wait(5)
        return build_space(catalog)

    monkeypatch.setattr(similar, "space", slow_space)
    answers = []
    in_flight = threading.Thread(target=lambda: answers.append(app.test_client().get("/v1/shoes/old-1/similar")))
    in_flight.start()
    try:
        assert started.wait(5)
        monkeypatch.setattr(similar, "space", build_space)
        assert upload(app.test_client(), NEW).status_code == 200
    finally:
        go.set()
        in_flight.join(5)
    body = answers[0].get_json()
    assert answers[0].status_code == 200
    assert body["catalog"]["version"] == OLD_VERSION
    assert [shoe["id"] for shoe in body["items"]] == ["old-2"]
    assert served_version(app.test_client()) == NEW_VERSION


def test_a_request_takes_the_catalog_once(app):
    holder = catalog_holder(app)
    with app.test_request_context("/v1/shoes"):
        app.preprocess_request()
        first = recommender()
        holder.upload(NEW.encode(), "new")
        assert recommender() is first and first.catalog.version == OLD_VERSION
    assert holder.served_catalog().catalog.version == NEW_VERSION


def test_the_pointer_is_looked_at_once_a_second_at_most(app, monkeypatch):
    looks = []
    signature = served.signature
    monkeypatch.setattr(served, "signature", lambda path: looks.append(path) or signature(path))
    client = app.test_client()
    for _ in range(30):
        client.get("/healthz")
    assert len(looks) <= 1


# --- several workers -------------------------------------------------------------------


def test_an_upload_to_one_worker_reaches_the_others_within_a_second(instance, configured):
    one, two = make_app(instance, configured).test_client(), make_app(instance, configured).test_client()
    old_etag = two.get("/v1/shoes").headers["ETag"]
    assert upload(one, NEW).status_code == 200
    assert wait_for_version(two, NEW_VERSION) < served.CHECK_SECONDS + 0.5
    assert shoe_ids(two) == ["new-1", "new-2", "new-3"]
    assert two.get("/v1/shoes", headers={"If-None-Match": old_etag}).status_code == 200
    assert reload(two).status_code == 200
    wait_for_version(one, OLD_VERSION)


def test_a_pointer_to_a_broken_catalog_keeps_the_old_one_serving(instance, configured, caplog):
    app = make_app(instance, configured)
    catalog_holder(app).interval = 0
    client = app.test_client()
    broken = served.catalog_file("0123456789abcdef")
    instance.joinpath(broken).write_text(BROKEN)
    for name in (broken, "../configured.csv", served.catalog_file("fedcba9876543210"), b"\xff\xfe"):
        point_at(instance, name)
        assert served_version(client) == OLD_VERSION and shoe_ids(client) == ["old-1", "old-2"]
    assert sum("still serving" in r.getMessage() for r in caplog.records if r.levelname == "ERROR") == 4
    # The same worker does follow a pointer to a good catalog: the checks above were made.
    instance.joinpath(served.catalog_file(NEW_VERSION)).write_text(NEW)
    point_at(instance, served.catalog_file(NEW_VERSION))
    assert served_version(client) == NEW_VERSION


def test_an_upload_survives_a_restart_and_reload_goes_back(instance, configured):
    assert upload(make_app(instance, configured).test_client(), NEW).status_code == 200
    restarted = make_app(instance, configured).test_client()
    assert served_version(restarted) == NEW_VERSION
    assert reload(restarted).status_code == 200
    assert served_version(make_app(instance, configured).test_client()) == OLD_VERSION


def test_a_restart_refuses_a_pointer_to_a_broken_catalog(instance, configured):
    make_app(instance, configured)
    instance.joinpath(served.catalog_file("0123456789abcdef")).write_text(BROKEN)
    point_at(instance, served.catalog_file("0123456789abcdef"))
    with pytest.raises(CatalogError) as refused:
        make_app(instance, configured)
    assert str(instance / served.POINTER) in str(refused.value) and "price" in str(refused.value)
