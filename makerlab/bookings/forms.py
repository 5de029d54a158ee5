"""Booking forms: shape only (types, required, end after start).

Whether a slot is free, open, long enough or allowed for the participants is
decided by :mod:`makerlab.bookings.services`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from makerlab.bookings.recurrence import MAX_INTERVAL
from makerlab.forms import DayField, choices, picker

REPEAT_CHOICES = [
    ("", _l("Does not repeat")),
    ("daily", _l("Every day")),
    ("weekly", _l("Every week")),
]
SCOPE_CHOICES = [
    ("this", _l("Only this booking")),
    ("following", _l("This and the following ones")),
    ("series", _l("The whole series")),
]
WEEKDAY_CHOICES = [
    ("mon", _l("Mon")),
    ("tue", _l("Tue")),
    ("wed", _l("Wed")),
    ("thu", _l("Thu")),
    ("fri", _l("Fri")),
    ("sat", _l("Sat")),
    ("sun", _l("Sun")),
]
CONDITION_CHOICES = [("ok", _l("OK")), ("damaged", _l("Damaged"))]


class BookingForm(FlaskForm):
    equipment_id = SelectField(
        _l("Unit"), coerce=int, choices=[], validators=[DataRequired(_l("Please choose a unit."))]
    )
    day = DayField(_l("Date"), validators=[DataRequired(_l("Please enter a date."))])
    start = TimeField(_l("From"), validators=[DataRequired(_l("Please enter a start time."))])
    end = TimeField(_l("To"), validators=[DataRequired(_l("Please enter an end time."))])
    end_day = DayField(_l("Return date (loans over several days)"), validators=[Optional()])
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=500)])
    participant_ids = SelectMultipleField(
        _l("Participants"), coerce=int, choices=[], validators=[Optional()],
        render_kw=picker(),
    )
    repeat = SelectField(_l("Repeat"), choices=choices(REPEAT_CHOICES), default="")
    count = IntegerField(
        _l("Number of dates"), default=4, validators=[Optional(), NumberRange(min=1, max=52)]
    )
    interval = IntegerField(
        _l("Interval"),
        default=1,
        validators=[Optional(), NumberRange(min=1, max=MAX_INTERVAL)],
    )
    weekdays = SelectMultipleField(
        _l("On these weekdays (weekly only)"),
        choices=choices(WEEKDAY_CHOICES),
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    skip_conflicts = BooleanField(_l("Skip dates that are taken and book the others"))

    def validate_end(self, field: Any) -> None:
        if not (self.day.data and self.start.data and field.data):
            return
        last = self.end_day.data or self.day.data
        if (last, field.data) <= (self.day.data, self.start.data):
            raise ValidationError(_l("The end must be after the start."))

    def validate_count(self, field: Any) -> None:
        if self.repeat.data and not field.data:
            raise ValidationError(_l("How many dates should be booked?"))

    def validate_weekdays(self, field: Any) -> None:
        if field.data and self.repeat.data != "weekly":
            raise ValidationError(_l("Weekdays can only be chosen for weekly bookings."))

    def recurrence(self) -> dict[str, Any] | None:
        """The recurrence the form asks for, in the API's shape (None: a single booking)."""
        if not self.repeat.data:
            return None
        wanted: dict[str, Any] = {"frequency": self.repeat.data, "count": self.count.data}
        if self.interval.data and self.interval.data > 1:
            wanted["interval"] = self.interval.data
        if self.weekdays.data:
            wanted["weekdays"] = list(self.weekdays.data)
        return wanted


class FindFreeForm(FlaskForm):
    """A GET form: category and time range."""

    class Meta:
        csrf = False

    category = SelectField(
        _l("Category"), choices=[], validators=[DataRequired(_l("Please choose a category."))]
    )
    # Shown only where there is more than one site; the default site otherwise.
    site_id = SelectField(_l("Site"), coerce=int, choices=[])
    day = DayField(_l("Date"), validators=[DataRequired(_l("Please enter a date."))])
    start = TimeField(_l("From"), validators=[DataRequired(_l("Please enter a start time."))])
    end = TimeField(_l("To"), validators=[DataRequired(_l("Please enter an end time."))])
    end_day = DayField(_l("Return date (loans over several days)"), validators=[Optional()])
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=500)])

    validate_end = BookingForm.validate_end


class QuickBookForm(FlaskForm):
    """One click on "Book" in the list of free units."""

    equipment_id = HiddenField(validators=[DataRequired()])
    starts_at = HiddenField(validators=[DataRequired()])
    ends_at = HiddenField(validators=[DataRequired()])
    purpose = HiddenField(validators=[Optional(), Length(max=500)])


class MoveForm(FlaskForm):
    """One click on "move here" next to a suggestion: the unit and time it names."""

    equipment_id = HiddenField(validators=[DataRequired()])
    starts_at = HiddenField(validators=[DataRequired()])
    ends_at = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class CancelForm(FlaskForm):
    """The answer to "cancel?": what to cancel was chosen before the question."""

    scope = HiddenField(default="this", validators=[AnyOf([value for value, _ in SCOPE_CHOICES])])
    next = HiddenField()
    # Only asked when someone else made the booking (the view removes it otherwise).
    reason = TextAreaField(
        _l("Reason (optional; sent to whoever made the booking)"),
        validators=[Optional(), Length(max=500)],
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (check-out)."""


class ReturnForm(FlaskForm):
    condition = SelectField(_l("Condition"), choices=choices(CONDITION_CHOICES), default="ok")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class EditBookingForm(FlaskForm):
    day = DayField(_l("Date"), validators=[DataRequired(_l("Please enter a date."))])
    start = TimeField(_l("From"), validators=[DataRequired(_l("Please enter a start time."))])
    end = TimeField(_l("To"), validators=[DataRequired(_l("Please enter an end time."))])
    end_day = DayField(_l("Return date (loans over several days)"), validators=[Optional()])
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=500)])
    participant_ids = SelectMultipleField(
        _l("Participants"), coerce=int, choices=[], validators=[Optional()],
        render_kw=picker(),
    )
    scope = SelectField(_l("Change"), choices=choices(SCOPE_CHOICES), default="this")

    validate_end = BookingForm.validate_end
