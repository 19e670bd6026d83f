"""Fittings over HTTP, on SQLite and (when configured) PostgreSQL: the fitter's workflow step by step."""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from shoefit import create_app

from helpers import ROOT

PROBLEM = "application/problem+json"
FLAT_OVERPRONATOR = {"arch_type": "flat", "pronation": "overpronation", "pain": {"days": 2, "severity": 3}}


@pytest.fixture()
def app(store_url):
    return create_app({"TESTING": True, "DATABASE_URL": store_url})


@pytest.fixture()
def client(app):
    return app.test_client()


def send(client, method, path, body=None, **headers):
    return client.open(path, method=method, json=body, headers=headers)


def open_fitting(client, profile=FLAT_OVERPRONATOR):
    response = send(client, "POST", "/v1/fittings", profile)
    assert response.status_code == 201, response.get_json()
    return response


def assert_problem(response, status, field=None, value=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"]
    if field is not None:
        assert any(e["field"] == field and e.get("value") == value for e in body["errors"]), body


def test_a_fitting_opens_with_location_etag_and_an_opaque_id(client):
    response = open_fitting(client)
    body = response.get_json()
    assert response.headers["Location"] == f"/v1/fittings/{body['id']}"
    assert response.headers["ETag"] == '"1"' and body["version"] == 1
    assert body["profile"] == FLAT_OVERPRONATOR
    assert "flat" not in body["id"] and len(body["id"]) >= 16
    again = client.get(response.headers["Location"])
    assert again.status_code == 200 and again.get_json() == body
    assert again.headers["ETag"] == '"1"'
    assert client.get(response.headers["Location"], headers={"If-None-Match": '"1"'}).status_code == 304


def test_an_invalid_profile_opens_nothing(client):
    assert_problem(send(client, "POST", "/v1/fittings", {"arch_type": "flatt"}), 422, "arch_type", "flatt")
    assert_problem(send(client, "POST", "/v1/fittings", {"brands": ["Nobrand"]}), 422, "brands.0", "Nobrand")


def test_a_patch_merges_revalidates_and_bumps_the_version(client):
    location = open_fitting(client).headers["Location"]
    patch = {"pronation": "neutral", "pain": {"severity": 6, "days": None}, "symptoms": ["forefoot_pain"]}
    response = send(client, "PATCH", location, patch, **{"If-Match": '"1"'})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert response.headers["ETag"] == '"2"' and body["version"] == 2
    assert body["profile"] == {
        "arch_type": "flat",
        "pronation": "neutral",
        "pain": {"severity": 6},
        "symptoms": ["forefoot_pain"],
    }
    assert body["updated_at"] >= body["created_at"]


def test_a_stale_or_missing_if_match_changes_nothing(client):
    location = open_fitting(client).headers["Location"]
    # Two fitters read version 1; the first one's change lands, the second one's is refused.
    assert send(client, "PATCH", location, {"arch_type": "high"}, **{"If-Match": '"1"'}).status_code == 200
    stale = send(client, "PATCH", location, {"arch_type": "neutral"}, **{"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert stale.headers["ETag"] == '"2"'
    assert_problem(send(client, "PATCH", location, {"arch_type": "neutral"}), 428)
    assert client.get(location).get_json()["profile"]["arch_type"] == "high"


def test_a_patch_that_makes_the_profile_invalid_changes_nothing(client):
    location = open_fitting(client).headers["Location"]
    bad = send(client, "PATCH", location, {"pain": {"severity": 11}}, **{"If-Match": '"1"'})
    assert_problem(bad, 422, "pain.severity", 11)
    assert_problem(send(client, "PATCH", location, [1, 2], **{"If-Match": '"1"'}), 422, "(body)", [1, 2])
    after = client.get(location)
    assert after.headers["ETag"] == '"1"' and after.get_json()["profile"] == FLAT_OVERPRONATOR


def test_a_merge_patch_content_type_is_accepted(client):
    location = open_fitting(client).headers["Location"]
    response = client.patch(
        location,
        data=json.dumps({"width": "wide"}),
        headers={"Content-Type": "application/merge-patch+json", "If-Match": '"1"'},
    )
    assert response.status_code == 200 and response.get_json()["profile"]["width"] == "wide"


def test_tryons_are_recorded_in_order_and_validated(client, catalog):
    location = open_fitting(client).headers["Location"]
    shoes = catalog.ids[:3].tolist()
    for comfort, shoe in zip((5, 2, 4), shoes, strict=True):
        response = send(client, "POST", f"{location}/tryons", {"shoe_id": shoe, "comfort": comfort})
        assert response.status_code == 201, response.get_json()
        assert response.headers["Location"].startswith(f"{location}/tryons/")
    listed = client.get(f"{location}/tryons").get_json()
    assert [(t["shoe_id"], t["comfort"], t["decision"]) for t in listed["items"]] == [
        (shoes[0], 5, "undecided"),
        (shoes[1], 2, "undecided"),
        (shoes[2], 4, "undecided"),
    ]
    assert listed["total"] == 3
    assert_problem(send(client, "POST", f"{location}/tryons", {"shoe_id": shoes[0], "comfort": 6}), 422, "comfort", 6)
    assert_problem(
        send(client, "POST", f"{location}/tryons", {"shoe_id": "nope", "comfort": 3}), 422, "shoe_id", "nope"
    )
    bad_note = {"shoe_id": shoes[0], "comfort": 3, "fit_notes": ["wobbly"]}
    assert_problem(send(client, "POST", f"{location}/tryons", bad_note), 422, "fit_notes.0", "wobbly")
    assert client.get(f"{location}/tryons").get_json()["total"] == 3
    # A try-on is activity, not a change of the profile: the fitting's ETag stays.
    assert client.get(location).headers["ETag"] == '"1"'


def test_unknown_fittings_are_404_problems(client, catalog):
    for method, path, body in (
        ("GET", "/v1/fittings/nope", None),
        ("PATCH", "/v1/fittings/nope", {"arch_type": "high"}),
        ("DELETE", "/v1/fittings/nope", None),
        ("GET", "/v1/fittings/nope/tryons", None),
        ("POST", "/v1/fittings/nope/tryons", {"shoe_id": catalog.ids[0], "comfort": 3}),
        ("GET", "/v1/fittings/nope/recommendations", None),
    ):
        assert_problem(send(client, method, path, body, **{"If-Match": '"1"'}), 404)


def test_delete_removes_the_fitting_and_its_tryons(client, catalog):
    location = open_fitting(client).headers["Location"]
    send(client, "POST", f"{location}/tryons", {"shoe_id": catalog.ids[0], "comfort": 3})
    assert_problem(send(client, "DELETE", location, **{"If-Match": '"7"'}), 412)
    assert client.delete(location).status_code == 204
    assert_problem(client.get(location), 404)
    assert_problem(client.get(f"{location}/tryons"), 404)


def test_recommendations_without_tryons_are_the_core_answer(client):
    location = open_fitting(client).headers["Location"]
    fitted = client.get(f"{location}/recommendations").get_json()
    core = send(client, "POST", "/v1/recommendations", FLAT_OVERPRONATOR).get_json()
    assert fitted.pop("fitting")["version"] == 1
    assert fitted.pop("feedback") is None
    assert fitted == core


def test_tryons_rerank_mark_and_explain(client):
    location = open_fitting(client).headers["Location"]
    before = [p["id"] for p in client.get(f"{location}/recommendations").get_json()["recommendations"]]
    disliked = before[0]
    send(client, "POST", f"{location}/tryons", {"shoe_id": disliked, "comfort": 1, "decision": "returned"})
    after = client.get(f"{location}/recommendations").get_json()
    ids = [p["id"] for p in after["recommendations"]]
    assert disliked not in ids[:1]
    assert after["feedback"] is not None
    if disliked in ids:
        pick = after["recommendations"][ids.index(disliked)]
        assert pick["tried"]["comfort"] == 1 and pick["feedback_points"] < 0


# ------------------------------------------------------------------ live server


@pytest.fixture(params=["threads", "gunicorn"])
def live_url(request, app, store_url):
    """A live server on a free loopback port: threads in this process, or gunicorn's 2 worker processes."""
    if request.param == "threads":
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"127.0.0.1:{server.server_port}"
        server.shutdown()
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--preload", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "SHOEFIT_DATABASE_URL": store_url})
    try:
        _wait_until_answering(f"127.0.0.1:{port}", server)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)


def _wait_until_answering(address, server, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            connection = http.client.HTTPConnection(address, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer on {address} within {seconds} s")


def test_concurrent_tryons_on_one_fitting_are_all_stored(live_url, catalog):
    threads, per_thread = 8, 25
    connection = http.client.HTTPConnection(live_url, timeout=30)
    connection.request("POST", "/v1/fittings", json.dumps(FLAT_OVERPRONATOR), {"Content-Type": "application/json"})
    opened = connection.getresponse()
    location = opened.getheader("Location")
    opened.read()
    shoes = catalog.ids[:threads].tolist()
    failures = []

    def fire(shoe):
        conn = http.client.HTTPConnection(live_url, timeout=30)
        for n in range(per_thread):
            body = json.dumps({"shoe_id": shoe, "comfort": 1 + n % 5})
            conn.request("POST", f"{location}/tryons", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                failures.append(response.status)

    workers = [threading.Thread(target=fire, args=(shoe,)) for shoe in shoes]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    connection.request("GET", f"{location}/tryons")
    stored = json.loads(connection.getresponse().read())["items"]
    assert len(stored) == threads * per_thread
    assert Counter(t["shoe_id"] for t in stored) == {shoe: per_thread for shoe in shoes}
    for shoe in shoes:
        # Each thread's writes, in the order it made them.
        assert [t["comfort"] for t in stored if t["shoe_id"] == shoe] == [1 + n % 5 for n in range(per_thread)]


def test_a_database_that_does_not_answer_is_a_503_not_a_500():
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test", "AUTO_MIGRATE": False})
    client = app.test_client()
    assert_problem(client.get("/readyz"), 503)
    down = send(client, "POST", "/v1/fittings", FLAT_OVERPRONATOR)
    assert_problem(down, 503)
    assert down.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_the_service_refuses_to_start_when_it_cannot_migrate_its_database():
    run = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env={"SHOEFIT_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("shoefit: not starting:") and "127.0.0.1" in run.stderr
    assert "Traceback" not in run.stderr
