"""The weekly report in the browser: the printable page and its downloads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.pages import permission_required
from makerlab.reports import exports, services
from makerlab.sites.models import Site

bp = Blueprint("reports", __name__)

MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _site_id_arg() -> int | None:
    """``?site_id=``: empty means all sites; anything but a number is a 422."""
    raw = (request.args.get("site_id") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid({"site_id": [_("Unknown site.")]})
    return int(raw)


def _default_week() -> str:
    return services.last_week(current_app.config["TIMEZONE"]).label


@bp.route("/reports/weekly")
@permission_required("reports.view")
def weekly() -> Any:
    """The report for ``?week=`` (default: last week), with comparisons, made for printing."""
    week = (request.args.get("week") or "").strip() or _default_week()
    sites = db.session.execute(sa.select(Site.id, Site.name).order_by(Site.id)).all()
    context: dict[str, Any] = {"week": week, "sites": sites, "site_id": None, "error": None}
    try:
        site_id = _site_id_arg()
        context["site_id"] = site_id
        report = services.build_weekly_report_with_comparison(week, site_id)
    except Invalid as error:
        context["error"] = " ".join(m for messages in error.errors.values() for m in messages)
        return render_template("reports/weekly.html", report=None, **context), 422
    current = services.parse_week(week)
    context.update(
        previous_week=current.shifted(-1).label,
        next_week=current.shifted(1).label,
        this_week=services.Week.containing(
            services.clock.today(current_app.config["TIMEZONE"])
        ).label,
        csv_tables=list(exports.TABLES),
    )
    context.update(exports.template_context(report, report["comparison"]))
    return render_template("reports/weekly.html", **context)


@bp.route("/reports/weekly/<week>.<fmt>")
@permission_required("reports.view")
def weekly_download(week: str, fmt: str) -> Any:
    """``/reports/weekly/YYYY-Www.pdf|csv|xlsx`` (CSV: ``?table=``, ``?decimal=comma``)."""
    if fmt not in MIMETYPES:
        raise NotFound(_("Reports can be downloaded as PDF, CSV or XLSX."))
    site_id = _site_id_arg()
    table = request.args.get("table", "units")
    if fmt == "csv" and table not in exports.TABLES:
        raise Invalid({"table": [_("Choose one of: %(tables)s.",
                                   tables=", ".join(exports.TABLES))]})
    if fmt == "pdf":
        report = services.build_weekly_report_with_comparison(week, site_id)
        body = exports.render_pdf(report, report["comparison"])
        name = f"makerlab-report-{report['week']}.pdf"
    elif fmt == "csv":
        report = services.build_weekly_report(week, site_id)
        body = exports.to_csv(report, table,
                              decimal_comma=request.args.get("decimal") == "comma")
        name = f"makerlab-report-{report['week']}-{table}.csv"
    else:
        report = services.build_weekly_report(week, site_id)
        body = exports.to_xlsx(report)
        name = f"makerlab-report-{report['week']}.xlsx"
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
