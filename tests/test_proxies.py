"""Whose address a request comes from: X-Forwarded-For believed only from the configured proxies, the same in the
access log and in the rate limits."""

import logging

import orjson
import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from shoefit import create_app
from shoefit.config import ConfigError, load
from shoefit.web import observability
from shoefit.web.observability import TrustedProxies

COUNTED = "/v1/fittings/nope"
PROXY = "10.0.0.1"


def proxies(raw):
    return load(environ={"SHOEFIT_TRUSTED_PROXIES": raw})["TRUSTED_PROXIES"]


def seen_behind(raw):
    """A client for a bare WSGI app that answers with the address and scheme it was given, behind proxies `raw`."""

    def app(environ, start_response):
        return Response(f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']}")(environ, start_response)

    client = Client(TrustedProxies(app, proxies(raw)))

    def seen(peer, forwarded=None, proto=None):
        headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
        headers |= {"X-Forwarded-Proto": proto} if proto is not None else {}
        return client.get("/", headers=headers, environ_base={"REMOTE_ADDR": peer}).get_data(as_text=True)

    return seen


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addresses = []

    def emit(self, record):
        self.addresses.append(orjson.loads(record.getMessage())["remote_addr"])


@pytest.fixture()
def logged():
    handler = Lines()
    observability.access_log.addHandler(handler)
    yield handler.addresses
    observability.access_log.removeHandler(handler)


def test_a_client_connecting_directly_is_not_believed():
    seen = seen_behind(PROXY)
    assert seen("198.51.100.4", "203.0.113.9", "https") == "198.51.100.4 http"


def test_a_configured_proxy_is_believed():
    seen = seen_behind(PROXY)
    assert seen(PROXY, "203.0.113.9", "https") == "203.0.113.9 https"
    assert seen(PROXY) == f"{PROXY} http"


def test_what_a_client_writes_itself_is_never_reached():
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it really came from.
    assert seen_behind(PROXY)(PROXY, "1.2.3.4, 203.0.113.9") == "203.0.113.9 http"


def test_a_chain_of_proxies_is_read_hop_by_hop():
    # The outer proxy (10.1.0.7) saw the client; the inner one (the peer) saw the outer one, and each says so.
    seen = seen_behind(f"{PROXY}, 10.1.0.0/16")
    assert seen(PROXY, "1.2.3.4, 203.0.113.9, 10.1.0.7", "https, http") == "203.0.113.9 https"


@pytest.mark.parametrize("bad", ["unknown", "203.0.113.9:5555", "<script>"])
def test_an_entry_that_is_no_address_stops_at_the_last_proxy(bad):
    assert seen_behind(PROXY)(PROXY, f"203.0.113.9, {bad}") == f"{PROXY} http"


def test_a_dual_stack_peer_matches_its_ipv4_network():
    assert seen_behind("10.0.0.0/8")("::ffff:10.0.0.1", "203.0.113.9") == "203.0.113.9 http"


def test_a_proxy_on_the_unix_socket_is_believed_only_when_configured():
    assert seen_behind("unix")("", "203.0.113.9") == "203.0.113.9 http"
    assert seen_behind(PROXY)("", "203.0.113.9") == " http"


def test_proxies_setting():
    assert load(environ={})["TRUSTED_PROXIES"] == ()
    parsed = proxies(" 10.0.0.1, 10.1.0.0/16 ,::1, UNIX")
    assert [str(proxy) for proxy in parsed] == ["10.0.0.1/32", "10.1.0.0/16", "::1/128", "unix"]


@pytest.mark.parametrize("raw", ["1", "2", "proxy.example.com", "10.0.0.300"])
def test_a_proxy_must_be_named_by_address(raw):
    with pytest.raises(ConfigError, match=rf"SHOEFIT_TRUSTED_PROXIES={raw!r}: expected comma-separated addresses"):
        proxies(raw)


def test_the_log_and_the_limits_name_the_same_client(logged):
    client = create_app({"RATE_LIMIT": "1/minute", "TRUSTED_PROXIES": proxies(PROXY)}).test_client()

    def status(peer, forwarded):
        response = client.get(COUNTED, headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": peer})
        return response.status_code

    # Two clients behind the proxy: one count each, each logged by its address.
    assert [status(PROXY, address) for address in ["203.0.113.9", "203.0.113.10", "203.0.113.9"]] == [404, 404, 429]
    # A client reaching the service directly cannot pose as another one, nor dodge its own count.
    assert [status("198.51.100.4", "203.0.113.11"), status("198.51.100.4", "203.0.113.12")] == [404, 429]
    assert logged == ["203.0.113.9", "203.0.113.10", "203.0.113.9", "198.51.100.4", "198.51.100.4"]
