"""The report as files: CSV (one table per file), XLSX (one sheet per table), PDF.

Every format takes the dict of :mod:`makerlab.reports.services`, so its
numbers are the page's numbers. Files speak the current language (the
request's, or the one the CLI forces): German files have German headings,
category names, ``12,5`` and ``22.03.2027``; English ones English headings,
``12.5`` and ISO dates (``2027-03-22``). Weeks read as people read them
("KW 12 / 2027", "Week 12 / 2027"); file names keep the ISO code of the download
address (``makerlab-report-2027-W12.pdf``), which sorts. JSON keeps its keys,
slugs and ISO week codes (it is the API's shape).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from weasyprint import HTML

from makerlab import dates
from makerlab.categories import label as category_label
from makerlab.reports import charts
from makerlab.reports.cells import safe_row
from makerlab.reports.periods import Period, describe
from makerlab.reports.services import KEY_FIGURES, comparison_for
from makerlab.reports.tables import (
    AGE_BAND_LABELS,
    DATE_COLUMNS,
    HOUR_COLUMNS,
    TABLE_LABELS,
    age_rows,
    table,
    tables_of,
)

CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "report.css"

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


def is_german() -> bool:
    """True when the current language writes ``12,5`` and ``22.03.2027``."""
    locale = get_locale()
    return locale is None or locale.language == "de"


def _csv_cell(value: Any, german: bool) -> Any:
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if german else text
    if isinstance(value, dt.date):
        return dates.export_day(value)
    return value


def to_csv(report: dict[str, Any], name: str) -> bytes:
    """One table as CSV, UTF-8 with BOM so Excel reads umlauts.

    German files are separated by ``;`` with decimal commas, which is what a
    German Excel opens without an import dialog; English ones by ``,``.
    """
    german = is_german()
    _keys, headings, rows = table(report, name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if german else ",", lineterminator="\r\n")
    writer.writerow(safe_row(headings))
    for row in rows:
        writer.writerow([_csv_cell(value, german) for value in safe_row(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(label: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``)."""
    title = "".join(ch for ch in label if ch not in "[]:*?/\\")[:31] or "Sheet"
    while title in taken:
        title = title[:29] + f"{len(taken):02d}"
    taken.add(title)
    return title


def to_xlsx(report: dict[str, Any]) -> bytes:
    """All tables as one workbook, one sheet each; numbers and dates as typed cells."""
    # Not at the top: openpyxl takes 0.3 s to import and only this download needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    german = is_german()
    date_format = "DD.MM.YYYY" if german else "YYYY-MM-DD"
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name in tables_of(report):
        sheet = book.create_sheet(title=_sheet_title(str(TABLE_LABELS[name]), taken))
        keys, headings, rows = table(report, name)
        sheet.append(safe_row(headings))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(safe_row(row))
        for index, key in enumerate(keys, start=1):
            fmt = ("0.0%" if key == "utilization" else "0.00" if key in HOUR_COLUMNS
                   else date_format if key in DATE_COLUMNS else None)
            if fmt:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = fmt
            width = max([len(headings[index - 1])] + [len(str(r[index - 1])) for r in rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(40, max(8, width + 2))
        sheet.freeze_panes = "A2"
    book.properties.title = f"{_('Usage report')} {report_label(report)}"
    book.properties.language = "de-DE" if german else "en"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_label(report: dict[str, Any]) -> str:
    """"KW 12 / 2027" for a week, "Di., 1. Sept. 2026 – Sa., 31. Juli 2027" for a period."""
    if "week" in report:
        return dates.week(str(report["week"]))
    return dates.day_range(*(dt.date.fromisoformat(report[k]) for k in ("starts_on", "ends_on")))


def _day(day: dt.date) -> str:
    return dates.day(day)


def _hours(value: float) -> str:
    """Hours as h:mm (to the minute)."""
    minutes = round(value * 60)
    return f"{_number(minutes // 60)}:{minutes % 60:02d}"


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


def _closure_labels(report: dict[str, Any]) -> list[str]:
    labels = []
    for site in report["sites"]:
        for closure in site["closures"]:
            starts, ends = (dt.date.fromisoformat(closure[k]) for k in ("starts_on", "ends_on"))
            label = dates.day_range(starts, ends)
            if closure["reason"]:
                label += f" ({closure['reason']})"
            if len(report["sites"]) > 1:
                label = f"{site['name']}: {label}"
            labels.append(label)
    return labels


def template_context(report: dict[str, Any],
                     comparison: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``reports/_report.html`` and ``reports/_period.html`` need: charts, labels, formats."""
    weekday_labels = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    decimal = str(format_decimal(1.5, "0.0"))[1]
    first = dt.date.fromisoformat(report["starts_on"])
    last = dt.date.fromisoformat(report["ends_on"])
    categories = {c["category"] for c in report["categories"]}
    categories |= {c for m in report.get("per_month", []) for c in m["categories"]}
    category_labels = {c: category_label(c) for c in categories}
    closures = _closure_labels(report)
    context = {
        "report": report,
        "comparison": comparison,
        "dates": {"first": dates.day(first), "last": dates.day(last)},
        "first_day": first,
        "last_day": last,
        "generated": dates.moment(dt.datetime.fromisoformat(report["generated_at"])),
        "age_band_labels": {band: str(label) for band, label in AGE_BAND_LABELS.items()},
        "age_rows": age_rows(report),
        "closure_labels": closures if len(closures) <= 12 else [
            _("%(num)d closures", num=len(closures))],
        "key_figures": [{"key": key, "value": report[section][key]}
                        for key, section in KEY_FIGURES],
        "site_name_of": {site["id"]: site["name"] for site in report["sites"]},
        "figure_labels": FIGURE_LABELS,
        "category_label": category_label,
        "fmt_hours": _hours,
        "fmt_percent": _percent,
        "fmt_number": _number,
        "fmt_signed": _signed,
        "fmt_day": _day,
        "utilization_chart": charts.utilization_bars(
            report["units"],
            title=_("Utilization per unit"),
            category_labels=category_labels,
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
    if "per_month" in report:
        context.update(_period_charts(report, category_labels))
    return context


def _period_charts(report: dict[str, Any], category_labels: dict[str, str]) -> dict[str, Any]:
    """The month names and the charts only a report over a period has."""
    month_labels = [dates.day(dt.date.fromisoformat(m["starts_on"]), "month_short")
                    for m in report["per_month"]]
    return dict(
        month_labels=month_labels,
        month_names=[dates.day(dt.date.fromisoformat(m["starts_on"]), "month")
                     for m in report["per_month"]],
        month_chart=charts.month_columns(
            report["per_month"], title=_("Use per month"), month_labels=month_labels,
            category_labels=category_labels, hours=lambda v: f"{_number(round(v))} h",
            empty_text=_("Nothing was booked in this period."),
        ),
        category_chart=charts.category_bars(
            report["categories"], title=_("Use per category"),
            category_labels=category_labels, hours=lambda v: f"{_hours(v)} h",
            percent=_percent, empty_text=_("No equipment."),
        ),
    )


def render_pdf(report: dict[str, Any], comparison: dict[str, Any] | None = None, *,
               name: str | None = None) -> bytes:
    """The printable report as PDF (WeasyPrint, same template as the page).

    Needs an app context only (no request), so the scheduler can attach it
    to the Monday e-mail. A weekly report's comparison is built when not given;
    a period report is headed ``name`` (a school term's), else its own name
    (a month, a year) or its dates.
    """
    if "week" in report:
        if comparison is None:
            comparison = report.get("comparison") or comparison_for(report)
        html = render_template("reports/weekly_pdf.html", **template_context(report, comparison))
    else:
        first, end = (dt.date.fromisoformat(report[k]) for k in ("from", "to"))
        html = render_template("reports/period_pdf.html", **template_context(report),
                               period_name=name or describe(Period(first, end)))
    return bytes(HTML(string=html, base_url=current_app.root_path).write_pdf())
