"""The fittings store: a fitter's sessions with their try-ons, in SQLite or PostgreSQL, with migrations.

Builds on the core only (see ARCHITECTURE.md).
"""
