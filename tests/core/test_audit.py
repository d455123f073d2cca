"""The audit log: chained, append-only, tamper-evident, same transaction as the change."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import select, text, update

from base_ops.core import audit
from base_ops.core.audit import AuditEvent
from base_ops.org import services as org_services
from base_ops.org.models import Base


def _events(db, action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return db.session.scalars(stmt).all()


def test_chain_verifies_and_links_rows(factory, db):
    factory.base()
    result = audit.verify()
    assert result.ok, result.reason
    rows = _events(db)
    assert len(rows) >= 3
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(rows))


def test_edited_row_is_detected_and_named(factory, db):
    factory.base()
    victim = _events(db, "room_created")[0]
    # Tamper below the application, as an attacker with database access would.
    db.session.execute(update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == victim.id)
                       .values(details='{"base_id": 999}'))
    db.session.expire_all()
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == victim.seq
    assert "hash" in result.reason


def test_deleted_row_is_detected(factory, db):
    factory.base()
    victim = _events(db)[1]
    victim_id, victim_seq = victim.id, victim.seq
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": victim_id})
    db.session.expire_all()
    result = audit.verify()
    assert not result.ok
    assert result.bad_seq == victim_seq


def test_deleted_last_row_is_detected(factory, db):
    factory.base()
    last = _events(db)[-1]
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last.id})
    db.session.expire_all()
    assert not audit.verify().ok


def test_cli_verify_exit_codes(app, factory, db):
    factory.base()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    row = _events(db)[0]
    db.session.execute(update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == row.id).values(action="x"))
    db.session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code != 0
    assert f"seq {row.seq}" in broken.output


def test_orm_refuses_update_and_delete(factory, db):
    factory.base()
    row = _events(db)[0]
    row.action = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    row = _events(db)[0]
    db.session.delete(row)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_change_rolls_back_when_audit_cannot_be_written(factory, db, monkeypatch):
    def broken_record(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(org_services.audit, "record", broken_record)
    with pytest.raises(RuntimeError):
        org_services.create_base(None, name="不应存在的基地", region_code="330106", address="x")
    db.session.rollback()
    assert db.session.scalar(select(Base).where(Base.name == "不应存在的基地")) is None


def test_details_never_carry_secrets_or_full_id_numbers(db):
    with pytest.raises(ValueError, match="password"):
        audit.record(None, "x", password="secret")
    with pytest.raises(ValueError):
        audit.record(None, "x", token="abc")
    row = audit.record(None, "note", note="person 11010519491231002X arrived")
    assert "11010519491231002X" not in row.details
    assert "110105********002X" in row.details


def test_row_has_time_zone_actor_object_result_and_ip(world, login_as, db):
    client = login_as(world.manager_a)
    client.get("/admin/users", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    row = _events(db, "access_denied")[-1]
    assert row.occurred_at.tzinfo is not None
    assert (row.actor_id, row.actor_username, row.actor_role) == (world.manager_a.id, "manager_a", "base_manager")
    assert (row.object_type, row.object_id, row.result, row.ip) == ("endpoint", "accounts.list_users", "denied",
                                                                      "10.1.2.3")


def test_auditor_page_filters(world, login_as):
    client = login_as(world.auditor)
    page = client.get("/audit?action=user_created&username=nobody")
    assert page.status_code == 200
    assert "user_created" in page.get_data(as_text=True)
    body = client.get("/audit?action=base_created").get_data(as_text=True)
    assert "base_created" in body


def test_audit_api_for_auditor_only(world, api_headers, client):
    response = client.get("/api/v1/audit?action=base_created&limit=1", headers=api_headers(world.auditor))
    assert response.status_code == 200
    assert len(response.json["items"]) == 1
    assert response.json["items"][0]["action"] == "base_created"
    assert response.json["next_cursor"]
    second = client.get(f"/api/v1/audit?action=base_created&limit=1&cursor={response.json['next_cursor']}",
                        headers=api_headers(world.auditor))
    assert second.json["items"][0]["id"] > response.json["items"][0]["id"]
    assert client.get("/api/v1/audit", headers=api_headers(world.admin)).status_code == 403
