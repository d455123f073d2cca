"""衔接回执: the receipt of a release notice (docs/api.md "Documents")."""

from __future__ import annotations

from datetime import date

from tests.documents.conftest import audit_rows, keep_picture, pdf_text, poppler_text


def test_receipt_prints_the_notice_with_masked_id(world, login_as, db):
    notice = world.notice_x
    notice.feedback_sent_on = date(2026, 11, 20)
    notice.feedback_arrangement = "由西湖区司法局派员接回，安置于基地A"
    db.session.commit()
    response = login_as(world.manager_a).get(f"/release-notices/{notice.id}/receipt.pdf")
    text = pdf_text(response)
    assert "王五" in text and "浙江省第二监狱" in text
    assert "110105********002X" in text and "11010519491231002X" not in text
    assert f"回执〔2026〕330106-{notice.id:05d}" in text
    assert "2026-11-16" in text and "2026-11-23" in text and "2026-12-20" in text
    assert "由西湖区司法局派员接回" in text
    assert "西湖区司法局" in text and "经办人" in text and "第1页共1页" in text
    assert "inline;" in response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    poppler = poppler_text(response.data)
    assert not poppler or "王五" in poppler
    (row,) = audit_rows(db)
    assert row.object_type == "ReleaseNotice" and row.object_id == str(notice.id)
    assert row.details_dict["document"] == "receipt"
    keep_picture(response.data, "receipt")


def test_receipt_is_scoped_like_the_notice(world, login_as, api_headers, client, db):
    notice = world.notice_x
    assert login_as(world.manager_b).get(f"/release-notices/{notice.id}/receipt.pdf").status_code == 404
    assert client.get(f"/api/v1/release-notices/{notice.id}/receipt.pdf",
                      headers=api_headers(world.officer_y)).status_code == 404
    assert login_as(world.enterprise_user).get(f"/release-notices/{notice.id}/receipt.pdf").status_code == 403
    assert audit_rows(db) == []
    response = client.get(f"/api/v1/release-notices/{notice.id}/receipt.pdf", headers=api_headers(world.officer_x))
    assert "王五" in pdf_text(response)
    assert audit_rows(db)[0].details_dict["via"] == "api"
