"""`shoefit score` and `shoefit grid`: batch files scored with the catalog and rules the service loads."""

import argparse
import contextlib
import os
import signal
import sys
import time

from .. import config
from ..batch import CHUNK_RUNNERS
from ..core.catalog_csv import CatalogError
from ..core.rules import RulesError
from ..core.vocabulary import LIMIT_MAX, LIMIT_MIN
from ..core.weights_overlay import WeightsError
from .common import EXIT_INTERRUPTED, EXIT_OK, EXIT_REJECTS, EXIT_TERMINATED, fail


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every cleanup runs as for Ctrl-C."""


@contextlib.contextmanager
def sigterm_raises():
    def terminate(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def batch_command(run, early=None):
    """Common to the batch commands: catalog and rules as the service loads them, exit codes.

    `early(args)`, when given, is called first, before the batch modules are imported.
    """

    def command(args):
        if early is not None:
            early(args)
        try:
            from ..batch.formats import InputError
            from ..batch.sources import Sources
        except ImportError as exc:
            return fail(f"{exc.name} is needed for batch files: pip install 'shoefit[batch]'")
        try:
            settings = config.load()
            weights = settings["WEIGHTS"] if args.weights is None else (args.weights or None)
            sources = Sources.read(args.catalog or settings["CATALOG"], settings["RULES"], weights)
            catalog, knowledge = sources.load()
        except (CatalogError, RulesError, WeightsError) as exc:
            return fail(*exc.problems, f"{len(exc.problems)} problem(s); nothing was scored")
        except config.ConfigError as exc:
            return fail(str(exc))
        try:
            with sigterm_raises():
                return run(args, sources, catalog, knowledge)
        except InputError as exc:
            return fail(str(exc))
        except (KeyboardInterrupt, Terminated) as exc:
            print(f"shoefit: interrupted; {args.output} was not written (nor changed)", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED

    return command


# --timings: seconds per stage, summed over the processes (workers score in parallel).
TIMED_STAGES = ("read", "validate", "score", "format", "write", "collect")


def score(args, sources, catalog, knowledge):
    from tqdm import tqdm

    from ..batch.score_file import score_file

    start = time.perf_counter()
    show_bar = not args.quiet and sys.stderr.isatty()
    with tqdm(total=_size(args.profiles), unit="B", unit_scale=True, desc="scoring", disable=not show_bar) as bar:
        summary = score_file(
            args.profiles,
            args.output,
            sources=sources,
            catalog=catalog,
            knowledge=knowledge,
            rejects_path=args.rejects,
            top=args.top,
            chunk=args.chunk,
            jobs=args.jobs,
            engine=args.engine,
            scheduler=args.scheduler,
            progress=lambda done: bar.update(done - bar.n),
        )
    seconds = time.perf_counter() - start
    for reject in summary.listed:
        print(f"{args.profiles}: {reject}", file=sys.stderr)
    if args.rejects is None and summary.problems > len(summary.listed):
        unlisted = summary.problems - len(summary.listed)
        print(f"{args.profiles}: ... and {unlisted:,} more; --rejects FILE keeps them all", file=sys.stderr)
    if not args.quiet:
        where = f" (listed in {args.rejects})" if args.rejects and summary.rejected else ""
        print(
            f"shoefit score: read {summary.read:,}, scored {summary.scored:,}, rejected {summary.rejected:,}{where}; "
            f"{summary.rows:,} rows to {args.output} in {seconds:.1f} s ({summary.read / seconds:,.0f} rows read/s)",
            file=sys.stderr,
        )
        _say_overlay("score", knowledge)
    if args.timings:
        stages = ", ".join(f"{stage} {summary.seconds[stage]:.1f}" for stage in TIMED_STAGES)
        print(f"timings (s, summed over the processes): {stages}", file=sys.stderr)
    return EXIT_REJECTS if summary.rejected else EXIT_OK


# A profiles file at least this big holds more than one chunk (but for rows of over 250 bytes), and so is scored
# in worker processes.
EARLY_WORKERS_BYTES = 8 << 20


def start_workers_early(args):
    """Start the server the worker processes are forked from before this process imports and loads anything, so
    that both import numpy, pyarrow and the scorer at once on two cores rather than one after the other."""
    if args.engine != "local" or args.jobs < 2:
        return
    try:
        large = os.path.getsize(args.profiles) >= EARLY_WORKERS_BYTES
    except OSError:
        return  # score_file says what is wrong with the file
    if large:
        from ..batch.worker_start import start_early

        start_early()


def grid(args, sources, catalog, knowledge):
    from ..batch.grid import grid_batch, grid_runners, write_batch

    batch = grid_batch(catalog, knowledge, args.top)
    write_batch(batch, args.output)
    runners = len(grid_runners())
    print(f"{args.output}: {runners} runner types x {len(catalog)} shoes, {batch.num_rows:,} rows", file=sys.stderr)
    _say_overlay("grid", knowledge)
    return EXIT_OK


def _say_overlay(command, knowledge):
    overlay = knowledge.overlay
    if overlay is not None:
        print(f"shoefit {command}: weights overlay {overlay.version} ({overlay.fittings:,} fittings)", file=sys.stderr)


# Each scoring process holds its own ~250 MB (interpreter, libraries, catalog, memos),
# and past a few of them the one process reading and writing the files is the limit.
MAX_DEFAULT_JOBS = 4


def default_jobs():
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(usable or 1, MAX_DEFAULT_JOBS))


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return None  # reported properly when the file is opened


def _bounded(low, high):
    def parse(text):
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return value

    return parse


CATALOG_HELP = "catalog CSV (default: $SHOEFIT_CATALOG, else the bundled one, as the service)"
WEIGHTS_HELP = (
    "weights overlay from `shoefit calibrate` (default: $SHOEFIT_WEIGHTS, as the service; '' for the rules' weights)"
)


def add_score_command(commands):
    run = commands.add_parser(
        "score",
        help="score a file of runner profiles (CSV or JSON Lines) into CSV, JSON Lines or Parquet",
        description="Score every runner of PROFILES (.csv, .jsonl or .ndjson) against the catalog and write one "
        "row per runner and pick to OUTPUT (.csv, .jsonl or .parquet), here or on a Dask cluster (--engine dask). "
        "Exit codes: 0 all rows scored, 1 some rows rejected (the others are written), 2 a problem with a whole "
        "file, the command line or the Dask cluster (nothing written).",
    )
    run.add_argument("profiles", help="runner profiles: .csv, .jsonl or .ndjson")
    run.add_argument("-o", "--output", required=True, help="picks file: .csv, .jsonl or .parquet")
    run.add_argument("--catalog", help=CATALOG_HELP)
    run.add_argument("--weights", metavar="WEIGHTS.toml", help=WEIGHTS_HELP)
    run.add_argument("--top", type=_bounded(LIMIT_MIN, LIMIT_MAX), default=10, help="picks per runner (default 10)")
    run.add_argument("--rejects", help="write rejected rows here (.csv, or .jsonl) instead of listing them on stderr")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    run.add_argument(
        "--chunk",
        type=_bounded(1, 1 << 20),
        default=CHUNK_RUNNERS,
        help=f"profiles per chunk (default {CHUNK_RUNNERS})",
    )
    run.add_argument(
        "--jobs",
        type=_bounded(1, 256),
        default=default_jobs(),
        help="scoring processes, with --engine local only (default: the CPUs this process may use, at most "
        f"{MAX_DEFAULT_JOBS})",
    )
    run.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="where to score: 'local' (default) in this machine's processes, 'dask' on the workers of a Dask cluster "
        "(pip install 'shoefit[dask]'), each holding the catalog once",
    )
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: the Dask scheduler, e.g. tcp://host:8786 (default: start a local Dask cluster for "
        "the run). Workers need the same shoefit version; the catalog and rules are sent to them",
    )
    run.add_argument("--timings", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(run=batch_command(score, early=start_workers_early))
    return run


def add_grid_command(commands):
    table = commands.add_parser(
        "grid",
        help="rank every catalog shoe for every runner type: a shoe x runner-type table",
        description="Every arch type x pronation x concern (none, one shoe-relevant symptom, or one fit issue) x use "
        "(daily, tempo, race) against the whole catalog: one row per runner type and shoe, with its score and rank.",
    )
    table.add_argument("-o", "--output", required=True, help="table file: .csv, .jsonl or .parquet")
    table.add_argument("--catalog", help=CATALOG_HELP)
    table.add_argument("--weights", metavar="WEIGHTS.toml", help=WEIGHTS_HELP)
    table.add_argument("--top", type=_bounded(1, 1 << 31), help="keep only the K best shoes per runner type")
    table.set_defaults(run=batch_command(grid))
