"""Label sheets: A4 pages of 3 × 8 labels (70 × 37 mm), each a unit's QR code, name and code.

The QR code holds the absolute ``/u/<code>`` address, so any phone camera
opens the unit; the desk's scanner reads the code out of the same address.
"""

from __future__ import annotations

from collections.abc import Callable

import segno
import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from weasyprint import HTML

from makerlab.equipment.models import Equipment
from makerlab.errors import Invalid
from makerlab.extensions import db

COLUMNS, ROWS = 3, 8  # Avery Zweckform 3475/3490-style sheets: 70 × 37 mm, no gaps
PER_SHEET = COLUMNS * ROWS
MAX_LABELS = 500  # as many ids as any list in a request (api.schemas.MAX_IDS)


def parse_ids(values: list[str]) -> list[int]:
    """``?ids=1,2,3`` (or ``ids=1&ids=2``) as unit ids in the order given, repeats dropped."""
    ids: list[int] = []
    bad: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if part.isascii() and part.isdigit() and 0 < int(part) < 2**31:
                if int(part) not in ids:
                    ids.append(int(part))
            else:
                bad.append(part[:20])
    if bad:
        raise Invalid({"ids": [_("Not a unit number: %(values)s.", values=", ".join(bad[:5]))]})
    if not ids:
        raise Invalid({"ids": [_("Please choose at least one unit to print labels for.")]})
    if len(ids) > MAX_LABELS:
        raise Invalid({"ids": [_("Please print at most %(num)d labels at once.", num=MAX_LABELS)]})
    return ids


def units_for_labels(ids: list[int]) -> list[Equipment]:
    """The units in the order asked for (422 naming any id that is no unit)."""
    found = {u.id: u for u in db.session.scalars(sa.select(Equipment).where(Equipment.id.in_(ids)))}
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise Invalid({"ids": [_("No unit has the number %(ids)s.", ids=", ".join(unknown[:10]))]})
    return [found[i] for i in ids]


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (sharp at any print size)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=3))


def label_sheet_pdf(units: list[Equipment], url_of: Callable[[str], str], base_url: str) -> bytes:
    """The labels of ``units`` as a PDF, 24 to an A4 page, black on white."""
    labels = [
        {"name": u.name, "code": u.code, "url": url_of(u.code), "qr": qr_svg(url_of(u.code))}
        for u in units
    ]
    pages = [labels[i : i + PER_SHEET] for i in range(0, len(labels), PER_SHEET)]
    html = render_template("equipment/labels_pdf.html", pages=pages, columns=COLUMNS)
    return bytes(HTML(string=html, base_url=base_url).write_pdf())
