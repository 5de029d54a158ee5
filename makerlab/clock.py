"""The only place that knows "now" and converts between UTC and site time.

Tests move time with :func:`freeze`; nothing else calls ``datetime.now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

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


def check_year(value: dt.date | int, field: str) -> None:
    """Refuse a year, date or date-time outside FIRST_YEAR..LAST_YEAR (422)."""
    year = value if isinstance(value, int) else value.year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(
            {
                field: [
                    _(
                        "Dates must lie between the years %(first)d and %(last)d.",
                        first=FIRST_YEAR,
                        last=LAST_YEAR,
                    )
                ]
            }
        )


def as_utc(value: dt.datetime, tz: str, field: str) -> dt.datetime:
    """An input instant as UTC; a naive value is wall-clock time in ``tz``.

    The year is checked first (naming ``field`` in the error); naive values
    are resolved like :func:`combine` (times in a DST gap move forward).
    """
    check_year(value, field)
    if value.tzinfo is None:
        return combine(value.date(), value.time(), tz)
    return value.astimezone(dt.UTC)


def today(tz: str) -> dt.date:
    return now().astimezone(ZoneInfo(tz)).date()


def to_instant(value: dt.datetime | dt.date, tz: str, field: str = "from") -> dt.datetime:
    """A query bound: a date means local midnight, a naive time is local."""
    if isinstance(value, dt.datetime):
        return as_utc(value, tz, field)
    check_year(value, field)
    return local_midnight(value, tz)
