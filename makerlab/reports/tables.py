"""The report's tables for spreadsheets: which columns, their headings, typed rows.

CSV and XLSX files show these tables in the language of whoever asked (the
request's UI language, or ``--lang`` on the command line): headings,
category and age-band names are translated here; numbers and dates stay
typed, and each format writes them the way that language does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l

from makerlab import dates
from makerlab.categories import label as category_label
from makerlab.reports.services import AGE_BANDS

FIGURE_COLUMNS = ("booked_hours", "booked_minutes", "open_hours", "open_minutes", "utilization",
                  "bookings", "loans", "overdue_returns")
WORKSHOP_COLUMNS = ("sessions", "seats_offered", "seats_confirmed", "attended", "schools_reached",
                    "participants_reached")
MONTH_COLUMNS = ("month", "starts_on", "ends_on", "booked_hours", "open_hours", "utilization",
                 "bookings", "sessions", "seats_offered", "seats_confirmed", "attended",
                 "schools_reached", "named_participants", "class_pupils", "participants_reached")

WEEKLY_TABLES: dict[str, tuple[str, ...]] = {
    "units": ("id", "name", "category", "site_id", *FIGURE_COLUMNS),
    "categories": ("category", "units", *FIGURE_COLUMNS),
    "workshops": ("week", *WORKSHOP_COLUMNS),
    "age_bands": ("age_band", "participants"),
}
PERIOD_TABLES: dict[str, tuple[str, ...]] = {
    "summary": ("starts_on", "ends_on", "booked_hours", "open_hours", "utilization", "bookings",
                "loans", "overdue_returns", *WORKSHOP_COLUMNS),
    "months": MONTH_COLUMNS,
    "units": ("id", "name", "category", "site_id", *FIGURE_COLUMNS),
    "categories": ("category", "units", *FIGURE_COLUMNS),
    "workshops": ("title", "sessions", "seats_offered", "seats_confirmed", "attended",
                  "class_pupils", "schools_reached"),
    "schools": ("name", "sessions", "classes", "seats_confirmed", "pupils_attended"),
    "age_bands": ("age_band", "participants"),
}
TABLE_LABELS: dict[str, Any] = {
    "summary": _l("Summary"),
    "months": _l("Months"),
    "units": _l("Units"),
    "categories": _l("Categories"),
    "workshops": _l("Workshops"),
    "schools": _l("Schools"),
    "age_bands": _l("Age bands"),
}
COLUMN_LABELS: dict[str, Any] = {
    "id": _l("ID"),
    "name": _l("Name"),
    "title": _l("Workshop"),
    "category": _l("Category"),
    "site_id": _l("Site ID"),
    "week": _l("Week"),
    "month": _l("Month"),
    "starts_on": _l("First day"),
    "ends_on": _l("Last day"),
    "units": _l("Units"),
    "booked_hours": _l("Booked hours"),
    "booked_minutes": _l("Booked minutes"),
    "open_hours": _l("Open hours"),
    "open_minutes": _l("Open minutes"),
    "utilization": _l("Utilization"),
    "bookings": _l("Bookings"),
    "loans": _l("Loans"),
    "overdue_returns": _l("Overdue returns"),
    "sessions": _l("Workshop sessions"),
    "seats_offered": _l("Seats offered"),
    "seats_confirmed": _l("Seats confirmed"),
    "attended": _l("Attended"),
    "schools_reached": _l("Schools reached"),
    "named_participants": _l("Named participants"),
    "class_pupils": _l("Class pupils"),
    "participants_reached": _l("Young people reached"),
    "classes": _l("Classes"),
    "pupils_attended": _l("Pupils attended"),
    "age_band": _l("Age band"),
    "participants": _l("Participants"),
}
AGE_BAND_LABELS: dict[str, Any] = {
    "<10": _l("under 10"),
    "10-13": _l("10 to 13"),
    "14-17": _l("14 to 17"),
    "18+": _l("18 and older"),
    "unknown": _l("age unknown"),
    "class_pupils": _l("class pupils, age unknown"),
}
HOUR_COLUMNS = frozenset({"booked_hours", "open_hours"})
DATE_COLUMNS = frozenset({"starts_on", "ends_on"})


def tables_of(report: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The weekly report keeps its four tables; a period report has seven."""
    return WEEKLY_TABLES if "week" in report else PERIOD_TABLES


def age_rows(report: dict[str, Any]) -> list[tuple[str, int]]:
    """Named participants by age band, those of unknown age, and class pupils (no ages)."""
    rows = [(band, report["age_bands"][band]) for band in AGE_BANDS]
    return [*rows, ("unknown", report["age_unknown"]), ("class_pupils", report["class_pupils"])]


def _raw_rows(report: dict[str, Any], table: str, columns: tuple[str, ...]) -> list[list[Any]]:
    if table in ("units", "categories"):
        return [[row[c] for c in columns] for row in report[table]]
    if table == "age_bands":
        return [[band, count] for band, count in age_rows(report)]
    if table == "workshops" and "week" in report:
        # The week as people read it ("KW 12 / 2027"), not the ISO code of the JSON.
        return [[dates.week(report["week"]), *(report["workshops"][c] for c in WORKSHOP_COLUMNS)]]
    if table == "summary":
        merged = {**report["totals"], **report["workshops"], "starts_on": report["starts_on"],
                  "ends_on": report["ends_on"]}
        return [[merged[c] for c in columns]]
    source = {"months": "per_month", "workshops": "per_workshop", "schools": "per_school"}[table]
    return [[row[c] for c in columns] for row in report[source]]


def table(report: dict[str, Any], name: str) -> tuple[list[str], list[str], list[list[Any]]]:
    """Column keys, translated headings and typed rows of one table.

    Dates become ``datetime.date``, months their name ("März 2027"), and
    category and age-band slugs their names in the current language.
    """
    columns = tables_of(report)[name]
    rows = []
    for raw in _raw_rows(report, name, columns):
        row = []
        for column, value in zip(columns, raw, strict=True):
            if column in DATE_COLUMNS:
                value = dt.date.fromisoformat(value)
            elif column == "month":
                value = dates.day(dt.date.fromisoformat(value + "-01"), "month")
            elif column == "category":
                value = category_label(value)
            elif column == "age_band":
                value = str(AGE_BAND_LABELS[value])
            row.append(value)
        rows.append(row)
    return list(columns), [str(COLUMN_LABELS[c]) for c in columns], rows
