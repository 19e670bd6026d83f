#!/usr/bin/env python3
"""Benchmark batch scoring: BatchEngine's throughput, then `shoefit score` end to end.

    python bench/bench_batch.py [--quick] [--shoes N] [--profiles N] [--jobs N] [--formats csv,parquet]
                                [--top 5] [--rounds N] [--http-runners-per-s 2265] [--no-engine]

1. In-process, on a seeded synthetic catalog (10k shoes by default): runner x shoe
   scores per second of BatchEngine.score (top 10), for typical runners without and
   with hard filters, against the single-request path (rules + scoring.rank, and the
   whole Recommender.recommend) called once per runner in the same run.
2. `python -m shoefit.cli score` on a seeded file of 1 million CSV runners against the
   bundled catalog, per output format: wall time against the I/O floor measured in the
   same run (pyarrow alone reading that input and writing as many rows of the output's
   columns), peak memory of the whole process tree, runners/s against 20x the HTTP path,
   and where the time goes (the CLI's hidden --timings).
3. What the machine's two cores give two worker processes: a chunk scorer alone, then two
   side by side, beside a plain Python loop timed the same way (bench/core_scaling.py).

Prints figures, not pass/fail; a target not reached shows MISSED next to its figure.
"""

import argparse
import cProfile
import csv
import os
import platform
import pstats
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ is not a package

from bench_recommend import BRANDS, profiles_for, synthetic_csv  # noqa: E402 (re-executes under .venv if needed)
from core_scaling import report as report_core_scaling  # noqa: E402
from io_floor import floor_seconds  # noqa: E402

from shoefit.batch import CHUNK_RUNNERS  # noqa: E402
from shoefit.batch.engine import BatchEngine  # noqa: E402
from shoefit.batch.rows import CSV_COLUMNS, CsvRows, RowError  # noqa: E402
from shoefit.core.catalog import Catalog  # noqa: E402
from shoefit.core.knowledge_base import KnowledgeBase  # noqa: E402
from shoefit.core.recommender import Recommender  # noqa: E402
from shoefit.core.scoring import Filters, candidate_scores, rank  # noqa: E402
from shoefit.core.shortlist import shortlist  # noqa: E402
from shoefit.core.vocabulary import (  # noqa: E402
    CONDITIONS,
    CUSHION_FEELS,
    DROPS,
    EXPERIENCES,
    FIT_ISSUES,
    PAIN_CHARACTERS,
    PAIN_TIMINGS,
    SURFACES,
    SYMPTOMS,
    TERRAINS,
    WIDTHS,
)

REPO = Path(__file__).resolve().parent.parent
SEED = 20251
HEADER = ["id", *CSV_COLUMNS]
FILTER_COLUMNS = ("width", "max_price", "terrain", "brands", "exclude_brands", "use_only")
# The answers added with use, body weight and preferences: left out, the mix is the one of earlier runs,
# for a like-for-like comparison (each multiplies the distinct requirements the engine meets).
LATER_COLUMNS = ("use", "body_weight_kg", "cushion_feel", "drop", "experience", "current_shoe_id", "current_shoe_liked")
SCORES_PER_S_TARGET = 100e6
RATIO_TARGET = 20
FLOOR_RATIO_TARGET, MEMORY_TARGET_MB = 5, 1024
# Runners/s of the HTTP path, distinct runners, as bench_recommend.py --http-only last measured it on this machine
# (wrk, 2 workers); the batch path's target is RATE_MULTIPLE times that.
HTTP_RUNNERS_PER_S, RATE_MULTIPLE = 2265, 20
TOP = 10

# Shares of runners giving each answer: most answer the basics, fewer report pain
# or training, a minority narrow the catalog with filters. Common answers are more
# common (arch neutral, pronation unknown, at most a couple of issues).
ARCH = (("flat", 15), ("neutral", 35), ("high", 15), ("unknown", 20), ("", 15))
PRONATION = (("overpronation", 20), ("neutral", 30), ("underpronation", 10), ("unknown", 25), ("", 15))
USE = (("daily", 55), ("tempo", 12), ("race", 8), ("", 25))
HOW_MANY_ISSUES, HOW_MANY_SYMPTOMS = (50, 35, 15), (60, 30, 10)
BAD_ROWS = 0.001  # typos a real file has: an unknown value, a word for a number


def pick(rng, weighted):
    values, weights = zip(*weighted)
    return rng.choices(values, weights)[0]


def some(rng, values, weights):
    return "|".join(rng.sample(list(values), rng.choices(range(len(weights)), weights)[0]))


def runner_row(rng, n, brands, shoe_ids):
    """One CSV row of a realistic mix, in HEADER order."""
    pain, training = rng.random() < 0.3, rng.random() < 0.6

    def maybe(share, value):
        return value() if rng.random() < share else ""

    row = {
        "id": f"r{n:07d}",
        "arch_type": pick(rng, ARCH),
        "pronation": pick(rng, PRONATION),
        "fit_issues": some(rng, FIT_ISSUES, HOW_MANY_ISSUES),
        "symptoms": some(rng, SYMPTOMS, HOW_MANY_SYMPTOMS),
        "conditions": some(rng, CONDITIONS, (95, 5)),
        "pain_days": maybe(0.9 * pain, lambda: str(rng.randint(0, 30))),
        "pain_severity": maybe(0.8 * pain, lambda: str(rng.randint(0, 10))),
        "pain_character": maybe(0.4 * pain, lambda: rng.choice(list(PAIN_CHARACTERS))),
        "pain_timing": maybe(0.4 * pain, lambda: rng.choice(list(PAIN_TIMINGS))),
        "pain_despite_rest": maybe(0.3 * pain, lambda: rng.choice(("true", "false"))),
        "training_weekly_km": maybe(training, lambda: str(5 * rng.randint(1, 24))),
        "training_weekly_increase_pct": maybe(0.5 * training, lambda: str(rng.choice((0, 5, 10, 15, 20, 30)))),
        "training_surface": maybe(0.5 * training, lambda: rng.choice(list(SURFACES))),
        "width": maybe(0.3, lambda: rng.choice(list(WIDTHS))),
        "max_price": maybe(0.25, lambda: str(10 * rng.randint(10, 25))),
        "terrain": maybe(0.3, lambda: rng.choice(list(TERRAINS))),
        "brands": maybe(0.1, lambda: "|".join(rng.sample(brands, rng.randint(1, 3)))),
        "exclude_brands": maybe(0.05, lambda: rng.choice(brands)),
        "use": pick(rng, USE),
        "use_only": maybe(0.05, lambda: "true"),
        "body_weight_kg": maybe(0.4, lambda: str(rng.randint(45, 120))),
        "cushion_feel": maybe(0.3, lambda: rng.choice(list(CUSHION_FEELS))),
        "drop": maybe(0.2, lambda: rng.choice(list(DROPS))),
        "experience": maybe(0.4, lambda: rng.choice(list(EXPERIENCES))),
        "current_shoe_id": "",
        "current_shoe_liked": "",
        "shortlist": "",
        "limit": "",
    }
    if rng.random() < 0.1:
        row["current_shoe_id"], row["current_shoe_liked"] = rng.choice(shoe_ids), rng.choice(("true", "false"))
    if rng.random() < BAD_ROWS:
        row[rng.choice(("arch_type", "pain_days", "width"))] = rng.choice(("flatt", "a few", "XL"))
    return [row[c] for c in HEADER]


def write_runners(path, n, brands, shoe_ids, seed=SEED):
    rng = random.Random(seed)
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(HEADER)
        out.writerows(runner_row(rng, i, brands, shoe_ids) for i in range(n))


def runner_profiles(n, catalog, brands, filters, later=True):
    """n Profiles of the mix (typos left out), validated the way the batch CLI does."""
    rng = random.Random(SEED)
    reader = CsvRows(tuple(HEADER), catalog)
    left_out = (*(() if filters else FILTER_COLUMNS), *(() if later else LATER_COLUMNS))
    drop = [HEADER.index(c) for c in left_out]
    profiles = []
    while len(profiles) < n:
        cells = runner_row(rng, len(profiles), brands, catalog.ids.tolist())
        for at in drop:
            cells[at] = ""
        try:
            profiles.append(reader.read(len(profiles) + 2, cells)[1])
        except RowError:
            continue
    return profiles


# ------------------------------------------------------------------ 1. engine


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def single_loop(catalog, knowledge, profiles):
    """What one request computes of the picks: the rules, every shoe's score, the shortlist (no explanations)."""
    for p in profiles:
        a = knowledge.assess(p)
        if p.shortlist:
            rows, scores = candidate_scores(catalog, a.lows, a.highs, a.weights, Filters.from_profile(p).mask(catalog))
            shortlist(catalog, rows, scores, TOP, assessment=a)
        else:
            rank(catalog, a.lows, a.highs, a.weights, Filters.from_profile(p), TOP)


def recommend_loop(catalog, knowledge, profiles):
    single = Recommender(catalog, knowledge)
    for p in profiles:
        single.recommend(p)


def bench_engine(catalog, label, brands, n_batch, n_single):
    knowledge = KnowledgeBase.load()
    typical = [p for _, p in profiles_for(catalog)]
    runner_sets = {
        "mix, no filters": runner_profiles(n_batch, catalog, brands, filters=False),
        "mix, filters": runner_profiles(n_batch, catalog, brands, filters=True),
        "earlier fields": runner_profiles(n_batch, catalog, brands, filters=False, later=False),
        "5 typical x N": [typical[i % len(typical)] for i in range(n_batch)],
    }
    print(f"\n== 1. Engine: BatchEngine(top={TOP}).score vs one runner at a time, {label} ==")
    print(f"   {n_batch:,} runners per batch run, {n_single:,} per single run. 'mix': the seeded mix of section 2,")
    print("   nearly all distinct, without or with its hard filters; 'earlier fields': the mix without filters and")
    print("   without use, body weight, feel, drop, experience and current shoe (the mix of earlier runs, like")
    print("   for like); '5 typical': bench_recommend's five profiles in turn. A fresh engine per run.")
    print("   distinct: the distinct requirements among the runners (the engine scores each once).")
    print(
        "   single = knowledge.assess + scores + shortlist per runner; recommend = Recommender.recommend (+ explanations)."
    )
    head = (
        f"{'runners':<16}{'distinct':>9}{'batch/s':>10}{'scores/s':>11}{'single/s':>10}{'recommend/s':>13}{'ratio':>8}"
        "   targets"
    )
    print(head)
    print("-" * (len(head) + 40))
    BatchEngine(catalog, knowledge, top=TOP).score(typical)  # warm-up: builds the catalog's one-hot levels
    for name, profiles in runner_sets.items():
        batch_s = timed(BatchEngine(catalog, knowledge, top=TOP).score, profiles)
        single_s = timed(single_loop, catalog, knowledge, profiles[:n_single])
        recommend_s = timed(recommend_loop, catalog, knowledge, profiles[:n_single])
        batch_rate, single_rate = len(profiles) / batch_s, n_single / single_s
        scores, ratio = batch_rate * len(catalog), batch_rate / single_rate
        verdict = f"ratio >= {RATIO_TARGET}: {met(ratio >= RATIO_TARGET)}"
        if len(catalog) >= 10_000:
            verdict = f"scores/s >= {SCORES_PER_S_TARGET / 1e6:.0f}M: {met(scores >= SCORES_PER_S_TARGET)}; {verdict}"
        distinct = BatchEngine(catalog, knowledge).rules.assess(profiles).lows.shape[0]
        print(
            f"{name:<16}{distinct:>9,}{batch_rate:>10,.0f}{scores / 1e6:>10.0f}M{single_rate:>10,.0f}"
            f"{n_single / recommend_s:>13,.0f}{ratio:>7.1f}x   {verdict}"
        )
    for name in ("mix, no filters", "mix, filters"):
        shares = engine_stages(catalog, knowledge, runner_sets[name])
        print(f"   BatchEngine.score's time by stage, '{name}' (under cProfile, which inflates Python work): ")
        print("      " + ", ".join(f"{stage} {share:.0%}" for stage, share in shares.items()))


def engine_stages(catalog, knowledge, profiles):
    """Shares of BatchEngine.score's time by stage."""
    engine = BatchEngine(catalog, knowledge, top=TOP)
    profiler = cProfile.Profile()
    profiler.runcall(engine.score, profiles)
    stats = pstats.Stats(profiler).stats
    total = sum(tottime for _, _, tottime, _, _ in stats.values())
    cumulative = {(Path(file).name, name): cum for (file, _, name), (_, _, _, cum, _) in stats.items()}
    stages = {
        "rules": cumulative.get(("rule_block.py", "assess"), 0.0),
        # FilterCombos: BatchEngine's own __init__ runs before the profiler starts.
        "filters": cumulative.get(("engine.py", "__init__"), 0.0) + cumulative.get(("engine.py", "masks"), 0.0),
        "matrix scores": cumulative.get(("block_scoring.py", "score_block"), 0.0),
        "top-k select": cumulative.get(("block_scoring.py", "top_k_block"), 0.0),
    }
    stages["picks & rest"] = total - sum(stages.values())
    return {stage: seconds / total for stage, seconds in stages.items()}


def met(ok):
    return "met" if ok else "MISSED"


# ------------------------------------------------------------------ 2. end to end


def tree_memory(root):
    """(RSS, PSS) in MB summed over `root` and its descendants, from /proc."""
    rss = pss = 0
    for pid in _tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        rss += int(re.search(r"^Rss:\s+(\d+)", rollup, re.M).group(1))
        pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
    return rss / 1024, pss / 1024


def _tree(root):
    """`root` and its descendants. Each thread's children file, where the kernel has them: reading every
    process's stat instead took about 4 ms of CPU a sample, every 0.1 s, taken from the run being measured."""
    tree, frontier = {root}, [root]
    while frontier:
        children = []
        for pid in frontier:
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    children += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
            except FileNotFoundError:
                if pid == root and os.path.isdir(f"/proc/{pid}"):
                    return _tree_from_stat(root)  # no children files (CONFIG_PROC_CHILDREN)
            except OSError:
                continue
        frontier = [pid for pid in children if pid not in tree]
        tree.update(frontier)
    return tree


def _tree_from_stat(root):
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    return tree


def run_cli(args):
    """(wall s, peak summed RSS MB, peak summed PSS MB, exit code, stderr) of one CLI run."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "shoefit.cli", *args], cwd=REPO, stderr=err)
        peak_rss = peak_pss = 0.0
        while proc.poll() is None:
            rss, pss = tree_memory(proc.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.1)
        wall = time.perf_counter() - start
        err.seek(0)
        return wall, peak_rss, peak_pss, proc.returncode, err.read().decode()


def bench_end_to_end(n, formats, jobs, top, rounds, http_rate, scaling):
    catalog = Catalog.load()
    rate_target = RATE_MULTIPLE * http_rate
    print(f"\n== 2. End to end: python -m shoefit.cli score, {n:,} CSV runners, bundled catalog, top {top} ==")
    with tempfile.TemporaryDirectory(prefix="shoefit-batch-bench-") as tmp:
        source = Path(tmp, "runners.csv")
        made = timed(write_runners, source, n, catalog.brands, catalog.ids.tolist())
        print(
            f"   input: {source.stat().st_size / 1e6:.0f} MB, seeded mix with {BAD_ROWS:.1%} typo rows "
            f"(written in {made:.1f} s); jobs {jobs or 'default (' + str(os.cpu_count()) + ')'}; {rounds} round(s)"
        )
        print("   floor: pyarrow alone reading the input (every column as text) and writing a table of the rows and")
        print("   columns the run wrote, to the same format (bench/io_floor.py), timed in each round beside the runs.")
        print("   memory: peak of the sum over the CLI and its worker processes (RSS counts shared pages in each")
        print("   process; PSS shares them out); largest process = ru_maxrss of the largest child.")
        print(
            f"   runners/s target: {RATE_MULTIPLE}x the HTTP path's {http_rate:,.0f} distinct runners/s "
            "(--http-runners-per-s; default as bench_recommend.py --http-only last measured with wrk) = "
            f"{rate_target:,.0f}/s"
        )
        head = (
            f"{'output':<9}{'wall s':>8}{'floor s':>8}{'ratio':>7}{'runners/s':>11}{'rows':>12}{'MB out':>8}"
            f"{'RSS MB':>8}{'PSS MB':>8}{'exit':>6}   targets"
        )
        print(head)
        print("-" * (len(head) + 50))
        figures = {kind: [] for kind in formats}
        rows = n * top
        for _ in range(rounds):
            floors = floor_seconds(source, rows, catalog.ids.tolist(), Path(tmp, "floor"), formats)
            for kind in formats:
                out = Path(tmp, f"picks.{kind}")
                args = [str(source), "-o", str(out), "--rejects", str(Path(tmp, "rejects.csv")), "--timings"]
                args += ["--top", str(top), *(["--jobs", str(jobs)] if jobs else [])]
                wall, rss, pss, code, err = run_cli(["score", *args])
                summary = re.search(r"read ([\d,]+), scored ([\d,]+), rejected ([\d,]+).*?; ([\d,]+) rows", err)
                if code not in (0, 1) or not summary:
                    print(f"{kind:<9} failed with exit code {code}:\n{err[-2000:]}")
                    continue
                rows = int(summary.group(4).replace(",", ""))
                figure = (wall, floors[kind], rss, pss)
                figures[kind].append(figure)
                print(
                    f"{kind:<9}{wall:>8.1f}{floors[kind]:>8.1f}{wall / floors[kind]:>6.1f}x{n / wall:>11,.0f}"
                    f"{rows:>12,}{out.stat().st_size / 1e6:>8.0f}{rss:>8.0f}{pss:>8.0f}{code:>6}   "
                    + verdicts(n, figure, rate_target)
                )
                print(f"         {err.strip().splitlines()[-1]}")
                print(f"         read {summary.group(1)}, scored {summary.group(2)}, rejected {summary.group(3)}")
                out.unlink()
        if rounds > 1:
            print(f"   medians of {rounds} rounds (ratio: median of each round's wall / floor):")
            for kind, runs in figures.items():
                if runs:
                    wall, floor, rss, pss = (statistics.median(column) for column in zip(*runs))
                    ratio = statistics.median(w / f for w, f, _, _ in runs)
                    print(
                        f"{kind:<9}{wall:>8.1f}{floor:>8.1f}{ratio:>6.1f}x{n / wall:>11,.0f}{'':>20}{rss:>8.0f}"
                        f"{pss:>8.0f}{'':>6}   " + verdicts(n, (wall, wall / ratio, rss, pss), rate_target)
                    )
        largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"   largest single process over these runs: {largest:.0f} MB (ru_maxrss)")
        if scaling:
            report_core_scaling(source, formats[-1], top, *scaling)


def verdicts(n, figure, rate_target):
    wall, floor, rss, _ = figure
    return (
        f"<= {FLOOR_RATIO_TARGET}x floor: {met(wall <= FLOOR_RATIO_TARGET * floor)}; "
        f"< {MEMORY_TARGET_MB} MB: {met(rss < MEMORY_TARGET_MB)}; "
        f">= {rate_target:,.0f}/s: {met(n / wall >= rate_target)}"
    )


# ------------------------------------------------------------------ main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shoes", type=int, help="synthetic catalog size for the engine figures (default 10000)")
    parser.add_argument("--profiles", type=int, help="runners in the end-to-end file (default 1000000)")
    parser.add_argument("--jobs", type=int, help="--jobs for the CLI (default: its own default)")
    parser.add_argument("--formats", default="csv,parquet", help="output formats end to end (default csv,parquet)")
    parser.add_argument("--top", type=int, default=5, help="--top for the CLI end to end (default 5)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="end-to-end rounds, floor and formats in turn (default 1)"
    )
    parser.add_argument(
        "--http-runners-per-s",
        type=float,
        default=HTTP_RUNNERS_PER_S,
        help=f"distinct runners/s of the HTTP path, from bench_recommend.py --http-only (default {HTTP_RUNNERS_PER_S})",
    )
    parser.add_argument("--no-engine", action="store_true", help="skip section 1 (the engine in process)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test of a few seconds")
    args = parser.parse_args(argv)
    quick = {"shoes": 1000, "profiles": 20_000}
    full = {"shoes": 10_000, "profiles": 1_000_000}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    return args


def main(argv=None):
    args = parse_args(argv)
    print(
        f"shoefit batch benchmark: python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"{args.shoes:,} shoes, {args.profiles:,} runners{', quick' if args.quick else ''}"
    )
    start = time.perf_counter()
    n_batch = 2_000 if args.quick else 20_000
    n_single = 200 if args.quick else 1_000
    if not args.no_engine:
        bundled = Catalog.load()
        bench_engine(bundled, f"bundled catalog ({len(bundled)} shoes)", bundled.brands, n_batch, n_single)
        synthetic = Catalog.from_bytes(synthetic_csv(args.shoes).encode(), f"synthetic-{args.shoes}")
        bench_engine(synthetic, f"{args.shoes:,}-shoe synthetic catalog", BRANDS, n_batch, n_single)
    # Section 3: as many chunks as two workers score in a few seconds (quick: small ones).
    scaling = (4096, 3) if args.quick else (CHUNK_RUNNERS, 8)
    bench_end_to_end(args.profiles, args.formats, args.jobs, args.top, args.rounds, args.http_runners_per_s, scaling)
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
