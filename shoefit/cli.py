"""The `shoefit` command line."""

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import time
from datetime import UTC, datetime, timedelta

from . import config
from .catalog import Catalog, CatalogError
from .rules import RulesError
from .vocabulary import LIMIT_MAX, LIMIT_MIN

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM


def validate_catalog(args):
    try:
        catalog = Catalog.load(args.path)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{args.path}: {len(exc.problems)} problem(s); the service would refuse this file.", file=sys.stderr)
        return 1
    brands = len(catalog.brands)
    print(f"{args.path}: valid, {len(catalog)} shoes from {brands} brands, version {catalog.version}")
    return 0


def openapi(args):
    from . import create_app

    # The document needs no database: do not create or migrate one.
    app = create_app({"CATALOG": args.catalog, "AUTO_MIGRATE": False})
    spec = app.test_client().get("/openapi.json").get_json()
    json.dump(spec, sys.stdout, indent=2)
    print()
    return 0


# ------------------------------------------------------------------ database commands


def database_command(run):
    """Common to the database commands: the service's database (SHOEFIT_DATABASE_URL or the default), exit codes."""

    def command(args):
        # Imported here: the other commands need no database, and start faster without SQLAlchemy and Alembic.
        from sqlalchemy.exc import SQLAlchemyError

        from . import store

        try:
            settings = config.load()
        except config.ConfigError as exc:
            return _fail(str(exc))
        url, instance = settings["DATABASE_URL"], settings["INSTANCE_PATH"] or store.default_instance_path()
        try:
            with contextlib.closing(store.Store.for_instance(url, instance)) as fittings:
                return run(args, fittings)
        # A server that does not answer, a bad URL, a driver not installed, an instance folder that cannot be made.
        except (SQLAlchemyError, ImportError, OSError) as exc:
            reason = getattr(exc, "orig", None) or exc
            return _fail(f"cannot use the database {_where(url, instance)}: {reason}")

    return command


def _where(url, instance):
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    from .store import SQLITE_FILE

    if url is None:
        return os.path.join(instance, SQLITE_FILE)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "SHOEFIT_DATABASE_URL"


def db_upgrade(args, fittings):
    fittings.upgrade()
    print(f"fittings database at revision {fittings.current_revision()} (the latest)")
    return EXIT_OK


def purge_fittings(args, fittings):
    if fittings.current_revision() is None:
        return _fail("the database has no fittings tables yet: run `shoefit db upgrade` first")
    now = datetime.now(UTC)
    deleted = fittings.purge(args.older_than, now)
    print(f"deleted {deleted} fitting(s) last active before {now - args.older_than:%Y-%m-%d %H:%M:%S} UTC")
    return EXIT_OK


DURATION_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
LONGEST_DURATION = timedelta(days=100 * 366)  # any more and `now - it` falls before year 1


def duration(text):
    """Nh, Nd or Nw: hours, days or weeks."""
    match = re.fullmatch(r"(\d+)([hdw])", text.strip().lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration: use Nh, Nd or Nw (hours, days, weeks), e.g. 90d")
    number, unit = int(match[1]), DURATION_UNITS[match[2]]
    if not 1 <= number <= LONGEST_DURATION / timedelta(**{unit: 1}):
        raise argparse.ArgumentTypeError(f"{text!r}: must be from 1{match[2]} to 100 years")
    return timedelta(**{unit: number})


def _add_database_commands(commands):
    database = commands.add_parser(
        "db",
        help="the fittings database",
        description="The fittings database: SHOEFIT_DATABASE_URL, else the SQLite file in the instance folder, as the "
        "service uses. Exit code 2 when it cannot be reached.",
    )
    database_commands = database.add_subparsers(dest="db_command", required=True)
    upgrade = database_commands.add_parser(
        "upgrade",
        help="create or migrate the fittings tables to the latest schema and print its revision",
        description="Create or migrate the fittings tables to the latest schema and print its revision. Safe to run "
        "again, and from several machines at once. Run it once per release when several servers share a database "
        "(with SHOEFIT_AUTO_MIGRATE=0).",
    )
    upgrade.set_defaults(run=database_command(db_upgrade))
    fittings = commands.add_parser("fittings", help="stored fittings")
    fittings_commands = fittings.add_subparsers(dest="fittings_command", required=True)
    purge = fittings_commands.add_parser(
        "purge",
        help="delete fittings (with their try-ons) not active for a while",
        description="Delete the fittings, with their try-ons, not active (no profile change, no try-on) for --older-than, and "
        "print how many. Exit code 2 for a bad duration or a database that cannot be reached.",
    )
    purge.add_argument(
        "--older-than", type=duration, required=True, metavar="AGE", help="Nh, Nd or Nw (hours, days, weeks), e.g. 90d"
    )
    purge.set_defaults(run=database_command(purge_fittings))


# ------------------------------------------------------------------ batch commands


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


def batch_command(run):
    """Common to the batch commands: catalog and rules as the service loads them, exit codes."""

    def command(args):
        try:
            from . import batchio
        except ImportError as exc:
            return _fail(f"{exc.name} is needed for batch files: pip install 'shoefit[parquet]'")
        try:
            settings = config.load()
            sources = batchio.Sources.read(args.catalog or settings["CATALOG"], settings["RULES"])
            catalog, knowledge = sources.load()
        except (CatalogError, RulesError) as exc:
            return _fail(*exc.problems, f"{len(exc.problems)} problem(s); nothing was scored")
        except config.ConfigError as exc:
            return _fail(str(exc))
        try:
            with sigterm_raises():
                return run(args, batchio, sources, catalog, knowledge)
        except batchio.InputError as exc:
            return _fail(str(exc))
        except (KeyboardInterrupt, Terminated) as exc:
            print(f"shoefit: interrupted; {args.output} was not written (nor changed)", file=sys.stderr)
            return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED

    return command


def _fail(*lines):
    for line in lines:
        print(f"shoefit: {line}", file=sys.stderr)
    return EXIT_USAGE


# --timings: seconds per stage, summed over the processes (workers score in parallel).
TIMED_STAGES = ("read", "validate", "score", "format", "write", "collect")


def score(args, batchio, sources, catalog, knowledge):
    from tqdm import tqdm

    start = time.perf_counter()
    show_bar = not args.quiet and sys.stderr.isatty()
    with tqdm(total=_size(args.profiles), unit="B", unit_scale=True, desc="scoring", disable=not show_bar) as bar:
        summary = batchio.score_file(
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
    if args.timings:
        stages = ", ".join(f"{stage} {summary.seconds[stage]:.1f}" for stage in TIMED_STAGES)
        print(f"timings (s, summed over the processes): {stages}", file=sys.stderr)
    return EXIT_REJECTS if summary.rejected else EXIT_OK


def grid(args, batchio, sources, catalog, knowledge):
    batch = batchio.grid_batch(catalog, knowledge, args.top)
    batchio.write_batch(batch, args.output)
    runners = len(batchio.grid_runners())
    print(f"{args.output}: {runners} runner types x {len(catalog)} shoes, {batch.num_rows:,} rows", file=sys.stderr)
    return EXIT_OK


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


def _add_score_command(commands):
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
    run.add_argument("--top", type=_bounded(LIMIT_MIN, LIMIT_MAX), default=10, help="picks per runner (default 10)")
    run.add_argument("--rejects", help="write rejected rows here (.csv, or .jsonl) instead of listing them on stderr")
    run.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    run.add_argument("--chunk", type=_bounded(1, 1 << 20), default=8192, help="profiles per chunk (default 8192)")
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
    run.set_defaults(run=batch_command(score))
    return run


def _add_grid_command(commands):
    table = commands.add_parser(
        "grid",
        help="rank every catalog shoe for every runner type: a shoe x runner-type table",
        description="Every arch type x pronation x concern (none, one shoe-relevant symptom, or one fit issue) "
        "against the whole catalog: one row per runner type and shoe, with its score and rank.",
    )
    table.add_argument("-o", "--output", required=True, help="table file: .csv, .jsonl or .parquet")
    table.add_argument("--catalog", help=CATALOG_HELP)
    table.add_argument("--top", type=_bounded(1, 1 << 31), help="keep only the K best shoes per runner type")
    table.set_defaults(run=batch_command(grid))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="shoefit", description="Running-shoe recommendations: tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate-catalog", help="check a catalog CSV and list every problem")
    check.add_argument("path")
    check.set_defaults(run=validate_catalog)
    spec = commands.add_parser("openapi", help="print the OpenAPI document")
    spec.add_argument("--catalog", help="catalog CSV (default: the bundled one)")
    spec.set_defaults(run=openapi)
    score_parser = _add_score_command(commands)
    _add_grid_command(commands)
    _add_database_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "score" and args.scheduler is not None and args.engine != "dask":
        score_parser.error("--scheduler ADDRESS needs --engine dask")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
