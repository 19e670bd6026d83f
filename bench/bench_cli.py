#!/usr/bin/env python3
"""Command-line start-up: each `shoefit` command against `python -c "import flask"`, alternating.

    python bench/bench_cli.py [--runs N]

Runs every command and the yardstick in turn, N times each (default 15, after one warm-up), and
prints each command's median wall time, the median of its paired ratios to the yardstick, and the
target (within 2x of importing Flask). Figures, not pass/fail.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() and VENV_PYTHON.exists():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # the project's own shoefit and Flask

TARGET = 2.0
SHOEFIT = Path(sys.executable).with_name("shoefit")
YARDSTICK = [sys.executable, "-c", "import flask"]
COMMANDS = {
    "shoefit --help": [str(SHOEFIT), "--help"],
    "shoefit --version": [str(SHOEFIT), "--version"],
    "shoefit validate-catalog (bundled)": [str(SHOEFIT), "validate-catalog", str(REPO / "data" / "catalog.csv")],
    "shoefit score --help": [str(SHOEFIT), "score", "--help"],
}


def wall(command):
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    print(f"shoefit CLI start-up: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each")
    print(f"{'command':<38}{'median s':>10}{'import flask s':>16}{'ratio':>8}   target")
    for name, command in COMMANDS.items():
        wall(command), wall(YARDSTICK)  # warm the page cache
        pairs = [(wall(command), wall(YARDSTICK)) for _ in range(args.runs)]
        ratio = statistics.median(a / b for a, b in pairs)
        mine, theirs = statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"{name:<38}{mine:>10.3f}{theirs:>16.3f}{ratio:>8.2f}   <= {TARGET:g}x: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
