"""calendar feeds with their own secrets; one class of a school once per session

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00

``calendar_feeds`` holds subscriptions for calendar apps: the SHA-256 of a
secret that opens one read-only feed (never an API token).

``enrolments.class_key`` is the class name without case and spaces; a
partial unique index allows each class of a school once per session among
enrolments that are not cancelled. Existing rows get their key here; where
a class was enrolled twice already, the later enrolments keep a NULL key
(they stay as they are, and the index leaves them out).
"""
from alembic import op
import sqlalchemy as sa

import makerlab.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTIVE_CLASS = sa.text("class_key IS NOT NULL AND status != 'cancelled'")


def _class_key(name):
    return "".join(name.split()).casefold()[:50]


def _fill_class_keys():
    connection = op.get_bind()
    enrolments = sa.table(
        "enrolments",
        sa.column("id", sa.Integer),
        sa.column("session_id", sa.Integer),
        sa.column("school_id", sa.Integer),
        sa.column("class_name", sa.String),
        sa.column("status", sa.String),
        sa.column("class_key", sa.String),
    )
    rows = connection.execute(
        sa.select(
            enrolments.c.id,
            enrolments.c.session_id,
            enrolments.c.school_id,
            enrolments.c.class_name,
            enrolments.c.status,
        )
        .where(enrolments.c.class_name.is_not(None))
        .order_by(enrolments.c.id)
    ).all()
    taken = set()
    for row in rows:
        key = _class_key(row.class_name)
        if not key:
            continue
        slot = (row.session_id, row.school_id, key)
        if row.status != "cancelled":
            if slot in taken:
                continue  # an earlier duplicate keeps the key
            taken.add(slot)
        connection.execute(
            sa.update(enrolments).where(enrolments.c.id == row.id).values(class_key=key)
        )


def upgrade():
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("equipment_id", sa.Integer(), nullable=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", makerlab.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", makerlab.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'equipment') = (equipment_id IS NOT NULL)",
            name=op.f("ck_calendar_feeds_unit_for_equipment_feeds"),
        ),
        sa.CheckConstraint(
            "kind IN ('mine', 'equipment', 'school')", name=op.f("ck_calendar_feeds_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name=op.f("fk_calendar_feeds_equipment_id_equipment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_calendar_feeds_secret_hash")),
    )
    op.create_index(op.f("ix_calendar_feeds_user_id"), "calendar_feeds", ["user_id"])
    # Plain ALTER TABLE (SQLite 3.35+), not batch mode, which would copy the table.
    op.add_column("enrolments", sa.Column("class_key", sa.String(length=50), nullable=True))
    _fill_class_keys()
    op.create_index(
        "uq_enrolments_active_class",
        "enrolments",
        ["session_id", "school_id", "class_key"],
        unique=True,
        sqlite_where=ACTIVE_CLASS,
        postgresql_where=ACTIVE_CLASS,
    )


def downgrade():
    op.drop_index("uq_enrolments_active_class", table_name="enrolments")
    op.drop_column("enrolments", "class_key")
    op.drop_index(op.f("ix_calendar_feeds_user_id"), table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
