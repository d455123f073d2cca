"""Meal exports: the spreadsheets of the roster and of the monthly cost (audited, with row counts).

An export only reads; its one write is the audit row, a unit of work of its own once the spreadsheet is
built (core/unit_of_work.py: on SQLite the unit's start ends the read, so the write waits for a busy lock
instead of failing).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from base_ops.core import audit
from base_ops.core.excel import Column, Sheet, generate_xlsx
from base_ops.core.unit_of_work import unit_of_work
from base_ops.meals import queries
from base_ops.meals.vocabulary import DIET_LABELS, MEAL_LABELS
from base_ops.org.models import Base


def export_roster(actor, base: Base, day: date) -> bytes:
    counts = queries.diet_counts(base.id, day)
    lines = queries.roster_lines(base.id, day)
    summary = Sheet(
        name="就餐统计",
        title=f"{base.name} 就餐名单",
        filters=[f"基地：{base.name}", f"日期：{day.isoformat()}", f"就餐人数：{sum(counts.values())}"],
        columns=[Column("餐别", 10), *(Column(str(DIET_LABELS[d]), 10, "int") for d in counts),
                 Column("合计", 10, "int")],
        rows=[[str(MEAL_LABELS[m]), *counts.values(), sum(counts.values())] for m in queries.MEALS],
    )
    detail = Sheet(
        name="名单",
        title=f"{base.name} 就餐名单（姓名）",
        filters=[f"基地：{base.name}", f"日期：{day.isoformat()}", f"就餐人数：{len(lines)}"],
        identity_columns=2,
        columns=[Column("序号", 6, "int"), Column("姓名", 14), Column("饮食", 10), Column("房间", 10),
                 Column("床位", 8)],
        rows=([i, line.name, str(DIET_LABELS[line.diet]), line.room or "", line.bed or ""]
              for i, line in enumerate(lines, start=1)),
    )
    content = generate_xlsx([summary, detail])
    with unit_of_work():
        audit.record(actor, "export", base, export="meal_roster", day=day.isoformat(), rows=len(lines))
    return content


def export_monthly_cost(actor, bases: list[Base], month: date, until: date) -> bytes:
    costs = queries.monthly_cost(bases, month, until)
    sheet = Sheet(
        name="伙食费",
        title=_("Meal cost") + f" {month.strftime('%Y-%m')}",
        filters=[f"统计区间：{month.strftime('%Y-%m')}（截至 {until.isoformat()} 前）"],
        columns=[Column("基地", 28), Column("伙食标准（元/人·天）", 14, "money"), Column("就餐人天", 12, "int"),
                 Column("伙食费（元）", 14, "money")],
        rows=[[c.base.name, c.base.meal_standard, c.resident_days, c.cost] for c in costs],
        totals=["合计", None, sum(c.resident_days for c in costs), sum(c.cost for c in costs)],
    )
    content = generate_xlsx([sheet])
    with unit_of_work():
        audit.record(actor, "export", object_type="meal_cost", object_id=month.strftime("%Y-%m"), rows=len(costs))
    return content
