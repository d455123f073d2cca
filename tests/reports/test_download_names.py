"""Every spreadsheet download is named in Chinese (RFC 5987 `filename*`) with an ASCII fallback (issue 17)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from base_ops.core.excel import attachment


def _names(response) -> tuple[str, str]:
    header = response.headers["Content-Disposition"]
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    name = unquote(header.split("filename*=UTF-8''", 1)[1].split(";", 1)[0])
    return fallback, name


def test_attachment_header_has_both_names():
    header = attachment("考勤表-家政 初级/1.xlsx", "attendance-1.xlsx")
    assert header == ("attachment; filename=\"attendance-1.xlsx\"; "
                      "filename*=UTF-8''%E8%80%83%E5%8B%A4%E8%A1%A8-%E5%AE%B6%E6%94%BF%20%E5%88%9D%E7%BA%A7%2F1.xlsx")
    assert attachment("x", 'a"b\r\n.xlsx') == "attachment; filename=\"a_b__.xlsx\"; filename*=UTF-8''x"


@pytest.mark.parametrize("user, url, word", [
    ("officer_x", "/reports/occupancy.xlsx", "入住"),
    ("manager_a", "/meals/roster.xlsx", "用餐名单"),
    ("manager_a", "/meals/cost.xlsx?month=2026-11", "伙食费"),
    ("trainer_a", "/training/courses/{course}/sheet.xlsx", "考勤表"),
])
def test_spreadsheet_downloads_are_named_in_chinese(world, login_as, user, url, word):
    response = login_as(getattr(world, user)).get(url.format(course=world.course_a.id))
    assert response.status_code == 200
    fallback, name = _names(response)
    assert word in name and name.endswith(".xlsx")
    assert fallback.isascii() and fallback.endswith(".xlsx")


def test_a_direct_export_is_named_by_its_title(world, login_as):
    client = login_as(world.officer_x)
    response = client.post("/exports/", data={"kind": "placements", "from": "2026-01-01", "to": "2026-12-31"})
    assert response.status_code == 200
    fallback, name = _names(response)
    assert fallback.startswith("placements-2026-01-01-") and fallback.endswith(".xlsx")
    assert name.endswith(fallback.removeprefix("placements")) and not name.startswith("placements")
