"""A small base whose October 2026 is computed by hand (tests/reports): the fixture of the metrics tests.

Base 海曙基地 in county 330203 (宁波市 330200), today frozen at 2026-11-21:

beds      M1, M2 (room 男101), F1 (room 女201), in service since 2025-01-01; M2 out of service
          for the nights 10-11 … 10-20 (ten nights).
          October available = 31 + 21 + 31 = 83 bed-nights.
stays     P1 M  09-25 → 10-06 employed (11 days), bed M1 [09-25, 10-06)        → 5 October nights
          P2 M  10-06 → open,                  bed M1 [10-06, open)            → 26 October nights
          P3 F  10-28 → 11-05 relatives (8 d),  bed F1 [10-28, 11-05)          → 4 October nights
          P4 M  06-01 → 10-15 hospital (136 d, excluded from the placement rate), no bed
          P5 M  08-01 → 10-20 reoffended (80 d), no bed
          P6 M  10-01 → 10-31 returned_home (30 d), no bed
          P7 M  03-01 → 05-01 employed (61 d), no bed
          October occupied = 35; leavers 4 (P1 P4 P5 P6), counted 3, employed 1, reoffended 1,
          days 11+136+80+30 = 257, median (30+80)/2 = 55, buckets ≤30: 2, 61–90: 1, 91–180: 1.
placements P1 started 10-06 (the day he left: during the stay); P7 started 04-20, ended 08-10
          → reaches 3 months on 07-20 employed, 6 months on 10-20 no longer employed.
served    October: P1 … P6 (6 people), placed during their stay: P1 → 1/6.
training  a course ended 10-23 with two sessions: E1 present twice (completes), E2 present once and
          absent once (50%, does not) → enrolments 2, completions 1, attended 3 of 4.
notices   county 330203: N1 received 10-10, due 10-17, sent 10-16 (on time); N2 received 10-20, due 10-27,
          sent 10-29 (late); K1 key subject released 10-25 collected; K2 key subject released 10-30 not.
claims    C1 600.00 filed 2026-10-05, approved 2026-10-10 04:00 UTC (October); C2 3000.00 filed and approved
          2026-10-31 17:00 UTC = 11-01 01:00 in Beijing (November), and paid 2026-11-03.
A second base (余杭 330110, one bed, one resident all October) must never show in 330203's figures.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from stdnum.cn import ric

TODAY = date(2026, 11, 21)


def id_number(n: int, sex: str) -> str:
    sequence = f"{(n * 2 + (1 if sex == 'male' else 0)) % 1000:03d}"
    body = f"33020319800101{sequence}"
    return body + ric.calc_check_digit(body)


def build(db, factory):
    """Build the ledger; returns a namespace with the base, the other base and the people."""
    from base_ops.beds.models import BedAssignment
    from base_ops.enterprises.models import JobPosting
    from base_ops.intake.models import ReleaseNotice, Stay
    from base_ops.org.models import BedServicePeriod
    from base_ops.placements.models import Placement, Referral
    from base_ops.residents.models import Resident
    from base_ops.subsidies.models import Claim, ClaimEvent
    from base_ops.training.models import Attendance, Course, CourseSession, Enrolment

    class Ledger:
        pass

    L = Ledger()
    L.base = factory.base("330203", name="海曙基地",
                          rooms=(("男101", "male", ("M1", "M2")), ("女201", "female", ("F1",))))
    L.other = factory.base("330110", name="余杭基地", rooms=(("1", "male", ("1",)),))
    beds = {bed.label: bed for room in L.base.rooms for bed in room.beds}
    m2_period = db.session.query(BedServicePeriod).filter_by(bed_id=beds["M2"].id).one()
    m2_period.end_on = date(2026, 10, 11)
    db.session.add(BedServicePeriod(bed_id=beds["M2"].id, start_on=date(2026, 10, 21)))

    def person(n, sex="male", base=L.base):
        resident = Resident(id_number=id_number(n, sex), name=f"人{n}", sex=sex, birth_on=date(1980, 1, 1),
                            hukou_region_code="330203", subject_type="released", released_on=date(2026, 1, 1),
                            base_id=base.id)
        db.session.add(resident)
        db.session.flush()
        return resident

    def stay(resident, admitted, discharged=None, destination=None, bed=None, base=L.base):
        s = Stay(resident_id=resident.id, base_id=base.id, admitted_on=admitted, discharged_on=discharged,
                 destination=destination)
        db.session.add(s)
        db.session.flush()
        if bed is not None:
            db.session.add(BedAssignment(stay_id=s.id, resident_id=resident.id, bed_id=bed.id, start_on=admitted,
                                         end_on=discharged))
        return s

    L.p = {n: person(n, "female" if n == 3 else "male") for n in range(1, 8)}
    L.stays = {
        1: stay(L.p[1], date(2026, 9, 25), date(2026, 10, 6), "employed", beds["M1"]),
        2: stay(L.p[2], date(2026, 10, 6), None, None, beds["M1"]),
        3: stay(L.p[3], date(2026, 10, 28), date(2026, 11, 5), "relatives", beds["F1"]),
        4: stay(L.p[4], date(2026, 6, 1), date(2026, 10, 15), "hospital"),
        5: stay(L.p[5], date(2026, 8, 1), date(2026, 10, 20), "reoffended"),
        6: stay(L.p[6], date(2026, 10, 1), date(2026, 10, 31), "returned_home"),
        7: stay(L.p[7], date(2026, 3, 1), date(2026, 5, 1), "employed"),
    }
    other_bed = L.other.rooms[0].beds[0]
    L.outsider = person(50)
    stay(L.outsider, date(2026, 9, 1), date(2026, 10, 10), "employed", other_bed, base=L.other)

    enterprise = factory.enterprise("330203")
    posting = JobPosting(enterprise_id=enterprise.id, title="保洁", description="保洁", positions=5, open_positions=3,
                         wage_min=Decimal("3000"), wage_max=Decimal("4000"), location="宁波", provides_housing=False,
                         status="open")
    db.session.add(posting)
    db.session.flush()

    def placement(resident, started, ended=None, stay_obj=None):
        referral = Referral(posting_id=posting.id, resident_id=resident.id, enterprise_id=enterprise.id,
                            base_id=L.base.id, status="hired")
        db.session.add(referral)
        db.session.flush()
        p = Placement(referral_id=referral.id, resident_id=resident.id, enterprise_id=enterprise.id,
                      stay_id=stay_obj.id if stay_obj else None, started_on=started, contract_months=12,
                      monthly_wage=Decimal("3500.00"), social_insurance=True, ended_on=ended,
                      end_reason="辞职" if ended else None)
        db.session.add(p)
        db.session.flush()
        return p

    L.placement_1 = placement(L.p[1], date(2026, 10, 6), stay_obj=L.stays[1])
    L.placement_7 = placement(L.p[7], date(2026, 4, 20), date(2026, 8, 10), stay_obj=L.stays[7])

    course = Course(base_id=L.base.id, title="家政", skill="家政", starts_on=date(2026, 10, 12),
                    ends_on=date(2026, 10, 23), capacity=10, enrolled_count=2, hours=Decimal("8"))
    db.session.add(course)
    db.session.flush()
    sessions = [CourseSession(course_id=course.id, held_on=date(2026, 10, d), hours=Decimal("4")) for d in (13, 20)]
    enrolments = [Enrolment(course_id=course.id, resident_id=L.p[n].id, stay_id=L.stays[n].id,
                            enrolled_on=date(2026, 10, 12)) for n in (2, 6)]
    db.session.add_all([*sessions, *enrolments])
    db.session.flush()
    marks = [(enrolments[0], sessions[0], "present"), (enrolments[0], sessions[1], "late"),
             (enrolments[1], sessions[0], "present"), (enrolments[1], sessions[1], "absent")]
    db.session.add_all([Attendance(enrolment_id=e.id, session_id=s.id, resident_id=e.resident_id, status=st)
                        for e, s, st in marks])

    def notice(n, received, due, sent=None, release=date(2027, 3, 1), key=False, collected=None):
        db.session.add(ReleaseNotice(id_number=id_number(100 + n, "male"), name=f"通知{n}", prison_name="监狱",
                                     prison_region_code="330203", expected_release_on=release, received_on=received,
                                     receiving_region_code="330203", is_key_subject=key, feedback_due_on=due,
                                     feedback_sent_on=sent, collected_on=collected))

    notice(1, date(2026, 10, 10), date(2026, 10, 17), date(2026, 10, 16))
    notice(2, date(2026, 10, 20), date(2026, 10, 27), date(2026, 10, 29))
    notice(3, date(2026, 8, 1), date(2026, 8, 7), date(2026, 8, 5), date(2026, 10, 25), True, date(2026, 10, 25))
    notice(4, date(2026, 8, 2), date(2026, 8, 10), date(2026, 8, 6), date(2026, 10, 30), True)

    def claim(n, amount, moves):
        c = Claim(kind="handover", status=moves[-1][0], subject_key=f"ledger-{n}", period="",
                  region_code="330203", base_id=L.base.id, amount=Decimal(amount), rule="测试",
                  created_at=moves[0][1])
        db.session.add(c)
        db.session.flush()
        for to_status, at in moves:
            db.session.add(ClaimEvent(claim_id=c.id, from_status=None, to_status=to_status, at=at))

    claim(1, "600.00", [("submitted", datetime(2026, 10, 5, 2, tzinfo=UTC)),
                        ("approved", datetime(2026, 10, 10, 4, tzinfo=UTC))])
    claim(2, "3000.00", [("approved", datetime(2026, 10, 31, 17, tzinfo=UTC)),
                         ("paid", datetime(2026, 11, 3, 2, tzinfo=UTC))])
    db.session.commit()
    return L
