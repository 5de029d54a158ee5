"""The weekly usage report as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView

from makerlab import clock, readcache
from makerlab.api import api_blueprint, require
from makerlab.reports import services
from makerlab.reports.schemas import WeeklyReport, WeeklyReportArgs
from makerlab.reports.services import parse_week

blp = api_blueprint("reports_api", __name__, "Weekly usage report")


@blp.route("/reports/weekly")
class WeeklyReportView(MethodView):
    @require("reports.view")
    @blp.arguments(WeeklyReportArgs, location="query")
    @blp.response(200, WeeklyReport)
    def get(self, args: dict[str, Any]) -> Any:
        """The weekly usage report of an ISO week (site-local), one site or all."""
        # The minute: overdue loans count "until now", and the report says when it was made.
        minute = clock.now().replace(second=0, microsecond=0)
        key = (args["week"], args.get("site_id"), minute)
        monday = parse_week(args["week"]).monday
        scopes = [
            readcache.BASE,
            readcache.OTHER,
            *readcache.week_scopes(monday, monday + dt.timedelta(days=7)),
        ]
        return readcache.json_response(
            "weekly_report",
            key,
            scopes,
            WEEKLY_REPORT,
            lambda: services.build_weekly_report(args["week"], args.get("site_id")),
        )


WEEKLY_REPORT = WeeklyReport()
