"""The usage reports as JSON: a week, any period, and the open-data export."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, require
from makerlab.reports import opendata, services
from makerlab.reports.schemas import (
    OpenDataArgs,
    PeriodArgs,
    PeriodReport,
    WeeklyReport,
    WeeklyReportArgs,
)

blp = api_blueprint("reports_api", __name__, "Usage reports and open data")


@blp.route("/reports/weekly")
class WeeklyReportView(MethodView):
    @require("reports.view")
    @blp.arguments(WeeklyReportArgs, location="query")
    @blp.response(200, WeeklyReport)
    def get(self, args: dict[str, Any]) -> Any:
        """The weekly usage report of an ISO week (site-local), one site or all."""
        return services.build_weekly_report(args["week"], args.get("site_id"))


@blp.route("/reports")
class PeriodReportView(MethodView):
    @require("reports.view")
    @blp.arguments(PeriodArgs, location="query")
    @blp.response(200, PeriodReport)
    def get(self, args: dict[str, Any]) -> Any:
        """The usage report of the site-local days ``[from, to)`` (``to`` exclusive), one site
        or all: the weekly figures over the period, per month, workshop and school."""
        return services.build_period_report(args["from_"], args["to"], args.get("site_id"))


@blp.route("/reports/open-data")
class OpenDataView(MethodView):
    @require("reports.view")
    @blp.arguments(OpenDataArgs, location="query")
    @blp.response(200)
    def get(self, args: dict[str, Any]) -> Any:
        """Anonymous figures per site, month, category and age band (schema version 1, see
        ``docs/open-data.schema.json``); counts of people below 5 are null and suppressed."""
        return opendata.build_open_data(args["from_"], args["to"])
