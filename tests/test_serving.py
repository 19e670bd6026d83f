"""gunicorn.conf.py: gunicorn accepts it, and the service it starts answers with request ids."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import ROOT

GUNICORN = Path(sys.executable).with_name("gunicorn")


def gunicorn(*args, **env):
    return [str(GUNICORN), "-c", "gunicorn.conf.py", *args, "wsgi:app"], {**os.environ, **env}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_accepts_the_config():
    command, env = gunicorn("--check-config")
    run = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_bad_worker_count_is_refused_by_name():
    command, env = gunicorn("--check-config", SHOEFIT_WORKERS="many")
    run = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "SHOEFIT_WORKERS='many'" in run.stderr


def test_gunicorn_serves_with_the_config():
    port = free_port()
    command, env = gunicorn(SHOEFIT_BIND=f"127.0.0.1:{port}", SHOEFIT_WORKERS="1")
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        response = _get_when_up(f"http://127.0.0.1:{port}/healthz", server, headers={"X-Request-ID": "probe-1"})
        assert response.status == 200 and response.headers["X-Request-ID"] == "probe-1"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    # The app's own access line, not gunicorn's.
    assert '"request_id":"probe-1"' in stderr and '"path":"/healthz"' in stderr
    assert server.returncode == 0, stderr


def _get_when_up(url, server, headers, wait=60):
    deadline = time.monotonic() + wait
    while True:
        try:
            return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5)
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"gunicorn stopped before serving {url}: {server.communicate()[1]}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not serve {url} within {wait} s")
            time.sleep(0.2)


def test_every_setting_of_the_gunicorn_config_is_documented():
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r"SHOEFIT_[A-Z_]+", (ROOT / "gunicorn.conf.py").read_text()))
    assert names == {"SHOEFIT_BIND", "SHOEFIT_WORKERS", "SHOEFIT_THREADS"}
    assert all(name in readme for name in names)
