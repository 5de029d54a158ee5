"""drop scheduler_leases: the scheduler's SQLite lock is a file lock now

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00

One scheduler process runs the jobs at a time. On SQLite it used to hold a
lease row here, renewed every few seconds; it now holds an OS lock on a file
beside the database, which the kernel drops when the process dies
(makerlab/scheduler.py). PostgreSQL keeps its advisory lock.
"""
from alembic import op
import sqlalchemy as sa

import makerlab.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table("scheduler_leases")


def downgrade():
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", makerlab.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
