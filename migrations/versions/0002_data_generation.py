"""data generation: counters the database raises on every change the read cache depends on

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:00:00

The read cache (makerlab/readcache.py) keys answers by the sum of the
counters ("scopes") an answer depends on:

- ``total``: every change of a watched table;
- ``base``: sites, closures, equipment and users (what every calendar and
  availability answer shows besides bookings and maintenance);
- ``other``: participants, inductions, schools, workshops, booking series;
- ``week:YYYY-MM-DD`` (the Monday of a UTC week): bookings, their
  participants, maintenance blocks, workshop sessions and enrolments touching
  that week; bookings and maintenance also raise
  ``unit:<id>:week:...`` and ``category:<category>:week:...`` of their unit. A booking counts from its start (or earlier pick-up) minus its
  unit's buffer to its ``blocked_until`` (or later return), with a day of
  margin on each side, so every availability question its buffer can reach,
  and every report that counts it, sees the change.

PostgreSQL: deferred constraint triggers raise the counters at commit. Every
bump takes the ``total`` row first, so committing writers lock the other rows
one after the other and cannot deadlock. SQLite serialises writers anyway;
its triggers raise every counter (no week rows are ever made there).

Note for later migrations: Alembic's batch mode on SQLite recreates a table
and drops its triggers. A migration that alters a watched table in batch
mode must create that table's triggers again (tests/bookings/test_read_cache.py
checks that every watched table has them).
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of makerlab.generation at this revision.
BASE_TABLES = ("sites", "closures", "equipment", "users")
OTHER_TABLES = ("participants", "inductions", "schools", "workshops", "booking_series")
WEEK_TABLES = (
    "bookings",
    "booking_participants",
    "maintenance_blocks",
    "workshop_sessions",
    "enrolments",
)
WATCHED_TABLES = BASE_TABLES + OTHER_TABLES + WEEK_TABLES

PG_FUNCTIONS = [
    """
CREATE FUNCTION makerlab_bump(scopes text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY array_prepend(
        'total', ARRAY(SELECT DISTINCT s FROM unnest(scopes) s WHERE s <> 'total' ORDER BY s)
    ) LOOP
        INSERT INTO data_generation AS g (scope, value) VALUES (name, 1)
        ON CONFLICT ON CONSTRAINT pk_data_generation DO UPDATE SET value = g.value + 1;
    END LOOP;
END
$$""",
    """
CREATE FUNCTION makerlab_weeks(first timestamptz, last timestamptz) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg('week:' || to_char(monday, 'YYYY-MM-DD')), '{}')
    FROM generate_series(
        date_trunc('week', (first - interval '1 day') AT TIME ZONE 'UTC'),
        (last + interval '1 day') AT TIME ZONE 'UTC',
        interval '1 week'
    ) AS monday
$$""",
    # The weeks, plus the same weeks of the unit and of its category.
    """
CREATE FUNCTION makerlab_unit_scopes(unit_id integer, weeks text[]) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT weeks
        || ARRAY(SELECT 'unit:' || unit_id || ':' || w FROM unnest(weeks) AS w)
        || ARRAY(
            SELECT 'category:' || e.category || ':' || w
            FROM equipment e CROSS JOIN unnest(weeks) AS w WHERE e.id = unit_id
        )
$$""",
    """
CREATE FUNCTION makerlab_booking_weeks(
    unit_id integer, starts timestamptz, picked_up timestamptz,
    blocked_until timestamptz, returned timestamptz
) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT makerlab_unit_scopes(unit_id, makerlab_weeks(
        least(starts, coalesce(picked_up, starts)) - make_interval(mins => coalesce(
            (SELECT buffer_minutes FROM equipment WHERE id = unit_id), 0)),
        greatest(blocked_until, coalesce(returned, blocked_until))
    ))
$$""",
    """
CREATE FUNCTION makerlab_booking_weeks(booking_id integer) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT makerlab_booking_weeks(
            b.equipment_id, b.starts_at, b.checked_out_at, b.blocked_until, b.returned_at
        ) FROM bookings b WHERE b.id = booking_id
    ), '{}')
$$""",
    """
CREATE FUNCTION makerlab_session_weeks(session_id integer) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT makerlab_weeks(s.starts_at, s.ends_at) FROM workshop_sessions s WHERE s.id = session_id),
        '{}'
    )
$$""",
    """
CREATE FUNCTION makerlab_bump_base() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM makerlab_bump(ARRAY['base']);
    RETURN NULL;
END
$$""",
    """
CREATE FUNCTION makerlab_bump_other() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM makerlab_bump(ARRAY['other']);
    RETURN NULL;
END
$$""",
    # The weeks a row touches, before and after the change. PL/pgSQL compiles
    # a trigger function per table, so each branch only sees its own columns.
    """
CREATE FUNCTION makerlab_bump_weeks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scopes text[] := ARRAY[]::text[];
BEGIN
    IF TG_TABLE_NAME = 'bookings' THEN
        IF TG_OP <> 'INSERT' THEN
            scopes := scopes || makerlab_booking_weeks(OLD.equipment_id, OLD.starts_at,
                OLD.checked_out_at, OLD.blocked_until, OLD.returned_at);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            scopes := scopes || makerlab_booking_weeks(NEW.equipment_id, NEW.starts_at,
                NEW.checked_out_at, NEW.blocked_until, NEW.returned_at);
        END IF;
    ELSIF TG_TABLE_NAME = 'booking_participants' THEN
        IF TG_OP <> 'INSERT' THEN
            scopes := scopes || makerlab_booking_weeks(OLD.booking_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            scopes := scopes || makerlab_booking_weeks(NEW.booking_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'enrolments' THEN
        IF TG_OP <> 'INSERT' THEN
            scopes := scopes || makerlab_session_weeks(OLD.session_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            scopes := scopes || makerlab_session_weeks(NEW.session_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'maintenance_blocks' THEN
        IF TG_OP <> 'INSERT' THEN
            scopes := scopes || makerlab_unit_scopes(
                OLD.equipment_id, makerlab_weeks(OLD.starts_at, OLD.ends_at));
        END IF;
        IF TG_OP <> 'DELETE' THEN
            scopes := scopes || makerlab_unit_scopes(
                NEW.equipment_id, makerlab_weeks(NEW.starts_at, NEW.ends_at));
        END IF;
    ELSE  -- workshop_sessions
        IF TG_OP <> 'INSERT' THEN
            scopes := scopes || makerlab_weeks(OLD.starts_at, OLD.ends_at);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            scopes := scopes || makerlab_weeks(NEW.starts_at, NEW.ends_at);
        END IF;
    END IF;
    PERFORM makerlab_bump(scopes);
    RETURN NULL;
END
$$""",
    # TRUNCATE names no rows: every counter goes up.
    """
CREATE FUNCTION makerlab_bump_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM makerlab_bump(ARRAY['base', 'other']);
    UPDATE data_generation SET value = value + 1 WHERE scope NOT IN ('total', 'base', 'other');
    RETURN NULL;
END
$$""",
]
PG_FUNCTION_NAMES = (
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


def _pg_function_for(table: str) -> str:
    if table in WEEK_TABLES:
        return "makerlab_bump_weeks"
    return "makerlab_bump_base" if table in BASE_TABLES else "makerlab_bump_other"


def upgrade():
    op.create_table(
        "data_generation",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_data_generation")),
    )
    op.execute(
        "INSERT INTO data_generation (scope, value) VALUES ('total', 0), ('base', 0), ('other', 0)"
    )
    if op.get_bind().dialect.name == "postgresql":
        for function in PG_FUNCTIONS:
            op.execute(function)
        for table in WATCHED_TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER bump_generation AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                f"EXECUTE FUNCTION {_pg_function_for(table)}()"
            )
            op.execute(
                f"CREATE TRIGGER bump_generation_truncate AFTER TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION makerlab_bump_all()"
            )
    else:
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER bump_generation_{table}_{event} AFTER {event.upper()} "
                    f"ON {table} BEGIN UPDATE data_generation SET value = value + 1; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS bump_generation ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS bump_generation_truncate ON {table}")
        for name in PG_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
    else:
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS bump_generation_{table}_{event}")
    op.drop_table("data_generation")
