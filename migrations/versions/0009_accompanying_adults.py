"""accompanying adults on class enrolments (counted apart from seats)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12 10:00:00

Teachers and helpers who come with a class: the sign-in sheet and the
session page count them, seats do not. Existing enrolments had none recorded.
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accompanying_adults", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            "accompanying_adults_not_negative", "accompanying_adults >= 0"
        )


def downgrade():
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_constraint("accompanying_adults_not_negative", type_="check")
        batch_op.drop_column("accompanying_adults")
