"""Rate limits per client (in memory and shared through Redis, by address or client key) and CORS for the kiosk origins.

gunicorn with two workers counting together or alone: test_limits_served.py; whose address counts: test_proxies.py.
"""

import logging
import secrets
import socket

import pytest

from shoefit import create_app
from shoefit.config import ConfigError, load
from shoefit.web import limits

REDIS = ("127.0.0.1", 6379)
# Any request with an endpoint is counted; a fitting that does not exist costs nothing to answer.
COUNTED = "/v1/fittings/nope"
KIOSK = "https://kiosk.example.com"


def limited(limit="2/minute", **settings):
    return create_app({"RATE_LIMIT": limit, **settings}).test_client()


def a_client_address():
    # Its own address per test: counts shared through Redis cannot leak between tests or runs.
    return {"REMOTE_ADDR": f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"}


def redis_answers():
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        return False
    return True


def test_over_the_limit_is_a_429_problem_with_retry_after():
    client = limited("2/minute")
    assert [client.get(COUNTED).status_code for _ in range(2)] == [404, 404]
    response = client.get(COUNTED, headers={"X-Request-ID": "kiosk-9"})
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body = response.get_json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    assert "2 per 1 minute" in body["detail"] and body["request_id"] == "kiosk-9"
    assert response.headers["X-Request-ID"] == "kiosk-9"


def test_every_limit_must_hold():
    client = limited("100/minute;3/second")
    assert [client.get(COUNTED).status_code for _ in range(4)] == [404, 404, 404, 429]


def test_the_count_is_per_client_over_all_endpoints():
    client = limited("2/minute")
    first = a_client_address()
    assert client.get(COUNTED, environ_base=first).status_code == 404
    assert client.post("/v1/fittings", json={"arch_type": "round"}, environ_base=first).status_code == 422
    assert client.get("/v1/fittings/other", environ_base=first).status_code == 429
    assert client.get(COUNTED, environ_base=a_client_address()).status_code == 404


def test_probes_and_preflights_are_not_counted():
    client = limited("1/minute")
    assert {client.get(path).status_code for path in ["/healthz", "/readyz"] * 5} == {200}
    assert {client.options(COUNTED).status_code for _ in range(5)} == {200}
    assert client.get(COUNTED).status_code == 404


def test_the_kiosk_pages_own_files_are_not_counted_but_its_api_calls_are():
    client = limited("1/minute")
    files = ["/", "/kiosk", "/kiosk/settings.json", "/kiosk/assets/kiosk.css", "/kiosk/assets/js/kiosk.js"]
    assert {client.get(path).status_code for path in files * 3} == {200, 302}
    assert client.get("/v1/vocabulary").status_code == 200
    assert client.get("/v1/vocabulary").status_code == 429


@pytest.mark.parametrize("off", ["off", "OFF", ""])
def test_off_means_no_limit(off):
    client = limited(off)
    assert {client.get(COUNTED).status_code for _ in range(30)} == {404}


def test_rate_limit_settings():
    defaults = load(environ={})
    assert defaults["RATE_LIMIT"] == "300/minute;20/second" and defaults["RATE_LIMIT_STORAGE_URL"] == "memory://"
    assert load(environ={"SHOEFIT_RATE_LIMIT": " Off "})["RATE_LIMIT"] == "off"
    assert load(environ={"SHOEFIT_RATE_LIMIT": "10 per minute"})["RATE_LIMIT"] == "10 per minute"
    with pytest.raises(ConfigError, match=r"SHOEFIT_RATE_LIMIT='lots': expected limits such as"):
        load(environ={"SHOEFIT_RATE_LIMIT": "lots"})


def test_an_unknown_storage_is_refused_at_start():
    with pytest.raises(ConfigError, match=r"SHOEFIT_RATE_LIMIT_STORAGE_URL='mongo://x'"):
        create_app({"RATE_LIMIT": "2/minute", "RATE_LIMIT_STORAGE_URL": "mongo://x"})


def test_when_redis_does_not_answer_each_worker_counts_in_memory(caplog):
    # Nothing listens on port 1: the service keeps answering, and keeps limiting, from memory.
    client = limited("2/minute", RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        statuses = [client.get(COUNTED).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
    assert any("falling back to in-memory storage" in r.getMessage() for r in caplog.records)


def test_each_configured_client_key_is_counted_alone():
    client = limited("2/minute", RATE_LIMIT_CLIENT_KEYS=("kiosk-1", "kiosk-2"))
    store = a_client_address()  # every kiosk of the store behind one address

    def status(key=None):
        return client.get(COUNTED, headers={"X-Client-Key": key} if key else {}, environ_base=store).status_code

    assert [status("kiosk-1") for _ in range(3)] == [404, 404, 429]
    assert [status("kiosk-2") for _ in range(3)] == [404, 404, 429]
    # A client without a key at the same address has the address's own count.
    assert [status() for _ in range(3)] == [404, 404, 429]


def test_an_unknown_key_counts_by_address_as_no_key_does():
    client = limited("2/minute", RATE_LIMIT_CLIENT_KEYS=("kiosk-1",))
    address = a_client_address()
    invented = [client.get(COUNTED, headers={"X-Client-Key": f"mine-{n}"}, environ_base=address) for n in range(2)]
    assert [response.status_code for response in invented] == [404, 404]
    assert client.get(COUNTED, environ_base=address).status_code == 429
    assert client.get(COUNTED, headers={"X-Client-Key": "kiosk-1"}, environ_base=address).status_code == 404


def test_client_key_setting():
    assert load(environ={})["RATE_LIMIT_CLIENT_KEYS"] == ()
    parsed = load(environ={"SHOEFIT_RATE_LIMIT_CLIENT_KEYS": " kiosk-1, ,kiosk-2 "})["RATE_LIMIT_CLIENT_KEYS"]
    assert parsed == ("kiosk-1", "kiosk-2")


@pytest.mark.parametrize(
    ("workers", "settings", "announced"),
    [
        (2, {}, True),
        (1, {}, False),
        (2, {"RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:1/0"}, False),
        (2, {"RATE_LIMIT": "off"}, False),
    ],
)
def test_several_workers_counting_in_memory_say_so_at_start(monkeypatch, caplog, workers, settings, announced):
    monkeypatch.setitem(limits.serving, "workers", workers)
    with caplog.at_level(logging.WARNING, logger="shoefit"):
        create_app({"RATE_LIMIT": "300/minute;20/second", **settings})
    lines = [r.getMessage() for r in caplog.records if r.name == "shoefit" and "count per worker" in r.getMessage()]
    assert bool(lines) is announced
    if announced:
        (line,) = lines
        assert "each of the 2 workers allows a client 300/minute;20/second, so up to 2 times that" in line


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379 to share counts through")
def test_workers_sharing_redis_share_the_count():
    settings = {"RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0"}
    one, two = limited("3/minute", **settings), limited("3/minute", **settings)
    address = a_client_address()
    assert [one.get(COUNTED, environ_base=address).status_code for _ in range(2)] == [404, 404]
    assert two.get(COUNTED, environ_base=address).status_code == 404
    assert two.get(COUNTED, environ_base=address).status_code == 429
    assert one.get(COUNTED, environ_base=address).status_code == 429
    # A worker with memory storage does not see the others' count.
    assert limited("3/minute").get(COUNTED, environ_base=address).status_code == 404


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379 to look the counts up in")
def test_a_client_key_is_never_written_to_redis():
    import redis

    key = f"kiosk-{secrets.token_hex(8)}"
    client = limited("3/minute", RATE_LIMIT_STORAGE_URL="redis://127.0.0.1:6379/0", RATE_LIMIT_CLIENT_KEYS=(key,))
    assert client.get(COUNTED, headers={"X-Client-Key": key}).status_code == 404
    names = [name.decode() for name in redis.Redis(*REDIS).scan_iter("*shoefit*")]
    assert names and not [name for name in names if key in name]


# ----------------------------------------------------------------- CORS


@pytest.fixture(scope="module")
def kiosk_client():
    return create_app({"CORS_ORIGINS": (KIOSK, "http://localhost:5173")}).test_client()


def test_an_allowed_origin_gets_the_cors_headers(kiosk_client):
    response = kiosk_client.get(COUNTED, headers={"Origin": KIOSK})
    assert response.headers["Access-Control-Allow-Origin"] == KIOSK
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert exposed == {"ETag", "Location", "X-Request-ID", "Retry-After"}
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_allows_the_api_methods_and_headers(kiosk_client):
    response = kiosk_client.options(
        "/v1/fittings/abc",
        headers={
            "Origin": KIOSK,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Content-Type, If-Match, X-Request-ID",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == KIOSK
    assert {"GET", "POST", "PATCH", "DELETE"} <= set(response.headers["Access-Control-Allow-Methods"].split(", "))
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"content-type", "if-match", "x-request-id"}


def test_a_preflight_allows_the_client_key(kiosk_client):
    asked = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Client-Key"}
    response = kiosk_client.options(COUNTED, headers={"Origin": KIOSK, **asked})
    assert response.headers["Access-Control-Allow-Headers"].lower() == "x-client-key"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": KIOSK},
        {"Origin": "https://evil.example.com"},
        {},
        {"Origin": KIOSK, "Access-Control-Request-Method": "PATCH"},
    ],
    ids=["allowed", "another", "none", "preflight"],
)
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_every_answer_varies_by_origin_when_origins_are_set(kiosk_client, headers, method):
    # Also those without CORS headers: a cache keeping one for an allowed origin would break the kiosk.
    response = kiosk_client.open(COUNTED, method=method, headers=headers)
    varies_by = [value.strip() for value in ",".join(response.headers.getlist("Vary")).split(",")]
    assert varies_by.count("Origin") == 1


def test_a_refused_request_varies_by_origin_too():
    client = limited("1/minute", CORS_ORIGINS=(KIOSK,))
    assert client.get(COUNTED).status_code == 404
    response = client.get(COUNTED)
    assert response.status_code == 429 and "Origin" in response.vary


@pytest.mark.parametrize("origin", ["https://KIOSK.example.com", "HTTPS://kiosk.example.com", "https://kiosk.example"])
def test_origins_are_compared_exactly(kiosk_client, origin):
    response = kiosk_client.get(COUNTED, headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_origin_configured_with_capitals_matches_what_browsers_send():
    origins = load(environ={"SHOEFIT_CORS_ORIGINS": "https://Kiosk.Example.com"})["CORS_ORIGINS"]
    assert origins == (KIOSK,)
    response = create_app({"CORS_ORIGINS": origins}).test_client().get(COUNTED, headers={"Origin": KIOSK})
    assert response.headers["Access-Control-Allow-Origin"] == KIOSK


@pytest.mark.parametrize("origin", ["https://evil.example.com", "https://kiosk.example.com.evil.net", "null"])
def test_another_origin_gets_no_cors_headers(kiosk_client, origin):
    response = kiosk_client.options(COUNTED, headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    assert not [name for name, _ in response.headers if name.startswith("Access-Control-")]
    response = kiosk_client.get(COUNTED, headers={"Origin": origin})
    assert not [name for name, _ in response.headers if name.startswith("Access-Control-")]


def test_by_default_no_origin_gets_cors_headers(client):
    response = client.get(COUNTED, headers={"Origin": KIOSK})
    assert not [name for name, _ in response.headers if name.startswith("Access-Control-")]


def test_cors_origin_setting():
    assert load(environ={})["CORS_ORIGINS"] == ()
    parsed = load(environ={"SHOEFIT_CORS_ORIGINS": f" {KIOSK}, http://10.0.0.5:8080 ,"})["CORS_ORIGINS"]
    assert parsed == (KIOSK, "http://10.0.0.5:8080")


@pytest.mark.parametrize("raw", ["*", "kiosk.example.com", "https://kiosk.example.com/", "https://*.example.com"])
def test_a_cors_origin_must_be_exact(raw):
    with pytest.raises(ConfigError, match="SHOEFIT_CORS_ORIGINS=.*expected comma-separated origins"):
        load(environ={"SHOEFIT_CORS_ORIGINS": raw})
