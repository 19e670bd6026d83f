"""Fittings and their try-ons.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "fittings",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fittings"),
    )
    op.create_index("ix_fittings_active_at", "fittings", ["active_at"])
    op.create_table(
        "tryons",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("fitting_id", sa.String(32), nullable=False),
        sa.Column("shoe_id", sa.String(), nullable=False),
        sa.Column("comfort", sa.Integer(), nullable=False),
        sa.Column("fit_notes", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tryons"),
        sa.ForeignKeyConstraint(
            ["fitting_id"], ["fittings.id"], name="fk_tryons_fitting_id_fittings", ondelete="CASCADE"
        ),
        sa.CheckConstraint("comfort BETWEEN 1 AND 5", name="ck_tryons_comfort"),
        sa.CheckConstraint("decision IN ('kept', 'returned', 'undecided')", name="ck_tryons_decision"),
    )
    op.create_index("ix_tryons_fitting_id", "tryons", ["fitting_id"])


def downgrade():
    op.drop_table("tryons")
    op.drop_table("fittings")
