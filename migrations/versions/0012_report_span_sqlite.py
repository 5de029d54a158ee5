"""a report index on SQLite: the end of a booking's report span, covering the report's columns

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 04:00:00

``ix_bookings_report_span_end`` (SQLite only; PostgreSQL has the GiST index
of 0007): the end of the time a booking matters to a report (its end or late
return; while a kit is still out, a text after every instant), then the
columns the report's pass reads. A report finds the bookings that end after
its period starts as one range of this index and reads them from the index
alone: SQLite 3.40 cannot read an indexed expression back from an index, so
the start of the span is computed from the indexed columns, which are enough
to skip a row without reading the table. Recent periods (the usual case) read
only their own bookings; an old one also walks the index entries after it,
never the table. The expression is ``SQLITE_SPAN_END_SQL`` in
``makerlab/reports/sql.py`` and must stay identical to it.

Alembic's batch mode (a SQLite table rebuild) does not reflect expression
indexes: a later migration that rebuilds ``bookings`` on SQLite must create
this index again (``tests/reports/test_period.py`` checks that it is used).
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SQLITE_SPAN_END_SQL = (
    "(CASE WHEN checked_out_at IS NOT NULL AND returned_at IS NULL "
    "THEN '9999-12-31 23:59:59.999999' "
    "ELSE max(ends_at, coalesce(returned_at, ends_at)) END)"
)
COLUMNS = "starts_at, checked_out_at, ends_at, returned_at, status, equipment_id"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX ix_bookings_report_span_end ON bookings "
                   f"({SQLITE_SPAN_END_SQL}, {COLUMNS})")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_bookings_report_span_end")
