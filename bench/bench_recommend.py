#!/usr/bin/env python3
"""Benchmark shoefit recommendations: in-process per catalog size, then over HTTP.

    python bench/bench_recommend.py [--sizes 1000,10000,100000] [--repeat N]
                                    [--http-seconds S] [--no-http | --http-only] [--quick] [--profile]

Prints figures, not pass/fail: medians and p90s of one recommendation for the
bundled catalog and synthetic catalogs, the split between pipeline stages, and
requests per second of GET /healthz and POST /v1/recommendations under
gunicorn on 127.0.0.1, measured alternately in the same run so that machine
noise hits both. Targets are printed next to the figures for comparison.
"""

import argparse
import contextlib
import cProfile
import csv
import http.client
import io
import json
import multiprocessing
import os
import platform
import pstats
import random
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"

try:
    import numpy as np

    import shoefit  # noqa: F401
except ImportError:
    # Run with a python that lacks the package: use the project's virtualenv instead.
    if VENV_PYTHON.is_file() and Path(sys.executable).resolve() != VENV_PYTHON.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])
    raise

from shoefit import create_app
from shoefit.core.catalog import Catalog
from shoefit.core.knowledge_base import KnowledgeBase
from shoefit.core.profile import Profile
from shoefit.core.recommender import Recommender
from shoefit.core.scoring import Filters, rank
from shoefit.core.validation import ProfileSchema
from shoefit.web.responses import json_response

SEED = 20250
WARMUP_ROUNDS = 5
MIN_ROUNDS = 10
TIME_BUDGET_S = 30.0  # per catalog: a slow build must not make the run endless
TARGETS_MS = {10_000: 1.0, 100_000: 10.0}
HTTP_RATIO_TARGET = 0.5
BARE_RATIO_TARGET = 0.4  # distinct runners against the bare Flask app
HEALTHZ_BARE_TARGET = 0.85  # the service's own per-request machinery must stay cheap
BARE = "GET bare Flask /ping"
BARE_ANSWER = "POST bare Flask /answer"
HOST = "127.0.0.1"
WRK_THREADS, WRK_CONNECTIONS = 2, 16
PY_CLIENT_PROCESSES = 4

BRANDS = (
    "ASICS", "Brooks", "HOKA", "Saucony", "New Balance", "Nike", "Adidas", "Mizuno", "On", "PUMA",
    "Salomon", "Altra", "Topo Athletic", "Under Armour", "Reebok", "Merrell", "Inov-8", "La Sportiva",
    "Newton", "361 Degrees",
)  # fmt: skip
HALF_STEPS = [x / 2 for x in range(2, 11)]  # 1.0, 1.5, ... 5.0

# The request a kiosk sends for a runner with a few problems; used over HTTP and
# in the in-process Flask comparison.
HTTP_PROFILE = {
    "arch_type": "high",
    "pronation": "neutral",
    "fit_issues": ["too_tight"],
    "symptoms": ["forefoot_pain"],
    "pain": {"days": 5, "severity": 4, "timing": "after_run"},
    "training": {"weekly_km": 40, "surface": "road"},
    "width": "wide",
    "limit": 5,
}
# Distinct bodies for the second HTTP scenario: more than the service's memo can
# hold, cycled in order, so every request is computed afresh.
DISTINCT_BODIES = 5000


# ------------------------------------------------------------------ catalogs


def synthetic_csv(n, seed=SEED):
    """CSV text of n plausible shoes in the bundled catalog's format."""
    rng = random.Random(seed)
    header = [
        "id", "brand", "model", "terrain", "category", "cushioning", "forefoot_cushioning", "arch_support",
        "stability", "heel_counter", "breathability", "toe_box", "widths", "weight_g", "drop_mm",
        "heel_stack_mm", "forefoot_stack_mm", "price", "seamless_upper", "year", "url", "use",
    ]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)

    def rating(low, high):
        return rng.choice([x for x in HALF_STEPS if low <= x <= high])

    for i in range(n):
        terrain = rng.choices(("road", "trail", "track"), weights=(70, 22, 8))[0]
        if terrain == "road":
            category = rng.choices(("neutral", "stability", "motion_control"), weights=(65, 25, 10))[0]
        elif terrain == "trail":
            category = rng.choices(("neutral", "stability"), weights=(85, 15))[0]
        else:
            category = "neutral"
        support = {"neutral": (1.5, 3.0), "stability": (3.0, 4.5), "motion_control": (4.0, 5.0)}[category]
        cushion = {"road": (2.0, 5.0), "trail": (2.0, 4.5), "track": (1.0, 3.0)}[terrain]
        widths = [
            w for w, p in (("narrow", 0.2), ("standard", 1.0), ("wide", 0.45), ("extra_wide", 0.15)) if rng.random() < p
        ]
        weight = {"road": (190, 330), "trail": (240, 380), "track": (120, 220)}[terrain]
        stack = {"road": (26, 44), "trail": (24, 40), "track": (15, 28)}[terrain]
        heel = rng.randint(*stack)
        drop = rng.choice((0, 4, 5, 6, 8, 10, 12))
        price = {"road": (90, 275), "trail": (110, 200), "track": (90, 200)}[terrain]
        brand = rng.choice(BRANDS)
        shoe_id = f"synth-{i:06d}"
        writer.writerow(
            [
                shoe_id,
                brand,
                # Two versions of each line, as a store's catalog has: Line 12 1 and Line 12 2.
                f"Line {i // 2} {1 + i % 2}",
                terrain,
                category,
                rating(*cushion),
                rating(*cushion),
                rating(*support),
                rating(*support),
                rating(2.0, 5.0),
                rating(2.0, 5.0),
                rating(1.5, 5.0),
                "|".join(widths),
                rng.randint(*weight),
                drop,
                heel,
                heel - drop,
                5 * rng.randint(price[0] // 5, price[1] // 5),
                "true" if rng.random() < 0.15 else "false",
                rng.randint(2019, 2026),
                f"https://example.com/shoes/{shoe_id}" if rng.random() < 0.5 else "",
                rng.choices(("daily", "daily|tempo", "tempo", "race"), weights=(70, 12, 6, 12))[0],
            ]
        )
    return out.getvalue()


def size_label(n):
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def parse_sizes(text):
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        if part:
            sizes.append(int(float(part[:-1]) * 1000) if part.endswith("k") else int(part))
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 1000,10000,100000")
    return sizes


def load_catalogs(sizes):
    """[(label, catalog, load seconds)]: the bundled one first, then the synthetic sizes."""
    start = time.perf_counter()
    catalogs = [("bundled", Catalog.load(), time.perf_counter() - start)]
    for n in sizes:
        data = synthetic_csv(n).encode()
        start = time.perf_counter()
        catalog = Catalog.from_bytes(data, f"synthetic-{size_label(n)}")
        catalogs.append((f"synthetic-{size_label(n)}", catalog, time.perf_counter() - start))
    return catalogs


# ------------------------------------------------------------------ profiles


def profiles_for(catalog):
    """[(name, Profile)] built the way the API builds them: schema load, then from_dict."""
    trail_brands = sorted({s["brand"] for s in catalog.shoes if s["terrain"] == "trail"}, key=str.casefold)
    brands = trail_brands[:3] or catalog.brands[:3]
    raw = {
        "empty": {},
        "high-arch-forefoot-pain": {"arch_type": "high", "symptoms": ["forefoot_pain"], "pain": {"days": 5}},
        "overpronation-wide-160": {
            "arch_type": "flat",
            "pronation": "overpronation",
            "fit_issues": ["too_tight"],
            "width": "wide",
            "max_price": 160,
        },
        "trail-brands": {
            "arch_type": "neutral",
            "pronation": "neutral",
            "terrain": "trail",
            "brands": brands,
            "training": {"weekly_km": 50, "weekly_increase_pct": 15, "surface": "trail"},
        },
        "many-issues-limit-20": {
            "pronation": "underpronation",
            "fit_issues": ["blisters", "hot_feet", "cramped_toes", "heel_slippage"],
            "symptoms": ["top_of_foot_soreness"],
            "pain": {"days": 3, "severity": 4, "character": "dull", "timing": "after_run"},
            "limit": 20,
        },
    }
    schema = ProfileSchema()
    return [(name, Profile.from_dict(schema.load(body))) for name, body in raw.items()]


# ------------------------------------------------------------------ in-process timing


class Result(NamedTuple):
    label: str
    catalog: Catalog
    load_s: float
    stages: dict  # stage -> [ns], pooled over profiles
    per_profile: dict  # profile name -> [ns] of the whole call
    rounds: int


def elapsed_ns(fn, *args):
    start = time.perf_counter_ns()
    fn(*args)
    return time.perf_counter_ns() - start


def bench_catalog(app, catalog, knowledge, repeat):
    """(stage -> [ns] pooled over the profiles, profile -> [ns] of the whole call, rounds run)."""
    recommender = Recommender(catalog, knowledge)
    profiles = profiles_for(catalog)
    prepared = []
    for name, profile in profiles:
        assessment = knowledge.assess(profile)
        body = recommender.recommend(profile)
        prepared.append((name, profile, assessment, Filters.from_profile(profile), body))

    stages = {"total": [], "rules": [], "scoring": [], "json": []}
    per_profile = {name: [] for name, *_ in prepared}

    def one_round(record):
        for name, profile, assessment, filters, body in prepared:
            total = elapsed_ns(recommender.recommend, profile)
            rules = elapsed_ns(recommender.requirements, profile)
            scoring = elapsed_ns(
                rank, catalog, assessment.lows, assessment.highs, assessment.weights, filters, profile.limit
            )
            dumped = elapsed_ns(json_response, body)
            if record:
                stages["total"].append(total)
                stages["rules"].append(rules)
                stages["scoring"].append(scoring)
                stages["json"].append(dumped)
                per_profile[name].append(total)

    rounds = 0
    with app.app_context():  # json_response needs one
        for _ in range(WARMUP_ROUNDS):
            one_round(False)
        deadline = time.perf_counter() + TIME_BUDGET_S
        # Profiles are interleaved round by round so a noisy moment hits all of them.
        while rounds < repeat and (rounds < MIN_ROUNDS or time.perf_counter() < deadline):
            one_round(True)
            rounds += 1
    return stages, per_profile, rounds


def ms(ns_values, q=50):
    return float(np.percentile(ns_values, q)) / 1e6


def report_in_process(results):
    print("\n== In-process: Recommender(catalog, KnowledgeBase.load()).recommend(profile) ==")
    print(f"   {len(results[0].per_profile)} profiles interleaved; times in ms; 'load' is Catalog.from_bytes/load")
    head = f"{'catalog':<16}{'rows':>8}{'load ms':>10}{'samples':>9}{'median':>9}{'p90':>9}{'scoring':>9}   target"
    print(head)
    print("-" * len(head))
    for r in results:
        target = TARGETS_MS.get(len(r.catalog)) if r.label != "bundled" else None
        median = ms(r.stages["total"])
        note = f"median <= {target:g} ms: {'met' if median <= target else 'MISSED'}" if target else ""
        print(
            f"{r.label:<16}{len(r.catalog):>8}{r.load_s * 1e3:>10.1f}{len(r.stages['total']):>9}"
            f"{median:>9.3f}{ms(r.stages['total'], 90):>9.3f}{ms(r.stages['scoring']):>9.3f}   {note}"
        )

    print("\n   Where the time goes (medians, ms): rules = requirements() [check + assess + reasons];")
    print("   scoring = scoring.rank alone; explain = total - rules - scoring (breakdown + why per pick);")
    print("   json = responses.json_response(body), the response the API builds (not part of recommend()).")
    head = f"{'catalog':<16}{'total':>9}{'rules':>9}{'scoring':>9}{'explain':>9}{'json':>9}"
    print(head)
    print("-" * len(head))
    for r in results:
        total, rules, scoring = ms(r.stages["total"]), ms(r.stages["rules"]), ms(r.stages["scoring"])
        print(
            f"{r.label:<16}{total:>9.3f}{rules:>9.3f}{scoring:>9.3f}"
            f"{max(total - rules - scoring, 0.0):>9.3f}{ms(r.stages['json']):>9.3f}"
        )

    print("\n   Median ms of the whole call per profile:")
    names = list(results[0].per_profile)
    labels = [r.label.replace("synthetic-", "") for r in results]
    head = f"{'profile':<26}" + "".join(f"{lab:>10}" for lab in labels)
    print(head)
    print("-" * len(head))
    for name in names:
        print(f"{name:<26}" + "".join(f"{ms(r.per_profile[name]):>10.3f}" for r in results))


def bench_flask_test_client(app, repeat):
    """Median µs per request through the whole Flask app in-process (no socket, no gunicorn)."""
    client = app.test_client()
    health, recs = [], []
    for i in range(repeat + WARMUP_ROUNDS):
        t_health = elapsed_ns(client.get, "/healthz")
        t_recs = elapsed_ns(lambda: client.post("/v1/recommendations", json=HTTP_PROFILE))
        if i >= WARMUP_ROUNDS:
            health.append(t_health)
            recs.append(t_recs)
    response = client.post("/v1/recommendations", json=HTTP_PROFILE)
    if response.status_code != 200:
        raise RuntimeError(
            f"POST /v1/recommendations answered {response.status_code}: {response.get_data(as_text=True)[:300]}"
        )
    h, r = ms(health) * 1e3, ms(recs) * 1e3
    print("\n== In-process Flask app (test client, bundled catalog, no socket, no memo) ==")
    # gunicorn adds a fixed cost to both, so the HTTP ratio lands near or a little above this one.
    print(
        f"   GET /healthz {h:.1f} µs, POST /v1/recommendations {r:.1f} µs median; "
        f"app-only ratio recommendations/healthz ~ {h / r:.2f}"
    )


def profile_one(catalog, knowledge, n_calls=500, top=20):
    """cProfile of recommend() over the profiles, per recommendation (profiler overhead included)."""
    recommender = Recommender(catalog, knowledge)
    profiles = [p for _, p in profiles_for(catalog)]
    for p in profiles:
        recommender.recommend(p)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n_calls):
        recommender.recommend(profiles[i % len(profiles)])
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (prim calls, calls, tottime, cumtime, callers)}
    rows = sorted(stats.items(), key=lambda item: -item[1][3])
    print(f"\n== cProfile: {n_calls} recommend() calls on {catalog.source} ({len(catalog)} rows), top by cumulative ==")
    head = f"{'cum µs/rec':>11}{'self µs/rec':>12}{'calls/rec':>10}  function"
    print(head)
    print("-" * 72)
    for (file, line, name), (_, calls, tottime, cumtime, _) in rows[:top]:
        where = name if file == "~" else f"{Path(file).name}:{line}({name})"
        print(f"{cumtime / n_calls * 1e6:>11.1f}{tottime / n_calls * 1e6:>12.1f}{calls / n_calls:>10.1f}  {where}")


# ------------------------------------------------------------------ HTTP


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def shipped_worker_model():
    """The worker class, threads and keep-alive gunicorn.conf.py sets, as command-line options.

    Not the file itself: its hooks belong to the service, and the bare reference app must be served the same way.
    """
    shipped = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    return ["--worker-class", shipped["worker_class"], "--threads", str(shipped["threads"]),
            "--keep-alive", str(shipped["keepalive"])]  # fmt: skip


def gunicorn_command(port, app):
    local = Path(sys.executable).with_name("gunicorn")
    exe = next((str(p) for p in (local, REPO / ".venv" / "bin" / "gunicorn") if p.is_file()), shutil.which("gunicorn"))
    if exe is None:
        raise RuntimeError("gunicorn not found (pip install -e '.[serve]')")
    return [exe, "--bind", f"{HOST}:{port}", "--workers", "2", "--preload", *shipped_worker_model(), app]


@contextlib.contextmanager
def gunicorn_server(log_path, app="wsgi:app", ready="/readyz", extra_env=None):
    # gunicorn reads ./gunicorn.conf.py by itself: the service gets the shipped file, hooks and all; the bare app
    # starts in bench/, where there is none, and gets only the options.
    cwd = REPO if app == "wsgi:app" else REPO / "bench"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOEFIT_")}  # bundled catalog and rules
    # All the load comes from one address: the per-client rate limit would answer most of it with 429s.
    env["SHOEFIT_RATE_LIMIT"] = "off"
    env.update(extra_env or {})
    with open(log_path, "wb") as log:
        # A session of its own: the master and its workers share a process group
        # we can kill as a whole if the master does not stop on SIGTERM.
        proc = subprocess.Popen(
            gunicorn_command(port, app), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(proc, port, log_path, ready)
        yield port
    finally:
        stop(proc)


def wait_ready(proc, port, log_path, ready, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{Path(log_path).read_text()[-2000:]}")
        try:
            status, _ = request(port, "GET", ready)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn not ready after {timeout:g} s:\n{Path(log_path).read_text()[-2000:]}")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Workers left behind by a master that died first.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def request(port, method, path, body=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


WRK_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {{
{bodies}
}}
-- Each wrk thread starts half-way round the list from the other, so no two
-- threads send the same body at nearly the same time.
local threads = 0
function setup(thread)
  thread:set("start", threads * math.floor(#bodies / 2))
  threads = threads + 1
end
local sent = 0
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[((start or 0) + sent) % #bodies + 1])
end
"""


def wrk_lua(bodies):
    return WRK_LUA.format(bodies=",\n".join(f"[==[{b}]==]" for b in bodies))


def distinct_bodies(n, seed=SEED):
    """n kiosk-style requests with random answers, no two the same runner."""
    from shoefit.core.vocabulary import ARCH_TYPES, FIT_ISSUES, PRONATIONS, SYMPTOMS, WIDTHS

    rng = random.Random(seed)
    bodies = set()
    while len(bodies) < n:
        raw = {
            "arch_type": rng.choice(list(ARCH_TYPES)),
            "pronation": rng.choice(list(PRONATIONS)),
            "fit_issues": sorted(rng.sample(list(FIT_ISSUES), rng.randint(0, 2))),
            "symptoms": sorted(rng.sample(list(SYMPTOMS), rng.randint(0, 2))),
            "pain": {"days": rng.randint(0, 30), "severity": rng.randint(0, 10)},
            "width": rng.choice(list(WIDTHS)),
            "limit": 5,
        }
        bodies.add(json.dumps(raw, sort_keys=True))  # sorted lists: equal runners make equal bodies
    return sorted(bodies)


def wrk_run(port, path, seconds, lua_path=None):
    seconds = max(1, round(seconds))  # wrk takes whole seconds
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if lua_path:
        cmd += ["-s", lua_path]
    cmd.append(f"http://{HOST}:{port}{path}")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=True)
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    p50_ms, p99_ms = (_wrk_percentile(out, q) for q in (50, 99))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": p50_ms,
        "p99_ms": p99_ms,
        "bad": int(non2xx.group(1)) if non2xx else 0,
        "errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


def _wrk_percentile(out, q):
    found = re.search(rf"^\s*{q}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    return float(found.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[found.group(2)] if found else float("nan")


def _py_client(port, method, path, bodies, offset, seconds, result_queue):
    headers = {"Content-Type": "application/json"} if bodies else {}
    ok = bad = errors = 0
    latencies = []
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    start = time.perf_counter()
    deadline = start + seconds
    sent = offset
    while time.perf_counter() < deadline:
        body = bodies[sent % len(bodies)] if bodies else None
        sent += 1
        t0 = time.perf_counter_ns()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()  # http.client reconnects on the next request
            continue
        latencies.append(time.perf_counter_ns() - t0)
        if 200 <= response.status < 300:
            ok += 1
        else:
            bad += 1
    conn.close()
    result_queue.put((ok, bad, errors, time.perf_counter() - start, latencies))


def python_run(port, path, seconds, bodies=None):
    method = "POST" if bodies else "GET"
    ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    results = ctx.Queue()
    spread = len(bodies) // PY_CLIENT_PROCESSES if bodies else 0
    procs = [
        ctx.Process(target=_py_client, args=(port, method, path, bodies, i * spread, seconds, results))
        for i in range(PY_CLIENT_PROCESSES)
    ]
    for p in procs:
        p.start()
    try:
        rows = [results.get(timeout=seconds + 30) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
    latencies = [x for row in rows for x in row[4]]
    return {
        "rps": sum(ok / elapsed for ok, _, _, elapsed, _ in rows),
        "p50_ms": ms(latencies) if latencies else float("nan"),
        "p99_ms": ms(latencies, 99) if latencies else float("nan"),
        "bad": sum(row[1] for row in rows),
        "errors": sum(row[2] for row in rows),
    }


def client_name(client):
    if client == "wrk":
        return f"wrk, {WRK_THREADS} threads, {WRK_CONNECTIONS} connections"
    why = "wrk not on PATH" if shutil.which("wrk") is None else "--client python"
    return f"Python http.client, {PY_CLIENT_PROCESSES} processes x 1 connection ({why})"


def alternate(endpoints, run, seconds, rounds):
    """{endpoint name: [req/s per round]}, the endpoints taking turns so that machine noise hits them all."""
    if seconds >= 5:  # warm-up, not reported; a smoke run skips it
        for name, path, bodies in endpoints:
            run(name, path, bodies, 1.0)
    head = f"{'run':<5}{'endpoint':<30}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'sock err':>10}"
    print(head)
    print("-" * len(head))
    measured = {name: [] for name, _, _ in endpoints}
    for i in range(1, rounds + 1):
        for name, path, bodies in endpoints:
            r = run(name, path, bodies, seconds)
            measured[name].append(r["rps"])
            row = f"{i:<5}{name:<30}{r['rps']:>10.1f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            print(f"{row}{r['bad']:>9}{r['errors']:>10}")
    return measured


def bench_http(seconds, rounds, client):
    body = json.dumps(HTTP_PROFILE)
    distinct = distinct_bodies(DISTINCT_BODIES)
    repeated_name, distinct_name = "POST recs, same runner", "POST recs, distinct runners"
    with tempfile.TemporaryDirectory(prefix="shoefit-bench-") as tmp:
        scripts = {}
        for name, bodies in ((repeated_name, [body]), (distinct_name, distinct)):
            scripts[name] = os.path.join(tmp, f"{len(scripts)}.lua")
            Path(scripts[name]).write_text(wrk_lua(bodies))
        endpoints = [
            ("GET /healthz", "/healthz", None),
            (repeated_name, "/v1/recommendations", [body]),
            (distinct_name, "/v1/recommendations", distinct),
            (BARE, "/ping", None),
            (BARE_ANSWER, "/answer", distinct),
        ]
        scripts[BARE_ANSWER] = scripts[distinct_name]

        def run(name, path, bodies, duration):
            target = bare if name in (BARE, BARE_ANSWER) else port
            if client == "wrk":
                return wrk_run(target, path, duration, scripts.get(name))
            return python_run(target, path, duration, bodies)

        bare_log, answer_path = os.path.join(tmp, "bare.log"), os.path.join(tmp, "answer.json")
        with gunicorn_server(os.path.join(tmp, "gunicorn.log")) as port:
            for sample in (body, distinct[0]):
                status, answer = request(port, "POST", "/v1/recommendations", sample)
                if status != 200:
                    raise RuntimeError(f"POST /v1/recommendations answered {status}: {answer[:300]!r}")
            picks = len(json.loads(answer)["recommendations"])
            Path(answer_path).write_bytes(answer)
            with gunicorn_server(bare_log, "bare_app:app", "/ping", {"BENCH_BARE_ANSWER": answer_path}) as bare:
                print(f"\n== HTTP: gunicorn --workers 2 --preload {' '.join(shipped_worker_model())} wsgi:app on "
                      f"{HOST}:{port}, bundled catalog ==")  # fmt: skip
                print(f"   yardstick: bench/bare_app.py (Flask alone) on {HOST}:{bare}, the same options")
                print(f"   client: {client_name(client)}; {seconds:g} s per run, alternating; {picks} picks per answer")
                print(f"   same runner: one {len(body)} B body, answered from the memo after the first time;")
                print(f"   distinct runners: {len(distinct)} different bodies in turn, each one computed afresh;")
                print("   bare /answer: the distinct bodies, each read as JSON and answered with the same")
                print(f"   {len(answer):,} B answer to the first of them, computing nothing.")
                measured = alternate(endpoints, run, seconds, rounds)
    median = {name: float(np.median(v)) for name, v in measured.items()}
    print("median req/s: " + ", ".join(f"{name} {rps:.1f}" for name, rps in median.items()))
    ratios = [
        (repeated_name, "healthz", "GET /healthz", HTTP_RATIO_TARGET),
        (distinct_name, "healthz", "GET /healthz", HTTP_RATIO_TARGET),
        (distinct_name, "bare Flask", BARE, BARE_RATIO_TARGET),
        ("GET /healthz", "bare Flask", BARE, HEALTHZ_BARE_TARGET),
    ]
    for name, label, against, target in ratios:
        ratio = median[name] / median[against]
        verdict = "met" if ratio >= target else "MISSED"
        print(f"ratio {name} / {label} = {ratio:.2f}  (target >= {target}: {verdict})")
    # No target: how far the service is from Flask making the same exchange (a JSON body in, an answer of the same
    # size out) without computing anything, which is as fast as a recommendation served by Flask can be.
    for name in (repeated_name, distinct_name):
        ratio = median[name] / median[BARE_ANSWER]
        print(f"ratio {name} / bare /answer = {ratio:.2f}  (no target: the same exchange, nothing computed)")
    cost = {name: 1e6 / rps for name, rps in median.items()}
    print("per request, the whole machine's time (client and kernel included; 1 / req/s): "
          + ", ".join(f"{name} {us:.0f} us" for name, us in cost.items()))  # fmt: skip
    budget = cost["GET /healthz"] / HTTP_RATIO_TARGET
    above = cost[distinct_name] - cost[BARE_ANSWER]
    print(f"   distinct runners within {HTTP_RATIO_TARGET} of /healthz may take {budget:.0f} us each; they take "
          f"{cost[distinct_name]:.0f}: {above:.0f} more than the same exchange with nothing computed")  # fmt: skip


# ------------------------------------------------------------------ main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, help="synthetic catalog sizes (default 1000,10000,100000)")
    parser.add_argument("--repeat", type=int, help="timed recommendations per profile and catalog (default 200)")
    parser.add_argument("--http-seconds", type=float, help="length of each HTTP load run (default 10)")
    parser.add_argument("--http-rounds", type=int, help="healthz/recommendations pairs to alternate (default 3)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto", help="HTTP load generator")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn measurements")
    parser.add_argument("--http-only", action="store_true", help="only the gunicorn measurements")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and ~1 s HTTP runs: a smoke test")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of recommendations at 10k rows")
    args = parser.parse_args(argv)
    quick = {"sizes": [100, 1000], "repeat": 10, "http_seconds": 1.0, "http_rounds": 1}
    full = {"sizes": [1000, 10_000, 100_000], "repeat": 200, "http_seconds": 10.0, "http_rounds": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.no_http and args.http_only:
        parser.error("--no-http and --http-only exclude each other")
    if args.repeat < 1 or args.http_seconds <= 0 or args.http_rounds < 1:
        parser.error("--repeat, --http-seconds and --http-rounds must be positive")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not on PATH (apt-get install -y wrk)")
    return args


def in_process(args):
    start = time.perf_counter()
    knowledge = KnowledgeBase.load()
    rules_ms = (time.perf_counter() - start) * 1e3
    catalogs = load_catalogs(args.sizes)
    print(f"KnowledgeBase.load(): {rules_ms:.1f} ms, {len(knowledge.rules)} rules")
    # Bundled catalog and rules whatever SHOEFIT_* say, and no memo: in-process
    # figures are the cost of computing an answer, not of remembering one. No rate
    # limit: the one client here sends far more than a kiosk's share.
    app = create_app({"CATALOG": None, "RULES": None, "MEMO_SIZE": 0, "RATE_LIMIT": "off"})
    results = []
    for label, catalog, load_s in catalogs:
        results.append(Result(label, catalog, load_s, *bench_catalog(app, catalog, knowledge, args.repeat)))
    report_in_process(results)
    bench_flask_test_client(app, max(args.repeat, 50))
    if args.profile:
        sized = [c for label, c, _ in catalogs if len(c) == 10_000] or [catalogs[-1][1]]
        profile_one(sized[0], knowledge)


def main(argv=None):
    args = parse_args(argv)
    # Turn SIGTERM into SystemExit so the finally blocks stop gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    print(
        f"shoefit benchmark: python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}; sizes {','.join(map(str, args.sizes))}, "
        f"repeat {args.repeat}{', quick' if args.quick else ''}"
    )
    start = time.perf_counter()
    if not args.http_only:
        in_process(args)
    if not args.no_http:
        bench_http(args.http_seconds, args.http_rounds, args.client)
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
