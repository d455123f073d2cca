"""JSON API of the monthly reports (月报): read submitted versions and who has submitted, submit a month."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import StrictSchema
from base_ops.org.models import RegionLevel
from base_ops.reports.models import MonthlyReport
from base_ops.reports.monthly import services as monthly

blp = Blueprint("monthly_api", __name__, description="Monthly reports")

# Years 1900-2099: a month next to year 1 or 9999 has no neighbour to compute a due day with.
_MONTH = ma.validate.Regexp(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", error="must be a month YYYY-MM")
_STATUSES = [s.value for s in monthly.Status]


class MonthlyArgsSchema(StrictSchema):
    region_code = ma.fields.String(load_default=None,
                                   metadata={"description": "a county, city or province in your region; "
                                                            "default your own region"})
    month = ma.fields.String(required=True, validate=_MONTH, metadata={"description": "YYYY-MM"})


class MonthlySubmitSchema(StrictSchema):
    region_code = ma.fields.String(required=True, metadata={"description": "your own county"})
    month = ma.fields.String(required=True, validate=_MONTH,
                             metadata={"description": "YYYY-MM, a finished month"})
    reason = ma.fields.String(load_default=None, allow_none=True,
                              metadata={"description": "required for a correction (version 2 on)"})


class MonthlyReportSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    region_code = ma.fields.String(required=True)
    region_name = ma.fields.String(required=True)
    month = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    figures = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), required=True,
                             metadata={"description": "frozen as submitted: counts as integers, rates 0–1 or "
                                                      "null, money as decimal strings"})
    reason = ma.fields.String(allow_none=True, required=True)
    submitted_by_id = ma.fields.Integer(required=True)
    submitted_by_name = ma.fields.String(required=True)
    submitted_at = ma.fields.DateTime(required=True)
    on_time = ma.fields.Boolean(required=True, metadata={"description": "this version came by the due date"})


class CountyStatusSchema(ma.Schema):
    region_code = ma.fields.String(required=True)
    region_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": _STATUSES,
                                                       "description": "on time or late by the first version; "
                                                                      "missing before the due date, then overdue"})
    latest_version = ma.fields.Integer(allow_none=True, required=True)
    first_submitted_at = ma.fields.DateTime(allow_none=True, required=True)
    latest_submitted_at = ma.fields.DateTime(allow_none=True, required=True)


class RollupSchema(ma.Schema):
    included = ma.fields.Integer(required=True, metadata={"description": "counties whose figures are summed"})
    expected = ma.fields.Integer(required=True, metadata={"description": "counties that report (have a base)"})
    figures = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True), required=True,
                             metadata={"description": "counts summed, rates recomputed from the sums"})


class MonthlyOverviewSchema(ma.Schema):
    region_code = ma.fields.String(required=True)
    region_name = ma.fields.String(required=True)
    level = ma.fields.String(required=True, metadata={"enum": [lvl.value for lvl in RegionLevel]})
    month = ma.fields.String(required=True)
    due_on = ma.fields.Date(required=True)
    status = ma.fields.String(metadata={"enum": _STATUSES, "description": "a county: its standing"})
    versions = ma.fields.List(ma.fields.Nested(MonthlyReportSchema),
                              metadata={"description": "a county: every version, oldest first"})
    counties = ma.fields.List(ma.fields.Nested(CountyStatusSchema),
                              metadata={"description": "a city or province: each county under it"})
    rollup = ma.fields.Nested(RollupSchema, metadata={"description": "a city or province: the roll-up"})


def _report(report: MonthlyReport) -> dict:
    return {"id": report.id, "region_code": report.region_code, "region_name": report.region.name,
            "month": report.month, "version": report.version, "figures": report.figures, "reason": report.reason,
            "submitted_by_id": report.submitted_by_id, "submitted_by_name": report.submitted_by.display_name,
            "submitted_at": report.submitted_at,
            "on_time": monthly.submitted_on(report) <= monthly.due_on(report.month, report.region_code)}


def _county_status(row: monthly.CountyMonth) -> dict:
    return {"region_code": row.region.code, "region_name": row.region.name, "status": row.status.value,
            "latest_version": row.latest.version if row.latest else None,
            "first_submitted_at": row.first.submitted_at if row.first else None,
            "latest_submitted_at": row.latest.submitted_at if row.latest else None}


@blp.route("/reports/monthly", methods=["GET"])
@blp.arguments(MonthlyArgsSchema, location="query")
@blp.response(200, MonthlyOverviewSchema)
def get_monthly(args):
    """A county: its versions of the month. A city or province: each county's standing (on time, late,
    missing, overdue) and the roll-up of the latest submitted versions. Outside your region: `404`."""
    actor = current_actor()
    region = monthly.region_in_scope(actor, args["region_code"] or actor.region_code)
    month = args["month"]
    body = {"region_code": region.code, "region_name": region.name, "level": RegionLevel(region.level).value,
            "month": month, "due_on": monthly.due_on(month, region.code)}
    if RegionLevel(region.level) == RegionLevel.COUNTY:
        standing = monthly.county_month(actor, region.code, month)
        body.update(status=standing.status.value, versions=[_report(v) for v in
                                                            monthly.versions(actor, region.code, month)])
        return body
    board = monthly.board(actor, region.code, month)
    body.update(counties=[_county_status(row) for row in board.counties],
                rollup={"included": board.included, "expected": board.expected, "figures": board.rollup})
    return body


@blp.route("/reports/monthly", methods=["POST"])
@blp.arguments(MonthlySubmitSchema)
@blp.response(201, MonthlyReportSchema)
def submit_monthly(body):
    """Submit your county's finished month: its figures are frozen as a new version. A second submission is a
    correction and needs a `reason` (`422`); a version submitted at the same moment by someone else: `409`."""
    return _report(monthly.submit_month(current_actor(), body["region_code"], body["month"], body["reason"]))
