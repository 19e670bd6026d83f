"""Fittings storage: a fitter's session with a customer (the runner profile as sent) and its try-ons.

SQLite in the instance folder by default, PostgreSQL for several servers; the schema is Alembic's (migrations/).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

DECISIONS = ("kept", "returned", "undecided")
COMFORT_MIN, COMFORT_MAX = 1, 5
SQLITE_FILE = "shoefit.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_S = 10
MIGRATIONS = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock key that serializes Store.upgrade() across processes; any constant of our own will do.
MIGRATION_LOCK = 0x5E0EF1
# Alembic keeps the migration it runs in a module global (alembic.context): one at a time per process.
_ALEMBIC_IN_USE = threading.Lock()
# Execution option marking a write transaction, which SQLite must begin IMMEDIATE (see _sqlite_begin).
WRITES = "shoefit_writes"


class NotFound(Exception):
    pass


class VersionConflict(Exception):
    def __init__(self, current: Fitting):
        super().__init__(f"fitting {current.id} is at version {current.version}")
        self.current = current


@dataclass(frozen=True)
class Fitting:
    id: str
    profile: dict
    version: int
    created_at: datetime
    updated_at: datetime  # the last change of the profile
    active_at: datetime  # the last change of anything, try-ons included: what retention goes by


@dataclass(frozen=True)
class TryOn:
    id: int
    fitting_id: str
    shoe_id: str
    comfort: int
    fit_notes: tuple
    decision: str
    created_at: datetime


# ------------------------------------------------------------------ schema


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out: SQLite keeps no offset and PostgreSQL answers in the session's time zone."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value}: give a time zone")
        value = value.astimezone(UTC)
        # Stored without an offset, every SQLite value is UTC, so comparing them as text compares the instants.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints, so that later migrations (batch mode on SQLite) can refer to them.
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class FittingRow(Base):
    __tablename__ = "fittings"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    profile: Mapped[dict] = mapped_column(sa.JSON)  # JSON, not JSONB: returned exactly as sent, key order included
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # purge's filter


class TryOnRow(Base):
    __tablename__ = "tryons"
    __table_args__ = (
        sa.CheckConstraint(f"comfort BETWEEN {COMFORT_MIN} AND {COMFORT_MAX}", name="comfort"),
        sa.CheckConstraint("decision IN ('kept', 'returned', 'undecided')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # increasing: the order try-ons were recorded in
    fitting_id: Mapped[str] = mapped_column(sa.ForeignKey("fittings.id", ondelete="CASCADE"), index=True)
    shoe_id: Mapped[str]
    comfort: Mapped[int]
    fit_notes: Mapped[list] = mapped_column(sa.JSON)
    decision: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# ------------------------------------------------------------------ the store


class Store:
    """Fittings in one database, shared safely by threads and by processes (gunicorn workers, several servers).

    Creating a Store creates no tables: upgrade() does. `engine_options` go to sqlalchemy.create_engine().
    """

    def __init__(self, url: str | sa.URL, **engine_options):
        url = sqlalchemy_url(url)
        self._engine = sa.create_engine(url, **_engine_options(url, engine_options))
        if url.get_backend_name() == "sqlite":
            sa.event.listen(self._engine, "connect", _sqlite_connect)
            sa.event.listen(self._engine, "begin", _sqlite_begin)
        _forget_connections_in_forked_children(self._engine)
        self._writer = self._engine.execution_options(**{WRITES: True})
        self._reading = sessionmaker(self._engine, expire_on_commit=False)
        self._writing = sessionmaker(self._writer, expire_on_commit=False)

    @classmethod
    def for_instance(cls, url_or_none: str | None, instance_path: str | os.PathLike) -> Store:
        """The configured database, or without one a SQLite file in the instance folder."""
        if url_or_none is not None:
            return cls(url_or_none)
        folder = Path(instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(sa.URL.create("sqlite", database=str(folder / SQLITE_FILE)))

    # -------------------------------------------------------------- schema

    def upgrade(self) -> None:
        # One transaction, begun IMMEDIATE on SQLite and holding an advisory lock on PostgreSQL: a second process
        # upgrading at the same time waits, then finds the schema at head and does nothing.
        with _ALEMBIC_IN_USE, self._writer.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            command.upgrade(alembic_config(connection), "head")

    def current_revision(self) -> str | None:
        with self._engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    # -------------------------------------------------------------- fittings

    def create_fitting(self, profile: dict) -> Fitting:
        now = _now()
        row = FittingRow(
            id=secrets.token_urlsafe(16), profile=profile, version=1, created_at=now, updated_at=now, active_at=now
        )
        with self._writing.begin() as session:
            session.add(row)
        return _fitting(row)

    def get_fitting(self, fitting_id: str) -> Fitting:
        with self._reading() as session:
            row = session.get(FittingRow, fitting_id)
        if row is None:
            raise NotFound(fitting_id)
        return _fitting(row)

    def update_fitting(self, fitting_id: str, profile: dict, expected_version: int | None) -> Fitting:
        change = sa.update(FittingRow).where(*_matching(fitting_id, expected_version))
        now = _now()
        change = change.values(profile=profile, version=FittingRow.version + 1, updated_at=now, active_at=now)
        with self._writing.begin() as session:
            row = session.scalars(change.returning(FittingRow)).one_or_none()
            if row is None:
                raise _missing_or_conflict(session, fitting_id)
        return _fitting(row)

    def delete_fitting(self, fitting_id: str, expected_version: int | None = None) -> None:
        removal = sa.delete(FittingRow).where(*_matching(fitting_id, expected_version)).returning(FittingRow.id)
        with self._writing.begin() as session:
            if session.scalars(removal).one_or_none() is None:
                raise _missing_or_conflict(session, fitting_id)

    def purge(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete the fittings (and their try-ons) last active before `now - older_than`."""
        if now is not None and now.tzinfo is None:
            raise ValueError(f"naive datetime {now}: give a time zone")
        cutoff = (now or _now()) - older_than
        removal = sa.delete(FittingRow).where(FittingRow.active_at < cutoff)
        with self._writing.begin() as session:
            return session.execute(removal, execution_options={"synchronize_session": False}).rowcount

    # -------------------------------------------------------------- try-ons

    def add_tryon(self, fitting_id: str, shoe_id: str, comfort: int, fit_notes, decision: str) -> TryOn:
        _check_tryon(comfort, decision)
        now = _now()
        # A try-on is activity: it keeps the fitting from being purged, but leaves its profile (its version,
        # its updated_at, hence the fitting's ETag) alone.
        touch = sa.update(FittingRow).where(FittingRow.id == fitting_id).values(active_at=now)
        row = TryOnRow(
            fitting_id=fitting_id,
            shoe_id=shoe_id,
            comfort=comfort,
            fit_notes=list(fit_notes),
            decision=decision,
            created_at=now,
        )
        with self._writing.begin() as session:
            if session.scalars(touch.returning(FittingRow.id)).one_or_none() is None:
                raise NotFound(fitting_id)
            session.add(row)
        return _tryon(row)

    def tryons(self, fitting_id: str) -> list[TryOn]:
        with self._reading() as session:
            if session.scalar(sa.select(FittingRow.id).where(FittingRow.id == fitting_id)) is None:
                raise NotFound(fitting_id)
            rows = session.scalars(sa.select(TryOnRow).where(TryOnRow.fitting_id == fitting_id).order_by(TryOnRow.id))
            return [_tryon(row) for row in rows]

    # -------------------------------------------------------------- operations

    def ping(self) -> None:
        with self._engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        self._engine.dispose()


def sqlalchemy_url(url: str | sa.URL) -> sa.URL:
    """The URL SQLAlchemy needs: a plain postgresql:// (or postgres://) URL means psycopg 3, which shoefit installs."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def alembic_config(connection: sa.Connection) -> Config:
    """Alembic's configuration for the migrations shipped in the package, run on `connection` (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def default_instance_path() -> str:
    """The instance folder of create_app()'s app, for commands that run without one."""
    import flask

    return flask.Flask("shoefit").instance_path


# ------------------------------------------------------------------ helpers


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


def _now() -> datetime:
    return datetime.now(UTC)


def _matching(fitting_id: str, expected_version: int | None) -> list:
    conditions = [FittingRow.id == fitting_id]
    if expected_version is not None:
        conditions.append(FittingRow.version == expected_version)
    return conditions


def _missing_or_conflict(session: Session, fitting_id: str) -> Exception:
    """Why a conditional write changed nothing: no such fitting, or another version than expected."""
    row = session.get(FittingRow, fitting_id)
    return NotFound(fitting_id) if row is None else VersionConflict(_fitting(row))


def _check_tryon(comfort: int, decision: str) -> None:
    if isinstance(comfort, bool) or not isinstance(comfort, int) or not COMFORT_MIN <= comfort <= COMFORT_MAX:
        raise ValueError(f"comfort {comfort!r}: must be a whole number from {COMFORT_MIN} to {COMFORT_MAX}")
    if decision not in DECISIONS:
        raise ValueError(f"decision {decision!r}: must be one of {', '.join(DECISIONS)}")


def _fitting(row: FittingRow) -> Fitting:
    return Fitting(row.id, row.profile, row.version, row.created_at, row.updated_at, row.active_at)


def _tryon(row: TryOnRow) -> TryOn:
    return TryOn(row.id, row.fitting_id, row.shoe_id, row.comfort, tuple(row.fit_notes), row.decision, row.created_at)
