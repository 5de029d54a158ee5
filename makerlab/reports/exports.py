"""The weekly report as files: CSV (one table per file), XLSX (one sheet per table), PDF.

All formats take the dict of :func:`makerlab.reports.services.build_weekly_report`,
so their numbers are the page's numbers. Column names are the JSON keys.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from weasyprint import HTML

from makerlab.categories import label as category_label
from makerlab.reports import charts
from makerlab.reports.services import (
    AGE_BANDS,
    KEY_FIGURES,
    build_comparison,
    build_weekly_report,
    comparison_weeks,
)

CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "report.css"

FIGURE_COLUMNS = ("booked_hours", "booked_minutes", "open_hours", "open_minutes", "utilization",
                  "bookings", "loans", "overdue_returns")
WORKSHOP_COLUMNS = ("sessions", "seats_offered", "seats_confirmed", "attended", "schools_reached",
                    "participants_reached")
TABLES: dict[str, tuple[str, ...]] = {
    "units": ("id", "name", "category", "site_id", *FIGURE_COLUMNS),
    "categories": ("category", "units", *FIGURE_COLUMNS),
    "workshops": ("week", *WORKSHOP_COLUMNS),
    "age_bands": ("age_band", "participants"),
}
HOUR_COLUMNS = {"booked_hours", "open_hours"}

FIGURE_LABELS: dict[str, Any] = {
    "booked_hours": _l("Booked hours"),
    "utilization": _l("Utilization"),
    "bookings": _l("Bookings"),
    "loans": _l("Loans"),
    "overdue_returns": _l("Overdue returns"),
    "sessions": _l("Workshop sessions"),
    "seats_offered": _l("Seats offered"),
    "seats_confirmed": _l("Seats confirmed"),
    "attended": _l("Attended"),
    "schools_reached": _l("Schools reached"),
    "participants_reached": _l("Young people reached"),
}


def table_rows(report: dict[str, Any], table: str) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Columns and typed rows of one of the report's tables."""
    columns = TABLES[table]
    if table == "units":
        rows = [[unit[c] for c in columns] for unit in report["units"]]
    elif table == "categories":
        rows = [[cat[c] for c in columns] for cat in report["categories"]]
    elif table == "workshops":
        rows = [[report["week"], *(report["workshops"][c] for c in WORKSHOP_COLUMNS)]]
    else:
        rows = [[band, report["age_bands"][band]] for band in AGE_BANDS]
    return columns, rows


def to_csv(report: dict[str, Any], table: str = "units", *, decimal_comma: bool = False) -> bytes:
    """One table as CSV, UTF-8 with BOM so Excel reads umlauts.

    ``decimal_comma`` writes German numbers (``12,5``) separated by ``;``,
    which is what a German Excel opens without an import dialog.
    """
    columns, rows = table_rows(report, table)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal_comma else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, float):
                text = f"{value:.4f}".rstrip("0").rstrip(".")
                cells.append(text.replace(".", ",") if decimal_comma else text)
            else:
                cells.append(value)
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: dict[str, Any]) -> bytes:
    """All tables as one workbook, one sheet each, with numbers as numbers."""
    # Not at the top: openpyxl takes 0.3 s to import and only this download needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(title=table)
        columns, rows = table_rows(report, table)
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            fmt = "0.0%" if column == "utilization" else "0.00" if column in HOUR_COLUMNS else None
            if fmt:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = fmt
            width = max([len(str(column))] + [len(str(r[index - 1])) for r in rows[:200]])
            sheet.column_dimensions[letter].width = min(40, max(8, width + 2))
        sheet.freeze_panes = "A2"
    book.properties.title = f"{_('Weekly usage report')} {report['week']}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _day(day: dt.date) -> str:
    return str(format_date(day, "medium"))


def _hours(value: float) -> str:
    """Hours as h:mm (to the minute)."""
    minutes = round(value * 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _percent(value: float) -> str:
    return f"{format_decimal(value * 100, '0.0')}\u202f%"


def _number(value: float | int) -> str:
    return str(format_decimal(value, "#,##0"))


def _signed(value: float, kind: str) -> str:
    if abs(value) < 1e-9:
        return "±0"
    sign = "+" if value > 0 else "−"
    if kind == "hours":
        return sign + _hours(abs(value))
    if kind == "percent":
        return f"{sign}{format_decimal(abs(value) * 100, '0.0')}\u202fpp"
    return sign + _number(abs(value))


def template_context(report: dict[str, Any],
                     comparison: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``reports/_report.html`` needs: the report, charts, labels and formatters."""
    weekday_labels = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    decimal = str(format_decimal(1.5, "0.0"))[1]
    first = dt.date.fromisoformat(report["starts_on"])
    last = dt.date.fromisoformat(report["ends_on"])
    closure_labels = []
    for site in report["sites"]:
        for closure in site["closures"]:
            starts, ends = (dt.date.fromisoformat(closure[k]) for k in ("starts_on", "ends_on"))
            label = _day(starts) if starts == ends else f"{_day(starts)} – {_day(ends)}"
            if closure["reason"]:
                label += f" ({closure['reason']})"
            if len(report["sites"]) > 1:
                label = f"{site['name']}: {label}"
            closure_labels.append(label)
    return {
        "report": report,
        "comparison": comparison,
        "dates": {"first": f"{format_date(first, 'EEE')} {_day(first)}",
                  "last": f"{format_date(last, 'EEE')} {_day(last)}"},
        "generated": str(format_datetime(dt.datetime.fromisoformat(report["generated_at"]),
                                         "short")),
        "age_band_labels": {
            "<10": _("under 10"), "10-13": _("10 to 13"), "14-17": _("14 to 17"),
            "18+": _("18 and older"),
        },
        "closure_labels": closure_labels,
        "key_figures": [{"key": key, "value": report[section][key]}
                        for key, section in KEY_FIGURES],
        "site_name_of": {site["id"]: site["name"] for site in report["sites"]},
        "figure_labels": FIGURE_LABELS,
        "category_label": category_label,
        "fmt_hours": _hours,
        "fmt_percent": _percent,
        "fmt_number": _number,
        "fmt_signed": _signed,
        "utilization_chart": charts.utilization_bars(
            report["units"],
            title=_("Utilization per unit"),
            category_labels={u["category"]: category_label(u["category"])
                             for u in report["units"]},
            empty_text=_("No units at this site."),
            percent=lambda v: f"{format_decimal(v * 100, '0')}\u202f%",
        ),
        "heatmap_chart": charts.weekday_hour_heatmap(
            report["heatmap"],
            title=_("Use by weekday and hour"),
            weekday_labels=weekday_labels,
            closed_label=_("closed"),
            scale_label=_("units in use"),
            decimal=decimal,
        ),
        "report_css": CSS_PATH.read_text(encoding="utf-8"),
    }


def comparison_for(report: dict[str, Any]) -> dict[str, Any]:
    """Build the previous week's and last year's reports and compare (same site)."""
    previous_week, last_year_week = comparison_weeks(report["week"])
    previous = build_weekly_report(previous_week, report["site_id"])
    last_year = build_weekly_report(last_year_week, report["site_id"])
    return {
        "previous_week": previous_week,
        "last_year_week": last_year_week,
        "figures": build_comparison(report, previous, last_year),
    }


def render_pdf(report: dict[str, Any], comparison: dict[str, Any] | None = None) -> bytes:
    """The printable report as PDF (WeasyPrint, same template as the page).

    Needs an app context only (no request), so the scheduler can attach it
    to the Monday e-mail. The comparison is built when not given.
    """
    if comparison is None:
        comparison = report.get("comparison") or comparison_for(report)
    html = render_template("reports/weekly_pdf.html", **template_context(report, comparison))
    return bytes(HTML(string=html, base_url=current_app.root_path).write_pdf())
