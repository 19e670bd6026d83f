"""The fittings store: a fitter's session with a customer (the runner profile as sent) and its try-ons.

SQLite in the instance folder by default, PostgreSQL for several servers; the schema is Alembic's (migrations/).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ..core.errors import ShoefitError
from ..core.vocabulary import COMFORT_MAX, COMFORT_MIN, DECISIONS
from . import schema
from .engine import WRITES, create_engine
from .tables import FittingRow, TryOnRow

SQLITE_FILE = "shoefit.sqlite3"
OUTCOMES_PER_FETCH = 1000  # rows fetched at a time when a whole store's try-ons are read


class NotFound(ShoefitError):
    """No fitting with that id: it was deleted, purged, or never existed."""


class VersionConflict(ShoefitError):
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
class TryOnRecord:
    """A try-on as stored: the try-on (shoe_id, comfort, fit_notes, decision) with its id, fitting and time."""

    id: int
    fitting_id: str
    shoe_id: str
    comfort: int
    fit_notes: tuple
    decision: str
    created_at: datetime


class Store:
    """Fittings in one database, shared safely by threads and by processes (gunicorn workers, several servers).

    Creating a Store creates no tables: upgrade() does. `timeout`: seconds any one wait on PostgreSQL may take before
    it raises OperationalError (see engine.create_engine). `engine_options` go to sqlalchemy.create_engine().
    """

    def __init__(self, url: str | sa.URL, timeout: float | None = None, **engine_options):
        self._url, self._engine_options = url, engine_options
        self._engine = create_engine(url, timeout, **engine_options)
        self._writer = self._engine.execution_options(**{WRITES: True})
        self._reading = sessionmaker(self._engine, expire_on_commit=False)
        self._writing = sessionmaker(self._writer, expire_on_commit=False)

    @classmethod
    def for_instance(
        cls, url_or_none: str | None, instance_path: str | os.PathLike, timeout: float | None = None
    ) -> Store:
        """The configured database, or without one a SQLite file in the instance folder."""
        if url_or_none is not None:
            return cls(url_or_none, timeout)
        folder = Path(instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(sa.URL.create("sqlite", database=str(folder / SQLITE_FILE)), timeout)

    # -------------------------------------------------------------- schema

    def upgrade(self) -> None:
        """Create or migrate the tables to the latest schema; safe from several processes at once."""
        # Not under the requests' timeout: a migration may wait for another server's (the lock in schema.upgrade),
        # and take long on a large table.
        engine = create_engine(self._url, **{**self._engine_options, "poolclass": sa.NullPool})
        try:
            schema.upgrade(engine.execution_options(**{WRITES: True}))
        finally:
            engine.dispose()

    def current_revision(self) -> str | None:
        return schema.current_revision(self._engine)

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

    def add_tryon(self, fitting_id: str, shoe_id: str, comfort: int, fit_notes, decision: str) -> TryOnRecord:
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

    def tryons(self, fitting_id: str) -> list[TryOnRecord]:
        with self._reading() as session:
            if session.scalar(sa.select(FittingRow.id).where(FittingRow.id == fitting_id)) is None:
                raise NotFound(fitting_id)
            rows = session.scalars(sa.select(TryOnRow).where(TryOnRow.fitting_id == fitting_id).order_by(TryOnRow.id))
            return [_tryon(row) for row in rows]

    def outcomes(self) -> Iterator[tuple[Fitting, list[TryOnRecord]]]:
        """Every fitting that has try-ons, with them in the order they were recorded: what `shoefit calibrate` reads.

        Streamed a fitting at a time, so a store's whole history never sits in memory as rows.
        """
        query = sa.select(FittingRow, TryOnRow).join(TryOnRow).order_by(FittingRow.id, TryOnRow.id)
        with self._reading() as session:
            current, tried = None, []
            for fitting, tryon in session.execute(query.execution_options(yield_per=OUTCOMES_PER_FETCH)):
                if current is not None and fitting.id != current.id:
                    yield _fitting(current), tried
                    tried = []
                current = fitting
                tried.append(_tryon(tryon))
            if current is not None:
                yield _fitting(current), tried

    def count_fittings(self) -> int:
        with self._reading() as session:
            return session.scalar(sa.select(sa.func.count()).select_from(FittingRow))

    def add_fittings(self, fittings) -> int:
        """Store (profile, [(shoe_id, comfort, fit_notes, decision)]) pairs in one transaction; how many.

        For a synthetic store (`shoefit simulate-fittings`) or an import: one commit, not one per try-on.
        """
        now, count = _now(), 0
        with self._writing.begin() as session:
            for profile, tryons in fittings:
                row = FittingRow(id=secrets.token_urlsafe(16), profile=profile, version=1, created_at=now,
                                 updated_at=now, active_at=now)  # fmt: skip
                session.add(row)
                for shoe_id, comfort, fit_notes, decision in tryons:
                    _check_tryon(comfort, decision)
                    session.add(TryOnRow(fitting_id=row.id, shoe_id=shoe_id, comfort=comfort,
                                         fit_notes=list(fit_notes), decision=decision, created_at=now))  # fmt: skip
                count += 1
        return count

    # -------------------------------------------------------------- operations

    def ping(self) -> None:
        with self._engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        self._engine.dispose()


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


def _tryon(row: TryOnRow) -> TryOnRecord:
    return TryOnRecord(
        row.id, row.fitting_id, row.shoe_id, row.comfort, tuple(row.fit_notes), row.decision, row.created_at
    )
