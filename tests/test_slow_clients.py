"""Under gunicorn as shipped: slow clients cost a thread for a bounded time, and gunicorn's own errors are problems."""

import json
import logging
import re
import socket
import struct
import subprocess
import time
import urllib.request

import pytest
from helpers import ROOT
from test_serving import _get_when_up, free_port, gunicorn

from shoefit.web import slow_clients
from shoefit.web.thread_worker import stalled_client_in_one_line

CLIENT_TIMEOUT = 5
WORKERS, THREADS = 2, 4


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port = free_port()
    instance = tmp_path_factory.mktemp("gunicorn")
    command, env = gunicorn(
        SHOEFIT_BIND=f"127.0.0.1:{port}",
        SHOEFIT_WORKERS=str(WORKERS),
        SHOEFIT_THREADS=str(THREADS),
        SHOEFIT_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT),
        SHOEFIT_INSTANCE_PATH=str(instance),
        SHOEFIT_DATABASE_URL=f"sqlite:///{instance}/fittings.sqlite3",
        SHOEFIT_ACCESS_LOG="off",
    )
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _get_when_up(f"http://127.0.0.1:{port}/healthz", server, headers={})
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=60)


def trickle(port, count):
    """Connections that send headers and 3 bytes of a 100-byte body, then nothing."""
    sockets = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{\"a"
        )
        sockets.append(client)
    return sockets


def answer(client):
    client.settimeout(CLIENT_TIMEOUT + 10)
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


def test_trickling_clients_do_not_stop_the_others_and_are_let_go(served):
    # One fewer than all the threads: a worker whose threads are all held takes no more connections, so every
    # request below finds the one free thread, whichever worker the kernel would have handed it to.
    slow = trickle(served, WORKERS * THREADS - 1)
    try:
        time.sleep(0.5)  # every slow body is now being read by a worker thread
        for path in ("/healthz", "/v1/vocabulary") * 4:
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{served}{path}", timeout=CLIENT_TIMEOUT * 2) as response:
                assert response.status == 200
            # Long before the slow ones are let go: nobody queued behind them (the margin is for a loaded machine).
            assert time.monotonic() - started < CLIENT_TIMEOUT / 2, path
        for client in slow:
            head, body = answer(client)
            assert head.startswith("HTTP/1.1 408") and "application/problem+json" in head
            assert json.loads(body)["status"] == 408
    finally:
        for client in slow:
            client.close()


def test_a_kept_alive_client_that_stalls_mid_headers_is_let_go(served):
    with socket.create_connection(("127.0.0.1", served)) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        client.settimeout(CLIENT_TIMEOUT + 10)
        first = client.recv(65536)
        while b"\r\n\r\n" not in first:
            first += client.recv(65536)
        head, _, body = first.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)[1])
        while len(body) < length:
            body += client.recv(65536)
        assert head.startswith(b"HTTP/1.1 200") and len(body) == length
        client.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        started = time.monotonic()
        assert client.recv(65536) == b""  # closed, not answered
        assert CLIENT_TIMEOUT - 1 < time.monotonic() - started < CLIENT_TIMEOUT + 5


def test_a_client_that_stalls_in_its_first_headers_is_let_go(served):
    with socket.create_connection(("127.0.0.1", served)) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        client.settimeout(CLIENT_TIMEOUT + 10)
        started = time.monotonic()
        assert client.recv(65536) == b""  # closed, not answered
        assert CLIENT_TIMEOUT - 1 < time.monotonic() - started < CLIENT_TIMEOUT + 5


def test_a_stalled_read_is_logged_as_the_clients_in_one_line():
    def record(error):
        made = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1, "Socket error processing request.",
                                 (), (type(error), error, None))  # fmt: skip
        assert stalled_client_in_one_line(made)
        return made

    stalled = record(BlockingIOError(11, "Resource temporarily unavailable"))
    assert stalled.levelno == logging.WARNING and stalled.exc_info is None and "SHOEFIT_CLIENT_TIMEOUT" in stalled.getMessage()
    other = record(OSError(5, "Input/output error"))
    assert other.levelno == logging.ERROR and other.exc_info is not None


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
    ],
)
def test_gunicorns_own_refusals_are_problems(served, request_bytes, status):
    with socket.create_connection(("127.0.0.1", served)) as client:
        client.sendall(request_bytes)
        head, body = answer(client)
    assert head.startswith(f"HTTP/1.1 {status}") and "Content-Type: application/problem+json" in head
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"] and problem["detail"]


def test_the_client_socket_gets_kernel_timeouts_and_stays_blocking(client):
    # Python's own socket timeout would poll before every read and write of the answer: the kernel's options bound
    # them without a second system call.
    seconds = client.application.config["CLIENT_TIMEOUT"]
    served, peer = socket.socketpair()
    with served, peer:
        assert client.get("/healthz", environ_overrides={"gunicorn.socket": served}).status_code == 200
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
            sec, usec = struct.unpack("ll", served.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("ll")))
            assert sec + usec / 1e6 == seconds
        assert served.gettimeout() is None


class CountingSocket(socket.socket):
    """A socket that counts its setsockopt calls, each a system call."""

    calls = 0

    def setsockopt(self, *args):
        self.calls += 1
        return super().setsockopt(*args)


def test_a_connection_is_bounded_once_however_many_requests_it_carries(client):
    seconds = client.application.config["CLIENT_TIMEOUT"]
    first, peer = socket.socketpair()
    served = CountingSocket(fileno=first.detach())
    with served, peer:
        for _ in range(3):
            assert client.get("/healthz", environ_overrides={"gunicorn.socket": served}).status_code == 200
        assert served.calls == 2  # SO_RCVTIMEO and SO_SNDTIMEO, at the first request
        # As the shipped worker hands it over, already bounded: the app leaves it alone.
        slow_clients.bound(served, seconds)
        assert client.get("/healthz", environ_overrides={"gunicorn.socket": served}).status_code == 200
        assert served.calls == 4
        # Bounded by another time than the app's: the app's own applies.
        slow_clients.bound(served, seconds + 1)
        assert client.get("/healthz", environ_overrides={"gunicorn.socket": served}).status_code == 200
        assert served.calls == 8
        sec, usec = struct.unpack("ll", served.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.calcsize("ll")))
        assert sec + usec / 1e6 == seconds
