"""Release-notice services: registration and its deadline, scope of the receiving county, receipt, collection, lists."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, NotFound, ValidationFailed
from base_ops.intake.models import ReleaseNotice
from base_ops.intake.notices import queries as notices_queries
from base_ops.intake.notices import services as notices

# Valid ID numbers for notices (check characters from stdnum.cn.ric).
ID_N1 = "33010619850101001X"
ID_N2 = "330106198501010028"
TODAY = date(2026, 11, 20)


def notice_fields(**overrides) -> dict:
    """A complete, valid notice for county X (330106), received on TODAY."""
    fields = {
        "id_number": ID_N1, "name": "赵六", "prison_name": "浙江省第一监狱", "prison_region_code": "330106",
        "expected_release_on": date(2026, 12, 18), "received_on": TODAY, "receiving_region_code": "330106",
        "risk_assessment": "再犯风险较高", "relief_advice": "建议临时救助", "is_key_subject": True,
    }
    fields.update(overrides)
    return fields


def freeze_today(monkeypatch, day: date = TODAY) -> date:
    """Freeze the app's today (Asia/Shanghai): every notices module reads it through base_ops.core.clock."""
    monkeypatch.setattr("base_ops.core.clock.today", lambda: day)
    return day


@pytest.fixture
def frozen_today(monkeypatch):
    return freeze_today(monkeypatch)


def notice_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ReleaseNotice))


def last_event(db) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()


# ---------------------------------------------------------------- registration

def test_register_computes_the_receipt_deadline_and_audits(world, db, frozen_today):
    notice = notices.register_notice(world.manager_a, **notice_fields())
    assert notice.id is not None
    assert notice.feedback_due_on == date(2026, 11, 27)  # Friday to Friday, no holiday
    assert notice.feedback_due_is_estimate is False
    assert notice.created_by_id == world.manager_a.id
    assert notice.resident_id is None
    event = last_event(db)
    assert event.action == "notice_registered"
    assert event.object_id == str(notice.id)
    assert ID_N1 not in event.details and ID_N1[6:14] not in event.details
    assert event.details_dict["feedback_due_on"] == "2026-11-27"


def test_register_over_national_day(world, db, frozen_today):
    notice = notices.register_notice(world.manager_a, **notice_fields(received_on=date(2026, 9, 28)))
    assert (notice.feedback_due_on, notice.feedback_due_is_estimate) == (date(2026, 10, 10), False)


def add_resident(db, id_number, base):
    """A resident on file, straight from the model (as the world fixture builds them)."""
    from base_ops.residents.models import Resident

    resident = Resident(id_number=id_number, name="赵六", sex="male", birth_on=date(1985, 1, 1),
                        hukou_region_code="330106", subject_type="released", released_on=date(2026, 9, 1),
                        base_id=base.id)
    db.session.add(resident)
    db.session.commit()
    return resident


def test_register_links_an_existing_resident(world, db, frozen_today):
    resident = add_resident(db, ID_N2, world.base_a)
    notice = notices.register_notice(world.manager_a, **notice_fields(id_number=ID_N2))
    assert notice.resident_id == resident.id
    other = notices.register_notice(world.manager_a, **notice_fields(id_number=ID_N1))
    assert other.resident_id is None


def test_lower_case_x_is_stored_upper_case(world, db, frozen_today):
    notice = notices.register_notice(world.officer_x, **notice_fields(id_number="33010619850101001x",
                                                                      expected_release_on=date(2027, 1, 5)))
    assert notice.id_number == "33010619850101001X"


def test_received_in_the_future_is_refused_and_nothing_written(world, db, frozen_today, english):
    before = notice_count(db)
    with pytest.raises(ValidationFailed) as caught:
        notices.register_notice(world.manager_a, **notice_fields(received_on=date(2026, 11, 21)))
    assert caught.value.fields == {"received_on": ["must not be in the future"]}
    assert notice_count(db) == before


@pytest.mark.parametrize(("field", "value"), [
    ("id_number", "330106198501010029"),  # wrong check character
    ("id_number", "３３０１０６１９８５０１０１００２８"),  # full-width digits
    ("id_number", "33010619850101002"),  # 17 characters
    ("id_number", "330106198502300019"),  # 30 February
    ("name", "  "),
    ("prison_name", ""),
    ("prison_region_code", "999999"),
    ("prison_region_code", "33010"),
    ("receiving_region_code", "330100"),  # a city, not a county
    ("receiving_region_code", "330110"),  # county Y: not manager_a's
    ("expected_release_on", "2026-13-01"),
    ("received_on", None),
    ("is_key_subject", None),
    ("is_key_subject", "maybe"),
    ("risk_assessment", "险" * 2001),
])
def test_each_bad_value_names_its_field(world, db, frozen_today, field, value):
    before = notice_count(db)
    with pytest.raises(ValidationFailed) as caught:
        notices.register_notice(world.manager_a, **notice_fields(**{field: value}))
    assert list(caught.value.fields) == [field]
    assert caught.value.status == 422
    assert notice_count(db) == before


def test_several_errors_are_reported_together(world, db, frozen_today):
    with pytest.raises(ValidationFailed) as caught:
        notices.register_notice(world.manager_a, **notice_fields(id_number="1", name="", received_on=date(2027, 1, 1)))
    assert set(caught.value.fields) == {"id_number", "name", "received_on"}
    assert "id_number" in caught.value.message


def test_receiving_county_scope(factory, world, db, frozen_today, english):
    # County officer of X may not register for Y; an officer of the city may register for either county.
    with pytest.raises(ValidationFailed) as caught:
        notices.register_notice(world.officer_x, **notice_fields(receiving_region_code="330110"))
    assert caught.value.fields["receiving_region_code"] == ["is outside your scope"]
    city = factory.user("county_officer", username="city_officer", region_code="330100")
    notice = notices.register_notice(city, **notice_fields(receiving_region_code="330110"))
    assert notice.receiving_region_code == "330110"
    # Manager of base B (county Y) may register for Y.
    notices.register_notice(world.manager_b, **notice_fields(id_number=ID_N2, receiving_region_code="330110"))
    # A trainer or an admin has no receiving scope at all.
    with pytest.raises(ValidationFailed):
        notices.register_notice(world.trainer_a, **notice_fields(id_number=ID_N2))


def test_same_person_and_release_date_is_409_with_the_existing_id(world, db, frozen_today):
    first = notices.register_notice(world.manager_a, **notice_fields())
    before = notice_count(db)
    with pytest.raises(Conflict) as caught:
        notices.register_notice(world.officer_x, **notice_fields(name="另一个名字"))
    assert caught.value.code == "notice_exists"
    assert caught.value.extra == {"id": first.id}
    assert notice_count(db) == before
    # Same person, another release: allowed (a later sentence).
    notices.register_notice(world.manager_a, **notice_fields(expected_release_on=date(2030, 1, 1)))


def test_validate_notice_is_pure(world, db, frozen_today):
    from tests.intake.test_workdays import count_queries

    rules = notices.notice_rules(world.manager_a, ["330106"])
    raw = {**notice_fields(), "received_on": "2026/11/20", "is_key_subject": "是", "expected_release_on": "20261218"}
    with count_queries(db) as statements:
        clean, errors = notices.validate_notice(raw, rules)
    assert statements == []
    assert errors == {}
    assert clean["received_on"] == TODAY
    assert clean["expected_release_on"] == date(2026, 12, 18)
    assert clean["is_key_subject"] is True


# ---------------------------------------------------------------- receipt (回执)

def test_feedback_recorded_once(world, db, frozen_today):
    notice = world.notice_x  # received 2026-11-16, due 2026-11-23
    notices.record_feedback(world.manager_a, notice, sent_on=date(2026, 11, 18), arrangement="12月20日派员接回")
    assert notice.feedback_sent_on == date(2026, 11, 18)
    event = last_event(db)
    assert (event.action, event.details_dict["on_time"]) == ("notice_feedback_recorded", True)
    with pytest.raises(Conflict) as caught:
        notices.record_feedback(world.manager_a, notice, sent_on=date(2026, 11, 19), arrangement="again")
    assert caught.value.code == "feedback_exists"
    db.session.refresh(notice)
    assert notice.feedback_sent_on == date(2026, 11, 18)


def test_racing_receipts_record_one(world, db, frozen_today):
    """The other request got there first: this one's in-memory notice is stale, the database decides."""
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    db.session.execute(update(ReleaseNotice).where(ReleaseNotice.id == world.notice_x.id)
                       .values(feedback_sent_on=date(2026, 11, 17), feedback_arrangement="先到")
                       .execution_options(synchronize_session=False))
    db.session.commit()
    set_committed_value(world.notice_x, "feedback_sent_on", None)  # this request read it before the other wrote
    assert world.notice_x.feedback_sent_on is None
    with pytest.raises(Conflict) as caught:
        notices.record_feedback(world.manager_a, world.notice_x, sent_on=date(2026, 11, 18), arrangement="后到")
    assert caught.value.code == "feedback_exists"
    db.session.refresh(world.notice_x)
    assert world.notice_x.feedback_arrangement == "先到"


@pytest.mark.parametrize(("sent_on", "arrangement", "field"), [
    (date(2026, 11, 15), "x", "sent_on"),  # before receipt
    (date(2026, 11, 21), "x", "sent_on"),  # in the future
    (None, "x", "sent_on"),
    (date(2026, 11, 18), "   ", "arrangement"),
])
def test_feedback_bad_input(world, db, frozen_today, sent_on, arrangement, field):
    with pytest.raises(ValidationFailed) as caught:
        notices.record_feedback(world.manager_a, world.notice_x, sent_on=sent_on, arrangement=arrangement)
    assert list(caught.value.fields) == [field]
    db.session.refresh(world.notice_x)
    assert world.notice_x.feedback_sent_on is None


def test_late_feedback_is_audited_as_late(world, db, frozen_today):
    notice = notices.register_notice(world.manager_a, **notice_fields(received_on=date(2026, 11, 6)))
    assert notice.feedback_due_on == date(2026, 11, 13)
    notices.record_feedback(world.officer_x, notice, sent_on=date(2026, 11, 16), arrangement="电话联系")
    assert last_event(db).details_dict["on_time"] is False


# ---------------------------------------------------------------- collection (必接必送)

def test_collection_of_a_key_subject_once(world, db, frozen_today):
    notices.record_collection(world.manager_a, world.notice_x, collected_on=date(2026, 11, 20), collected_by="陈干事")
    assert (world.notice_x.collected_on, world.notice_x.collected_by) == (date(2026, 11, 20), "陈干事")
    assert last_event(db).action == "notice_collection_recorded"
    with pytest.raises(Conflict) as caught:
        notices.record_collection(world.manager_a, world.notice_x, collected_on=date(2026, 11, 20), collected_by="x")
    assert caught.value.code == "collection_exists"


def test_collection_only_for_key_subjects(world, db, frozen_today):
    notice = notices.register_notice(world.manager_a, **notice_fields(is_key_subject=False))
    with pytest.raises(ValidationFailed) as caught:
        notices.record_collection(world.manager_a, notice, collected_on=TODAY, collected_by="陈干事")
    assert (caught.value.code, caught.value.status) == ("not_key_subject", 422)
    db.session.refresh(notice)
    assert notice.collected_on is None


def test_collection_bad_input(world, db, frozen_today):
    with pytest.raises(ValidationFailed) as caught:
        notices.record_collection(world.manager_a, world.notice_x, collected_on=date(2026, 11, 21), collected_by="")
    assert set(caught.value.fields) == {"collected_on", "collected_by"}


# ---------------------------------------------------------------- lists and scope

def _ids(actor, status, on=TODAY):
    return {n.id for n in db_scalars(notices_queries.notices_by_status(actor, status, on))}


def db_scalars(stmt):
    from base_ops.extensions import db

    return db.session.execute(stmt).scalars().all()


def test_lists_due_today_overdue_upcoming(world, db, frozen_today):
    a = notices.register_notice(world.manager_a, **notice_fields(received_on=date(2026, 11, 13),  # due 11-20
                                                                 expected_release_on=date(2026, 11, 25)))
    b = notices.register_notice(world.manager_a, **notice_fields(id_number=ID_N2, received_on=date(2026, 11, 19),
                                                                 expected_release_on=date(2027, 2, 1)))  # due 11-26
    x = world.notice_x  # due 11-23, release 12-20
    assert _ids(world.manager_a, "due_today") == {a.id}
    assert _ids(world.manager_a, "overdue", date(2026, 11, 24)) == {a.id, x.id}
    assert _ids(world.manager_a, "upcoming") == {a.id}  # release within 14 days of 11-20
    assert _ids(world.manager_a, "upcoming", date(2026, 12, 6)) == {x.id}  # 12-20 is exactly 14 days on
    assert _ids(world.manager_a, "all") == {a.id, b.id, x.id}
    counts = notices_queries.status_counts(world.manager_a, TODAY)
    assert counts == {"due_today": 1, "overdue": 0, "upcoming": 1, "all": 3}
    # Once the receipt is sent it leaves the due/overdue lists.
    notices.record_feedback(world.manager_a, a, sent_on=TODAY, arrangement="已回执")
    assert _ids(world.manager_a, "due_today") == set()


def test_scope_of_lists_and_get(world, factory, db, frozen_today):
    y = notices.register_notice(world.manager_b, **notice_fields(receiving_region_code="330110"))
    assert _ids(world.manager_a, "all") == {world.notice_x.id}
    assert _ids(world.officer_x, "all") == {world.notice_x.id}
    assert _ids(world.manager_b, "all") == {y.id}
    assert _ids(world.officer_y, "all") == {y.id}
    city = factory.user("county_officer", username="city_officer", region_code="330100")
    assert _ids(city, "all") == {world.notice_x.id, y.id}
    for nobody in (world.admin, world.auditor, world.trainer_a, world.enterprise_user):
        assert _ids(nobody, "all") == set()
    with pytest.raises(NotFound):
        notices_queries.get_notice(world.manager_b, world.notice_x.id)
    assert notices_queries.get_notice(world.manager_a, world.notice_x.id) is world.notice_x
