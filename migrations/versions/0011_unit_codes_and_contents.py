"""unit codes for labels, kit contents, parts missing on return

Revision ID: 0011
Revises: 0010
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
down_revision = "0010"
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
    # Plain ADD COLUMN (NOT NULL with a default), no batch rebuild: on SQLite a rebuild
    # drops and recreates the table, which foreign keys from bookings refuse.
    op.add_column(
        "equipment",
        sa.Column("code", sa.String(length=24), server_default="", nullable=False),
    )
    op.add_column(
        "equipment",
        sa.Column("contents", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column(
        "bookings",
        sa.Column("return_missing", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
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
    op.create_index("ix_equipment_code", "equipment", ["code"], unique=True)
    if bind.dialect.name != "sqlite":  # SQLite cannot drop a default without a rebuild
        op.alter_column("equipment", "code", server_default=None)


def downgrade():
    # SQLite 3.35+ drops columns in place (an indexed one only once its index is gone).
    op.drop_index("ix_equipment_code", table_name="equipment")
    op.drop_column("bookings", "return_missing")
    op.drop_column("equipment", "contents")
    op.drop_column("equipment", "code")
