"""Enterprise use cases through the services: registration, versioned agreements, postings with
the discrimination screen and their life cycle, the phrase list; audit rows and nothing written
on refusal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, PermissionDenied, ValidationFailed
from base_ops.enterprises import queries, services
from base_ops.enterprises.models import DiscriminatoryPhrase, Enterprise, JobPosting, PlacementAgreement, PostingStatus
from tests.enterprises.conftest import USCC_OTHER


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions(db, action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _terms(**overrides) -> dict:
    terms = {"starts_on": date(2027, 1, 1), "ends_on": date(2028, 12, 31), "hire_quota": 20, "min_contract_months": 12,
             "one_time_subsidy": Decimal("5000.00"), "one_time_after_months": 6,
             "post_subsidy_monthly": Decimal("700.00"), "post_subsidy_max_months": 12,
             "insurance_subsidy_monthly": Decimal("900.00"), "insurance_subsidy_max_months": 36,
             "budget": Decimal("200000.00")}
    terms.update(overrides)
    return terms


def _posting(world, **overrides):
    fields = {"enterprise_id": world.enterprise.id, "title": "绿化养护工", "description": "负责园区绿化日常养护",
              "requirements": None, "positions": 2, "wage_min": "3600", "wage_max": "4500",
              "location": "杭州市西湖区", "provides_housing": False}
    fields.update(overrides)
    return services.create_posting(world.enterprise_user, **fields)


# ---------------------------------------------------------------- enterprises

def test_county_officer_registers_in_his_region_only(world, db):
    enterprise = services.create_enterprise(world.officer_y, name="余杭制造", uscc=USCC_OTHER, region_code="330110",
                                            contact_name="李经理", contact_phone="0571-86000000")
    assert enterprise.id and enterprise.region_code == "330110"
    assert _actions(db, "enterprise_created")[-1].actor_username == "officer_y"
    with pytest.raises(PermissionDenied):
        services.create_enterprise(world.officer_x, name="余杭另一家", uscc="91110105MA01ABCD13", region_code="330110",
                                   contact_name="李经理", contact_phone="0571-86000000")
    assert _count(db, Enterprise) == 2


@pytest.mark.parametrize(("uscc", "problem_field"), [
    ("91330106MA27XK3L02", "uscc"),  # wrong check character
    ("９１３３０１０６ＭＡ２７ＸＫ３Ｌ０１", "uscc"),  # full-width
    ("91330106MA27XK3L0", "uscc"),  # 17 characters
])
def test_bad_uscc_is_refused_naming_the_field(world, db, uscc, problem_field):
    with pytest.raises(ValidationFailed) as error:
        services.create_enterprise(world.admin, name="某公司", uscc=uscc, region_code="330106", contact_name="王",
                                   contact_phone="0571-1")
    assert problem_field in error.value.fields
    assert _count(db, Enterprise) == 1


def test_duplicate_uscc_is_409_with_the_existing_id(world):
    with pytest.raises(Conflict) as error:
        services.create_enterprise(world.admin, name="重复", uscc=world.enterprise.uscc, region_code="330106",
                                   contact_name="王", contact_phone="0571-1")
    assert error.value.code == "enterprise_exists" and error.value.extra["id"] == world.enterprise.id


# ---------------------------------------------------------------- agreements

def test_a_change_makes_a_new_version_superseding_the_old(world, db):
    old = world.agreement
    new = services.create_agreement(world.officer_x, world.enterprise, **_terms())
    db.session.refresh(old)
    assert (new.version, new.supersedes_id, new.is_current) == (2, old.id, True)
    assert old.is_current is False
    # the old version keeps its terms: nothing was edited in place
    assert (old.one_time_subsidy, old.budget, old.starts_on) == (Decimal("3000.00"), Decimal("100000.00"),
                                                                date(2026, 1, 1))
    assert queries.current_agreement(world.enterprise.id).id == new.id
    assert [a.version for a in queries.agreement_history(world.enterprise)] == [2, 1]
    third = services.create_agreement(world.officer_x, world.enterprise, **_terms(budget=Decimal("1.00")))
    assert (third.version, third.supersedes_id) == (3, new.id)
    current = db.session.scalars(select(PlacementAgreement).where(PlacementAgreement.is_current)).all()
    assert [a.id for a in current] == [third.id]
    event = _actions(db, "agreement_version_created")[-1]
    assert event.details_dict["version"] == 3 and event.details_dict["supersedes_id"] == new.id


def test_first_agreement_of_an_enterprise_is_version_one(world, db):
    other = services.create_enterprise(world.admin, name="新企业", uscc=USCC_OTHER, region_code="330106",
                                       contact_name="王", contact_phone="0571-1")
    agreement = services.create_agreement(world.officer_x, other, **_terms())
    assert (agreement.version, agreement.supersedes_id, agreement.is_current) == (1, None, True)


def test_the_database_keeps_one_current_version(world, db):
    from sqlalchemy.exc import IntegrityError

    db.session.add(PlacementAgreement(enterprise_id=world.enterprise.id, version=9, is_current=True,
                                      **_terms()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("overrides", "field"), [
    ({"ends_on": date(2026, 12, 31)}, "ends_on"),  # before the start
    ({"ends_on": date(2027, 1, 1)}, "ends_on"),  # same day
    ({"hire_quota": -1}, "hire_quota"),
    ({"min_contract_months": 1.5}, "min_contract_months"),
    ({"one_time_subsidy": Decimal("-1")}, "one_time_subsidy"),
    ({"budget": Decimal("10.005")}, "budget"),
    ({"post_subsidy_monthly": "abc"}, "post_subsidy_monthly"),
])
def test_bad_terms_are_refused_and_nothing_changes(world, db, overrides, field):
    with pytest.raises(ValidationFailed) as error:
        services.create_agreement(world.officer_x, world.enterprise, **_terms(**overrides))
    assert field in error.value.fields
    db.session.refresh(world.agreement)
    assert world.agreement.is_current and _count(db, PlacementAgreement) == 1


def test_only_county_officers_keep_agreements(world):
    with pytest.raises(PermissionDenied):
        services.create_agreement(world.admin, world.enterprise, **_terms())


def test_out_of_region_officer_cannot_reach_the_enterprise(world):
    from base_ops.core.errors import NotFound

    with pytest.raises(NotFound):
        queries.get_enterprise(world.officer_y, world.enterprise.id)
    assert queries.get_enterprise(world.officer_x, world.enterprise.id).id == world.enterprise.id
    assert queries.get_enterprise(world.enterprise_user, world.enterprise.id).id == world.enterprise.id
    with pytest.raises(NotFound):
        queries.get_enterprise(world.manager_a, world.enterprise.id)


# ---------------------------------------------------------------- postings

def test_create_posting_is_a_draft_with_all_positions_open(world, db):
    posting = _posting(world)
    assert (posting.status, posting.positions, posting.open_positions) == (PostingStatus.DRAFT, 2, 2)
    assert posting.wage_min == Decimal("3600.00") and posting.created_by_id == world.enterprise_user.id
    assert _actions(db, "posting_created")[-1].object_id == str(posting.id)


@pytest.mark.parametrize(("field", "text", "phrase"), [
    ("title", "保安（无犯罪记录）", "无犯罪记录"),
    ("description", "刑满释放人员 勿扰", "刑满释放人员勿扰"),
    ("requirements", "需 政·审，背景清白", "需政审"),
    ("requirements", "ＷＸ：无　犯　罪　记　录", "无犯罪记录"),
])
def test_discriminatory_posting_is_refused_naming_field_and_phrase(world, db, field, text, phrase):
    before = _count(db, JobPosting)
    with pytest.raises(ValidationFailed) as error:
        _posting(world, **{field: text})
    assert error.value.code == "discriminatory_content"
    assert error.value.extra["phrase"] == phrase
    assert phrase in error.value.message and phrase in error.value.fields[field][0]
    assert _count(db, JobPosting) == before
    assert not _actions(db, "posting_created")


def test_an_inactive_phrase_no_longer_screens(world, db):
    # a wording of the admin's own (the screen's built-in families do not know it)
    row = services.add_phrase(world.admin, phrase="背调须合格")
    services.set_phrase_active(world.admin, row, active=False)
    assert _posting(world, requirements="背调须合格").id
    services.set_phrase_active(world.admin, row, active=True)
    with pytest.raises(ValidationFailed):
        _posting(world, requirements="背调须合格")


def test_the_built_in_families_screen_whatever_the_list_says(world, db):
    row = db.session.scalar(select(DiscriminatoryPhrase).where(DiscriminatoryPhrase.phrase == "背景清白"))
    services.set_phrase_active(world.admin, row, active=False)
    with pytest.raises(ValidationFailed) as error:
        _posting(world, requirements="背景清白")
    assert error.value.code == "discriminatory_content"


def test_an_added_phrase_screens_and_is_audited(world, db):
    row = services.add_phrase(world.admin, phrase="两劳人员勿扰")
    assert row.is_active
    with pytest.raises(ValidationFailed) as error:
        _posting(world, description="两劳 人员，勿扰")
    assert error.value.extra["phrase"] == "两劳人员勿扰"
    assert _actions(db, "phrase_added")[-1].details_dict["phrase"] == "两劳人员勿扰"


def test_adding_a_phrase_twice_however_spaced_is_409(world):
    with pytest.raises(Conflict) as error:
        services.add_phrase(world.admin, phrase="无 犯罪·记录")
    assert error.value.code == "phrase_exists"


def test_deactivating_twice_is_409(world, db):
    row = db.session.get(DiscriminatoryPhrase, 1)
    services.set_phrase_active(world.admin, row, active=False)
    assert _actions(db, "phrase_deactivated")
    with pytest.raises(Conflict):
        services.set_phrase_active(world.admin, row, active=False)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": "  "}, "title"),
    ({"positions": 0}, "positions"),
    ({"wage_min": "5000", "wage_max": "4000"}, "wage_max"),
    ({"wage_min": "-1"}, "wage_min"),
    ({"location": ""}, "location"),
    ({"title": "x" * 101}, "title"),
])
def test_bad_posting_input_names_the_field(world, db, overrides, field):
    with pytest.raises(ValidationFailed) as error:
        _posting(world, **overrides)
    assert field in error.value.fields
    assert _count(db, JobPosting) == 1


def test_a_posting_only_for_ones_own_enterprise(world, db):
    with pytest.raises(ValidationFailed) as error:
        _posting(world, enterprise_id=world.enterprise.id + 100)
    assert "enterprise_id" in error.value.fields
    with pytest.raises(PermissionDenied):
        services.create_posting(world.manager_a, enterprise_id=world.enterprise.id, title="t", description="d",
                                positions=1, wage_min=1, wage_max=2, location="l", provides_housing=False)


def test_life_cycle_draft_open_closed_and_illegal_moves(world, db):
    posting = _posting(world)
    with pytest.raises(Conflict) as error:
        services.close_posting(world.enterprise_user, posting)  # draft -> closed is not a move
    assert error.value.code == "invalid_transition"
    services.open_posting(world.enterprise_user, posting)
    assert posting.status == PostingStatus.OPEN
    with pytest.raises(Conflict) as error:
        services.open_posting(world.enterprise_user, posting)
    assert error.value.code == "invalid_transition"
    services.close_posting(world.enterprise_user, posting)
    assert posting.status == PostingStatus.CLOSED
    for move in (services.open_posting, services.close_posting):
        with pytest.raises(Conflict):
            move(world.enterprise_user, posting)
    assert [e.action for e in _actions(db, "posting_opened") + _actions(db, "posting_closed")] == \
        ["posting_opened", "posting_closed"]


def test_opening_screens_again_with_the_current_list(world, db):
    posting = _posting(world, requirements="身体健康，背调须合格")
    services.add_phrase(world.admin, phrase="背调须合格")
    with pytest.raises(ValidationFailed) as error:
        services.open_posting(world.enterprise_user, posting)
    assert error.value.code == "discriminatory_content"
    db.session.refresh(posting)
    assert posting.status == PostingStatus.DRAFT


def test_another_enterprise_cannot_move_or_see_the_posting(world, db, factory):
    from base_ops.core.errors import NotFound

    other = factory.enterprise("330106", uscc=USCC_OTHER)
    other_user = factory.user("enterprise", username="other_e", enterprise=other)
    posting = _posting(world)
    with pytest.raises(NotFound):
        queries.get_posting(other_user, posting.id)
    with pytest.raises(PermissionDenied):
        services.open_posting(other_user, posting)


def test_drafts_are_seen_by_their_enterprise_only(world, db):
    posting = _posting(world)
    from base_ops.core.errors import NotFound

    for actor in (world.manager_a, world.officer_x):
        with pytest.raises(NotFound):
            queries.get_posting(actor, posting.id)
    services.open_posting(world.enterprise_user, posting)
    assert queries.get_posting(world.manager_a, posting.id).id == posting.id
    assert queries.get_posting(world.officer_x, posting.id).id == posting.id
    from base_ops.core.errors import NotFound as NF

    with pytest.raises(NF):
        queries.get_posting(world.officer_y, posting.id)  # not his region's enterprise


def test_take_and_return_position_hold_the_bounds(world, db):
    posting = world.posting  # 3 positions, 2 open
    assert services.take_position(posting.id) and services.take_position(posting.id)
    assert services.take_position(posting.id) is False
    db.session.refresh(posting)
    assert posting.open_positions == 0
    assert services.return_position(posting.id) and services.return_position(posting.id)
    assert services.return_position(posting.id)
    assert services.return_position(posting.id) is False  # never above positions
    db.session.refresh(posting)
    assert posting.open_positions == 3


def test_a_double_clicked_open_is_made_once(world, db):
    """Both clicks read `draft`; the first opens the posting, the second gets a 409 and no audit row."""
    from sqlalchemy import update

    posting = _posting(world)
    db.session.execute(update(JobPosting).where(JobPosting.id == posting.id).values(status=PostingStatus.OPEN)
                       .execution_options(synchronize_session=False))  # the first click, committed meanwhile
    with pytest.raises(Conflict) as error:
        services.open_posting(world.enterprise_user, posting)
    assert error.value.code == "invalid_transition"
    assert error.value.message == JobPosting.transitions.moved_first()
    assert _actions(db, "posting_opened") == []
