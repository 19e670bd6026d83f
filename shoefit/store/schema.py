"""The fittings schema's migrations (migrations/, Alembic): bring a database to the latest, read its revision."""

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

MIGRATIONS = Path(__file__).with_name("migrations")
# pg_advisory_xact_lock key that serializes upgrade() across processes; any constant of our own will do.
MIGRATION_LOCK = 0x5E0EF1
# Alembic keeps the migration it runs in a module global (alembic.context): one at a time per process.
_ALEMBIC_IN_USE = threading.Lock()


def upgrade(writer: sa.Engine) -> None:
    """Create or migrate the tables to the latest revision, on `writer` (an engine whose transactions write)."""
    # One transaction, begun IMMEDIATE on SQLite and holding an advisory lock on PostgreSQL: a second process
    # upgrading at the same time waits, then finds the schema at head and does nothing.
    with _ALEMBIC_IN_USE, writer.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        command.upgrade(alembic_config(connection), "head")


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def alembic_config(connection: sa.Connection) -> Config:
    """Alembic's configuration for the migrations shipped in the package, run on `connection` (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config
