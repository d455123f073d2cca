"""A richer world for the cross-module security sweeps: one object of every kind a page can show.

The `world` fixture has residents, stays, notices, a course and a placement; the sweeps also
need what only later steps create — claims in several states (an enterprise's and a base's),
a rejection with its reason, a payment batch, claim evidence, a finished background export
job with its file, an absence, a discharged stay, a retention check, attendance, monthly
reports with a correction, a calendar note — so every page has something in it to leak or to
render unescaped. Built through the services where they exist, at a frozen today.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import FileStorage

TODAY = date(2026, 12, 15)  # November 2026 is finished: its claims and its monthly report can be filed
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
ID_C = "330106198702020038"  # male, born 1987-02-02 (check character by stdnum.cn.ric)


def freeze_today(monkeypatch, day: date) -> None:
    """Every `today` of the app (core.clock.today and each module's imported copy) answers `day`."""
    from base_ops.core import clock

    real = clock.today
    monkeypatch.setattr(clock, "today", lambda: day)
    for name, module in list(sys.modules.items()):
        if name.startswith("base_ops.") and getattr(module, "today", None) is real:
            monkeypatch.setattr(module, "today", lambda: day)


@dataclass
class Rich:
    """The ids of the objects the plain world lacks, and the URL parameter values that point at them."""

    post_claim: object  # the enterprise's post subsidy, approved and in the batch
    insurance_claim: object  # the enterprise's insurance subsidy, rejected by the base with a reason
    living_claim: object  # the base's living allowance of resident_a (payee: his bank account), in the batch
    handover_claim: object  # the base's handover subsidy of notice_x, a draft
    batch: object
    evidence: object
    job: object  # the base manager's finished background export (file on disk)
    officer_job: object  # the county officer's
    failed_job: object  # the base manager's export that failed, with its error
    absence: object
    leaver: object  # resident_c, discharged from base A
    leaver_stay: object
    policy: object  # a county's policy document
    finished_enrolment: object = None  # resident_a's enrolment in a course of base A that ended, completed
    monthly_report: object = None  # the county's November report as first submitted (its PDF prints)

    def finished_ids(self) -> dict:
        """The completed enrolment (its certificate prints; the world's own enrolment is still running)."""
        return {"enrolment_id": self.finished_enrolment.id} if self.finished_enrolment else {}

    def ids(self) -> dict:
        """URL parameter values for the richer world (the sample values point at the enterprise's objects)."""
        return {"claim_id": self.post_claim.id, "batch_id": self.batch.id, "evidence_id": self.evidence.id,
                "job_id": self.job.id, "absence_id": self.absence.id, "policy_id": self.policy.id,
                "report_id": self.monthly_report.id}

    def other_ids(self) -> dict:
        """A second set: the base's claim (living allowance), the officer's job and the leaver."""
        return {"claim_id": self.living_claim.id, "job_id": self.officer_job.id, "resident_id": self.leaver.id,
                "stay_id": self.leaver_stay.id}

    def id_sets(self) -> list[dict]:
        """Every set of ids a sweep goes through (a route with no such object answers 404 for the others)."""
        return [self.ids(), self.other_ids(),
                {"claim_id": self.insurance_claim.id, "job_id": self.failed_job.id},
                {"claim_id": self.handover_claim.id}, *([self.finished_ids()] if self.finished_enrolment else [])]


@pytest.fixture
def rich_world(app, world, db, monkeypatch, tmp_path):
    """The world plus one of everything (see the module docstring); `world.rich` holds the new objects."""
    from base_ops.intake.models import Absence, Stay
    from base_ops.intake.notices import services as notice_services
    from base_ops.org.models import DibaoStandard
    from base_ops.placements.models import ReferralEvent, RetentionCheck
    from base_ops.reports.exports import services as jobs
    from base_ops.reports.models import ExportJob
    from base_ops.reports.monthly import services as monthly
    from base_ops.residents.models import Resident
    from base_ops.subsidies import batches, evidence
    from base_ops.subsidies import services as claims
    from base_ops.training import services as training

    freeze_today(monkeypatch, TODAY)
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path / "exports"))
    monkeypatch.setitem(app.config, "EXPORT_RUNNER", "inline")
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 0)  # every export with a row is a background job
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    w = world

    db.session.add_all([DibaoStandard(region_code="330106", year=2026, monthly=Decimal("1100.00")),
                        DibaoStandard(region_code="330106", year=2027, monthly=Decimal("1200.00"))])
    w.notice_x.collected_on = date(2026, 11, 20)
    w.notice_x.collected_by = "基地接回人"
    w.notice_x.feedback_sent_on = date(2026, 11, 18)
    w.notice_x.feedback_arrangement = "基地接收安置"
    w.notice_x.risk_assessment = "评估意见"
    w.notice_x.relief_advice = "救助建议"
    w.session_a.topic = "安全操作"
    w.resident_a.ethnicity = "汉族"
    w.resident_a.hukou_address = "西湖区某路 1 号"
    w.stay_a.referral_source = "司法所转介"
    w.stay_a.override_reason = "超期经批准"
    absence = Absence(stay_id=w.stay_a.id, start_on=date(2026, 11, 1), returned_on=date(2026, 11, 3),
                      note="未请假外出", recorded_by_id=w.manager_a.id)
    db.session.add(absence)
    db.session.add(RetentionCheck(placement_id=w.placement_a.id, month_mark=1, checked_on=date(2026, 12, 10),
                                  employed=True, checked_by_id=w.enterprise_user.id))
    db.session.add(ReferralEvent(referral_id=w.referral_a.id, from_status="offered", to_status="hired",
                                 actor_id=w.enterprise_user.id, note="录用"))
    leaver = Resident(id_number=ID_C, name="赵六", sex="male", birth_on=date(1987, 2, 2), hukou_region_code="330106",
                      subject_type="released", released_on=date(2026, 6, 1), prison_name="浙江省第三监狱",
                      offence="诈骗罪", sentence_months=24, base_id=w.base_a.id)
    db.session.add(leaver)
    db.session.flush()
    leaver_stay = Stay(resident_id=leaver.id, base_id=w.base_a.id, admitted_on=date(2026, 6, 2),
                       discharged_on=date(2026, 8, 30), destination="returned_home", discharge_note="回原籍",
                       referral_source="监狱转介")
    db.session.add(leaver_stay)
    db.session.flush()
    from base_ops.followup.models import FollowUp
    from base_ops.followup.services import schedule_after_discharge

    schedule_after_discharge(leaver_stay)  # his follow-up schedule and a contact with a note (帮教回访)
    db.session.add(FollowUp(resident_id=leaver.id, contacted_on=date(2026, 9, 28), method="phone", outcome="stable",
                            note="电话回访", recorded_by_id=w.manager_a.id, base_id=w.base_a.id))
    db.session.commit()

    training.record_attendance(w.trainer_a, w.session_a, [{"resident_id": w.resident_a.id, "status": "present"}])
    from base_ops.policies import changes as policies

    w.rich_policy = policies.adopt(w.admin, {"region_code": "330106", "title": "西湖区安置帮教办法",
                                             "document_no": "西政〔2026〕1号", "issued_by": "西湖区人民政府",
                                             "effective_from": date(2020, 1, 1),
                                             "rules": {"absence_flag_nights": 3},
                                             "articles": {"absence_flag_nights": "第十二条"}})
    notice_services.set_calendar_day(w.admin, day=date(2026, 12, 31), is_workday=False, note="元旦调休")

    post, _ = claims.create_claim(w.enterprise_user, kind="post_subsidy", placement_id=w.placement_a.id,
                                  month="2026-11")
    item = evidence.add_evidence(w.enterprise_user, post, FileStorage(io.BytesIO(PDF), filename="劳动合同.pdf"),
                                 "contract")
    claims.submit(w.enterprise_user, post)
    claims.review(w.manager_a, post, decision="approve")
    claims.approve(w.officer_x, post)
    insurance, _ = claims.create_claim(w.enterprise_user, kind="insurance_subsidy", placement_id=w.placement_a.id,
                                       month="2026-11")
    claims.submit(w.enterprise_user, insurance)
    claims.reject(w.manager_a, insurance, reason_code="missing_evidence", reason="缺少社保缴费凭证")
    living, _ = claims.create_claim(w.manager_a, kind="living_allowance", resident_id=w.resident_a.id,
                                    month="2026-11")
    claims.submit(w.manager_a, living)
    claims.review(w.manager_a, living, decision="approve")
    claims.approve(w.officer_x, living)
    handover, _ = claims.create_claim(w.manager_a, kind="handover", release_notice_id=w.notice_x.id)
    batch = batches.create_batch(w.officer_x, "330106", "2026-11")

    first_report = monthly.submit_month(w.officer_x, "330106", "2026-11")
    monthly.submit_month(w.officer_x, "330106", "2026-11", reason="补报一名离站人员")

    job = jobs.request_export(w.manager_a, "residents", start=date(2026, 1, 1), end=date(2027, 1, 1))
    officer_job = jobs.request_export(w.officer_x, "placements", start=date(2026, 1, 1), end=date(2027, 1, 1))
    for each in (job, officer_job):
        db.session.refresh(each)
        assert each.status == "done", each.error
    failed_job = ExportJob(kind="leavers", requested_by_id=w.manager_a.id, status="failed", rows_total=3,
                           filename="leavers-2026-01-01-2026-12-31.xlsx", error="导出失败",
                           params={"from": "2026-01-01", "to": "2027-01-01", "region_code": None, "base_id": None})
    db.session.add(failed_job)
    db.session.commit()

    w.rich = Rich(post_claim=post, insurance_claim=insurance, living_claim=living, handover_claim=handover,
                  batch=batch, evidence=item, job=job, officer_job=officer_job, failed_job=failed_job,
                  absence=absence, leaver=leaver, leaver_stay=leaver_stay, policy=w.rich_policy,
                  finished_enrolment=_finished_enrolment(db, w), monthly_report=first_report)
    return w


def _finished_enrolment(db, w):
    """A course of base A that ended before TODAY, attended in full by resident_a: completed, so its certificate
    prints (documents.certificate answers 409 for the world's running course)."""
    from base_ops.training.models import Attendance, Course, CourseSession, Enrolment

    course = Course(base_id=w.base_a.id, title="烹饪入门", skill="烹饪", trainer_id=w.trainer_a.id,
                    starts_on=date(2026, 10, 5), ends_on=date(2026, 10, 30), capacity=10, enrolled_count=1,
                    hours=Decimal("20"), certificate_type="中式烹调师证书")
    db.session.add(course)
    db.session.flush()
    session = CourseSession(course_id=course.id, held_on=date(2026, 10, 12), hours=Decimal("4"))
    enrolment = Enrolment(course_id=course.id, resident_id=w.resident_a.id, stay_id=w.stay_a.id,
                          enrolled_on=date(2026, 10, 5), certificate_number="PX-2026-0007",
                          certificate_on=date(2026, 10, 30))
    db.session.add_all([session, enrolment])
    db.session.flush()
    db.session.add(Attendance(session_id=session.id, resident_id=w.resident_a.id, enrolment_id=enrolment.id,
                              status="present", recorded_by_id=w.trainer_a.id))
    db.session.commit()
    return enrolment
