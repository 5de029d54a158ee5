"""drop the read cache's change counters: the data_generation table and its triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00

The read cache is gone (issue 13): the plain routes are fast enough, and the
counters were wrong after `flask restore` (they went back with the data) and
cost every write on PostgreSQL a lock on one counter row. This drops what
0002 made. Every drop says IF EXISTS: on SQLite a later batch-mode migration
may have recreated a watched table without its triggers.
"""
import importlib.util
from pathlib import Path

from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copies of what 0002 created.
WATCHED_TABLES = (
    "sites",
    "closures",
    "equipment",
    "users",
    "participants",
    "inductions",
    "schools",
    "workshops",
    "booking_series",
    "bookings",
    "booking_participants",
    "maintenance_blocks",
    "workshop_sessions",
    "enrolments",
)
PG_FUNCTIONS = (
    "makerlab_bump_all()",
    "makerlab_bump_weeks()",
    "makerlab_bump_other()",
    "makerlab_bump_base()",
    "makerlab_session_weeks(integer)",
    "makerlab_booking_weeks(integer)",
    "makerlab_booking_weeks(integer, timestamptz, timestamptz, timestamptz, timestamptz)",
    "makerlab_unit_scopes(integer, text[])",
    "makerlab_weeks(timestamptz, timestamptz)",
    "makerlab_bump(text[])",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS bump_generation ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS bump_generation_truncate ON {table}")
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS bump_generation_{table}_{event}")
    op.execute("DROP TABLE IF EXISTS data_generation")


def downgrade():
    """Back to 0002: its own upgrade makes the table, the functions and the triggers again."""
    path = Path(__file__).with_name("0002_data_generation.py")
    spec = importlib.util.spec_from_file_location("makerlab_migration_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.upgrade()
