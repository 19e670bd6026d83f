"""The README's fitting walkthrough: the same commands as examples/, run against a live server."""

import os
import re
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from shoefit import create_app

from helpers import ROOT

SCRIPT = ROOT / "examples" / "fitting-walkthrough.sh"
PASTED_FROM = "set -euo pipefail\n"


def test_the_readme_shows_the_scripts_commands():
    script = SCRIPT.read_text()
    pasted = script[script.index(PASTED_FROM) + len(PASTED_FROM) :]
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### The fitting walkthrough") :]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    assert block == pasted


@pytest.fixture()
def live_server(store_url):
    server = make_server("127.0.0.1", 0, create_app({"DATABASE_URL": store_url}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_walkthrough_runs_end_to_end(live_server):
    run = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**os.environ, "SHOEFIT_URL": live_server},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert re.search(r'^fitting http://.+/v1/fittings/\S+, ETag "1"$', out, flags=re.M)
    assert 'answers updated, ETag "2"' in out
    # Ten days of pain: the stress-fracture red flag leads both shortlists.
    assert len(re.findall(r"^  ! see_doctor stress_fracture_risk_duration$", out, flags=re.M)) == 2
    assert re.search(r"^  1\. \S+ [\d.]+ \(\+10\.0\)  tried: comfort 5, kept$", out, flags=re.M)
    assert len(re.findall(r"^  triage: see_doctor$", out, flags=re.M)) == 2
    assert re.search(r"^  changed: Heel counter: now .+ \(was .+\): heel slips in the .+\.$", out, flags=re.M)
    assert re.search(r"^  set aside: .+: off the shortlist.*, you returned it\.$", out, flags=re.M)
    assert len(re.findall(r"^  like it: \S+ [\d.]+$", out, flags=re.M)) == 3
    assert out.rstrip().endswith("fitting deleted")
