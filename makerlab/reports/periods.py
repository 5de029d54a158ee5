"""Report periods: ISO weeks, any ``[from, to)`` range of days, and the page's shortcuts.

A period is a range of site-local calendar days, ``to`` exclusive, so a week
is ``Monday .. next Monday`` and a month ``the 1st .. the next 1st``. School
terms and years are named ranges a site keeps (``sites.models.Term``, whose
``ends_on`` is inclusive like a closure's).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from makerlab import clock, dates
from makerlab.errors import Invalid

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
# What people type into the report page: "KW 12 / 2027", "KW12/2027", "12/2027", "Week 12 2027",
# "Woche 12, 2027" (number before year), or the ISO code in any case and with or without the dash.
TYPED_WEEK = re.compile(
    r"^(?:(?:kw|kalenderwoche|woche|week|wk|w)\.?\s*)?(\d{1,2})\s*(?:[/,.]\s*|\s+)(\d{4})$",
    re.IGNORECASE)
TYPED_ISO_WEEK = re.compile(r"^(\d{4})\s*-?\s*w\s*(\d{1,2})$", re.IGNORECASE)
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_DAYS = 5 * 366
# Schools in Germany start their year on 1 August (Sachsen-Anhalt's law says so).
SCHOOL_YEAR_STARTS = (8, 1)


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: ``year`` is the ISO year (the year of the week's Thursday)."""

    year: int
    number: int

    @classmethod
    def containing(cls, day: dt.date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def thursday(self) -> dt.date:
        return self.monday + dt.timedelta(days=3)

    @property
    def period(self) -> Period:
        return Period(self.monday, self.monday + dt.timedelta(days=7))

    def shifted(self, weeks: int) -> Week:
        return Week.containing(self.monday + dt.timedelta(weeks=weeks))

    def a_year_earlier(self) -> Week:
        """The same week number a year before (week 52 if that year has no week 53)."""
        last = dt.date(self.year - 1, 12, 28).isocalendar().week
        return Week(self.year - 1, min(self.number, last))


def parse_week(text: str | None) -> Week:
    """Read ``YYYY-Www`` (e.g. ``2027-W12``); anything else is a 422 on ``week``."""
    match = WEEK_PATTERN.match((text or "").strip())
    if match is None:
        raise Invalid({"week": [_("Give the week as YYYY-Www, for example 2027-W12.")]})
    year, number = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 2999:
        raise Invalid({"week": [_("The year must be between 1900 and 2999.")]})
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise Invalid({"week": [_("The year %(year)d has no week %(number)d.",
                                  year=year, number=number)]}) from None
    return Week(year, number)


def read_week(text: str | None) -> Week:
    """A week as a person types it ("KW 12 / 2027", "12/2027", "2027-W12"); else a 422 on ``week``.

    The page's field takes what the page shows (``dates.week``) and the ISO code; the
    API and the download addresses keep to ``YYYY-Www`` (:func:`parse_week`).
    """
    typed = " ".join((text or "").split())
    if (match := TYPED_WEEK.match(typed)) is not None:
        number, year = match.groups()
    elif (match := TYPED_ISO_WEEK.match(typed)) is not None:
        year, number = match.groups()
    else:
        raise Invalid({"week": [_("Give the week as %(example)s, 12/2027 or 2027-W12.",
                                  example=dates.week("2027-W12"))]})
    return parse_week(f"{year}-W{int(number):02d}")


def last_week(timezone: str) -> Week:
    """The ISO week before the current one in ``timezone``: the usual report to print."""
    return Week.containing(clock.today(timezone)).shifted(-1)


@dataclass(frozen=True, order=True)
class Period:
    """Site-local days ``first`` up to, not including, ``end``."""

    first: dt.date
    end: dt.date

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.first).days

    @property
    def middle(self) -> dt.date:
        """The middle day (a week's Thursday): its year is the year ages are counted in."""
        return self.first + dt.timedelta(days=(self.days - 1) // 2)

    @property
    def slug(self) -> str:
        """``YYYY-MM-DD_YYYY-MM-DD``, as in the download URLs."""
        return f"{self.first.isoformat()}_{self.end.isoformat()}"

    def window(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """Local midnight of the first day to local midnight of ``end``, as UTC instants."""
        return clock.local_midnight(self.first, timezone), clock.local_midnight(self.end, timezone)

    def months(self) -> list[Period]:
        """The calendar months the period touches, each clipped to the period."""
        months = []
        start = self.first
        while start < self.end:
            following = next_month(start)
            months.append(Period(start, min(following, self.end)))
            start = following
        return months


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _date(text: object, field: str) -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        day = dt.date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise Invalid({field: [_("Give a date as YYYY-MM-DD.")]}) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid({field: [_("The year must be between %(first)d and %(last)d.",
                                 first=FIRST_YEAR, last=LAST_YEAR)]})
    return day


def parse_period(first: object, end: object) -> Period:
    """``from`` and ``to`` (exclusive) as dates; 422 unless ``from < to`` within five years."""
    errors: dict[str, list[str]] = {}
    days: dict[str, dt.date] = {}
    for field, value in (("from", first), ("to", end)):
        try:
            days[field] = _date(value, field)
        except Invalid as error:
            errors.update(error.errors)
    if errors:
        raise Invalid(errors)
    period = Period(days["from"], days["to"])
    if period.end <= period.first:
        raise Invalid({"to": [_("The end (exclusive) must come after the start.")]})
    if period.days > MAX_DAYS:
        raise Invalid({"to": [_("A report covers at most five years.")]})
    return period


def parse_slug(slug: str) -> Period:
    """``YYYY-MM-DD_YYYY-MM-DD`` from a download URL."""
    first, sep, end = slug.partition("_")
    if not sep:
        raise Invalid({"from": [_("Give the period as YYYY-MM-DD_YYYY-MM-DD.")]})
    return parse_period(first, end)


def describe(period: Period) -> str | None:
    """A name for a period that has one: a month, an ISO week, a calendar or school year."""
    first, end = period.first, period.end
    if first.day == 1 and end == next_month(first):
        return dates.day(first, "month")
    if first.weekday() == 0 and period.days == 7:
        week = Week.containing(first)
        return _("Week %(number)d / %(year)d", number=week.number, year=week.year)
    if (first.month, first.day) == (1, 1) and end == dt.date(first.year + 1, 1, 1):
        return _("Year %(year)d", year=first.year)
    if school_year_of(first) == period:
        return _("School year %(first)d/%(second)02d", first=first.year, second=end.year % 100)
    return None


def month_of(day: dt.date) -> Period:
    first = day.replace(day=1)
    return Period(first, next_month(first))


def school_year_of(day: dt.date) -> Period:
    """1 August to 31 July, the school year ``day`` falls in."""
    month, date = SCHOOL_YEAR_STARTS
    year = day.year if (day.month, day.day) >= (month, date) else day.year - 1
    return Period(dt.date(year, month, date), dt.date(year + 1, month, date))


@dataclass(frozen=True)
class Shortcut:
    """A named period offered on the report page."""

    label: str
    period: Period
    group: str  # "week", "month", "term", "year"


def shortcuts(today: dt.date, terms: Iterable[tuple[str, dt.date, dt.date]]) -> list[Shortcut]:
    """Last week, this and last month, the last 12 full months, and school terms and years.

    ``terms`` are a site's named ranges (``ends_on`` inclusive) that have
    begun; when none is kept, the school years by the calendar are offered.
    """
    week = Week.containing(today)
    this_month = month_of(today)
    last_month = month_of(this_month.first - dt.timedelta(days=1))
    year_ago = dt.date(this_month.first.year - 1, this_month.first.month, 1)
    found = [
        Shortcut(_("This week"), week.period, "week"),
        Shortcut(_("Last week"), week.shifted(-1).period, "week"),
        Shortcut(_("This month"), this_month, "month"),
        Shortcut(dates.day(last_month.first, "month"), last_month, "month"),
        Shortcut(_("Last 12 months"), Period(year_ago, this_month.first), "year"),
    ]
    kept = sorted(((name, starts, ends) for name, starts, ends in terms if starts <= today),
                  key=lambda t: (t[1], t[2]), reverse=True)
    for name, starts, ends in kept[:6]:
        found.append(Shortcut(name, Period(starts, ends + dt.timedelta(days=1)), "term"))
    if not kept:
        current = school_year_of(today)
        previous = school_year_of(current.first - dt.timedelta(days=1))
        for year in (current, previous):
            label = _("School year %(first)d/%(second)02d", first=year.first.year,
                      second=year.end.year % 100)
            found.append(Shortcut(label, year, "year"))
    return found
