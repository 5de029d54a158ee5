"""Site forms: shape only. Whether hours overlap or dates are allowed is for ``services``."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from makerlab.dates import zone_name
from makerlab.forms import DayField, choices
from makerlab.sites.services import REASON_MAX, WEEKDAYS

WEEKDAY_NAMES = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
# Opening periods shown per weekday; a site with more (set through the API) gets more rows.
PERIODS = 3
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")
_LOOSE_TIME = re.compile(r"^(\d{1,2})(?:[:.h]?(\d{2}))?$")


def time_zone_choices() -> list[str]:
    """Region/City zone names (no ``Etc/...`` or legacy aliases), sorted."""
    return sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )


def tidy_time(text: str) -> str:
    """``9``, ``930``, ``9.30`` or ``09:30`` as ``09:30``; anything else unchanged."""
    match = _LOOSE_TIME.match(text.strip())
    if not match:
        return text.strip()
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"


class TimeText(StringField):
    """A wall-clock time typed as text (``24:00`` is allowed, which time inputs cannot hold)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.data: str | None = tidy_time(self.data or "")


class PeriodForm(Form):
    """One opening period of a weekday; both times empty means: not used."""

    opens = TimeText()
    closes = TimeText()

    def validate(self, extra_validators: Any = None) -> bool:
        """Both times or neither, each written HH:MM (errors go next to ``closes``)."""
        valid = super().validate(extra_validators)
        times = (self.opens.data, self.closes.data)
        problem = None
        if bool(times[0]) != bool(times[1]):
            problem = _l("Give both times, or neither.")
        elif any(t and not _TIME.fullmatch(t) for t in times):
            problem = _l("Write times as HH:MM, e.g. 09:30.")
        if problem is None:
            return valid
        self.closes.errors = [*self.closes.errors, problem]
        return False


def _week_field() -> Any:
    return FieldList(FormField(PeriodForm), min_entries=PERIODS, max_entries=12)


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=2000)])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    mon = _week_field()
    tue = _week_field()
    wed = _week_field()
    thu = _week_field()
    fri = _week_field()
    sat = _week_field()
    sun = _week_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((z, zone_name(z)) for z in time_zone_choices())  # type: ignore[assignment]

    @classmethod
    def for_site(cls, site: Any) -> SiteForm:
        """The form filled from a site (the posted values win on POST)."""
        hours = site.opening_hours or {}
        week = {day: [{"opens": o, "closes": c} for o, c in hours.get(day, [])] for day in WEEKDAYS}
        return cls(
            data={"name": site.name, "address": site.address, "timezone": site.timezone, **week}
        )

    def days(self) -> list[tuple[str, Any, Any]]:
        """``(key, name, periods)`` per weekday, for the grid."""
        return [(day, WEEKDAY_NAMES[day], getattr(self, day)) for day in WEEKDAYS]

    def opening_hours(self) -> dict[str, list[list[str]]]:
        """The grid as ``{"mon": [["09:00", "12:00"], ...], ...}``; empty rows left out."""
        return {
            day: [
                [p.opens.data, p.closes.data]
                for p in getattr(self, day)
                if p.opens.data and p.closes.data
            ]
            for day in WEEKDAYS
        }


class NewSiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=2000)])
    timezone = SelectField(_l("Time zone"), default="Europe/Berlin", validators=[DataRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = choices((z, zone_name(z)) for z in time_zone_choices())  # type: ignore[assignment]


class ClosureForm(FlaskForm):
    """The first and last day (inclusive) and why; the same fields carry the checked values."""

    starts_on = DayField(_l("First day"), validators=[DataRequired(_l("Please enter a date."))])
    ends_on = DayField(_l("Last day"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=REASON_MAX)])

    def last_day(self) -> Any:
        return self.ends_on.data or self.starts_on.data


class HolidaysForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(_l("Please enter a year."))])
    state = SelectField(_l("State"), validators=[DataRequired()])


class CalendarFileForm(FlaskForm):
    file = FileField(
        _l("Calendar file (.ics)"), validators=[FileRequired(_l("Please choose a file."))]
    )


class DeleteForm(FlaskForm):
    """A button that only needs the CSRF token."""
