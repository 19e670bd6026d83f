"""The database engine behind the store: a URL made usable, and SQLite or PostgreSQL set up for many workers.

SQLite gets WAL, a busy timeout, foreign keys and writers that queue; PostgreSQL a connect timeout.
Connections are never shared with a forked child (gunicorn --preload).
"""

import os
import sqlite3
import time
import weakref

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_S = 10
# Execution option marking a write transaction, which SQLite must begin IMMEDIATE (see _sqlite_begin).
WRITES = "shoefit_writes"


def create_engine(url: str | sa.URL, **options) -> sa.Engine:
    """An engine for `url` (see sqlalchemy_url), set up as the store needs; `options` go to sa.create_engine()."""
    url = sqlalchemy_url(url)
    engine = sa.create_engine(url, **_engine_options(url, options))
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    _forget_connections_in_forked_children(engine)
    return engine


def sqlalchemy_url(url: str | sa.URL) -> sa.URL:
    """The URL SQLAlchemy needs: a plain postgresql:// (or postgres://) URL means psycopg 3, which shoefit installs."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _engine_options(url: sa.URL, options: dict) -> dict:
    # A connection dropped by a database restart is replaced rather than failing the next request.
    options = {"pool_pre_ping": True, **options}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        # An unreachable server must fail /readyz and the CLI, not hang them.
        options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S, **options.get("connect_args", {})}
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
