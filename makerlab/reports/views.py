"""Reports in the browser: the weekly and the period report, their downloads, school terms.

Downloads speak the language of the page (the request's UI language).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from makerlab import clock, dates
from makerlab.errors import Invalid, NotFound
from makerlab.extensions import db
from makerlab.pages import permission_required, submit
from makerlab.reports import exports, services
from makerlab.reports.forms import TermForm
from makerlab.reports.periods import (
    Period,
    Week,
    describe,
    parse_period,
    parse_slug,
    read_week,
    shortcuts,
)
from makerlab.reports.tables import PERIOD_TABLES, TABLE_LABELS, WEEKLY_TABLES
from makerlab.sites import services as sites
from makerlab.sites.models import Site

bp = Blueprint("reports", __name__)

MIMETYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _site_id_arg() -> int | None:
    """``?site_id=``: empty means all sites; anything but a number is a 422."""
    raw = (request.args.get("site_id") or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Invalid({"site_id": [_("Unknown site.")]})
    return int(raw)


def _error_text(error: Invalid) -> str:
    return " ".join(m for messages in error.errors.values() for m in messages)


def _download(body: bytes, fmt: str, name: str) -> Response:
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _csv_table(tables: dict[str, tuple[str, ...]], default: str) -> str:
    table = request.args.get("table", default)
    if table not in tables:
        raise Invalid({"table": [_("Choose one of: %(tables)s.", tables=", ".join(tables))]})
    return table


# --------------------------------------------------------------------------- weekly


@bp.route("/reports/weekly")
@permission_required("reports.view")
def weekly() -> Any:
    """The report for ``?week=`` (default: last week), with comparisons, made for printing."""
    tz = current_app.config["TIMEZONE"]
    typed = (request.args.get("week") or "").strip()
    site_list = sites.list_sites()
    context: dict[str, Any] = {"typed": typed, "sites": site_list, "site_id": None, "error": None}
    try:
        current = read_week(typed) if typed else services.last_week(tz)
        site_id = _site_id_arg()
        context["site_id"] = site_id
        report = services.build_weekly_report_with_comparison(current.label, site_id)
    except Invalid as error:
        context["error"] = _error_text(error)
        return render_template("reports/weekly.html", report=None, **context), 422
    context.update(
        typed=dates.week(current.label),
        previous_week=current.shifted(-1).label,
        next_week=current.shifted(1).label,
        this_week=Week.containing(clock.today(tz)).label,
        csv_tables=list(WEEKLY_TABLES),
        table_labels=TABLE_LABELS,
    )
    context.update(exports.template_context(report, report["comparison"]))
    return render_template("reports/weekly.html", **context)


@bp.route("/reports/weekly/<week>.<fmt>")
@permission_required("reports.view")
def weekly_download(week: str, fmt: str) -> Any:
    """``/reports/weekly/YYYY-Www.pdf|csv|xlsx`` (CSV: ``?table=``), in the page's language."""
    if fmt not in MIMETYPES or fmt == "json":
        raise NotFound(_("Reports can be downloaded as PDF, CSV or XLSX."))
    site_id = _site_id_arg()
    table = _csv_table(WEEKLY_TABLES, "units") if fmt == "csv" else ""
    if fmt == "pdf":
        report = services.build_weekly_report_with_comparison(week, site_id)
        return _download(exports.render_pdf(report, report["comparison"]), fmt,
                         f"makerlab-report-{report['week']}.pdf")
    report = services.build_weekly_report(week, site_id)
    if fmt == "csv":
        return _download(exports.to_csv(report, table), fmt,
                         f"makerlab-report-{report['week']}-{table}.csv")
    return _download(exports.to_xlsx(report), fmt, f"makerlab-report-{report['week']}.xlsx")


# --------------------------------------------------------------------------- any period


def _terms(site_id: int | None) -> list[tuple[str, dt.date, dt.date]]:
    site = site_id if site_id is not None else sites.default_site().id
    return [(t.name, t.starts_on, t.ends_on) for t in db.session.scalars(sites.terms_of(site))]


def _period_url(chosen: Period, site_id: int | None) -> str:
    args: dict[str, Any] = {"from": chosen.first.isoformat(), "to": chosen.end.isoformat()}
    if site_id is not None:
        args["site_id"] = site_id
    return url_for("reports.period", **args)


def _period_name(chosen: Period, site_id: int | None) -> str | None:
    """The site's term of exactly these days, else the period's own name (a month, ...)."""
    terms = _terms(site_id)
    named = next((name for name, starts, ends in terms
                  if Period(starts, ends + dt.timedelta(days=1)) == chosen), None)
    return named or describe(chosen)


def _default_period(today: dt.date) -> Period:
    """The month before this one: what the youth office asks for."""
    first = today.replace(day=1)
    return Period((first - dt.timedelta(days=1)).replace(day=1), first)


@bp.route("/reports")
@permission_required("reports.view")
def period() -> Any:
    """The report of ``?from=&to=`` (``to`` exclusive; default: last month), with shortcuts."""
    tz = current_app.config["TIMEZONE"]
    today = clock.today(tz)
    site_list = sites.list_sites()
    raw_from = (request.args.get("from") or "").strip()
    raw_to = (request.args.get("to") or "").strip()
    context: dict[str, Any] = {"sites": site_list, "site_id": None, "error": None,
                               "from_": raw_from, "to": raw_to, "shortcuts": []}
    try:
        site_id = _site_id_arg()
        context["site_id"] = site_id
        context["shortcuts"] = shortcuts(today, _terms(site_id))
        chosen = parse_period(raw_from, raw_to) if raw_from or raw_to else _default_period(today)
        context.update(from_=chosen.first.isoformat(), to=chosen.end.isoformat())
        report = services.build_period_report(chosen.first, chosen.end, site_id)
    except Invalid as error:
        context["error"] = _error_text(error)
        return render_template("reports/period.html", report=None, **context), 422
    context.update(
        period=chosen,
        period_name=_period_name(chosen, site_id),
        shortcut_links=[(s.label, _period_url(s.period, site_id), s.period == chosen)
                        for s in context["shortcuts"]],
        csv_tables=list(PERIOD_TABLES),
        table_labels=TABLE_LABELS,
    )
    context.update(exports.template_context(report))
    return render_template("reports/period.html", **context)


@bp.route("/reports/<period>.<fmt>")
@permission_required("reports.view")
def period_download(period: str, fmt: str) -> Any:
    """``/reports/YYYY-MM-DD_YYYY-MM-DD.pdf|csv|xlsx|json`` (CSV: ``?table=``)."""
    if fmt not in MIMETYPES:
        raise NotFound(_("Reports can be downloaded as PDF, CSV, XLSX or JSON."))
    chosen = parse_slug(period)
    site_id = _site_id_arg()
    table = _csv_table(PERIOD_TABLES, "months") if fmt == "csv" else ""
    report = services.build_period_report(chosen.first, chosen.end, site_id)
    name = f"makerlab-report-{chosen.slug}"
    if fmt == "pdf":
        return _download(exports.render_pdf(report, name=_period_name(chosen, site_id)), fmt,
                         f"{name}.pdf")
    if fmt == "csv":
        return _download(exports.to_csv(report, table), fmt, f"{name}-{table}.csv")
    if fmt == "xlsx":
        return _download(exports.to_xlsx(report), fmt, f"{name}.xlsx")
    body = json.dumps(report, ensure_ascii=False, indent=2).encode()
    return _download(body, fmt, f"{name}.json")


# --------------------------------------------------------------------------- school terms


def _terms_page(site: Site, form: TermForm, status: int = 200) -> Any:
    terms = [
        (term, dates.day(term.starts_on), dates.day(term.ends_on),
         _period_url(Period(term.starts_on, term.ends_on + dt.timedelta(days=1)), site.id))
        for term in db.session.scalars(sites.terms_of(site.id))
    ]
    return render_template("reports/terms.html", site=site, sites=sites.list_sites(),
                           terms=terms, form=form, delete_form=FlaskForm()), status


def _site_for_terms(site_id: int | None) -> Site:
    return sites.get_site(current_user, site_id) if site_id else sites.default_site()


@bp.route("/reports/terms", methods=["GET", "POST"])
@permission_required("sites.manage")
def terms() -> Any:
    """School terms and years of a site: listed, added, deleted; the report offers them."""
    site = _site_for_terms(request.args.get("site_id", type=int))
    form = TermForm()
    sent = submit(form, lambda: sites.add_term(current_user, site, name=form.name.data or "",
                                               starts_on=form.starts_on.data,
                                               ends_on=form.ends_on.data))
    if sent.done:
        flash(_("Added %(name)s.", name=sent.value.name), "success")
        return redirect(url_for("reports.terms", site_id=site.id))
    return _terms_page(site, form, sent.status)


@bp.route("/reports/terms/<int:term_id>/delete", methods=["POST"])
@permission_required("sites.manage")
def delete_term(term_id: int) -> Any:
    term = sites.get_term(current_user, term_id)
    site_id, name = term.site_id, term.name
    if FlaskForm().validate_on_submit():
        sent = submit(None, lambda: sites.delete_term(current_user, term))
        if sent.done:
            flash(_("Deleted %(name)s.", name=name), "success")
        else:
            sent.flash()
    return redirect(url_for("reports.terms", site_id=site_id))
