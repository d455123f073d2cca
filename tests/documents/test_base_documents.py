"""入住登记表, 一人一档, 结业证书 and the monthly report as submitted (docs/api.md "Documents")."""

from __future__ import annotations

from base_ops.core.identity import mask_id_number
from tests.conftest import ID_A
from tests.documents.conftest import audit_rows, keep_picture, pdf_text


def test_admission_form(world, login_as, api_headers, client, db):
    stay = world.stay_a
    response = login_as(world.manager_a).get(f"/stays/{stay.id}/admission.pdf")
    text = pdf_text(response)
    assert "入住登记表" in text and "张三" in text and "基地A" in text
    assert mask_id_number(ID_A) in text and ID_A not in text
    assert "2026-09-12" in text and "101-A" in text
    assert f"入住〔2026〕330106-{stay.id:05d}" in text
    keep_picture(response.data, "admission")
    assert login_as(world.manager_b).get(f"/stays/{stay.id}/admission.pdf").status_code == 404
    assert client.get(f"/api/v1/stays/{stay.id}/admission.pdf", headers=api_headers(world.officer_y)).status_code == 404
    assert client.get(f"/api/v1/stays/{stay.id}/admission.pdf", headers=api_headers(world.officer_x)).status_code == 200
    rows = audit_rows(db)
    assert [(r.object_type, r.details_dict["document"], r.details_dict["via"]) for r in rows] == [
        ("Stay", "admission", "page"), ("Stay", "admission", "api")]


def test_resident_file_holds_the_whole_file(world, login_as, api_headers, client, db):
    resident = world.resident_a
    response = client.get(f"/api/v1/residents/{resident.id}/file.pdf", headers=api_headers(world.manager_a))
    text = pdf_text(response)
    assert "一人一档" in text and "张三" in text
    assert mask_id_number(ID_A) in text and ID_A not in text
    assert "6222020200112233445" not in text and "3445" in text
    assert "入住谈话" in text and "电焊基础" in text and "物业保洁员" in text and "101-A" in text
    assert "2026-09-12" in text and "3,800.00" in text
    keep_picture(response.data, "resident_file")
    assert login_as(world.manager_b).get(f"/residents/{resident.id}/file.pdf").status_code == 404
    assert login_as(world.officer_y).get(f"/residents/{resident.id}/file.pdf").status_code == 404
    assert login_as(world.enterprise_user).get(f"/residents/{resident.id}/file.pdf").status_code == 403
    (row,) = audit_rows(db)
    assert (row.object_type, row.object_id) == ("Resident", str(resident.id))


def test_certificate_only_when_completed(world, login_as, api_headers, client, db):
    from base_ops.training.models import Attendance

    enrolment = world.enrolment_a
    url = f"/api/v1/enrolments/{enrolment.id}/certificate.pdf"
    refused = client.get(url, headers=api_headers(world.trainer_a))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "conflict"
    course_page = f"/training/courses/{world.course_a.id}"
    link = f'href="/enrolments/{enrolment.id}/certificate.pdf"'
    assert link not in login_as(world.trainer_a).get(course_page).get_data(as_text=True)
    db.session.add(Attendance(session_id=world.session_a.id, resident_id=world.resident_a.id,
                              enrolment_id=enrolment.id, status="present"))
    enrolment.certificate_number = "HZ-2026-0001"
    db.session.commit()
    response = login_as(world.trainer_a).get(f"/enrolments/{enrolment.id}/certificate.pdf")
    text = pdf_text(response)
    assert "结业证书" in text and "张三" in text and "电焊基础" in text and "HZ-2026-0001" in text
    assert "2026-11-02" in text and "2026-12-18" in text and "100%" in text
    assert mask_id_number(ID_A)[:6] not in text  # a trainer knows his trainee by name only
    keep_picture(response.data, "certificate")
    by_manager = pdf_text(client.get(url, headers=api_headers(world.manager_a)))
    assert mask_id_number(ID_A) in by_manager and ID_A not in by_manager
    assert link in login_as(world.trainer_a).get(course_page).get_data(as_text=True)
    assert login_as(world.manager_b).get(f"/enrolments/{enrolment.id}/certificate.pdf").status_code == 404
    assert len(audit_rows(db)) == 2


def test_monthly_report_prints_the_version_as_submitted(world, login_as, api_headers, client, db):
    from base_ops.reports.monthly import services as monthly

    report = monthly.submit_month(world.officer_x, "330106", "2026-11")
    frozen = dict(report.figures)
    report.figures = {**frozen, "residents_at_end": 4321}  # what was frozen, not what the data say now
    db.session.commit()
    response = client.get(f"/api/v1/monthly-reports/{report.id}.pdf", headers=api_headers(world.officer_x))
    text = pdf_text(response)
    assert "过渡性安置基地工作月报" in text and "西湖区" in text and "2026-11" in text
    assert "4,321" in text and world.officer_x.display_name in text
    assert f"月报〔2026〕330106-{report.id:05d}" in text
    keep_picture(response.data, "monthly_report")
    assert login_as(world.officer_y).get(f"/monthly-reports/{report.id}.pdf").status_code == 404
    assert login_as(world.officer_y).get("/monthly-reports/999999.pdf").status_code == 404
    assert login_as(world.manager_a).get(f"/monthly-reports/{report.id}.pdf").status_code == 403
    (row,) = audit_rows(db)
    assert (row.object_type, row.details_dict["document"]) == ("MonthlyReport", "monthly_report")
