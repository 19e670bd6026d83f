#!/usr/bin/env python3
"""Catalog upload under gunicorn: how long the upload takes, until every worker serves it, and what it costs.

    python bench/bench_upload.py [--shoes 130000] [--workers 3] [--quick]

Starts the service with gunicorn.conf.py (SHOEFIT_WORKERS workers, a fresh instance folder, the
bundled catalog) on a free loopback port, uploads a seeded synthetic catalog while a client keeps
asking for /v1/vocabulary from four threads, and prints: the upload request's time and status; when
every worker serves the new catalog (each logs its swap: "catalog <old> replaced by <new>"); the
slowest answer and any non-200 or failed one until then; worker processes gunicorn had to replace; each
worker's resident memory before and after. Then one worker is killed: the one gunicorn forks in its
place must serve the uploaded catalog from its first answer. Figures, not pass/fail.
"""

import argparse
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package

from bench_recommend import free_port, synthetic_csv  # noqa: E402 (re-executes under .venv if needed)

REPO = Path(__file__).resolve().parent.parent
KEY = "bench-admin-key-0123456789abcdef"


def get(port, path, body=None, headers=None, timeout=120):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST" if body is not None else "GET", path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def version_served(port):
    status, body = get(port, "/v1/vocabulary", timeout=60)
    return status, (body.split(b'"version":"', 1)[1][:16].decode() if status == 200 else None)


def workers_of(master):
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(master):
    return ", ".join(f"{pid}: {rss_mb(pid):.0f} MB" for pid in workers_of(master))


class Poller(threading.Thread):
    """Asks for the served version over and over; records each answer's time, status and version."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.answers, self.stop = port, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                status, version = version_served(self.port)
            except OSError as exc:
                status, version = type(exc).__name__, None
            self.answers.append((start, time.monotonic() - start, status, version))
            time.sleep(0.02)


def swaps(folder, version):
    """How many workers have logged their swap to `version`."""
    return (Path(folder) / "server.log").read_text(errors="replace").count(f"replaced by {version}")


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoes", type=int, default=130_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2,000 shoes, 2 workers")
    args = parser.parse_args()
    shoes, workers = (2_000, 2) if args.quick else (args.shoes, args.workers)
    data = synthetic_csv(shoes).encode()
    print(f"catalog: {shoes:,} shoes, {len(data) / 1e6:.1f} MB; {workers} gunicorn workers, {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOEFIT_")}
        env.update(
            SHOEFIT_INSTANCE_PATH=folder, SHOEFIT_ADMIN_KEYS=KEY, SHOEFIT_RATE_LIMIT="off",
            SHOEFIT_WORKERS=str(workers), SHOEFIT_BIND=f"127.0.0.1:{port}", SHOEFIT_ACCESS_LOG="off",
        )  # fmt: skip
        log = open(Path(folder) / "server.log", "wb")
        command = [str(Path(sys.executable).with_name("gunicorn")), "-c", str(REPO / "gunicorn.conf.py"), "wsgi:app"]
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            run(server.pid, port, data, workers, folder)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
            log.close()


def run(master, port, data, workers, folder):
    ready = wait_until(lambda: len(workers_of(master)) == workers and version_served(port)[0] == 200, 60)
    if not ready:
        sys.exit(f"gunicorn not ready:\n{(Path(folder) / 'server.log').read_text()[-3000:]}")
    time.sleep(1)
    old_version = version_served(port)[1]
    before = workers_of(master)
    print(f"before:  {memory(master)} (catalog {old_version})")

    pollers = [Poller(port) for _ in range(4)]
    for poller in pollers:
        poller.start()
    start = time.monotonic()
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "text/csv"}
    status, body = get(port, "/v1/admin/catalog", body=data, headers=headers, timeout=300)
    upload_s = time.monotonic() - start
    version = body.split(b'"version":"', 1)[1][:16].decode() if status == 200 else None
    print(f"upload:  HTTP {status} in {upload_s:.2f} s (catalog {version})")
    served_at = wait_until(lambda: swaps(folder, version) >= workers and time.monotonic(), 180)
    time.sleep(1)
    for poller in pollers:
        poller.stop.set()
        poller.join()
    answers = [a for poller in pollers for a in poller.answers if a[0] >= start]
    during = [a for a in answers if served_at is None or a[0] <= served_at]
    bad = [a for a in answers if a[2] != 200]
    print(
        f"all {workers} workers serve it {served_at - start:.2f} s after the upload began"
        if served_at
        else "NOT every worker served it within 180 s"
    )
    print(
        f"while they swap: {len(during)} answers, slowest {max((a[1] for a in during), default=0):.2f} s; "
        f"{len(bad)} not 200 ({sorted({str(a[2]) for a in bad})})"
    )
    after = workers_of(master)
    print(f"workers replaced by gunicorn: {len(set(before) - set(after))}")
    print(f"after:   {memory(master)}")

    victim = after[0]
    os.kill(victim, signal.SIGKILL)
    forked = wait_until(lambda: [p for p in workers_of(master) if p not in after], 30)
    pollers = [Poller(port) for _ in range(4)]
    for poller in pollers:
        poller.start()
    time.sleep(5)
    for poller in pollers:
        poller.stop.set()
        poller.join()
    answers = [a for poller in pollers for a in poller.answers]
    stale = sum(a[3] != version for a in answers)
    print(
        f"killed {victim}; gunicorn forked {forked}: in the next 5 s {len(answers)} answers, slowest "
        f"{max(a[1] for a in answers):.2f} s, {stale} not from the uploaded catalog; {memory(master)}"
    )


if __name__ == "__main__":
    main()
