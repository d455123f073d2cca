"""Resident services: identity derivation, validation, duplicates, PATCH semantics, case notes, audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, PermissionDenied, ValidationFailed
from base_ops.residents import services
from base_ops.residents.models import CaseNote, Resident
from tests.conftest import ID_A
from tests.residents.conftest import (
    ID_FEB_30,
    ID_FEMALE,
    ID_FUTURE_BIRTH,
    ID_MALE,
    ID_OTHER,
    ID_WITH_X,
    TODAY,
    service_fields,
)


def _count(db, model=Resident) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _last_event(db) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()


def _fails_on(field: str, db, actor, **fields) -> ValidationFailed:
    before = _count(db)
    with pytest.raises(ValidationFailed) as caught:
        services.create_resident(actor, **service_fields(**fields))
    assert field in caught.value.fields, caught.value.fields
    assert caught.value.status == 422
    assert _count(db) == before, "nothing may be written"
    return caught.value


# ---------------------------------------------------------------- identity

@pytest.mark.parametrize(("number", "sex", "birth"), [
    (ID_MALE, "male", date(1992, 2, 15)),
    (ID_FEMALE, "female", date(1988, 2, 29)),
    (ID_WITH_X, "female", date(1990, 5, 15)),
])
def test_sex_and_birth_are_derived_from_the_number(world, number, sex, birth):
    resident = services.create_resident(world.manager_a, **service_fields(id_number=number))
    assert resident.sex == sex
    assert resident.birth_on == birth
    assert resident.id_number == number


def test_lower_case_x_is_stored_upper_case(world, db):
    resident = services.create_resident(world.manager_a, **service_fields(id_number=ID_WITH_X.lower()))
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).id_number == ID_WITH_X


def test_sex_and_birth_cannot_be_typed(world, db):
    with pytest.raises(ValidationFailed) as caught:
        services.create_resident(world.manager_a, **service_fields(sex="female", birth_on=date(2000, 1, 1)))
    assert set(caught.value.fields) == {"sex", "birth_on"}
    assert _count(db) == 2


@pytest.mark.parametrize(("number", "why"), [
    ("330106199202153575", "check character"),
    ("３３０１０６１９９２０２１５３５７６", "full-width"),
    ("33010619920215357", "17 characters"),
    (ID_FEB_30, "impossible date"),
    (ID_FUTURE_BIRTH, "birth in the future"),
    ("", "missing"),
])
def test_bad_id_numbers_are_422_naming_id_number(world, db, number, why):
    _fails_on("id_number", db, world.manager_a, id_number=number)


def test_duplicate_number_is_409_resident_exists_with_the_id(world, db):
    first = services.create_resident(world.manager_b, **service_fields(id_number=ID_WITH_X))
    with pytest.raises(Conflict) as caught:  # another base, lower-case x: still the same person
        services.create_resident(world.manager_a, **service_fields(id_number=ID_WITH_X.lower(), name="别名"))
    assert caught.value.code == "resident_exists"
    assert caught.value.extra == {"id": first.id}
    assert _count(db) == 3


# ---------------------------------------------------------------- other fields

def test_registered_before_release_is_refused(world, db):
    _fails_on("registered_on", db, world.manager_a, released_on="2026-10-01", registered_on="2026-09-30")


def test_release_at_most_60_days_ahead(world, db):
    _fails_on("released_on", db, world.manager_a, released_on="2027-01-20", registered_on=None)
    resident = services.create_resident(world.manager_a, **service_fields(released_on="2027-01-19",
                                                                          registered_on=None))
    assert resident.released_on == date(2027, 1, 19)


def test_regions_must_exist(world, db):
    _fails_on("hukou_region_code", db, world.manager_a, hukou_region_code="999999")
    _fails_on("prison_region_code", db, world.manager_a, prison_region_code="999999")


@pytest.mark.parametrize(("field", "value"), [
    ("name", "  "), ("name", "名" * 51), ("subject_type", "paroled"), ("diet", "kosher"),
    ("sentence_months", -1), ("phone", "call me"), ("bank_account", "12ab"), ("is_homeless", "yes"),
])
def test_each_bad_field_is_named(world, db, field, value):
    _fails_on(field, db, world.manager_a, **{field: value})


def test_all_problems_are_reported_at_once(world, db):
    error = _fails_on("name", db, world.manager_a, name="", hukou_region_code="999999", diet="x")
    assert {"name", "hukou_region_code", "diet"} <= set(error.fields)


def test_registering_base_is_one_of_the_managers(world, factory, db):
    _fails_on("base_id", db, world.manager_a, base_id=world.base_b.id)
    resident = services.create_resident(world.manager_a, **service_fields())
    assert resident.base_id == world.base_a.id  # default: his only base
    two = factory.user("base_manager", username="two_bases", bases=[world.base_a, world.base_b])
    _fails_on("base_id", db, two, id_number=ID_OTHER)
    chosen = services.create_resident(two, **service_fields(id_number=ID_OTHER, base_id=world.base_b.id))
    assert chosen.base_id == world.base_b.id


@pytest.mark.parametrize("role", ["admin", "auditor", "county_officer", "trainer"])
def test_only_base_managers_open_files(world, db, role):
    actor = {"admin": world.admin, "auditor": world.auditor, "county_officer": world.officer_x,
             "trainer": world.trainer_a}[role]
    with pytest.raises(PermissionDenied):
        services.create_resident(actor, **service_fields())
    assert _count(db) == 2


def test_derived_flags_and_support_period(world):
    resident = services.create_resident(world.manager_a, **service_fields(
        is_homeless=True, has_no_relatives=True, is_unemployed=True, subject_type="correction_ended"))
    assert resident.is_three_none and resident.is_key_subject
    assert resident.support_ends_on == date(2029, 10, 1)  # 3 years after community correction ends
    plain = services.create_resident(world.manager_a, **service_fields(
        id_number=ID_FEMALE, is_homeless=False, has_no_relatives=True, is_unemployed=True))
    assert not plain.is_three_none and not plain.is_key_subject
    assert plain.support_ends_on == date(2031, 10, 1)  # 5 years after release from prison


def test_create_is_audited_without_the_number(world, db):
    resident = services.create_resident(world.manager_a, **service_fields(bank_account="6222 0202 0011 2233"))
    event = _last_event(db)
    assert (event.action, event.object_type, event.object_id) == ("resident_created", "Resident", str(resident.id))
    assert ID_MALE not in event.details and "6222" not in event.details
    assert resident.bank_account == "6222020200112233"


# ---------------------------------------------------------------- update

def test_update_changes_only_given_fields_and_audits_names(world, db):
    resident = world.resident_a
    services.update_resident(world.manager_a, resident, phone="13700000000", dibao_since=date(2026, 10, 1))
    db.session.expire_all()
    resident = db.session.get(Resident, resident.id)
    assert resident.phone == "13700000000" and resident.dibao_since == date(2026, 10, 1)
    assert resident.name == "张三" and resident.offence == "盗窃罪"
    event = _last_event(db)
    assert event.action == "resident_updated"
    assert event.details_dict == {"fields": ["dibao_since", "phone"]}
    assert "13700000000" not in event.details


def test_new_number_rederives_and_is_checked_for_duplicates(world, db):
    resident = world.resident_b  # female, no bed
    services.update_resident(world.manager_b, resident, id_number=ID_MALE)
    assert (resident.sex, resident.birth_on) == ("male", date(1992, 2, 15))
    assert json.loads(_last_event(db).details)["fields"] == ["birth_on", "id_number", "sex"]
    other = services.create_resident(world.manager_b, **service_fields(id_number=ID_OTHER))
    with pytest.raises(Conflict) as caught:
        services.update_resident(world.manager_b, resident, id_number=ID_OTHER)
    assert caught.value.extra == {"id": other.id}
    db.session.expire_all()
    assert db.session.get(Resident, resident.id).id_number == ID_MALE


def test_new_number_may_not_flip_sex_while_holding_a_bed(world, db):
    with pytest.raises(ValidationFailed) as caught:
        services.update_resident(world.manager_a, world.resident_a, id_number=ID_FEMALE)
    assert caught.value.code == "sex_mismatch" and "id_number" in caught.value.fields
    db.session.expire_all()
    assert db.session.get(Resident, world.resident_a.id).id_number == ID_A


def test_update_checks_dates_against_stored_values(world, db):
    with pytest.raises(ValidationFailed) as caught:
        services.update_resident(world.manager_a, world.resident_a, registered_on=date(2026, 8, 1))
    assert "registered_on" in caught.value.fields  # released 2026-09-01
    with pytest.raises(ValidationFailed) as caught:
        services.update_resident(world.manager_a, world.resident_a, reoffended_on=TODAY.replace(day=21))
    assert "reoffended_on" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.update_resident(world.manager_a, world.resident_a, name=None, sex="female")
    assert {"name", "sex"} <= set(caught.value.fields)
    db.session.expire_all()
    assert db.session.get(Resident, world.resident_a.id).registered_on == date(2026, 9, 10)


# ---------------------------------------------------------------- sensitive views and case notes

def test_sensitive_view_is_audited_and_refused_to_other_roles(world, db):
    services.record_sensitive_view(world.officer_x, world.resident_a)
    event = _last_event(db)
    assert event.action == "resident_sensitive_viewed" and event.actor_username == "officer_x"
    assert event.details_dict["fields"] == ["id_number", "health_notes", "bank_account"]
    for actor in (world.admin, world.auditor, world.trainer_a, world.enterprise_user):
        with pytest.raises(PermissionDenied):
            services.record_sensitive_view(actor, world.resident_a)


def test_case_note_links_the_open_stay(world, db):
    note = services.add_case_note(world.manager_a, world.resident_a, kind="job_guidance", noted_on=TODAY,
                                  text="  推荐面试  ")
    assert (note.stay_id, note.author_id, note.text) == (world.stay_a.id, world.manager_a.id, "推荐面试")
    event = _last_event(db)
    assert (event.action, event.details_dict["kind"]) == ("case_note_added", "job_guidance")


@pytest.mark.parametrize(("field", "kwargs"), [
    ("noted_on", {"noted_on": date(2026, 11, 21)}),
    ("noted_on", {"noted_on": None}),
    ("kind", {"kind": "gossip"}),
    ("text", {"text": "   "}),
    ("text", {"text": "字" * 2001}),
])
def test_bad_case_notes_are_refused(world, db, field, kwargs):
    values = {"kind": "talk", "noted_on": TODAY, "text": "谈话"} | kwargs
    with pytest.raises(ValidationFailed) as caught:
        services.add_case_note(world.manager_a, world.resident_a, **values)
    assert field in caught.value.fields
    assert _count(db, CaseNote) == 1


def test_only_managers_write_case_notes(world, db):
    with pytest.raises(PermissionDenied):
        services.add_case_note(world.officer_x, world.resident_a, kind="talk", noted_on=TODAY, text="x")
    assert _count(db, CaseNote) == 1


def test_a_racing_duplicate_is_caught_by_the_unique_index(world, db, monkeypatch):
    """Two registrations of one number at once: the pre-check passes for both, the index decides."""
    first = services.create_resident(world.manager_b, **service_fields(id_number=ID_FEMALE))
    real = services._refuse_duplicate
    calls = []

    def late_check(actor, number, resident_id=None):
        calls.append(number)
        if len(calls) > 1:  # only after the database refused the row
            real(actor, number, resident_id)

    monkeypatch.setattr(services, "_refuse_duplicate", late_check)
    with pytest.raises(Conflict) as caught:
        services.create_resident(world.manager_a, **service_fields(id_number=ID_FEMALE))
    assert caught.value.code == "resident_exists" and caught.value.extra == {"id": first.id}
    assert len(calls) == 2
    assert _count(db) == 3
