"""The benchmark script runs end to end (tiny sizes): its figures are for people, not asserts."""

import re
import subprocess
import sys

from helpers import ROOT


def test_benchmark_quick_run_prints_its_figures():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_recommend.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert len(re.findall(r"^ratio POST recs, .+ / healthz = \d+\.\d\d", run.stdout, flags=re.M)) == 2
    assert "synthetic" in run.stdout and "non-2xx" in run.stdout
    # Every HTTP row: zero non-2xx responses and zero socket errors.
    rows = re.findall(r"^\d+\s+(?:GET|POST) .+?\s+[\d.]+\s+[\d.]+\s+(\d+)\s+(\d+)\s*$", run.stdout, flags=re.M)
    assert len(rows) == 3 and all(row == ("0", "0") for row in rows)
