"""Bulk import of release notices: preview (nothing written), confirm, only-valid, file checks, ownership, speed."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from stdnum.cn import ric

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import importer as notices_import
from base_ops.intake.notices import services as notices
from tests.intake.test_notices import freeze_today, notice_count, notice_fields
from tests.intake.test_workdays import count_queries


@pytest.fixture
def frozen_today(monkeypatch):
    return freeze_today(monkeypatch)


ZH_HEADERS = ["身份证号", "姓名", "监狱名称", "监狱所在地代码", "预计释放日期", "收到日期", "接收地代码",
              "危险性评估", "救助建议", "是否重点帮教对象"]


@pytest.fixture(autouse=True)
def own_upload_folder(app, tmp_path, monkeypatch):
    """Each test sees only its own uploads."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


def make_id(n: int) -> str:
    """A distinct valid ID number of someone born in 西湖区 (330106) in 1985-1986."""
    birth = date(1985, 1, 1) + timedelta(days=n // 900)
    body = f"330106{birth:%Y%m%d}{n % 900 + 100:03d}"
    return body + ric.calc_check_digit(body + "0")


def good_row(n: int) -> list:
    return [make_id(n), f"测试{n}", "浙江省第一监狱", "330110", date(2026, 12, 1) + timedelta(days=n % 60),
            date(2026, 11, 2) + timedelta(days=n % 18), "330106", "", "", "是" if n % 3 == 0 else "否"]


def xlsx_bytes(rows: list[list], headers=ZH_HEADERS) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("通知书")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], headers=ZH_HEADERS, encoding="utf-8") -> bytes:
    def cell(v):
        return v.isoformat() if isinstance(v, date) else str(v)

    lines = [",".join(headers)] + [",".join(cell(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(client, data: bytes, filename: str):
    return client.post("/notices/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def session_token(client) -> str:
    with client.session_transaction() as session:
        return session["notice_imports"][-1]


def import_dir(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"]) / "imports"


# ---------------------------------------------------------------- the 2,000-row sheet

BAD = {
    # spreadsheet row -> how the row is spoiled
    7: ("id_number", lambda r: r.__setitem__(0, r[0][:-1] + ("0" if r[0][-1] != "0" else "1"))),
    150: ("name", lambda r: r.__setitem__(1, "")),
    333: ("received_on", lambda r: r.__setitem__(5, date(2026, 11, 25))),  # future
    512: ("expected_release_on", lambda r: r.__setitem__(4, "2026-13-01")),
    777: ("receiving_region_code", lambda r: r.__setitem__(6, "330110")),  # not manager_a's county
    901: ("receiving_region_code", lambda r: r.__setitem__(6, "330100")),  # a city
    1200: ("prison_region_code", lambda r: r.__setitem__(3, "999999")),
    1500: ("is_key_subject", lambda r: r.__setitem__(9, "也许")),
    1750: ("id_number", "duplicate of row 10"),
    2001: ("id_number", "already registered"),
}


def two_thousand_rows(registered_id: str) -> list[list]:
    rows = [good_row(i) for i in range(2000)]  # data row i is spreadsheet row i + 2
    for sheet_row, (_field, spoil) in BAD.items():
        row = rows[sheet_row - 2]
        if callable(spoil):
            spoil(row)
    rows[1750 - 2][0], rows[1750 - 2][4] = rows[10 - 2][0], rows[10 - 2][4]
    rows[2001 - 2][0], rows[2001 - 2][4] = registered_id, date(2026, 12, 18)
    return rows


def test_two_thousand_rows_ten_bad_preview_fast_then_import_valid_only(app, world, login_as, db, frozen_today):
    existing = notices.register_notice(world.manager_a, **notice_fields(id_number=make_id(5000)))
    data = xlsx_bytes(two_thousand_rows(existing.id_number))
    client = login_as(world.manager_a)
    before = notice_count(db)

    started = time.perf_counter()
    response = upload(client, data, "第一监狱2026年11月.xlsx")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 10, f"preview took {elapsed:.1f} s"
    html = response.get_data(as_text=True)
    assert "1990" in html and "2000" in html
    assert notice_count(db) == before  # nothing written on upload

    token = session_token(client)
    check = notices_import.preview_import(world.manager_a, token)
    assert (check.rows, len(check.valid), check.invalid_rows) == (2000, 1990, 10)
    assert {e.row for e in check.errors} == set(BAD)
    assert {(e.row, e.field) for e in check.errors} == {(row, field) for row, (field, _) in BAD.items()}
    assert any(e.row == 1750 and "10" in e.reason for e in check.errors)
    for e in check.errors:
        assert f">{e.row}<" in html  # every bad row is listed on the preview page
    # Each error names its column by the Chinese heading only, never the field's code (issue 17).
    for e in check.errors:
        assert f"{e.field}</span>" not in html and f">{e.field}<" not in html
    assert "身份证号" in html
    # The page's one button imports the valid rows: it sends valid_only itself, no box to tick (issue 17).
    assert '<input type="hidden" name="valid_only" value="y">' in html and 'type="checkbox"' not in html

    refused = client.post("/notices/import/confirm", data={"token": token})
    assert refused.status_code == 409
    assert notice_count(db) == before

    done = client.post("/notices/import/confirm", data={"token": token, "valid_only": "y"})
    assert done.status_code == 302
    assert notice_count(db) == before + 1990
    imported = db.session.scalars(select(ReleaseNotice).where(ReleaseNotice.created_by_id == world.manager_a.id,
                                                              ReleaseNotice.id != existing.id)).all()
    assert len(imported) == 1990
    sample = next(n for n in imported if n.id_number == make_id(0))
    assert sample.received_on == date(2026, 11, 2) and sample.feedback_due_on == date(2026, 11, 9)
    assert sample.is_key_subject is True and sample.receiving_region_code == "330106"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notices_imported")).all()
    assert len(events) == 1
    details = events[0].details_dict
    assert (details["rows"], details["imported"], details["skipped"]) == (2000, 1990, 10)
    assert not list(import_dir(app).glob(f"{token}.*"))  # the temporary file is gone
    # The same token cannot be imported twice.
    again = client.post("/notices/import/confirm", data={"token": token, "valid_only": "y"})
    assert again.status_code == 302
    assert notice_count(db) == before + 1990


def test_preview_does_not_query_per_row(world, db, frozen_today):
    rows = [good_row(i) for i in range(300)]
    token = notices_import.store_upload(world.manager_a, "a.xlsx", io.BytesIO(xlsx_bytes(rows)))
    with count_queries(db) as statements:
        check = notices_import.preview_import(world.manager_a, token)
    assert len(check.valid) == 300
    assert len(statements) <= 4, statements


# ---------------------------------------------------------------- formats

def test_gbk_csv_with_chinese_headers_blank_lines_and_office_date_formats(world, login_as, db, frozen_today):
    headers = [*ZH_HEADERS[:-1], "是否重点帮教对象（是/否）"]
    rows = [good_row(1), good_row(2), good_row(3)]
    rows[1][4] = "2026/12/05"
    rows[2][5] = "2026年11月18日"
    text = csv_bytes(rows, headers, "gbk").decode("gbk").split("\r\n")
    text.insert(2, ",,,,,,,,,")  # a blank line: spreadsheet row 3
    rows_bad = "\r\n".join(text).replace(make_id(3), make_id(3)[:-1] + "Y")
    check = notices_import.upload_import(world.manager_a, "名单.CSV", io.BytesIO(rows_bad.encode("gbk")))
    assert [row for row, _ in check.valid] == [2, 4]
    assert [(e.row, e.field) for e in check.errors] == [(5, "id_number")]
    assert check.valid[1][1]["expected_release_on"] == date(2026, 12, 5)


def test_utf8_csv_with_api_field_names(world, db, frozen_today):
    headers = list(notices.NOTICE_FIELDS)
    data = b"\xef\xbb\xbf" + csv_bytes([good_row(1), good_row(2)], headers)
    check = notices_import.upload_import(world.officer_x, "notices.csv", io.BytesIO(data))
    assert len(check.valid) == 2 and not check.errors
    notices_import.confirm_import(world.officer_x, check.token, valid_only=False)
    assert db.session.scalar(select(func.count()).select_from(ReleaseNotice).where(
        ReleaseNotice.created_by_id == world.officer_x.id)) == 2


def test_all_valid_imports_without_the_checkbox(world, login_as, db, frozen_today):
    client = login_as(world.manager_a)
    before = notice_count(db)
    assert upload(client, xlsx_bytes([good_row(i) for i in range(5)]), "ok.xlsx").status_code == 200
    response = client.post("/notices/import/confirm", data={"token": session_token(client)})
    assert response.status_code == 302
    assert notice_count(db) == before + 5


def test_missing_columns_are_a_file_error_and_the_file_is_not_kept(app, world, login_as, db, frozen_today):
    data = xlsx_bytes([good_row(1)[:3]], ZH_HEADERS[:3])
    response = upload(login_as(world.manager_a), data, "short.xlsx")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "监狱所在地代码" in html and "invalid-feedback" in html
    assert not list(import_dir(app).glob("*.xlsx"))


# ---------------------------------------------------------------- file checks

def fake_xlsx_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "filename"), [
    (b"id,name\n1,2\n", "list.txt"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "evil.exe"),
    (b"id_number,name\n", "noextension"),
    (b"<html>not excel</html>", "notices.xlsx"),
    (fake_xlsx_without_workbook(), "notices.xlsx"),
    (b"PK\x03\x04 zip pretending to be text", "notices.csv"),
    (b"\x00\x01\x02binary", "notices.csv"),
    (b"", "empty.csv"),
    (b"PK\x03\x04" + b"\x00" * 100, "broken.xlsx"),
])
def test_file_type_refusal(app, world, login_as, db, frozen_today, data, filename):
    response = upload(login_as(world.manager_a), data, filename)
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert not [p for p in import_dir(app).glob("*") if p.suffix in (".xlsx", ".csv", ".txt", ".exe")]


def test_file_over_five_megabytes_is_refused(world, db):
    with pytest.raises(ValidationFailed) as caught:
        notices_import.store_upload(world.manager_a, "big.csv", io.BytesIO(b"a" * (5 * 1024 * 1024 + 1)))
    assert "file" in caught.value.fields


def test_unreadable_spreadsheet_is_a_clear_error(world, db):
    with pytest.raises(ValidationFailed) as caught:
        notices_import.upload_import(world.manager_a, "broken.csv", io.BytesIO(b'"unterminated,\n'))
    assert "file" in caught.value.fields


def test_upload_is_stored_outside_static(app, world, db):
    token = notices_import.store_upload(world.manager_a, "a.xlsx", io.BytesIO(xlsx_bytes([good_row(1)])))
    stored = import_dir(app) / f"{token}.xlsx"
    assert stored.exists()
    assert Path(app.static_folder).resolve() not in stored.resolve().parents


# ---------------------------------------------------------------- ownership

def test_another_user_cannot_confirm_your_upload(world, login_as, db, frozen_today):
    owner = login_as(world.manager_a)
    upload(owner, xlsx_bytes([good_row(1)]), "a.xlsx")
    token = session_token(owner)
    before = notice_count(db)
    # Another user, another session: the token is refused by the page and by the service.
    thief = login_as(world.officer_x)
    response = thief.post("/notices/import/confirm", data={"token": token, "valid_only": "y"})
    assert response.status_code == 302
    assert notice_count(db) == before
    with pytest.raises(NotFound):
        notices_import.confirm_import(world.officer_x, token, valid_only=True)
    with pytest.raises(NotFound):
        notices_import.preview_import(world.officer_x, token)
    # The owner still can.
    assert owner.post("/notices/import/confirm", data={"token": token}).status_code == 302
    assert notice_count(db) == before + 1


def test_the_session_holds_the_token_too(world, login_as, db, frozen_today):
    """The same user in a fresh session without the upload cannot use a token seen elsewhere."""
    first = login_as(world.manager_a)
    upload(first, xlsx_bytes([good_row(1)]), "a.xlsx")
    token = session_token(first)
    second = login_as(world.manager_a)
    before = notice_count(db)
    assert second.post("/notices/import/confirm", data={"token": token}).status_code == 302
    assert notice_count(db) == before


@pytest.mark.parametrize("token", ["../../etc/passwd", "ABCDEF" * 5 + "AB", "0" * 31, ""])
def test_malformed_tokens(world, login_as, db, token):
    with pytest.raises(NotFound):
        notices_import.confirm_import(world.manager_a, token, valid_only=True)
    response = login_as(world.manager_a).post("/notices/import/confirm", data={"token": token})
    assert response.status_code == 302


# ---------------------------------------------------------------- confirm re-checks, atomicity

def test_confirm_checks_again(world, db, frozen_today):
    rows = [good_row(1), good_row(2)]
    check = notices_import.upload_import(world.manager_a, "a.xlsx", io.BytesIO(xlsx_bytes(rows)))
    assert not check.errors
    # Meanwhile somebody registers row 3's person through the API.
    notices.register_notice(world.officer_x, **notice_fields(id_number=make_id(2),
                                                             expected_release_on=rows[1][4]))
    with pytest.raises(Conflict) as caught:
        notices_import.confirm_import(world.manager_a, check.token, valid_only=False)
    assert caught.value.code == "import_has_errors"
    done = notices_import.confirm_import(world.manager_a, check.token, valid_only=True)
    assert [row for row, _ in done.valid] == [2]


def test_import_is_one_transaction(world, db, frozen_today, monkeypatch):
    check = notices_import.upload_import(world.manager_a, "a.xlsx",
                                         io.BytesIO(xlsx_bytes([good_row(i) for i in range(20)])))
    before = notice_count(db)

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("base_ops.intake.notices.importer.audit.record", broken)
    with pytest.raises(RuntimeError):
        notices_import.confirm_import(world.manager_a, check.token, valid_only=False)
    db.session.rollback()
    assert notice_count(db) == before


def test_nothing_valid_is_refused(world, db, frozen_today):
    row = good_row(1)
    row[1] = ""
    check = notices_import.upload_import(world.manager_a, "a.xlsx", io.BytesIO(xlsx_bytes([row])))
    with pytest.raises(ValidationFailed):
        notices_import.confirm_import(world.manager_a, check.token, valid_only=True)


def test_import_pages_refused_to_other_roles(world, login_as):
    for user in (world.admin, world.trainer_a, world.enterprise_user, world.auditor):
        client = login_as(user)
        assert client.get("/notices/import").status_code == 403
        assert client.post("/notices/import/confirm", data={"token": "0" * 32}).status_code == 403

