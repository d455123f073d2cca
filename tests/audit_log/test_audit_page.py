"""The auditor's page speaks words (issue 17): actions and objects in Chinese, the object by what it is
("入住记录 张三 2026-11-02", not "Stay #75"), details as a list of label: value, never raw JSON, and no
command-line hint."""

from __future__ import annotations

from base_ops.core import audit


def test_the_audit_log_reads_as_words(world, login_as, db):
    stay = world.stay_a
    audit.record(world.manager_a, "stay_admitted", stay, resident_id=stay.resident_id, base_id=stay.base_id,
                 admitted_on=stay.admitted_on.isoformat())
    audit.record(world.manager_a, "claim_rejected", object_type="Claim", object_id="999999", result="failure",
                 previous="submitted", status="rejected")
    db.session.commit()
    body = login_as(world.auditor).get("/audit").get_data(as_text=True)

    name = stay.resident.name
    assert f"入住记录 {name} {stay.admitted_on.isoformat()}" in body
    assert "办理入住" in body and "stay_admitted" not in body.split("<tbody>")[1]
    assert f"安置人员：</dt><dd class=\"d-inline mb-0\">{name}" in body
    assert world.base_a.name in body
    assert "Stay #" not in body and "{&#34;" not in body and '{"' not in body
    assert "变更前：</dt><dd class=\"d-inline mb-0\">已提交" in body or "已提交" in body
    assert ">失败<" in body and ">成功<" in body and "failure" not in body.split("<tbody>")[1]
    assert "flask audit verify" not in body and "完整性校验" in body
