"""A reoffence recorded later in the support period, and hardship (生活确有困难, seed 002 三(三)) recorded
with its evidence (issue 18): the services (base manager or county officer in scope, audited), the API
(POST /residents/<id>/reoffence, POST /residents/<id>/hardship) and the forms on the resident's file."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import NotFound, PermissionDenied, ValidationFailed
from base_ops.residents import queries, services


def _actions(db, action) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def no_hardship(world, db):
    world.resident_a.hardship_recorded_on = world.resident_a.hardship_evidence = None
    db.session.commit()
    return world.resident_a


# ---------------------------------------------------------------- reoffence

@pytest.mark.parametrize("actor", ["manager_a", "officer_x"])
def test_a_reoffence_is_recorded_by_the_manager_or_the_officer_and_audited(world, db, actor):
    services.record_reoffence(getattr(world, actor), world.resident_a, on=date(2026, 11, 5))
    db.session.refresh(world.resident_a)
    assert world.resident_a.reoffended_on == date(2026, 11, 5)
    assert len(_actions(db, "reoffence_recorded")) == 1


@pytest.mark.parametrize(("on", "why"), [(date(2026, 8, 31), "before"), (date(2026, 11, 21), "future"),
                                         (None, "required"), ("2026-11-05", "not a date")])
def test_a_reoffence_date_outside_release_and_today_is_422_on(world, db, on, why):
    with pytest.raises(ValidationFailed) as error:
        services.record_reoffence(world.manager_a, world.resident_a, on=on)
    assert set(error.value.fields) == {"on"}, why
    db.session.rollback()
    db.session.refresh(world.resident_a)
    assert world.resident_a.reoffended_on is None and _actions(db, "reoffence_recorded") == []


def test_other_roles_may_not_record_a_reoffence(world, db):
    with pytest.raises(PermissionDenied):
        services.record_reoffence(world.trainer_a, world.resident_a, on=date(2026, 11, 5))


def test_the_api_records_a_reoffence(world, client, api_headers, db):
    url = f"/api/v1/residents/{world.resident_a.id}/reoffence"
    response = client.post(url, headers=api_headers(world.manager_a), json={"on": "2026-11-05"})
    assert response.status_code == 200, response.json
    assert response.json["id"] == world.resident_a.id and response.json["reoffended_on"] == "2026-11-05"
    bad = client.post(url, headers=api_headers(world.manager_a), json={"on": "2026-08-01"})
    assert bad.status_code == 422 and "on" in bad.json["error"]["fields"]
    other = client.post(f"/api/v1/residents/{world.resident_b.id}/reoffence", headers=api_headers(world.manager_a),
                        json={"on": "2026-11-05"})
    assert other.status_code == 404
    assert client.post(url, headers=api_headers(world.enterprise_user), json={"on": "2026-11-05"}).status_code == 403


def test_the_file_has_a_reoffence_form(world, login_as, db):
    client = login_as(world.manager_a)
    page = client.get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert "reoffence-form" in page
    response = client.post(f"/residents/{world.resident_a.id}/reoffence", data={"on": "2026-11-05"})
    assert response.status_code == 302
    db.session.refresh(world.resident_a)
    assert world.resident_a.reoffended_on == date(2026, 11, 5)
    bad = client.post(f"/residents/{world.resident_a.id}/reoffence", data={"on": "2026-12-05"})
    assert bad.status_code == 422


# ---------------------------------------------------------------- hardship

@pytest.mark.parametrize("actor", ["manager_a", "officer_x"])
def test_hardship_is_recorded_with_its_evidence_and_audited(world, db, no_hardship, actor):
    services.record_hardship(getattr(world, actor), no_hardship, evidence="  村委会出具的生活困难证明 ",
                             recorded_on=date(2026, 11, 3))
    db.session.refresh(no_hardship)
    assert (no_hardship.hardship_recorded_on, no_hardship.hardship_evidence) == (date(2026, 11, 3),
                                                                                 "村委会出具的生活困难证明")
    assert len(_actions(db, "hardship_recorded")) == 1


def test_hardship_recorded_on_defaults_to_today_and_can_be_cleared(world, db, no_hardship):
    services.record_hardship(world.manager_a, no_hardship, evidence="低保边缘户证明")
    assert no_hardship.hardship_recorded_on == date(2026, 11, 20)
    services.clear_hardship(world.manager_a, no_hardship)
    db.session.refresh(no_hardship)
    assert (no_hardship.hardship_recorded_on, no_hardship.hardship_evidence) == (None, None)
    assert len(_actions(db, "hardship_cleared")) == 1


@pytest.mark.parametrize(("values", "field"), [
    ({"evidence": "  "}, "evidence"), ({"evidence": None}, "evidence"), ({"evidence": "证" * 201}, "evidence"),
    ({"evidence": "证明", "recorded_on": date(2026, 11, 21)}, "recorded_on"),
])
def test_bad_hardship_input_is_422_naming_the_field(world, db, no_hardship, values, field):
    with pytest.raises(ValidationFailed) as error:
        services.record_hardship(world.manager_a, no_hardship, **values)
    assert set(error.value.fields) == {field}
    db.session.rollback()
    db.session.refresh(no_hardship)
    assert no_hardship.hardship_evidence is None


def test_hardship_out_of_scope_or_role(world, db):
    with pytest.raises(NotFound):
        queries.get_resident(world.manager_a, world.resident_b.id)
    with pytest.raises(PermissionDenied):
        services.record_hardship(world.enterprise_user, world.resident_a, evidence="证明")


def test_the_api_records_hardship(world, client, api_headers, db, no_hardship):
    url = f"/api/v1/residents/{no_hardship.id}/hardship"
    response = client.post(url, headers=api_headers(world.officer_x), json={"evidence": "村委会出具的生活困难证明"})
    assert response.status_code == 200, response.json
    assert response.json["hardship_evidence"] == "村委会出具的生活困难证明"
    assert response.json["hardship_recorded_on"] == "2026-11-20"
    blank = client.post(url, headers=api_headers(world.manager_a), json={"evidence": ""})
    assert blank.status_code == 422 and "evidence" in blank.json["error"]["fields"]


def test_the_file_shows_hardship_and_its_form(world, login_as, db, no_hardship):
    client = login_as(world.manager_a)
    page = client.get(f"/residents/{no_hardship.id}").get_data(as_text=True)
    assert "hardship-form" in page
    response = client.post(f"/residents/{no_hardship.id}/hardship",
                           data={"evidence": "村委会出具的生活困难证明", "recorded_on": "2026-11-03"})
    assert response.status_code == 302
    page = client.get(f"/residents/{no_hardship.id}").get_data(as_text=True)
    assert "村委会出具的生活困难证明" in page and "2026-11-03" in page
    assert client.post(f"/residents/{no_hardship.id}/hardship/clear").status_code == 302
    db.session.refresh(no_hardship)
    assert no_hardship.hardship_evidence is None
    assert client.post(f"/residents/{no_hardship.id}/hardship", data={"evidence": ""}).status_code == 422
