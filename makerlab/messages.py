"""Texts stored as a message and its values, written out in whoever reads them later.

Something written once and read by many (a booking's ``attention``) cannot
be stored as finished text: each reader wants their own language and date
style. So it is stored as a message id and JSON values, and :func:`render`
writes it in the current language (Flask-Babel's; ``force_locale`` for
someone else's). Days, instants and equipment categories are kept raw, so
they read as ``dates`` and ``categories`` write them for that reader.

A registry maps stable message ids to msgids marked with :func:`N_`, so
``pybabel extract`` finds them while the stored id survives a change of
wording.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext

from makerlab import categories, dates


def N_(msgid: str) -> str:  # gettext's name for "mark only", a default extraction keyword
    """Mark ``msgid`` for extraction; it is translated later, when rendered."""
    return msgid


def days(first: dt.date, last: dt.date) -> dict[str, Any]:
    """A range of days (inclusive), written as ``dates.day_range`` writes it."""
    return {"first": first.isoformat(), "last": last.isoformat()}


def moment(instant: dt.datetime, tz: str) -> dict[str, Any]:
    """An instant, written as its day and time in zone ``tz``."""
    return {"at": instant.astimezone(dt.UTC).isoformat(), "tz": tz}


def category(slug: str) -> dict[str, Any]:
    """An equipment category, written with its label."""
    return {"category": slug}


def _value(value: Any) -> Any:
    """One stored value as the reader reads it."""
    if not isinstance(value, Mapping):
        return value
    if "first" in value:
        first, last = dt.date.fromisoformat(value["first"]), dt.date.fromisoformat(value["last"])
        return dates.day_range(first, last)
    if "at" in value:
        return dates.moment(dt.datetime.fromisoformat(value["at"]), tz=value.get("tz"))
    if "category" in value:
        return categories.label(value["category"])
    raise ValueError(f"unknown value {value!r}")


def render(messages: Mapping[str, str], message: str, params: Mapping[str, Any]) -> str:
    """Message ``message`` of ``messages`` with ``params``, in the current language.

    ``params["note"]``, if any, follows in brackets (a reason someone typed,
    kept as typed). Raises ``KeyError`` or ``ValueError`` for an unknown
    message or value.
    """
    values = {key: _value(value) for key, value in params.items() if key != "note"}
    text = str(gettext(messages[message], **values))
    note = params.get("note")
    return f"{text} ({note})" if note else text
