"""Training reports: a course's attendance sheet (residents x sessions, P/L/A/E, rates) as rows
for the page and as a spreadsheet with Chinese headers (rates as percent cells)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from base_ops.core import clock
from base_ops.core.excel import Column, Sheet, generate_xlsx
from base_ops.training import queries
from base_ops.training.models import Course, CourseSession

LETTERS = {"present": "P", "late": "L", "absent": "A", "excused": "E"}
LEGEND = "P 出勤 · L 迟到 · A 缺勤 · E 请假"


@dataclass
class SheetRow:
    progress: queries.ProgressRow
    marks: list[str]  # one letter (or "") per session


@dataclass
class AttendanceSheet:
    course: Course
    on: date
    sessions: list[CourseSession]
    rows: list[SheetRow]

    @property
    def held(self) -> list[CourseSession]:
        return [s for s in self.sessions if s.held_on <= self.on]


def attendance_sheet(course: Course, on: date | None = None) -> AttendanceSheet:
    """Every enrolment (by name) x every session of the course; three queries in all."""
    on = on or clock.today()
    sessions = queries.sessions_of(course)
    grid = queries.attendance_grid(course)
    rows = [SheetRow(p, [LETTERS.get(grid.get((p.enrolment_id, s.id), ""), "") for s in sessions])
            for p in queries.progress(course, on)]
    return AttendanceSheet(course, on, sessions, rows)


def attendance_sheet_xlsx(sheet: AttendanceSheet) -> bytes:
    course = sheet.course
    trainer = course.trainer.display_name if course.trainer else "—"
    columns = [Column("序号", 6, "int"), Column("姓名", 12), Column("状态", 8),
               *(Column(s.held_on.strftime("%m-%d"), 7) for s in sheet.sessions),
               Column("已上课次", 9, "int"), Column("出勤（含迟到）", 10, "int"), Column("请假", 8, "int"),
               Column("出勤率", 9, "percent"), Column("是否结业", 9), Column("证书编号", 18)]
    rows = ([i, r.progress.name, "在读" if r.progress.status == "enrolled" else "已退出", *r.marks,
             r.progress.sessions_held, r.progress.attended, r.progress.excused, r.progress.attendance_rate,
             "是" if r.progress.completed else "否", r.progress.certificate_number or ""]
            for i, r in enumerate(sheet.rows, start=1))
    threshold = queries.percent(course.completion_threshold)
    dates = f"{course.starts_on.isoformat()} 至 {course.ends_on.isoformat()}"
    content = Sheet(
        name="考勤表",
        title=f"{course.title}（{course.skill}）考勤表",
        filters=[f"{course.base.name} · 培训师：{trainer} · {dates}",
                 f"统计截至 {sheet.on.isoformat()} · 结业标准：出勤率 ≥ {threshold}",
                 f"出勤率 =（出勤 + 迟到）÷（已上课次 − 请假） · {LEGEND}"],
        columns=columns,
        rows=rows,
        identity_columns=2,  # 序号 and 姓名 on every printed page
    )
    return generate_xlsx([content])
