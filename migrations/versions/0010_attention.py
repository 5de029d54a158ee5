"""attention on bookings and workshop sessions (re-planning)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:30:00

A change that makes a future booking or session impossible (a closure,
maintenance, a withdrawn consent ...) records why on it: a JSON list of
``{"reason", "detail"}``, empty when all is well. Existing rows have none.
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("bookings", "workshop_sessions")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("attention", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
            )


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("attention")
