"""JSON API of the reports (docs/api.md "Reports"): occupancy and placements as rows and a total, and every
report as a spreadsheet. Scope is resolved first: a region or base outside the caller's is a 404."""

from __future__ import annotations

from itertools import combinations

import marshmallow as ma
from flask import Response
from flask_babel import gettext as _
from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import BINARY, StrictSchema
from base_ops.core.excel import XLSX_MIMETYPE
from base_ops.reports.dashboard import spreadsheets
from base_ops.reports.metrics import figures as F
from base_ops.reports.metrics.filters import DIMENSIONS, resolve_filter
from base_ops.reports.metrics.periods import default_period
from base_ops.reports.metrics.queries import PLACEMENT_REPORT, follow_up, occupancy, placements

blp = Blueprint("reports_api", __name__, description="Reports")


# group_by as documented: one dimension or several, comma-separated in this order (parse_group_by also takes
# them in any order); an enum, so generated clients offer the choices (issue 21).
GROUPINGS = [",".join(dims) for count in range(1, len(DIMENSIONS) + 1) for dims in combinations(DIMENSIONS, count)]


class ReportArgsSchema(StrictSchema):
    region_code = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^\d{6}$"))
    base_id = ma.fields.Integer(load_default=None)
    start = ma.fields.Date(data_key="from", load_default=None)
    end = ma.fields.Date(data_key="to", load_default=None, metadata={"description": "exclusive"})
    group_by = ma.fields.String(load_default="base", metadata={
        "enum": GROUPINGS, "description": "base, month, region or a comma list of them"})

    @ma.validates_schema
    def _one_scope(self, data, **_kwargs):
        if data.get("region_code") and data.get("base_id") is not None:
            raise ma.ValidationError(_("Give region_code or base_id, not both."), "base_id")


def _row_schema(name: str, figures: list[F.Figure], extra: tuple[str, ...] = ()) -> type[ma.Schema]:
    fields: dict[str, ma.fields.Field] = {
        "key": ma.fields.String(required=True),
        "region_code": ma.fields.String(), "region_name": ma.fields.String(),
        "base_id": ma.fields.Integer(), "base_name": ma.fields.String(), "month": ma.fields.String(),
    }
    for figure in figures:
        if figure.kind == "count":
            fields[figure.key] = ma.fields.Integer(required=True)
        elif figure.kind == "money":
            fields[figure.key] = ma.fields.String(required=True)
        else:
            fields[figure.key] = ma.fields.Float(required=True, allow_none=True)
    for key in extra:
        fields[key] = ma.fields.Float(required=True, allow_none=True)
    return ma.Schema.from_dict(fields, name=name)


def _report_schema(name: str, row_schema) -> type[ma.Schema]:
    return ma.Schema.from_dict({"rows": ma.fields.List(ma.fields.Nested(row_schema), required=True),
                                "total": ma.fields.Nested(row_schema, required=True)}, name=name)


OccupancyRow = _row_schema("OccupancyRow", F.OCCUPANCY)
PlacementsRow = _row_schema("PlacementsRow", PLACEMENT_REPORT, extra=("median_stay_days",))
OccupancyReportSchema = _report_schema("OccupancyReport", OccupancyRow)
PlacementsReportSchema = _report_schema("PlacementsReport", PlacementsRow)
FollowUpRow = _row_schema("FollowUpRow", F.FOLLOW_UP)
FollowUpReportSchema = _report_schema("FollowUpReport", FollowUpRow)


def _filter(args):
    start, end = default_period(args["start"], args["end"])
    return resolve_filter(current_actor(), start=start, end=end, region_code=args["region_code"],
                          base_id=args["base_id"], group_by=args["group_by"])


@blp.route("/reports/occupancy", methods=["GET"])
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, OccupancyReportSchema)
def occupancy_report(args):
    """入住率: occupied ÷ available bed-nights of [from, to), cut at tonight; rate 0–1 or null."""
    return occupancy(_filter(args)).as_dict()


@blp.route("/reports/placements", methods=["GET"])
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, PlacementsReportSchema)
def placements_report(args):
    """就业安置率 of leavers in [from, to): employed ÷ leavers not excluded; reoffence; length of stay."""
    return placements(_filter(args)).as_dict()


@blp.route("/reports/follow-ups", methods=["GET"])
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, FollowUpReportSchema)
def follow_up_report(args):
    """帮教回访: dues done ÷ dues falling due in [from, to); people who reoffended within their support period ÷
    people whose support period after discharge overlaps [from, to) (docs/domain.md "Rates and reports")."""
    return follow_up(_filter(args)).as_dict()


# The report names are the route's own choices (an enum in the document; any other name is a 404).
@blp.route(f"/reports/<any({', '.join(spreadsheets.NAMES)}):name>.xlsx", methods=["GET"])
@blp.arguments(ReportArgsSchema, location="query")
@blp.response(200, BINARY, content_type=XLSX_MIMETYPE,
              description="The report as an .xlsx spreadsheet (occupancy, placements, overview or subsidies).")
def report_spreadsheet(args, name: str):
    f = _filter(args)
    content = spreadsheets.download(current_actor(), name, f)
    return Response(content, mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": spreadsheets.content_disposition(name, f)})

