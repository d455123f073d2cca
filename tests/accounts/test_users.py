"""User management: CLI (docs/api.md, binding), admin pages, scopes per role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from base_ops.accounts import services
from base_ops.accounts.models import User
from base_ops.core.errors import ValidationFailed
from tests.conftest import PASSWORD


def test_cli_create_reads_password_from_stdin(app, factory, db):
    base = factory.base()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "cli_mgr", "--role", "base_manager", "--base", str(base.id),
                                 "--password-stdin"], input="Stdin-Passphrase-77\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "cli_mgr"))
    assert user.base_ids == [base.id]
    assert services.authenticate("cli_mgr", "Stdin-Passphrase-77").id == user.id


def test_cli_create_refuses_missing_scope_with_a_clear_message(app, factory):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "x1", "--role", "county_officer", "--password-stdin"],
                           input="Stdin-Passphrase-77\n")
    assert result.exit_code != 0
    assert "region_code" in result.output


def test_cli_token_prints_a_working_token_last(app, world, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "token", "officer_x"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/bases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [b["id"] for b in response.json["items"]] == [world.base_a.id]


@pytest.mark.parametrize(("role", "kwargs", "field"), [
    ("county_officer", {}, "region_code"),
    ("county_officer", {"region_code": "999999"}, "region_code"),
    ("base_manager", {}, "base_ids"),
    ("trainer", {"base_ids": "two"}, "base_ids"),
    ("enterprise", {}, "enterprise_id"),
    ("admin", {"region_code": "330106"}, "region_code"),
])
def test_scope_rules_per_role(world, role, kwargs, field):
    if kwargs.get("base_ids") == "two":
        kwargs = {"base_ids": [world.base_a.id, world.base_b.id]}
    with pytest.raises(ValidationFailed) as caught:
        services.create_user(None, username="scoped", role=role, password=PASSWORD, **kwargs)
    assert field in caught.value.fields


def test_admin_creates_user_through_the_page(world, login_as, db):
    client = login_as(world.admin)
    response = client.post("/admin/users/new", data={
        "username": "new_trainer", "display_name": "新培训师", "role": "trainer",
        "base_ids": [world.base_a.id], "password": "Trainer-Passphrase-1", "enterprise_id": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "new_trainer"))
    assert user.role == "trainer" and user.base_ids == [world.base_a.id]


def test_admin_form_shows_field_errors_and_writes_nothing(world, login_as, db):
    client = login_as(world.admin)
    response = client.post("/admin/users/new", data={
        "username": "bad_officer", "display_name": "x", "role": "county_officer", "region_code": "",
        "password": "Officer-Passphrase-1", "enterprise_id": ""})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'class="form-control is-invalid" id="region_code"' in body
    assert db.session.scalar(select(User).where(User.username == "bad_officer")) is None


def test_mass_assignment_on_own_password_form_is_ignored(world, login_as, db):
    client = login_as(world.manager_a)
    client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "Another-Passphrase-5", "confirm": "Another-Passphrase-5",
        "role": "admin", "base_ids": [world.base_b.id]})
    db.session.refresh(world.manager_a)
    assert world.manager_a.role == "base_manager"
    assert world.manager_a.base_ids == [world.base_a.id]


def test_admin_cannot_demote_self(world):
    with pytest.raises(ValidationFailed):
        services.update_user(world.admin, world.admin, display_name="x", role="auditor", region_code=None,
                             base_ids=[], enterprise_id=None, is_enabled=True)


def test_unlock_and_reset_are_audited(world, login_as, db):
    from base_ops.core.audit import AuditEvent

    for _ in range(5):
        with pytest.raises((services.AuthenticationFailed, services.AccountLocked)):
            services.authenticate("manager_a", "wrong-wrong-wrong")
    assert world.manager_a.id in services.locked_user_ids()
    client = login_as(world.admin)
    assert client.post(f"/admin/users/{world.manager_a.id}/unlock").status_code == 302
    assert world.manager_a.id not in services.locked_user_ids()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(world.manager_a.id),
                                                                 AuditEvent.object_type == "User")).all()
    assert "account_unlocked" in actions
