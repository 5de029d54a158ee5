"""data generation: a counter the database bumps on every change the read cache depends on

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00

The read cache (makerlab/readcache.py) keys answers by this counter. On
PostgreSQL a deferred constraint trigger bumps it once per transaction, at
commit, so the row lock is held only while committing. SQLite serialises
writers anyway and bumps it per row.

Note for later migrations: Alembic's batch mode on SQLite recreates a table
and drops its triggers. A migration that alters a watched table in batch
mode must create that table's triggers again (tests/test_readcache.py checks
that every watched table has them).
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copy of makerlab.readcache.WATCHED_TABLES at this revision.
WATCHED_TABLES = (
    "sites",
    "closures",
    "equipment",
    "maintenance_blocks",
    "bookings",
    "booking_series",
    "booking_participants",
    "participants",
    "inductions",
    "schools",
    "users",
    "workshops",
    "workshop_sessions",
    "enrolments",
)

PG_FUNCTION = """
CREATE FUNCTION makerlab_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('makerlab.generation_bumped', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('makerlab.generation_bumped', 'yes', true);
        UPDATE data_generation SET value = value + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade():
    op.create_table(
        "data_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_generation_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
    )
    op.execute("INSERT INTO data_generation (id, value) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in WATCHED_TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER bump_generation AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION makerlab_bump_generation()"
            )
            op.execute(
                f"CREATE TRIGGER bump_generation_truncate AFTER TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION makerlab_bump_generation()"
            )
    else:
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER bump_generation_{table}_{event} AFTER {event.upper()} "
                    f"ON {table} BEGIN UPDATE data_generation SET value = value + 1 "
                    f"WHERE id = 1; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS bump_generation ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS bump_generation_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS makerlab_bump_generation()")
    else:
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS bump_generation_{table}_{event}")
    op.drop_table("data_generation")
