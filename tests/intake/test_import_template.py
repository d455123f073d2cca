"""The release-notice import template (issue 21): the importer's own headers, data validation, notes, and a
template filled with one row imports cleanly."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from base_ops.intake.notices import importer as notices_import
from tests.intake.test_import import make_id, own_upload_folder  # noqa: F401 - the fixture, autouse there
from tests.intake.test_notices import freeze_today, notice_count

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def frozen_today(monkeypatch):
    return freeze_today(monkeypatch)


def test_the_template_has_exactly_the_headers_the_importer_reads():
    book = openpyxl.load_workbook(io.BytesIO(notices_import.template_xlsx()))
    assert book.sheetnames == ["释放通知书", "填写说明"]
    first = book["释放通知书"]
    headers = [c.value for c in first[1]]
    assert [notices_import._header_field(h) for h in headers] == [name for name, *_ in notices_import.TEMPLATE_COLUMNS]
    assert set(notices_import.LABELS) == {name for name, *_ in notices_import.TEMPLATE_COLUMNS}
    assert first.max_row == 1  # no sample row in the sheet that is imported
    rules = {str(v.sqref).split(":")[0]: v for v in first.data_validations.dataValidation}
    assert rules["E2"].type == "date" and rules["F2"].type == "date"  # expected release, received
    assert rules["D2"].type == "textLength" and rules["G2"].type == "textLength"  # region codes
    assert rules["J2"].type == "list" and "是" in rules["J2"].formula1
    notes = [[c.value for c in row] for row in book["填写说明"].iter_rows()]
    described = {row[1]: row for row in notes if row[1] in notices_import.LABELS}
    assert set(described) == set(notices_import.LABELS)
    assert described["risk_assessment"][2] == "选填" and described["id_number"][2] == "必填"


def test_the_template_filled_with_one_row_imports_cleanly(world, db, frozen_today):
    book = openpyxl.load_workbook(io.BytesIO(notices_import.template_xlsx()))
    sheet = book["释放通知书"]
    sheet.append([make_id(7), "模板测试", "浙江省第一监狱", "330110", date(2026, 12, 1), date(2026, 11, 2), "330106",
                  "", "建议过渡性安置", "否"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    before = notice_count(db)
    check = notices_import.upload_import(world.manager_a, "释放通知书导入模板.xlsx", buffer)
    assert check.errors == [] and len(check.valid) == 1
    notices_import.confirm_import(world.manager_a, check.token, valid_only=False)
    assert notice_count(db) == before + 1


def test_the_example_row_of_the_notes_is_itself_valid(world, db, frozen_today):
    """The example ID number in the notes is a valid one, and a header with its bracketed hint is read."""
    example = {name: example for name, _title, _w, _note, example in notices_import.TEMPLATE_COLUMNS}
    from stdnum.cn import ric

    assert ric.is_valid(example["id_number"])
    assert notices_import._header_field("是否重点帮教对象（是/否）") == "is_key_subject"


def test_the_page_links_the_template_and_serves_it(world, login_as):
    client = login_as(world.manager_a)
    page = client.get("/notices/import").get_data(as_text=True)
    assert 'href="/notices/import/template.xlsx"' in page
    response = client.get("/notices/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]  # the Chinese name, RFC 5987
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames[0] == "释放通知书"
    for user in (world.admin, world.trainer_a, world.enterprise_user, world.auditor):
        assert login_as(user).get("/notices/import/template.xlsx").status_code == 403


def test_the_api_serves_the_template(world, client, api_headers):
    response = client.get("/api/v1/release-notices/import-template.xlsx", headers=api_headers(world.officer_x))
    assert response.status_code == 200 and response.mimetype == XLSX
    assert openpyxl.load_workbook(io.BytesIO(response.data))["释放通知书"]["A1"].value == "身份证号"
    assert client.get("/api/v1/release-notices/import-template.xlsx",
                      headers=api_headers(world.trainer_a)).status_code == 403
