"""Equipment forms: shape only; the catalogue rules live in the services."""

from __future__ import annotations

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


class MaintenanceForm(FlaskForm):
    start_day = DayField(_l("From (day)"), validators=[DataRequired()])
    start_time = TimeField(_l("From (time)"), validators=[DataRequired()])
    end_day = DayField(_l("Until (day)"), validators=[DataRequired()])
    end_time = TimeField(_l("Until (time)"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])

    def validate_end_day(self, field: Any) -> None:
        if self.start_day.data and field.data and field.data < self.start_day.data:
            raise ValidationError(_l("The end must be after the start."))
