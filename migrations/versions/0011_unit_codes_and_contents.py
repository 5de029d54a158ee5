"""unit codes for labels, kit contents, parts missing on return

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04 04:00:00

Every unit gets a short code (``P13-PK2``: the site's initials, the
category's, a number) for its printed label; existing units are numbered in
the order they were added, per site and category. Kits list their contents,
and a return records the parts that did not come back.
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


# The code rules as they were when this migration was written (frozen on purpose;
# makerlab/equipment/codes.py holds the live copy).
def _words(text):
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[A-Za-z0-9]+", folded)


def _site_prefix(name):
    parts = [word if word.isdigit() else word[0] for word in _words(name or "")]
    return "".join(parts).upper()[:4] or "S"


def _category_abbreviation(category):
    parts = []
    for word in (category or "").split("_"):
        match = re.match(r"\d*[a-z]?", word)
        parts.append(match.group(0) if match else "")
    return "".join(parts).upper()[:4] or "X"


def upgrade():
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column("contents", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("return_missing", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )

    bind = op.get_bind()
    units = bind.execute(
        sa.text(
            "SELECT equipment.id, equipment.category, sites.name FROM equipment "
            "JOIN sites ON sites.id = equipment.site_id ORDER BY equipment.id"
        )
    ).all()
    counters = {}
    for unit_id, category, site_name in units:
        prefix = f"{_site_prefix(site_name)}-{_category_abbreviation(category)}"
        counters[prefix] = counters.get(prefix, 0) + 1
        bind.execute(
            sa.text("UPDATE equipment SET code = :code WHERE id = :id"),
            {"code": f"{prefix}{counters[prefix]}", "id": unit_id},
        )

    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(length=24), nullable=False)
        batch_op.create_unique_constraint("uq_equipment_code", ["code"])


def downgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("return_missing")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_constraint("uq_equipment_code", type_="unique")
        batch_op.drop_column("contents")
        batch_op.drop_column("code")
