"""Recurring bookings: occurrences in site-local wall-clock time (SPEC rule 7).

A weekly booking at 10:00 stays at 10:00 local time across a daylight-saving
change, so its UTC instants move by an hour; this module is where that
happens, nowhere else.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _

from makerlab import clock
from makerlab.errors import Invalid

FREQUENCIES = {"daily": 1, "weekly": 7}
MAX_OCCURRENCES = 200

Interval = tuple[dt.datetime, dt.datetime]


def normalise(recurrence: Any) -> dict[str, Any]:
    """Check ``{"frequency", "count"|"until"}`` and return a clean copy."""
    if not isinstance(recurrence, dict):
        raise Invalid(
            {"recurrence": [_("Recurrence must be an object with frequency and count or until.")]}
        )
    unknown = set(recurrence) - {"frequency", "count", "until"}
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
    if count is not None:
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not 1 <= count <= MAX_OCCURRENCES
        ):
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
        clean["count"] = count
    else:
        if isinstance(until, str):
            try:
                until = dt.date.fromisoformat(until)
            except ValueError:
                raise Invalid({"recurrence.until": [_("Not a valid date.")]}) from None
        if isinstance(until, dt.datetime):
            until = until.date()
        if not isinstance(until, dt.date):
            raise Invalid({"recurrence.until": [_("Not a valid date.")]})
        clean["until"] = until.isoformat()
    return clean


def occurrences(
    starts_at: dt.datetime, ends_at: dt.datetime, recurrence: dict[str, Any], tz: str
) -> list[Interval]:
    """UTC intervals of every occurrence; the first is ``[starts_at, ends_at)`` itself."""
    step = FREQUENCIES[recurrence["frequency"]]
    local_start = clock.to_local(starts_at, tz)
    local_end = clock.to_local(ends_at, tz)
    first_day = local_start.date()
    end_offset = (local_end.date() - first_day).days
    start_time = local_start.time().replace(tzinfo=None)
    end_time = local_end.time().replace(tzinfo=None)
    if "count" in recurrence:
        days = [first_day + dt.timedelta(days=step * i) for i in range(recurrence["count"])]
    else:
        until = dt.date.fromisoformat(recurrence["until"])
        if until < first_day:
            raise Invalid(
                {"recurrence.until": [_("The last day cannot be before the first booking.")]}
            )
        days = []
        day = first_day
        while day <= until:
            days.append(day)
            day += dt.timedelta(days=step)
        if len(days) > MAX_OCCURRENCES:
            raise Invalid(
                {
                    "recurrence.until": [
                        _("At most %(max)d occurrences can be booked at once.", max=MAX_OCCURRENCES)
                    ]
                }
            )
    result = [(starts_at, ends_at)]
    for day in days[1:]:
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
