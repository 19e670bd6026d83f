"""Alembic migrations of the fittings tables, run by shoefit.store.Store.upgrade()."""
