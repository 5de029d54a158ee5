"""accounts: session versions that end every cookie of a user, and shared login throttling

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 21:10:00

``users.session_version`` is part of every session and remember-me cookie;
raising it (logout, new password, deactivation) ends them all.
``login_failures`` holds failed logins for a few minutes, keyed by a hash of
the account or client address, so every worker process counts them together.

The column is added and dropped with plain ALTER TABLE (SQLite 3.35+), not
batch mode, which would copy the whole table.
"""
from alembic import op
import sqlalchemy as sa

import makerlab.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_at", makerlab.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_failed_at"), "login_failures", ["failed_at"])
    op.create_index("ix_login_failures_key_failed_at", "login_failures", ["key", "failed_at"])
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade():
    op.drop_column("users", "session_version")
    op.drop_index("ix_login_failures_key_failed_at", table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_failed_at"), table_name="login_failures")
    op.drop_table("login_failures")
