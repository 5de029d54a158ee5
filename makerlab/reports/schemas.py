"""Shapes of the weekly report in the JSON API (they also document it in OpenAPI)."""

from __future__ import annotations

from marshmallow import fields

from makerlab.api.schemas import QuerySchema, Schema


class WeeklyReportArgs(QuerySchema):
    week = fields.String(required=True, metadata={"description": "ISO week, YYYY-Www",
                                                  "example": "2027-W12"})
    site_id = fields.Integer(load_default=None, allow_none=True,
                             metadata={"description": "One site; all sites when left out"})


class _Figures(Schema):
    booked_hours = fields.Float()
    booked_minutes = fields.Integer()
    open_hours = fields.Float()
    open_minutes = fields.Integer()
    utilization = fields.Float()
    bookings = fields.Integer()
    loans = fields.Integer()
    overdue_returns = fields.Integer()


class UnitFigures(_Figures):
    id = fields.Integer()
    name = fields.String()
    category = fields.String()
    site_id = fields.Integer()
    loanable = fields.Boolean()


class CategoryFigures(_Figures):
    category = fields.String()
    units = fields.Integer()


class TotalFigures(_Figures):
    units = fields.Integer()


class WorkshopFigures(Schema):
    sessions = fields.Integer()
    seats_offered = fields.Integer()
    seats_confirmed = fields.Integer()
    attended = fields.Integer()
    schools_reached = fields.Integer()
    participants_reached = fields.Integer()


class ClosureDays(Schema):
    starts_on = fields.String()
    ends_on = fields.String()
    reason = fields.String()


class ReportSite(Schema):
    id = fields.Integer()
    name = fields.String()
    timezone = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    hours_in_week = fields.Float()
    open_hours = fields.Float()
    closures = fields.List(fields.Nested(ClosureDays))


class Heatmap(Schema):
    weekdays = fields.List(fields.String())
    hours = fields.List(fields.Integer())
    booked_minutes = fields.List(fields.List(fields.Integer()))
    capacity_minutes = fields.List(fields.List(fields.Integer()))


class WeeklyReport(Schema):
    week = fields.String()
    year = fields.Integer()
    number = fields.Integer()
    starts_on = fields.String()
    ends_on = fields.String()
    site_id = fields.Integer(allow_none=True)
    site_name = fields.String(allow_none=True)
    site_ids = fields.List(fields.Integer())
    sites = fields.List(fields.Nested(ReportSite))
    units = fields.List(fields.Nested(UnitFigures))
    categories = fields.List(fields.Nested(CategoryFigures))
    totals = fields.Nested(TotalFigures)
    workshops = fields.Nested(WorkshopFigures)
    age_bands = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "<10, 10-13, 14-17, 18+"})
    age_unknown = fields.Integer()
    named_participants = fields.Integer()
    class_pupils = fields.Integer(metadata={"description": "attended class headcounts (no ages)"})
    heatmap = fields.Nested(Heatmap)
    generated_at = fields.String()


class PeriodArgs(QuerySchema):
    from_ = fields.Date(required=True, data_key="from",
                        metadata={"description": "First day (site-local)", "example": "2026-08-01"})
    to = fields.Date(required=True, metadata={"description": "Day after the last (exclusive)",
                                              "example": "2027-08-01"})
    site_id = fields.Integer(load_default=None, allow_none=True,
                             metadata={"description": "One site; all sites when left out"})


class OpenDataArgs(QuerySchema):
    from_ = fields.Date(required=True, data_key="from",
                        metadata={"description": "First day", "example": "2026-08-01"})
    to = fields.Date(required=True, metadata={"description": "Day after the last (exclusive)",
                                              "example": "2027-08-01"})


class PeriodSite(Schema):
    id = fields.Integer()
    name = fields.String()
    timezone = fields.String()
    starts_at = fields.String()
    ends_at = fields.String()
    hours = fields.Float()
    open_hours = fields.Float()
    closures = fields.List(fields.Nested(ClosureDays))


class PeriodHeatmap(Heatmap):
    occurrences = fields.List(fields.List(fields.Integer()),
                              metadata={"description": "How often each weekday-hour occurs"})


class CategoryMonth(Schema):
    booked_hours = fields.Float()
    booked_minutes = fields.Integer()
    bookings = fields.Integer()


class MonthFigures(Schema):
    month = fields.String(metadata={"example": "2027-03"})
    starts_on = fields.String()
    ends_on = fields.String()
    booked_hours = fields.Float()
    booked_minutes = fields.Integer()
    open_hours = fields.Float()
    open_minutes = fields.Integer()
    utilization = fields.Float()
    bookings = fields.Integer()
    categories = fields.Dict(keys=fields.String(), values=fields.Nested(CategoryMonth))
    sessions = fields.Integer()
    seats_offered = fields.Integer()
    seats_confirmed = fields.Integer()
    attended = fields.Integer()
    schools_reached = fields.Integer()
    named_participants = fields.Integer()
    class_pupils = fields.Integer()
    participants_reached = fields.Integer()
    age_bands = fields.Dict(keys=fields.String(), values=fields.Integer())
    age_unknown = fields.Integer()


class WorkshopRow(Schema):
    id = fields.Integer()
    title = fields.String()
    sessions = fields.Integer()
    seats_offered = fields.Integer()
    seats_confirmed = fields.Integer()
    attended = fields.Integer()
    class_pupils = fields.Integer()
    schools_reached = fields.Integer()


class SchoolRow(Schema):
    id = fields.Integer()
    name = fields.String()
    sessions = fields.Integer()
    classes = fields.Integer()
    seats_confirmed = fields.Integer()
    pupils_attended = fields.Integer()


class PeriodReport(Schema):
    from_ = fields.String(attribute="from", data_key="from")
    to = fields.String(metadata={"description": "exclusive"})
    starts_on = fields.String()
    ends_on = fields.String(metadata={"description": "the last day (inclusive)"})
    days = fields.Integer()
    site_id = fields.Integer(allow_none=True)
    site_name = fields.String(allow_none=True)
    site_ids = fields.List(fields.Integer())
    sites = fields.List(fields.Nested(PeriodSite))
    units = fields.List(fields.Nested(UnitFigures))
    categories = fields.List(fields.Nested(CategoryFigures))
    totals = fields.Nested(TotalFigures)
    workshops = fields.Nested(WorkshopFigures)
    per_month = fields.List(fields.Nested(MonthFigures))
    per_workshop = fields.List(fields.Nested(WorkshopRow))
    per_school = fields.List(fields.Nested(SchoolRow))
    age_year = fields.Integer(metadata={"description": "ages = this year minus birth year"})
    age_bands = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "named participants: <10, 10-13, 14-17, 18+"})
    age_unknown = fields.Integer(
        metadata={"description": "named participants without a birth year"})
    named_participants = fields.Integer()
    class_pupils = fields.Integer(metadata={"description": "attended class headcounts (no ages)"})
    heatmap = fields.Nested(PeriodHeatmap)
    generated_at = fields.String()
