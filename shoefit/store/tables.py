"""The fittings tables, as SQLAlchemy models: what migrations/ creates and the store reads and writes."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..core.vocabulary import COMFORT_MAX, COMFORT_MIN


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
        # Spelled out as migration 0001 creates it: a new decision needs a migration, not just a new word.
        sa.CheckConstraint("decision IN ('kept', 'returned', 'undecided')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # increasing: the order try-ons were recorded in
    fitting_id: Mapped[str] = mapped_column(sa.ForeignKey("fittings.id", ondelete="CASCADE"), index=True)
    shoe_id: Mapped[str]
    comfort: Mapped[int]
    fit_notes: Mapped[list] = mapped_column(sa.JSON)
    decision: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
