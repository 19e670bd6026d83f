"""Alembic environment: Store.upgrade() runs it on its own connection, inside the transaction it began."""

from alembic import context

from shoefit.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: later migrations copy and swap tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
