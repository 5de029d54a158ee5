"""One set of date and time formats for pages, PDFs, e-mails and exports.

Every date or time a person reads goes through these functions, so a day is
written the same way everywhere: German by default ("Do., 10. Dez. 2026,
14:00–16:00"), English in British order with 24-hour times ("Thu, 10 Dec
2026, 14:00–16:00"). Instants are shown in the site's zone. The language is
Flask-Babel's (the reader's); ``DATE_LOCALES`` maps a language to the Babel
locale whose formats it uses (``{"en": "en_GB"}`` by default), so a centre
may choose ``en_US`` or ``en_IE`` instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    get_timezone_location,
    get_timezone_name,
    match_skeleton,
)
from flask import current_app, has_app_context
from flask_babel import get_locale
from flask_babel import gettext as _

# Named formats (CLDR skeletons: each locale orders and punctuates them its own way).
FORMATS: dict[str, str] = {
    "day": "yMMMEd",  # Do., 10. Dez. 2026 · Thu, 10 Dec 2026 (lists, pages, mails)
    "day_short": "MMMEd",  # Do., 10. Dez. · Thu 10 Dec (calendar columns)
    "month": "yMMMM",  # Dezember 2026
    "month_short": "yMMM",  # Dez. 2026 (chart axes)
    "weekday": "EEE",  # Do · Thu
    "numeric": "yMd",  # 10.12.2026 · 10/12/2026
}
DEFAULT_DATE_LOCALES = {"de": "de_DE", "en": "en_GB"}
Zone = ZoneInfo | str | None


def locale(language: str | None = None) -> Locale:
    """The Babel locale whose formats ``language`` (default: the reader's) uses."""
    if language is None:
        # Outside the app texts stay untranslated (English), and so do their dates.
        current = get_locale() if has_app_context() else None
        language = str(current) if current is not None else "en"
    chosen = current_app.config.get("DATE_LOCALES") or {} if has_app_context() else {}
    base = language.split("_")[0]
    code = (chosen.get(language) or chosen.get(base) or DEFAULT_DATE_LOCALES.get(language)
            or DEFAULT_DATE_LOCALES.get(base) or language)
    return _parse(code)


@functools.lru_cache(maxsize=16)
def _parse(code: str) -> Locale:
    return Locale.parse(code)


def zone(tz: Zone = None) -> ZoneInfo:
    """``tz`` as a zone; by default the centre's (``TIMEZONE``)."""
    if isinstance(tz, ZoneInfo):
        return tz
    if tz is None:
        tz = current_app.config["TIMEZONE"] if has_app_context() else "Europe/Berlin"
    return ZoneInfo(str(tz))


def local(instant: dt.datetime, tz: Zone = None) -> dt.datetime:
    """An instant on the site's wall clock (a naive value is taken as already local)."""
    if instant.tzinfo is None:
        return instant
    return instant.astimezone(zone(tz))


def day(value: dt.date | dt.datetime | None, style: str = "day", *, tz: Zone = None,
        language: str | None = None) -> str:
    """A day in one of the named ``FORMATS``; an instant counts by the site's day."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value, tz).date()
    return str(format_skeleton(FORMATS[style], value, locale=locale(language)))


def time(instant: dt.datetime | None, *, tz: Zone = None, language: str | None = None) -> str:
    """The wall-clock time of an instant in the site's zone ("14:00")."""
    if instant is None:
        return ""
    wall = local(instant, tz)
    return _clock(wall.hour, wall.minute, str(locale(language)))


@functools.lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, code: str) -> str:
    """A wall-clock time in a locale's short format (cached: a busy week has hundreds)."""
    return str(format_time(dt.time(hour, minute), "short", locale=_parse(code)))


def moment(instant: dt.datetime | None, *, tz: Zone = None, language: str | None = None) -> str:
    """Day and time of an instant: "Do., 10. Dez. 2026, 14:00"."""
    if instant is None:
        return ""
    return f"{day(instant, tz=tz, language=language)}, {time(instant, tz=tz, language=language)}"


def span(start: dt.datetime, end: dt.datetime, *, tz: Zone = None,
         language: str | None = None) -> str:
    """A range: its day once if it lies within one day, both in full otherwise.

    "Do., 10. Dez. 2026, 14:00–16:00" or
    "Do., 10. Dez. 2026, 14:00 – Fr., 11. Dez. 2026, 10:00".
    """
    first, last = local(start, tz), local(end, tz)
    if first.date() == last.date():
        return (f"{day(first, language=language)}, {time(first, language=language)}"
                f"–{time(last, language=language)}")
    return f"{moment(first, language=language)} – {moment(last, language=language)}"


def times(start: dt.datetime, end: dt.datetime, *, tz: Zone = None,
          language: str | None = None) -> str:
    """The times alone of a range within a day ("14:00–16:00"), for a page about that day."""
    return f"{time(start, tz=tz, language=language)}–{time(end, tz=tz, language=language)}"


def day_range(first: dt.date, last: dt.date, *, language: str | None = None) -> str:
    """Days from ``first`` to ``last`` (inclusive): one day once, else both."""
    if first == last:
        return day(first, language=language)
    return f"{day(first, language=language)} – {day(last, language=language)}"


def export_day(value: dt.date, *, language: str | None = None) -> str:
    """A day in a CSV cell a spreadsheet reads as a date: 10.12.2026, else ISO 2026-12-10."""
    if locale(language).language == "de":
        return str(format_date(value, "dd.MM.yyyy", locale=locale(language)))
    return value.isoformat()


def day_pattern(style: str = "day", *, language: str | None = None) -> dict[str, Any]:
    """What a browser needs to write a day as :func:`day` does: the locale's pattern and names.

    A native date field shows the browser's own format (Chromium's comes from its
    interface language, not the page's ``lang``), so ``static/day-hint.js`` writes the
    chosen day under it in the house style from this: ``{"pattern": "E, d. MMM y",
    "months": [...], "weekdays": [...]}`` (abbreviated and wide names, Monday first).
    """
    return _day_pattern(style, str(locale(language)))


@functools.lru_cache(maxsize=16)
def _day_pattern(style: str, code: str) -> dict[str, Any]:
    chosen = _parse(code)
    skeletons = chosen.datetime_skeletons
    pattern = skeletons[match_skeleton(FORMATS[style], skeletons) or FORMATS[style]].pattern
    names = {"abbreviated": "short", "wide": "long"}
    return {
        "pattern": pattern,
        "months": {key: [chosen.months["format"][width][m] for m in range(1, 13)]
                   for width, key in names.items()},
        "weekdays": {key: [chosen.days["format"][width][d] for d in range(7)]
                     for width, key in names.items()},
    }


ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def week(code: str) -> str:
    """An ISO week code (``2026-W49``) as people read it: "KW 49 / 2026", "Week 49 / 2026"."""
    match = ISO_WEEK.match(code)
    if match is None:
        return code
    return _("Week %(number)d / %(year)d", number=int(match.group(2)), year=int(match.group(1)))


def week_in_text(code: str) -> str:
    """An ISO week code inside a sentence or subject: "KW 49 / 2026", "week 49 of 2026"."""
    match = ISO_WEEK.match(code)
    if match is None:
        return code
    return _("week %(number)d of %(year)d", number=int(match.group(2)), year=int(match.group(1)))


def zone_name(zone: str, language: str | None = None) -> str:
    """A time zone as people read it: "Mitteleuropäische Zeit (Berlin)", not "Europe/Berlin"."""
    return _zone_name(zone, str(locale(language)))


@functools.lru_cache(maxsize=2048)
def _zone_name(zone: str, code: str) -> str:
    if zone == "UTC" or zone.startswith("Etc/"):
        return zone
    where = _parse(code)
    try:
        name = get_timezone_name(zone, locale=where)
        city = get_timezone_location(zone, locale=where, return_city=True)
    except LookupError:
        return zone
    return f"{name} ({city})" if city and city not in name else name
