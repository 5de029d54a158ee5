"""The only place that knows "now" and converts between UTC and site time.

Tests move time with :func:`freeze`; nothing else calls ``datetime.now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from makerlab import dates
from makerlab.errors import Invalid

# Instants outside these years are typing mistakes (and far-off ones cannot be
# converted between zones or written with a standard offset).
FIRST_YEAR, LAST_YEAR = 2000, 2099

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current instant, tz-aware UTC."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC)


@contextmanager
def freeze(instant: dt.datetime) -> Iterator[None]:
    """Pin ``now()`` to ``instant`` (tz-aware) inside the block."""
    global _frozen
    if instant.tzinfo is None:
        raise ValueError("freeze() needs a tz-aware instant")
    previous, _frozen = _frozen, instant.astimezone(dt.UTC)
    try:
        yield
    finally:
        _frozen = previous


def set_frozen(instant: dt.datetime | None) -> None:
    """Pin or release the clock (for test fixtures that span several requests)."""
    global _frozen
    _frozen = instant.astimezone(dt.UTC) if instant is not None else None


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_local(instant: dt.datetime, tz: str) -> dt.datetime:
    return instant.astimezone(ZoneInfo(tz))


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    """The instant a site-local day starts, in UTC (correct across DST)."""
    return combine(day, dt.time(0, 0), tz)


def local_day_end(day: dt.date, tz: str) -> dt.datetime:
    """The instant a site-local day ends: the next day's midnight (23 or 25 hours on DST days)."""
    return local_midnight(day + dt.timedelta(days=1), tz)


def combine(day: dt.date, time: dt.time, tz: str) -> dt.datetime:
    """A site-local wall-clock time on ``day`` as a UTC instant.

    Wall times skipped by a DST jump are moved forward by the gap (fold=0).
    """
    local = dt.datetime.combine(day, time, tzinfo=ZoneInfo(tz))
    # Round-trip through UTC normalises non-existent wall times.
    return local.astimezone(dt.UTC)


def year_problem(value: dt.date | int | None) -> str | None:
    """What is wrong with a year, date or date-time outside FIRST_YEAR..LAST_YEAR (or None).

    The one range every date in the app keeps: forms, API fields and services use it.
    """
    year = value if isinstance(value, int) or value is None else value.year
    if year is None or FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return _(
        "Dates must lie between the years %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR
    )


def check_year(value: dt.date | int, field: str) -> None:
    """Refuse a year, date or date-time outside FIRST_YEAR..LAST_YEAR (422)."""
    problem = year_problem(value)
    if problem:
        raise Invalid({field: [problem]})


def _skipped_hour(local: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The wall-clock times where the jump skipping ``local`` starts and ends (02:00, 03:00)."""
    before, after = local.replace(fold=0).utcoffset(), local.replace(fold=1).utcoffset()
    assert before is not None and after is not None
    naive = local.replace(tzinfo=None)
    low, high = naive - after, naive - before  # UTC: still old offset at low, new at high
    while high - low > dt.timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.replace(tzinfo=dt.UTC).astimezone(local.tzinfo).utcoffset() == after:
            high = middle
        else:
            low = middle
    jump = high.replace(second=0, microsecond=0)
    return jump + before, jump + after


def wall_time(day: dt.date, time: dt.time, tz: str, field: str) -> dt.datetime:
    """A wall-clock time a person entered, as UTC; one the clocks skip is refused (422).

    On the last Sunday of March the hour 02:00-03:00 does not exist in
    Central Europe: "02:30" then names no instant, and the message says so
    instead of quietly moving it (and a booking from 02:00 to 03:00 would
    otherwise end when it starts).
    """
    check_year(day, field)
    local = dt.datetime.combine(day, time, tzinfo=ZoneInfo(tz))
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None) != local.replace(tzinfo=None):
        start, end = _skipped_hour(local)
        raise Invalid(
            {
                field: [
                    _(
                        "%(time)s does not exist on %(day)s: the clocks go forward from "
                        "%(start)s to %(end)s (summer time). Please choose another time.",
                        time=dates.time(dt.datetime.combine(day, time)),
                        day=dates.day(day),
                        start=dates.time(start),
                        end=dates.time(end),
                    )
                ]
            }
        )
    return instant


def as_utc(value: dt.datetime, tz: str, field: str) -> dt.datetime:
    """An input instant as UTC; a naive value is wall-clock time in ``tz``.

    The year is checked first (naming ``field`` in the error); a naive value
    that falls in a daylight-saving gap is refused (:func:`wall_time`).
    """
    check_year(value, field)
    if value.tzinfo is None:
        return wall_time(value.date(), value.time(), tz, field)
    return value.astimezone(dt.UTC)


def today(tz: str) -> dt.date:
    return now().astimezone(ZoneInfo(tz)).date()


def to_instant(value: dt.datetime | dt.date, tz: str, field: str = "from") -> dt.datetime:
    """A query bound: a date means local midnight, a naive time is local."""
    if isinstance(value, dt.datetime):
        return as_utc(value, tz, field)
    check_year(value, field)
    return local_midnight(value, tz)
