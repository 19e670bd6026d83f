"""`shoefit db upgrade` and `shoefit fittings purge`: the fittings database the service uses."""

import argparse
import contextlib
import os
import re
from datetime import UTC, datetime, timedelta

from .. import config
from .common import EXIT_OK, fail


def database_command(run):
    """Common to the database commands: the service's database (SHOEFIT_DATABASE_URL or the default), exit codes."""

    def command(args):
        # Imported here: the other commands need no database, and start faster without SQLAlchemy and Alembic.
        from sqlalchemy.exc import SQLAlchemyError

        from ..store.fittings import Store

        try:
            settings = config.load()
        except config.ConfigError as exc:
            return fail(str(exc))
        url, instance = settings["DATABASE_URL"], config.instance_path(settings)
        try:
            with contextlib.closing(Store.for_instance(url, instance)) as fittings:
                return run(args, fittings)
        # A server that does not answer, a bad URL, a driver not installed, an instance folder that cannot be made.
        except (SQLAlchemyError, ImportError, OSError) as exc:
            reason = getattr(exc, "orig", None) or exc
            return fail(f"cannot use the database {_where(url, instance)}: {reason}")

    return command


def _where(url, instance):
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    from ..store.fittings import SQLITE_FILE

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
        return fail("the database has no fittings tables yet: run `shoefit db upgrade` first")
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


def add_commands(commands):
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
