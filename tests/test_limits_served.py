"""Rate limits under gunicorn with two workers: one count through Redis, one count per worker with memory://.

To know that two workers answered, one of them is kept busy: a sync worker that has accepted a request still being
sent waits for it and takes no other, so every other request goes to the second worker. The first request is then
finished and answered by the first worker, which has or has not seen the second one's count.
"""

import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from helpers import ROOT
from test_limits import REDIS, redis_answers
from test_serving import GUNICORN, _get_when_up, free_port

COUNTED = "/v1/fittings/nope"


def serve(port, storage_url, key):
    # Sync workers (one thread: gunicorn makes sync workers with threads gthread ones) whatever gunicorn.conf.py
    # chooses, for the choreography above.
    sync = ["--worker-class", "sync", "--threads", "1"]
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", *sync, "--workers", "2", "wsgi:app"]
    env = {
        **os.environ,
        "SHOEFIT_BIND": f"127.0.0.1:{port}",
        "SHOEFIT_RATE_LIMIT": "2/minute",
        "SHOEFIT_RATE_LIMIT_STORAGE_URL": storage_url,
        # A key of its own: counts kept in Redis by earlier runs cannot reach this one.
        "SHOEFIT_RATE_LIMIT_CLIENT_KEYS": key,
        "SHOEFIT_ACCESS_LOG": "off",
    }
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def status(port, key):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{COUNTED}", headers={"X-Client-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def counts(storage_url):
    """(the second worker's statuses, the first worker's status afterwards, gunicorn's stderr)."""
    port, key = free_port(), f"kiosk-{secrets.token_hex(8)}"
    server = serve(port, storage_url, key)
    try:
        _get_when_up(f"http://127.0.0.1:{port}/healthz", server, headers={})
        with socket.create_connection(("127.0.0.1", port), timeout=10) as held:
            held.sendall(f"GET {COUNTED} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Client-Key: {key}\r\n".encode())
            time.sleep(1)  # for a worker to accept it and wait for the rest
            second = [status(port, key) for _ in range(3)]
            held.sendall(b"Connection: close\r\n\r\n")
            first = int(held.makefile("rb").readline().split()[1])
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    return second, first, stderr


@pytest.mark.skipif(not redis_answers(), reason="no Redis answers on 127.0.0.1:6379 to share counts through")
def test_two_workers_sharing_redis_count_a_client_once():
    second, first, stderr = counts(f"redis://{REDIS[0]}:{REDIS[1]}/0")
    assert second == [404, 404, 429]
    assert first == 429, "the first worker saw the second one's count"
    assert "count per worker" not in stderr


def test_two_workers_counting_in_memory_count_alone_and_say_so():
    second, first, stderr = counts("memory://")
    assert second == [404, 404, 429]
    assert first == 404, "the first worker counts only its own requests"
    assert "each of the 2 workers allows a client 2/minute, so up to 2 times that in all" in stderr
