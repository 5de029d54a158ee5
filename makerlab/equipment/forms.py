"""Equipment forms: shape only; the catalogue rules live in the services."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from makerlab.categories import label as category_label
from makerlab.forms import DayField, choices

STATUS_CHOICES = [
    ("available", _l("available")),
    ("maintenance", _l("maintenance")),
    ("retired", _l("retired")),
]


# "2 × Mikrofon", "2x Mikrofon", "2 Mikrofone"; a line without a number is one item.
KIT_LINE = re.compile(r"^(\d+)\s*[x×*]\s*(\S.*)$|^(\d+)\s+(\S.*)$", re.IGNORECASE)


def parse_kit_text(text: str) -> list[dict[str, Any]]:
    """Kit contents typed one item a line, as ``[{"item", "count"}]`` (the service checks them)."""
    lines = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        match = KIT_LINE.match(line)
        if match:
            count, item = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
            lines.append({"item": item.strip(), "count": int(count)})
        else:
            lines.append({"item": line, "count": 1})
    return lines


def kit_text(lines: list[dict[str, Any]]) -> str:
    """Kit contents as the form shows them, one item a line."""
    return "\n".join(f"{line['count']} × {line['item']}" for line in lines)


def category_choices(slugs: list[str], *, blank: Any = None) -> list[Any]:
    pairs: list[tuple[str, Any]] = [("", blank)] if blank is not None else []
    pairs += [(slug, category_label(slug)) for slug in slugs]
    return choices(pairs)


class EquipmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    new_category = StringField(_l("…or a new category"), validators=[Optional(), Length(max=40)])
    site_id = SelectField(_l("Site"), coerce=int, choices=[])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), choices=choices(STATUS_CHOICES))
    loanable = BooleanField(_l("Loanable (leaves the building)"))
    requires_induction = BooleanField(_l("Requires a safety induction"))
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(min=0, max=99)])
    buffer_minutes = IntegerField(
        _l("Buffer after each booking (minutes)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=24 * 60)],
    )
    max_booking_minutes = IntegerField(
        _l("Longest booking (minutes)"), validators=[Optional(), NumberRange(min=1)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    contents = TextAreaField(
        _l("Contents of the kit"),
        validators=[Optional(), Length(max=8000)],
        render_kw={"rows": 5},
    )


class MaintenanceForm(FlaskForm):
    start_day = DayField(_l("From (day)"), validators=[DataRequired()])
    start_time = TimeField(_l("From (time)"), validators=[DataRequired()])
    end_day = DayField(_l("Until (day)"), validators=[DataRequired()])
    end_time = TimeField(_l("Until (time)"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])

    def validate_end_day(self, field: Any) -> None:
        if self.start_day.data and field.data and field.data < self.start_day.data:
            raise ValidationError(_l("The end must be after the start."))
