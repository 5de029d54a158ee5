"""guardian consent online: personal links, four choices with source, evaluation consent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00

``consent_requests`` holds the guardians' personal links (a hash of the
token and the nonce it is derived from, never the token). Consent records
gain their ``source`` (existing rows were entered by staff) and the link a
guardian used; the kinds ``home_alone`` and ``evaluation`` join ``guardian``
and ``photo``. Participants gain ``evaluation_consent``, the current state
of the new choice.
"""
from alembic import op
import sqlalchemy as sa

import makerlab.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_nonce", sa.String(length=64), nullable=False),
        sa.Column("emailed_to", sa.String(length=254), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", makerlab.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", makerlab.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", makerlab.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_consent_requests_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_consent_requests_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_consent_requests_token_hash")),
    )
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_requests_participant_id"), ["participant_id"], unique=False
        )

    op.add_column(
        "participants",
        sa.Column("evaluation_consent", sa.Boolean(), server_default=sa.false(), nullable=False),
    )

    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), server_default="staff", nullable=False)
        )
        batch_op.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_consent_records_request_id_consent_requests"),
            "consent_requests",
            ["request_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(batch_op.f("ck_consent_records_kind_known"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_consent_records_kind_known"),
            "kind IN ('guardian', 'photo', 'home_alone', 'evaluation')",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_consent_records_source_known"),
            "source IN ('guardian_link', 'paper', 'staff')",
        )


def downgrade():
    op.execute("DELETE FROM consent_records WHERE kind NOT IN ('guardian', 'photo')")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_consent_records_source_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_consent_records_kind_known"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_consent_records_kind_known"), "kind IN ('guardian', 'photo')"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_consent_records_request_id_consent_requests"), type_="foreignkey"
        )
        batch_op.drop_column("request_id")
        batch_op.drop_column("source")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("evaluation_consent")
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_requests_participant_id"))
    op.drop_table("consent_requests")
