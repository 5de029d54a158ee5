"""Recurring bookings: occurrences in site-local wall-clock time (SPEC rule 7).

A weekly booking at 10:00 stays at 10:00 local time across a daylight-saving
change, so its UTC instants move by an hour; this module is where that
happens, nowhere else.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from makerlab import clock
from makerlab.errors import Invalid

FREQUENCIES = {"daily": 1, "weekly": 7}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_OCCURRENCES = 200
MAX_INTERVAL = 52
FIELDS = {"frequency", "interval", "weekdays", "count", "until"}

Interval = tuple[dt.datetime, dt.datetime]


def normalise(recurrence: Any) -> dict[str, Any]:
    """Check ``{"frequency", "interval"?, "weekdays"?, "count"|"until"}`` and return a clean copy.

    ``interval`` repeats every n days or weeks (default 1); ``weekdays``
    (weekly only) names the days of each such week, e.g. ``["mon", "thu"]``.
    """
    if not isinstance(recurrence, dict):
        raise Invalid(
            {"recurrence": [_("Recurrence must be an object with frequency and count or until.")]}
        )
    unknown = set(recurrence) - FIELDS
    if unknown:
        raise Invalid(
            {
                "recurrence": [
                    _("Unknown recurrence fields: %(names)s.", names=", ".join(sorted(unknown)))
                ]
            }
        )
    frequency = recurrence.get("frequency")
    if frequency not in FREQUENCIES:
        raise Invalid({"recurrence.frequency": [_("Frequency must be daily or weekly.")]})
    count, until = recurrence.get("count"), recurrence.get("until")
    if (count is None) == (until is None):
        raise Invalid(
            {
                "recurrence": [
                    _("Give either a number of occurrences (count) or a last day (until).")
                ]
            }
        )
    clean: dict[str, Any] = {"frequency": frequency}
    interval = _interval(recurrence.get("interval"))
    if interval > 1:
        clean["interval"] = interval
    weekdays = recurrence.get("weekdays")
    if weekdays is not None:
        clean["weekdays"] = _weekdays(weekdays, frequency)
    if count is not None:
        clean["count"] = _count(count)
    else:
        clean["until"] = _until(until).isoformat()
    return clean


def _interval(interval: Any) -> int:
    if interval is None:
        return 1
    if not _whole_number(interval) or not 1 <= interval <= MAX_INTERVAL:
        raise Invalid(
            {
                "recurrence.interval": [
                    _("The interval must be a whole number from 1 to %(max)d.", max=MAX_INTERVAL)
                ]
            }
        )
    return int(interval)


def _weekdays(weekdays: Any, frequency: str) -> list[str]:
    """The chosen days of a weekly series, Monday first."""
    if frequency != "weekly":
        raise Invalid(
            {"recurrence.weekdays": [_("Weekdays can only be chosen for weekly bookings.")]}
        )
    if (
        not isinstance(weekdays, list | tuple)
        or not weekdays
        or not all(isinstance(d, str) and d in WEEKDAYS for d in weekdays)
    ):
        raise Invalid(
            {"recurrence.weekdays": [_("Weekdays are a list of mon, tue, … sun (at least one).")]}
        )
    return [d for d in WEEKDAYS if d in weekdays]


def _count(count: Any) -> int:
    if not _whole_number(count) or not 1 <= count <= MAX_OCCURRENCES:
        raise Invalid(
            {
                "recurrence.count": [
                    _(
                        "The number of occurrences must be between 1 and %(max)d.",
                        max=MAX_OCCURRENCES,
                    )
                ]
            }
        )
    return int(count)


def _until(until: Any) -> dt.date:
    """The last day of a series: a date, a date-time or an ISO date."""
    if isinstance(until, str):
        try:
            until = dt.date.fromisoformat(until)
        except ValueError:
            raise Invalid({"recurrence.until": [_("Not a valid date.")]}) from None
    if isinstance(until, dt.datetime):
        until = until.date()
    if not isinstance(until, dt.date):
        raise Invalid({"recurrence.until": [_("Not a valid date.")]})
    clock.check_year(until, "recurrence.until")
    return until


def _whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _days(first_day: dt.date, recurrence: dict[str, Any]) -> Iterator[dt.date]:
    """The dates of the rule from ``first_day`` on, without end.

    With ``weekdays`` these are the chosen days of every n-th week (weeks
    start on Monday, counted from the week of ``first_day``) on or after
    ``first_day``; otherwise ``first_day`` and every n-th day or week after it.
    """
    interval = recurrence.get("interval", 1)
    if "weekdays" not in recurrence:
        step = dt.timedelta(days=FREQUENCIES[recurrence["frequency"]] * interval)
        day = first_day
        while True:
            yield day
            day += step
    offsets = [WEEKDAYS.index(d) for d in recurrence["weekdays"]]
    monday = first_day - dt.timedelta(days=first_day.weekday())
    while True:
        for offset in offsets:
            day = monday + dt.timedelta(days=offset)
            if day >= first_day:
                yield day
        monday += dt.timedelta(weeks=interval)


def occurrences(
    starts_at: dt.datetime, ends_at: dt.datetime, recurrence: dict[str, Any], tz: str
) -> list[Interval]:
    """UTC intervals of every occurrence, at the wall-clock times of ``[starts_at, ends_at)``.

    The first is ``[starts_at, ends_at)`` itself when its day fits the rule;
    with ``weekdays`` that leave its day out, the first chosen day after it.
    ``count`` counts occurrences; ``until`` is the last day that may have one.
    """
    local_start = clock.to_local(starts_at, tz)
    local_end = clock.to_local(ends_at, tz)
    first_day = local_start.date()
    end_offset = (local_end.date() - first_day).days
    start_time = local_start.time().replace(tzinfo=None)
    end_time = local_end.time().replace(tzinfo=None)
    if "count" in recurrence:
        days = list(itertools.islice(_days(first_day, recurrence), recurrence["count"]))
    else:
        until = dt.date.fromisoformat(recurrence["until"])
        if until < first_day:
            raise Invalid(
                {"recurrence.until": [_("The last day cannot be before the first booking.")]}
            )
        days = list(
            itertools.islice(
                itertools.takewhile(lambda d: d <= until, _days(first_day, recurrence)),
                MAX_OCCURRENCES + 1,
            )
        )
        if not days:
            raise Invalid(
                {
                    "recurrence.until": [
                        _("No chosen weekday falls between the first and the last day.")
                    ]
                }
            )
        if len(days) > MAX_OCCURRENCES:
            raise Invalid(
                {
                    "recurrence.until": [
                        _("At most %(max)d occurrences can be booked at once.", max=MAX_OCCURRENCES)
                    ]
                }
            )
    result = []
    for day in days:
        if day == first_day:
            result.append((starts_at, ends_at))
            continue
        begin = clock.combine(day, start_time, tz)
        finish = clock.combine(day + dt.timedelta(days=end_offset), end_time, tz)
        result.append((begin, finish))
    return result


def shift_wall_clock(
    original: Interval, anchor_old: Interval, anchor_new: Interval, tz: str
) -> Interval:
    """Move ``original`` by the wall-clock change that moved ``anchor_old`` to ``anchor_new``.

    Start and end move by their own local-time deltas, so moving a weekly
    series from 10:00 to 11:00 gives 11:00 on every date, DST or not, and an
    occurrence edited on its own keeps its difference.
    """
    if original == anchor_old:
        return anchor_new

    def wall(instant: dt.datetime) -> dt.datetime:
        return clock.to_local(instant, tz).replace(tzinfo=None)

    start_delta = wall(anchor_new[0]) - wall(anchor_old[0])
    end_delta = wall(anchor_new[1]) - wall(anchor_old[1])
    begin = wall(original[0]) + start_delta
    finish = wall(original[1]) + end_delta
    return (
        clock.combine(begin.date(), begin.time(), tz),
        clock.combine(finish.date(), finish.time(), tz),
    )
