"""Workshop, session, enrolment and attendance forms: shape only (rules live in services)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from makerlab.categories import label as category_label
from makerlab.forms import DayField, picker


class WorkshopForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=10_000)], render_kw={"rows": 4}
    )
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(0, 120)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(0, 120)])
    facilitator_id = SelectField(_l("Facilitator"), coerce=int, choices=[])

    def validate_max_age(self, field: Any) -> None:
        if (
            field.data is not None
            and self.min_age.data is not None
            and field.data < self.min_age.data
        ):
            raise ValidationError(_l("The maximum age cannot be below the minimum age."))


NEED_PREFIX = "need_"


def workshop_form_class(categories: list[str]) -> type[WorkshopForm]:
    """The workshop form with one "units needed" field per equipment category."""
    fields = {
        f"{NEED_PREFIX}{slug}": IntegerField(
            category_label(slug),
            validators=[Optional(), NumberRange(0, 100)],
            render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
        )
        for slug in categories
    }
    return type("WorkshopNeedsForm", (WorkshopForm,), fields)


def need_fields(form: WorkshopForm) -> list[Any]:
    return [f for f in form if f.name.startswith(NEED_PREFIX)]


def needs_from(form: WorkshopForm) -> dict[str, int]:
    return {f.name[len(NEED_PREFIX) :]: int(f.data) for f in need_fields(form) if f.data}


class SessionForm(FlaskForm):
    day = DayField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Starts"), validators=[DataRequired()])
    end = TimeField(_l("Ends"), validators=[DataRequired()])
    capacity = IntegerField(
        _l("Seats"),
        validators=[DataRequired(), NumberRange(1, 10_000)],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    site_id = SelectField(_l("Site"), coerce=int, choices=[])
    location = StringField(_l("Room or place"), validators=[Optional(), Length(max=200)])

    def validate_end(self, field: Any) -> None:
        if field.data and self.start.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start."))


class ClassEnrolmentForm(FlaskForm):
    school_id = SelectField(_l("School"), coerce=int, choices=[])
    class_name = StringField(
        _l("Class"),
        validators=[DataRequired(), Length(max=50)],
        render_kw={"placeholder": _l("e.g. 7b")},
    )
    headcount = IntegerField(
        _l("Number of pupils"),
        validators=[DataRequired(), NumberRange(1, 1000)],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    accompanying_adults = IntegerField(
        _l("Accompanying adults"),
        default=0,
        validators=[Optional(), NumberRange(min=0)],
        render_kw={"inputmode": "numeric", "min": 0},
    )
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Length(max=254)])


class ParticipantEnrolmentForm(FlaskForm):
    participant_id = SelectField(
        _l("Participant"), coerce=int, choices=[], render_kw=picker(multiple=False)
    )


class SessionCancelForm(FlaskForm):
    """Cancelling a session: the reason goes to every enrolled contact."""

    reason = TextAreaField(
        _l("Reason (goes to the contacts in the e-mail)"),
        validators=[
            DataRequired(_l("Please give a reason: the contacts are told why.")),
            Length(max=500),
        ],
        render_kw={"rows": 3, "maxlength": 500},
    )


class ActionForm(FlaskForm):
    """A button that posts (cancel, …): only the CSRF token."""
