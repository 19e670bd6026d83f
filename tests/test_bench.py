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
    assert len(re.findall(r"^ratio .+ / bare Flask = \d+\.\d\d", run.stdout, flags=re.M)) == 2
    assert len(re.findall(r"^ratio POST recs, .+ / bare /answer = \d+\.\d\d", run.stdout, flags=re.M)) == 2
    assert "synthetic" in run.stdout and "non-2xx" in run.stdout
    # Every HTTP row: zero non-2xx responses and zero socket errors.
    rows = re.findall(r"^\d+\s+(?:GET|POST) .+?\s+[\d.]+\s+[\d.]+\s+(\d+)\s+(\d+)\s*$", run.stdout, flags=re.M)
    assert len(rows) == 5 and all(row == ("0", "0") for row in rows)


def test_load_scenario_quick_run_has_no_errors_across_a_reload():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_load.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.count("zero errors: met") == 2
    # Every endpoint of the mix answered in both runs, with its p50 and p99.
    rows = re.findall(r"^(?:GET|POST) (\S+)\s+([\d,]+)\s+0\s+[\d.]+\s+\d+\s+\d+$", run.stdout, flags=re.M)
    assert {path for path, _ in rows} == {
        "/v1/recommendations",
        "/v1/batch/recommendations",
        "/v1/shoes",
        "/v1/shoes/{id}",
        "/v1/vocabulary",
        "/v1/fittings",
        "/v1/fittings/{id}/tryons",
        "/v1/fittings/{id}/recommendations",
    }
    assert re.search(r"reload: HTTP 200 in \d+ ms; catalog version \w+ -> \w+ \(changed\)", run.stdout)


def test_cli_benchmark_prints_each_command_beside_its_target():
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_cli.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = re.findall(r"^shoefit .+?\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+<= 2x: (met|MISSED)$", run.stdout, flags=re.M)
    assert len(rows) == 4
