"""The weekly usage report as JSON."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from makerlab.api import api_blueprint, require
from makerlab.reports import services
from makerlab.reports.schemas import WeeklyReport, WeeklyReportArgs

blp = api_blueprint("reports_api", __name__, "Weekly usage report")


@blp.route("/reports/weekly")
class WeeklyReportView(MethodView):
    @require("reports.view")
    @blp.arguments(WeeklyReportArgs, location="query")
    @blp.response(200, WeeklyReport)
    def get(self, args: dict[str, Any]) -> Any:
        """The weekly usage report of an ISO week (site-local), one site or all."""
        return services.build_weekly_report(args["week"], args.get("site_id"))
