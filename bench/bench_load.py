#!/usr/bin/env python3
"""Load: a sustained mix of requests against gunicorn on loopback, steady and across a catalog reload.

    python bench/bench_load.py [--quick] [--soak] [--rate N] [--seconds S]

Starts the service with gunicorn.conf.py on a free loopback port (a copy of the bundled catalog,
an admin key, a fittings database in a temporary folder, rate limiting off: the whole load comes
from one address), then runs bench/locustfile.py headless twice at `--rate` requests per second
for `--seconds`: once steady, once with the catalog file changed and POST
/v1/admin/catalog/reload sent halfway; with --soak a third time, with a reload a third in and one
worker SIGKILLed two thirds in. Prints per endpoint the requests, failures, p50 and p99, and the
catalog version before and after. Prints figures, not pass/fail; any failure shows as
FAILED next to its figure.
"""

import argparse
import csv
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() and VENV_PYTHON.exists():
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])  # needs the project's gunicorn and locust

ADMIN_KEY = "bench-admin-key"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body, headers or {})
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def start_server(folder, port, workers):
    catalog = folder / "catalog.csv"
    shutil.copy(REPO / "data" / "catalog.csv", catalog)
    env = {
        **os.environ,
        "SHOEFIT_BIND": f"127.0.0.1:{port}",
        "SHOEFIT_WORKERS": str(workers),
        "SHOEFIT_CATALOG": str(catalog),
        "SHOEFIT_INSTANCE_PATH": str(folder / "instance"),
        "SHOEFIT_DATABASE_URL": f"sqlite:///{folder / 'fittings.sqlite3'}",
        "SHOEFIT_ADMIN_KEYS": ADMIN_KEY,
        "SHOEFIT_RATE_LIMIT": "off",
        "SHOEFIT_ACCESS_LOG": "off",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "-c", str(REPO / "gunicorn.conf.py"), "wsgi:app"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(folder / "server.log", "w"),  # noqa: SIM115 (closed with the process)
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited:\n{(folder / 'server.log').read_text()[-3000:]}")
        try:
            if request(port, "GET", "/readyz")[0] == 200:
                return server, catalog
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not become ready within 60 s")


def catalog_version(port):
    return request(port, "GET", "/readyz")[1]["catalog"]["version"]


def reload_later(port, catalog, after, outcome):
    """Halfway: change a price in the catalog file, then ask the service to reload it."""
    time.sleep(after)
    text = catalog.read_text()
    header, first, rest = text.split("\n", 2)
    cells = first.split(",")
    price = header.split(",").index("price")
    cells[price] = f"{float(cells[price]) + 1:g}"
    catalog.write_text("\n".join([header, ",".join(cells), rest]))
    start = time.perf_counter()
    status, body = request(port, "POST", "/v1/admin/catalog/reload", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    outcome.update(status=status, seconds=time.perf_counter() - start, body=body)


def kill_a_worker_later(server, after, outcome):
    """Two thirds in: SIGKILL one gunicorn worker, as the kernel's OOM killer or a crash would."""
    time.sleep(after)
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    if workers:
        os.kill(workers[0], signal.SIGKILL)
    outcome.update(killed=workers[:1])


def run_locust(port, rate, seconds, prefix):
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(REPO / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(rate),
        "--spawn-rate",
        str(rate),
        "--run-time",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def report(title, rows, seconds):
    print(f"\n== {title} ==")
    head = f"{'endpoint':<34}{'requests':>9}{'failures':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
    print(head)
    print("-" * len(head))
    total_failures = 0
    for row in rows:
        name = "all" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        failures = int(row["Failure Count"])
        if row["Name"] == "Aggregated":
            total_failures = failures
            print("-" * len(head))
        print(
            f"{name:<34}{int(row['Request Count']):>9,}{failures:>9}{float(row['Requests/s']):>8.1f}"
            f"{row['50%']:>8}{row['99%']:>8}"
        )
    print(f"   {'zero errors: met' if total_failures == 0 else f'{total_failures} errors: FAILED'}; {seconds} s")
    return total_failures


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, help="requests per second (locust users at one request/s each)")
    parser.add_argument("--seconds", type=int, help="length of each run (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--soak", action="store_true", help="a third run with a reload and a worker killed")
    args = parser.parse_args(argv)
    # A quick run still sends every request of the mix: at 20 users for 4 s the batch (1 in 20 of the tasks)
    # came about once a run, and now and then not at all.
    defaults = {"rate": 40, "seconds": 6} if args.quick else {"rate": 100, "seconds": 60}
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def soak(port, server, catalog, args):
    """The same load with a catalog reload a third in and a worker killed two thirds in."""
    reload, kill = {}, {}
    threads = [
        threading.Thread(target=reload_later, args=(port, catalog, args.seconds / 3, reload)),
        threading.Thread(target=kill_a_worker_later, args=(server, 2 * args.seconds / 3, kill)),
    ]
    for thread in threads:
        thread.start()
    rows = run_locust(port, args.rate, args.seconds, Path(tempfile.mkdtemp(prefix="shoefit-soak-")) / "soak")
    for thread in threads:
        thread.join()
    print("\n(soak: errors here are what a reload and a killed worker cost; none is the target)")
    failures = report("soak: a reload at 1/3, a worker SIGKILLed at 2/3", rows, args.seconds)
    print(f"   reload: HTTP {reload.get('status')}; worker killed: pid {kill.get('killed')}")
    return failures


def main(argv=None):
    args = parse_args(argv)
    print(
        f"shoefit load benchmark: python {platform.python_version()}, {os.cpu_count()} CPUs; gunicorn "
        f"{args.workers} workers on loopback; locust at {args.rate} req/s for {args.seconds} s per run; the mix: "
        "recommendations 10, shoes list 3, vocabulary 2, one shoe 2, fitting with a try-on 2, batch of 50 runners 1"
    )
    failures = 0
    with tempfile.TemporaryDirectory(prefix="shoefit-load-") as tmp:
        folder = Path(tmp)
        port = free_port()
        server, catalog = start_server(folder, port, args.workers)
        try:
            rows = run_locust(port, args.rate, args.seconds, folder / "steady")
            failures += report("steady", rows, args.seconds)
            before, outcome = catalog_version(port), {}
            reloader = threading.Thread(target=reload_later, args=(port, catalog, args.seconds / 2, outcome))
            reloader.start()
            rows = run_locust(port, args.rate, args.seconds, folder / "reload")
            reloader.join()
            failures += report("with a catalog reload halfway", rows, args.seconds)
            after = catalog_version(port)
            changed = "changed" if after != before else "UNCHANGED: FAILED"
            print(
                f"   reload: HTTP {outcome.get('status')} in {outcome.get('seconds', float('nan')) * 1000:.0f} ms; "
                f"catalog version {before} -> {after} ({changed})"
            )
            failures += outcome.get("status") != 200 or after == before
            if args.soak:
                failures += soak(port, server, catalog, args)
        finally:
            server.terminate()
            server.wait(30)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
