"""Request ids on every response and problem, and the access log line."""

import logging
import os
import re
from datetime import UTC, datetime, timedelta

import flask
import orjson
import pytest

from shoefit import create_app
from shoefit.config import ConfigError, load
from shoefit.web import observability

GENERATED = re.compile(r"[0-9a-f]{32}")


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture()
def access_lines():
    handler = Lines()
    observability.access_log.addHandler(handler)
    yield handler.messages
    observability.access_log.removeHandler(handler)


@pytest.fixture(scope="module")
def failing_app():
    # Not TESTING: an unhandled error must become a 500 problem, as in production.
    app = create_app({"MAX_BODY_BYTES": 1000})

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    return app


def test_a_request_id_is_made_and_echoed(client):
    response = client.get("/healthz")
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    assert client.get("/healthz").headers["X-Request-ID"] != response.headers["X-Request-ID"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_workers_make_different_request_ids(client):
    # gunicorn forks its workers from one preloaded app: ids drawn from a generator they all inherited, unseeded,
    # would repeat across workers.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, client.get("/healthz").headers["X-Request-ID"].encode())
        finally:
            os._exit(0)
    os.close(write)
    theirs = os.read(read, 64).decode()
    os.waitpid(pid, 0)
    os.close(read)
    assert GENERATED.fullmatch(theirs) and client.get("/healthz").headers["X-Request-ID"] != theirs


@pytest.mark.parametrize("sent", ["kiosk-7:42", "a", "0123456789abcdef" * 8, "trace.id_1-2"])
def test_a_sane_client_request_id_is_kept(client, sent):
    response = client.get("/v1/fittings/nope", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] == sent
    assert response.get_json()["request_id"] == sent


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "semi;colon", "<script>", "é"])
def test_an_unsafe_client_request_id_is_replaced(client, sent):
    response = client.get("/healthz", headers={"X-Request-ID": sent})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def _problem_carries_the_id(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_every_kind_of_error_carries_the_request_id(failing_app):
    client = failing_app.test_client()
    _problem_carries_the_id(client.get("/no/such/path"), 404)
    _problem_carries_the_id(client.post("/v1/fittings", data="x", content_type="text/plain"), 415)
    _problem_carries_the_id(client.post("/v1/fittings", json={"symptoms": ["forefoot_pain"] * 100}), 413)
    _problem_carries_the_id(client.post("/v1/fittings", data="{", content_type="application/json"), 400)
    _problem_carries_the_id(client.post("/v1/fittings", json={"arch_type": "round"}), 422)
    _problem_carries_the_id(client.delete("/healthz"), 405)
    _problem_carries_the_id(client.get("/boom", headers={"X-Request-ID": "kiosk-1"}), 500)


def test_an_unhandled_error_is_logged_with_the_request_id(failing_app, caplog):
    with caplog.at_level(logging.ERROR, logger="shoefit.problems"):
        response = failing_app.test_client().get("/boom", headers={"X-Request-ID": "kiosk-2"})
    assert response.status_code == 500 and "kaboom" not in response.get_data(as_text=True)
    (record,) = [r for r in caplog.records if r.name == "shoefit.problems"]
    assert "kiosk-2" in record.getMessage() and "GET /boom" in record.getMessage()
    assert record.exc_info[0] is RuntimeError


def test_the_problem_schema_documents_the_request_id(client):
    schema = client.get("/openapi.json").get_json()["components"]["schemas"]["Problem"]
    assert "request_id" in schema["properties"]


def test_one_json_line_per_request_without_values(client, access_lines):
    response = client.get(
        "/v1/fittings/secret-fitting?name=Jane+Doe&email=jane%40example.com",
        headers={"X-Request-ID": "kiosk-3"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    # Refused for its unknown parameters; what matters here is that their values stay out of the log.
    assert response.status_code == 422
    (line,) = access_lines
    entry = orjson.loads(line)
    assert entry["request_id"] == "kiosk-3"
    assert entry["method"] == "GET" and entry["path"] == "/v1/fittings/secret-fitting"
    assert entry["query"] == ["email", "name"]
    assert entry["status"] == 422 and entry["remote_addr"] == "192.0.2.7"
    assert entry["duration_ms"] >= 0 and entry["time"].endswith("+00:00")
    assert "Jane" not in line and "example.com" not in line


def test_the_body_is_never_logged(client, access_lines):
    client.post("/v1/fittings", json={"arch_type": "round", "brands": ["Jane's own brand"]})
    (line,) = access_lines
    assert orjson.loads(line)["status"] == 422 and "Jane" not in line and "round" not in line


def test_the_line_is_written_for_short_circuited_requests(client, access_lines):
    client.post("/v1/fittings", data="x", content_type="text/plain", headers={"X-Request-ID": "kiosk-4"})
    (line,) = access_lines
    assert orjson.loads(line) | {"status": 415, "request_id": "kiosk-4"} == orjson.loads(line)


def test_plain_text_lines_and_off(access_lines):
    create_app({"ACCESS_LOG": "text"}).test_client().get("/healthz?verbose=1", headers={"X-Request-ID": "kiosk-5"})
    create_app({"ACCESS_LOG": "off"}).test_client().get("/healthz", headers={"X-Request-ID": "kiosk-6"})
    (line,) = access_lines
    assert re.fullmatch(r'127\.0\.0\.1 "GET /healthz\?verbose" 200 [0-9.]+ms request_id=kiosk-5', line)


def test_the_access_log_goes_to_stderr_by_default(client, capsys):
    client.get("/healthz", headers={"X-Request-ID": "kiosk-8"})
    assert '"request_id":"kiosk-8"' in capsys.readouterr().err


def test_behind_trusted_proxies_the_client_is_the_forwarded_address(access_lines):
    proxies = load(environ={"SHOEFIT_TRUSTED_PROXIES": "10.0.0.1"})["TRUSTED_PROXIES"]
    app = create_app({"TRUSTED_PROXIES": proxies})
    app.test_client().get(
        "/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert orjson.loads(access_lines[0])["remote_addr"] == "203.0.113.9"


def test_without_trusted_proxies_forwarded_headers_are_ignored(client, access_lines):
    client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert orjson.loads(access_lines[0])["remote_addr"] == "10.0.0.1"


def test_access_log_setting():
    assert load(environ={})["ACCESS_LOG"] == "json"
    assert load(environ={"SHOEFIT_ACCESS_LOG": " Text "})["ACCESS_LOG"] == "text"
    with pytest.raises(ConfigError, match=r"SHOEFIT_ACCESS_LOG='xml': expected json, text or off"):
        load(environ={"SHOEFIT_ACCESS_LOG": "xml"})


def test_the_line_names_the_path_and_query_names_as_the_request_read_them(client, access_lines):
    # Written outside the request context (web/observability.AccessLog): it must decode what werkzeug decodes.
    client.get("/v1/shoes/caf%C3%A9?na%6De=Jane&a=1&a=2&flag")
    entry = orjson.loads(access_lines[0])
    assert entry["path"] == "/v1/shoes/café"
    assert entry["query"] == ["a", "flag", "name"] and "Jane" not in access_lines[0]


def test_the_line_is_stamped_in_utc_to_the_millisecond(client, access_lines):
    before = datetime.now(UTC)
    client.get("/healthz")
    stamp = orjson.loads(access_lines[0])["time"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", stamp)
    assert before - timedelta(milliseconds=1) <= datetime.fromisoformat(stamp) <= datetime.now(UTC)


def test_hooks_and_views_are_checked_for_coroutines_once_not_per_request(client, monkeypatch):
    checked = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: checked.append(func) or real(func))
    client.get("/healthz")
    first = len(checked)
    client.get("/healthz")
    assert len(checked) == first
