"""Detail exports (reports/exports/spreadsheets.py): content read back with openpyxl, formula safety, totals, scope."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from stdnum.cn import ric

from base_ops.core.errors import NotFound
from base_ops.reports.exports import spreadsheets as exports
from base_ops.reports.metrics.filters import resolve_filter

TODAY = date(2026, 11, 21)
YEAR = {"start": date(2026, 1, 1), "end": date(2027, 1, 1)}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("base_ops.reports.exports.spreadsheets.today", lambda: TODAY)


def make_id(n: int) -> str:
    body = f"33011019800101{n:03d}"
    return body + ric.calc_check_digit(body)


def add_stay(db, base, name, n, admitted, discharged=None, destination=None, sex="male", birth=date(1980, 1, 1)):
    from base_ops.intake.models import Stay
    from base_ops.residents.models import Resident

    person = Resident(id_number=make_id(n), name=name, sex=sex, birth_on=birth, hukou_region_code=base.region_code,
                      subject_type="released", released_on=date(2026, 1, 1), base_id=base.id)
    db.session.add(person)
    db.session.flush()
    stay = Stay(resident_id=person.id, base_id=base.id, admitted_on=admitted, discharged_on=discharged,
                destination=destination)
    db.session.add(stay)
    db.session.flush()
    return person, stay


def add_placement(db, world, person, base, started, ended=None, checks=(), cancelled=False):
    from base_ops.placements.models import Placement, Referral, RetentionCheck

    referral = Referral(posting_id=world.posting.id, resident_id=person.id, enterprise_id=world.enterprise.id,
                        base_id=base.id, status="hired")
    db.session.add(referral)
    db.session.flush()
    placement = Placement(referral_id=referral.id, resident_id=person.id, enterprise_id=world.enterprise.id,
                          started_on=started, contract_months=12, monthly_wage=Decimal("4000.50"),
                          social_insurance=False, ended_on=ended, end_reason="合同到期" if ended else None,
                          is_cancelled=cancelled)
    db.session.add(placement)
    db.session.flush()
    for mark, employed in checks:
        db.session.add(RetentionCheck(placement_id=placement.id, month_mark=mark, checked_on=started,
                                      employed=employed))
    db.session.flush()
    return placement


def read(kind, f):
    buffer = io.BytesIO()
    rows = exports.write_xlsx(kind, f, buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    return rows, book.active


def table(ws):
    """(lines above the header, header, data rows as cells, totals row as values)."""
    cells = list(ws.iter_rows())
    head = next(i for i, row in enumerate(cells) if row[0].value == "姓名")
    above = [row[0].value for row in cells[:head]]
    header = [c.value for c in cells[head]]
    body = cells[head + 1:-1]
    totals = [c.value for c in cells[-1]]
    return above, header, body, totals


def values(row):
    return [c.value for c in row]


# ---------------------------------------------------------------- placements

def test_placements_sheet_content(db, world):
    officer = world.officer_x
    early, _ = add_stay(db, world.base_a, "王二", 1, date(2026, 3, 1), date(2026, 4, 1), "employed")
    add_placement(db, world, early, world.base_a, date(2026, 4, 1), ended=date(2026, 8, 15),
                  checks=[(3, True)])  # 3 months (07-01) checked employed; ended before 6 months (10-01)
    cancelled, _ = add_stay(db, world.base_a, "赵六", 2, date(2026, 3, 1))
    add_placement(db, world, cancelled, world.base_a, date(2026, 5, 1), cancelled=True)
    db.session.commit()
    f = resolve_filter(officer, **YEAR)

    rows, ws = read("placements", f)

    assert rows == 2 == exports.count_rows("placements", f)
    above, header, body, totals = table(ws)
    assert above[0] == "就业安置人员明细"
    assert "统计期间：2026-01-01 至 2026-12-31" in above
    assert "地区：西湖区（330106）" in above
    assert header == ["姓名", "身份证号", "基地", "用人单位", "岗位", "入职日期", "合同期限（月）", "月工资（元）",
                      "社会保险", "离职日期", "离职原因", "3个月在岗", "6个月在岗"]
    assert ws.freeze_panes == f"A{len(above) + 2}"
    first, second = body
    assert values(first) == ["王二", make_id(1)[:6] + "********" + make_id(1)[-4:], "基地A", world.enterprise.name,
                             "物业保洁员", datetime(2026, 4, 1), 12, 4000.5, "否", datetime(2026, 8, 15), "合同到期",
                             "是", "否"]
    assert values(second)[0] == "张三"
    assert values(second)[1] == "330106********1231"
    assert values(second)[11:] == ["未到期", "未到期"]  # started 2026-11-10: no mark reached by 11-21
    id_cell = first[1]
    assert id_cell.data_type == "s"
    assert first[5].number_format == "yyyy-mm-dd"
    assert first[7].number_format == "#,##0.00"
    assert totals == ["合计", "2 人", None, None, None, None, None, None, "1 人", None, None, "1 人", "0 人"]


def test_employed_at_rules():
    start = date(2026, 1, 31)
    assert exports.employed_at(start, date(2026, 4, 29), None, 3, TODAY) == "否"  # left before 04-30
    assert exports.employed_at(start, date(2026, 4, 30), None, 3, TODAY) == "是"  # still there on the mark
    assert exports.employed_at(start, None, False, 3, TODAY) == "否"
    assert exports.employed_at(start, None, None, 3, TODAY) == "未核查"
    assert exports.employed_at(date(2026, 10, 1), None, None, 3, TODAY) == "未到期"


# ---------------------------------------------------------------- leavers and residents

def test_leavers_sheet_content(db, world):
    add_stay(db, world.base_a, "钱七", 3, date(2026, 1, 10), date(2026, 3, 1), "employed")
    add_stay(db, world.base_a, "孙八", 4, date(2026, 2, 1), date(2026, 2, 11), "reoffended")
    add_stay(db, world.base_a, "周九", 5, date(2025, 10, 1), date(2025, 12, 31), "employed")  # left before the period
    db.session.commit()
    f = resolve_filter(world.manager_a, **YEAR)

    rows, ws = read("leavers", f)

    above, header, body, totals = table(ws)
    assert rows == 2
    assert "基地：基地A" in above
    assert header == ["姓名", "身份证号", "基地", "入站日期", "离站日期", "在站天数", "去向", "就业安置"]
    assert values(body[0]) == ["孙八", make_id(4)[:6] + "********" + make_id(4)[-4:], "基地A", datetime(2026, 2, 1),
                               datetime(2026, 2, 11), 10, "重新犯罪（被羁押）", "否"]  # the stays module's label
    assert values(body[1])[5:] == [50, "就业安置", "是"]
    assert totals == ["合计", "2 人", None, None, None, 60, None, "1 人"]


def test_residents_sheet_content(db, world):
    add_stay(db, world.base_a, "吴十", 6, date(2026, 10, 1), date(2026, 11, 1), "relatives", sex="female",
             birth=date(1990, 11, 30))
    add_stay(db, world.base_a, "郑一", 7, date(2026, 10, 1), date(2026, 10, 1), "self_left")  # no night: not served
    db.session.commit()
    f = resolve_filter(world.officer_x, start=date(2026, 10, 1), end=date(2026, 11, 1))

    rows, ws = read("residents", f)

    _above, header, body, totals = table(ws)
    assert header == ["姓名", "身份证号", "性别", "年龄", "基地", "入站日期", "离站日期", "去向"]
    assert rows == 2  # 吴十 and 张三 (open since 09-12); 李四 is in county Y
    assert [values(r)[0] for r in body] == ["张三", "吴十"]
    assert values(body[0])[2:] == ["男", 41, "基地A", datetime(2026, 9, 12), "在站", None]
    assert values(body[1])[2:] == ["女", 35, "基地A", datetime(2026, 10, 1), datetime(2026, 11, 1), "投亲"]
    assert totals[:2] == ["合计", "2 人次"] and totals[6] == "在站 1 人"


# ---------------------------------------------------------------- safety and scope

@pytest.mark.parametrize("payload", ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_formula_payload_in_a_name_stays_text(db, world, payload):
    add_stay(db, world.base_a, payload, 8, date(2026, 2, 1), date(2026, 2, 11), "returned_home")
    db.session.commit()

    _rows, ws = read("leavers", resolve_filter(world.officer_x, **YEAR))

    _above, _header, body, _totals = table(ws)
    cell = body[0][0]
    # XlsxWriter stores a CR as the OOXML escape _x000D_ (Excel shows the CR); openpyxl does not unescape it.
    assert cell.value == payload.replace("\r", "_x000D_")
    assert cell.data_type == "s"  # a string cell, not a formula ("f")


def test_manager_of_base_a_gets_nothing_of_base_b(db, world):
    add_stay(db, world.base_b, "B的人", 9, date(2026, 2, 1), date(2026, 3, 1), "employed")
    db.session.commit()
    for kind in exports.EXPORT_KINDS:
        _rows, ws = read(kind, resolve_filter(world.manager_a, **YEAR))
        _above, _header, body, _totals = table(ws)
        assert all(row[2 if kind != "residents" else 4].value == "基地A" for row in body), kind
        assert "李四" not in {row[0].value for row in body} and "B的人" not in {row[0].value for row in body}
    with pytest.raises(NotFound):
        resolve_filter(world.manager_a, base_id=world.base_b.id, **YEAR)


def test_county_x_gets_nothing_of_county_y(db, world):
    add_stay(db, world.base_b, "Y的人", 10, date(2026, 2, 1), date(2026, 3, 1), "employed")
    db.session.commit()
    _rows, ws = read("leavers", resolve_filter(world.officer_x, **YEAR))
    assert table(ws)[2] == []
    _rows, ws = read("leavers", resolve_filter(world.officer_y, **YEAR))
    assert [row[0].value for row in table(ws)[2]] == ["Y的人"]
    _rows, ws = read("residents", resolve_filter(world.officer_y, **YEAR))
    assert {row[0].value for row in table(ws)[2]} == {"李四", "Y的人"}


def test_progress_is_reported_as_rows_go(db, world, monkeypatch):
    for n in range(5):
        add_stay(db, world.base_a, f"人{n}", 20 + n, date(2026, 2, 1), date(2026, 2, 11), "returned_home")
    db.session.commit()
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []

    rows = exports.write_xlsx("leavers", resolve_filter(world.officer_x, **YEAR), io.BytesIO(), progress=seen.append)

    assert rows == 5
    assert seen == [2, 4, 5]


def test_unknown_kind_is_refused(db, world):
    with pytest.raises(exports.UnknownKind):
        exports.count_rows("bank_accounts", resolve_filter(world.officer_x, **YEAR))
