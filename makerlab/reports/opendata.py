"""Anonymous figures for the city's open-data platform, in a versioned schema.

The file (``docs/open-data.schema.json``, described in the README) holds, per
site and month, booked hours and bookings per equipment category, workshop
sessions, seats, attendance and schools, and young people reached per age
band. Every count of people below :data:`THRESHOLD` is suppressed: its value
is ``null`` and the row says ``"suppressed": true``. Rows name their centre,
so several centres' files combine (:func:`combine`) without adding anything
up, and the suppression stays intact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from makerlab import clock
from makerlab.errors import Invalid
from makerlab.reports.periods import Period, parse_period
from makerlab.reports.services import AGE_BANDS, build_period_report
from makerlab.sites.services import list_sites

FORMAT = "makerlab-open-data"
SCHEMA_VERSION = 1
THRESHOLD = 5
PARTICIPANT_BANDS = (*AGE_BANDS, "unknown", "class")
TABLES = ("equipment", "workshops", "participants")


def _people(count: int) -> tuple[int | None, bool]:
    """A count of people as published: ``(None, True)`` below the threshold."""
    return (None, True) if count < THRESHOLD else (count, False)


def build_open_data(first: dt.date | str | None, end: dt.date | str | None) -> dict[str, Any]:
    """The open-data document of this centre for the days ``[first, end)``."""
    period = parse_period(first, end)
    centre = str(current_app.config["CENTRE_NAME"])
    sites = list_sites()
    document: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "period": {"from": period.first.isoformat(), "to": period.end.isoformat()},
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "suppression_threshold": THRESHOLD,
        "centres": [{"name": centre, "sites": [site.name for site in sites]}],
        "equipment": [],
        "workshops": [],
        "participants": [],
    }
    for site in sites:
        # One report per site: statements grow with the sites, never with the data.
        report = build_period_report(period.first, period.end, site.id)
        _add_site(document, report, centre, site.name)
    return document


def _add_site(document: dict[str, Any], report: dict[str, Any], centre: str, site: str) -> None:
    categories = [c["category"] for c in report["categories"]]
    for month in report["per_month"]:
        where = {"centre": centre, "site": site, "month": month["month"]}
        for category in categories:
            figures = month["categories"].get(category, {})
            document["equipment"].append({
                **where,
                "category": category,
                "hours": round(figures.get("booked_hours", 0.0), 2),
                "bookings": figures.get("bookings", 0),
            })
        attended, hidden = _people(month["attended"])
        document["workshops"].append({
            **where,
            "sessions": month["sessions"],
            "seats": month["seats_offered"],
            "attended": attended,
            "schools": month["schools_reached"],
            "suppressed": hidden,
        })
        counts = {**month["age_bands"], "unknown": month["age_unknown"],
                  "class": month["class_pupils"]}
        for band in PARTICIPANT_BANDS:
            participants, hidden = _people(counts[band])
            document["participants"].append({
                **where, "age_band": band, "participants": participants, "suppressed": hidden,
            })


def _check(name: str, document: Any) -> Period:
    """The period of an export we can read; a clear 422 for anything else."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise Invalid({"files": [_("%(name)s is not a Makerlab open-data export.", name=name)]})
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise Invalid({"files": [_(
            "%(name)s has schema version %(version)s; this Makerlab reads and writes "
            "version %(ours)d only. Export it again with the same Makerlab version.",
            name=name, version=version, ours=SCHEMA_VERSION)]})
    period = document.get("period") or {}
    missing = [key for key in ("centres", *TABLES) if not isinstance(document.get(key), list)]
    if missing or not isinstance(period, dict):
        raise Invalid({"files": [_("%(name)s lacks %(parts)s.", name=name,
                                   parts=", ".join(missing) or "period")]})
    try:
        return parse_period(period.get("from"), period.get("to"))
    except Invalid:
        raise Invalid({"files": [_("%(name)s has no valid period.", name=name)]}) from None


def combine(documents: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """Several centres' exports of the same period as one export of the same schema.

    ``documents`` are ``(file name, parsed JSON)``. Refused (422, naming the
    file): another format or schema version, another period, a centre twice.
    """
    if not documents:
        raise Invalid({"files": [_("Give at least one export to combine.")]})
    periods = {name: _check(name, document) for name, document in documents}
    first_name, period = next(iter(periods.items()))
    for name, other in periods.items():
        if other != period:
            raise Invalid({"files": [_(
                "%(name)s covers %(other)s, %(first)s covers %(period)s: combine exports "
                "of the same period.", name=name, other=other.slug, first=first_name,
                period=period.slug)]})
    combined: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "period": {"from": period.first.isoformat(), "to": period.end.isoformat()},
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "suppression_threshold": THRESHOLD,
        "centres": [],
        **{table: [] for table in TABLES},
    }
    seen: dict[str, str] = {}
    for name, document in documents:
        for centre in document["centres"]:
            if centre["name"] in seen:
                raise Invalid({"files": [_(
                    "The centre %(centre)s is in %(first)s and in %(second)s.",
                    centre=centre["name"], first=seen[centre["name"]], second=name)]})
            seen[centre["name"]] = name
            combined["centres"].append(centre)
        for table in TABLES:
            combined[table].extend(document[table])
    combined["centres"].sort(key=lambda c: c["name"])
    for table in TABLES:
        combined[table].sort(key=lambda r: (r["centre"], r["site"], r["month"],
                                            r.get("category", ""), r.get("age_band", "")))
    return combined
