"""The README's curl examples, run as written against a live server."""

import json
import re
import shlex
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from shoefit import create_app

from helpers import ROOT

DEFAULT_ADDRESS = "http://127.0.0.1:8000"


def readme_curl_lines():
    text = (ROOT / "README.md").read_text()
    # The quick-start lines; the fitting walkthrough (curl -sS) has its own test.
    return re.findall(r"^curl -s .*$", text, flags=re.M)


@pytest.fixture(scope="module")
def live_server():
    server = make_server("127.0.0.1", 0, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_readme_has_curl_examples():
    assert len(readme_curl_lines()) >= 4


@pytest.mark.parametrize("line", readme_curl_lines())
def test_readme_curl_example_works(live_server, line):
    assert DEFAULT_ADDRESS in line
    args = shlex.split(line.replace(DEFAULT_ADDRESS, live_server))
    run = subprocess.run([args[0], "--fail-with-body", "--max-time", "10", *args[1:]], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    body = json.loads(run.stdout)
    assert "status" not in body or body["status"] in ("ok", "ready")
