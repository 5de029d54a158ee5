"""terms per site; session calendar sequence; induction expiry notices; a report index

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

``terms``: named ranges of days (school terms and years) the report page
offers as shortcuts.

``workshop_sessions.sequence``: the iCalendar SEQUENCE of a session, raised
when its time, place or status change, so invitations update calendars.

``inductions.expiry_notice_on``: the day staff were told that an induction
expires within 30 days (one notice each).

``ix_bookings_report_span`` (PostgreSQL only): the time a booking matters to
a report, from its start or earlier hand-over to its end, late return, or
(while a kit is still out) without end. A report over a period finds its
bookings through this index instead of reading the whole table; the
expression is the one in ``makerlab/reports/sql.py`` (``REPORT_SPAN_SQL``)
and must stay identical to it, or PostgreSQL will not use the index.
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REPORT_SPAN_SQL = (
    "tstzrange(LEAST(starts_at, COALESCE(checked_out_at, starts_at)), "
    "CASE WHEN checked_out_at IS NOT NULL AND returned_at IS NULL "
    "THEN 'infinity'::timestamptz "
    "ELSE GREATEST(ends_at, COALESCE(returned_at, ends_at)) END, '[)')"
)


def upgrade():
    op.create_table(
        "terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_terms_ends_after_start")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_terms_site_id_sites"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms")),
        sa.UniqueConstraint("site_id", "name", name="uq_terms_site_name"),
    )
    with op.batch_alter_table("terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_terms_site_id"), ["site_id"], unique=False)
    # Plain ADD COLUMN: SQLite adds a column with a constant default in place.
    op.add_column("workshop_sessions",
                  sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
    op.add_column("inductions", sa.Column("expiry_notice_on", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_bookings_report_span ON bookings USING gist ({REPORT_SPAN_SQL})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_bookings_report_span")
    with op.batch_alter_table("inductions", schema=None) as batch_op:
        batch_op.drop_column("expiry_notice_on")
    with op.batch_alter_table("workshop_sessions", schema=None) as batch_op:
        batch_op.drop_column("sequence")
    with op.batch_alter_table("terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_terms_site_id"))
    op.drop_table("terms")
