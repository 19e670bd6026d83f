"""The database engine behind the store: a URL made usable, and SQLite or PostgreSQL set up for many workers.

SQLite gets WAL, a busy timeout, foreign keys and writers that queue; PostgreSQL a connect timeout and, given a
timeout, a bound on every other wait too (postgres.py). Connections are never shared with a forked child (gunicorn
--preload), and no error or log line carries a statement's parameters: they are a runner's answers.
"""

import logging
import math
import os
import sqlite3
import time
import weakref

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_MS = 5000
# Without a timeout given (the command line, migrations): a server that does not answer must still fail them soon.
POSTGRES_CONNECT_TIMEOUT_S = 5
# The store's engines log as sqlalchemy.engine.Engine.fittings. At DEBUG SQLAlchemy logs every row read, which
# holds a runner's answers: only INFO (statements, their parameters hidden) and above get through.
LOGGING_NAME = "fittings"
logging.getLogger(f"sqlalchemy.engine.Engine.{LOGGING_NAME}").addFilter(lambda record: record.levelno > logging.DEBUG)
# Execution option marking a write transaction, which SQLite must begin IMMEDIATE (see _sqlite_begin).
WRITES = "shoefit_writes"


def create_engine(url: str | sa.URL, timeout: float | None = None, **options) -> sa.Engine:
    """An engine for `url` (see sqlalchemy_url), set up as the store needs; `options` go to sa.create_engine().

    `timeout`: on PostgreSQL, the seconds any one wait may take: for a connection from the pool, for connecting, for a
    statement (the server cancels it, the client gives up soon after). None: only the connect timeout.
    """
    url = sqlalchemy_url(url)
    engine = sa.create_engine(url, **_engine_options(url, timeout, options))
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    elif url.get_driver_name() == "psycopg":
        from . import postgres  # psycopg is only loaded for a PostgreSQL URL

        sa.event.listen(engine, "handle_error", postgres.without_row_values)
        if timeout is not None:
            postgres.bound_waits(engine, timeout)
    _forget_connections_in_forked_children(engine)
    return engine


def sqlalchemy_url(url: str | sa.URL) -> sa.URL:
    """The URL SQLAlchemy needs: a plain postgresql:// (or postgres://) URL means psycopg 3, which shoefit installs."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _engine_options(url: sa.URL, timeout: float | None, options: dict) -> dict:
    # A connection dropped by a database restart is replaced rather than failing the next request. The parameters
    # are what a runner answered: an error message (logged with its traceback) must not quote them.
    options = {"pool_pre_ping": True, "hide_parameters": True, "logging_name": LOGGING_NAME, **options}
    if url.get_backend_name() != "postgresql":
        return options
    if timeout is not None:
        # Every connection of the pool stuck on a silent server: the next request must fail, not queue behind them.
        options.setdefault("pool_timeout", timeout)
    if "connect_timeout" not in url.query:
        # An unreachable server must fail /readyz and the CLI, not hang them. libpq counts whole seconds, at least 2.
        seconds = POSTGRES_CONNECT_TIMEOUT_S if timeout is None else max(2, math.ceil(timeout))
        options["connect_args"] = {"connect_timeout": seconds, **options.get("connect_args", {})}
    return options


def _sqlite_connect(dbapi_connection, connection_record):
    # pysqlite's own BEGIN comes late and is always DEFERRED; _sqlite_begin emits ours instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # busy_timeout first, so that even switching to WAL waits for a lock instead of failing.
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys = ON")  # off by default; deleting a fitting cascades to its try-ons
    cursor.close()


def _switch_to_wal(cursor):
    """WAL: readers and the one writer do not block each other. The mode stays with the file once set."""
    # Setting it needs the file to itself and, alone of our statements, fails at once rather than wait when several
    # connections open a new file together: wait for it as busy_timeout would.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_begin(connection):
    # A deferred transaction that reads, then writes, fails at once with SQLITE_BUSY when another writer got in
    # between (busy_timeout does not apply to that upgrade); taking the write lock at BEGIN makes writers queue.
    immediate = connection.get_execution_options().get(WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _forget_connections_in_forked_children(engine: sa.Engine) -> None:
    # gunicorn --preload forks workers after create_app() may have used the store: a child must open its own
    # connections, never share its parent's socket or SQLite handle (SQLAlchemy's documented recipe).
    engine_ref = weakref.ref(engine)

    def forget():
        forked = engine_ref()
        if forked is not None:
            forked.dispose(close=False)

    os.register_at_fork(after_in_child=forget)
