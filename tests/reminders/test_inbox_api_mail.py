"""The inbox page, the top bar's count, the API shapes, dismissing, the claim kind, and the mail digest."""

import email
import email.header
import socket
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from base_ops.reminders import mail, services
from base_ops.reminders.models import Reminder

OVERSTAY_DAY = date(2026, 9, 12) + timedelta(days=181)


def _overstay(world):
    services.run(OVERSTAY_DAY)
    return world.manager_a


def test_inbox_lists_and_counts_in_the_top_bar(world, login_as, db):
    _overstay(world)
    page = login_as(world.manager_a).get("/reminders")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    count = db.session.execute(select(Reminder).where(Reminder.user_id == world.manager_a.id,
                                                      Reminder.status == "open")).scalars().all()
    assert "张三" in html and f"提醒 {len(count)} 条" in html and "去处理" in html
    other = login_as(world.manager_b).get("/reminders").get_data(as_text=True)
    assert "张三" not in other


def test_dismiss_page_and_api_owner_only(world, login_as, api_headers, client, db):
    _overstay(world)
    item = db.session.execute(select(Reminder).where(Reminder.user_id == world.manager_a.id,
                                                     Reminder.kind == "overstay")).scalar_one()
    assert client.post(f"/api/v1/reminders/{item.id}/dismiss", headers=api_headers(world.manager_b)).status_code == 404
    response = client.post(f"/api/v1/reminders/{item.id}/dismiss", headers=api_headers(world.manager_a))
    assert response.status_code == 200 and response.get_json()["status"] == "dismissed"
    done = client.get("/api/v1/reminders?status=done", headers=api_headers(world.manager_a)).get_json()
    assert [i["id"] for i in done["items"]] == [item.id]


def test_api_shape(world, client, api_headers):
    _overstay(world)
    body = client.get("/api/v1/reminders", headers=api_headers(world.manager_a)).get_json()
    assert set(body) == {"items", "next_cursor"}
    (item,) = [i for i in body["items"] if i["kind"] == "overstay"]
    assert set(item) == {"id", "kind", "due_on", "title", "object_type", "object_id", "url", "status"}
    assert item["kind"] == "overstay" and item["url"] == f"/stays/{world.stay_a.id}" and "张三" in item["title"]
    assert client.get("/api/v1/reminders?status=nope", headers=api_headers(world.manager_a)).status_code == 422


def test_claim_waiting_follows_the_claim(world, db):
    from base_ops.subsidies.models import Claim

    claim = Claim(kind="living_allowance", status="submitted", subject_key=f"r{world.resident_a.id}",
                  period="2026-10", resident_id=world.resident_a.id, base_id=world.base_a.id, region_code="330106",
                  amount=500, rule="测试")
    db.session.add(claim)
    db.session.commit()
    day = date(2026, 12, 1)
    services.run(day)

    def waiting(user):
        return db.session.execute(select(Reminder.object_id).where(
            Reminder.user_id == user.id, Reminder.kind == "claim_waiting", Reminder.status == "open")).scalars().all()

    assert waiting(world.manager_a) == [str(claim.id)] and waiting(world.officer_x) == []
    assert waiting(world.manager_b) == []
    claim.status = "reviewed"
    db.session.commit()
    services.run(day)
    assert waiting(world.manager_a) == [] and waiting(world.officer_x) == [str(claim.id)]
    assert waiting(world.officer_y) == []
    claim.status = "paid"
    db.session.commit()
    services.run(day)
    assert waiting(world.officer_x) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(app):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Sink(Message):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Sink(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="base-ops@example.org",
                      BASE_URL="https://ops.example.org")
    try:
        yield received
    finally:
        controller.stop()
        app.config["MAIL_SERVER"] = None


def test_digest_once_a_day_in_chinese(world, db, smtp_sink):
    world.manager_a.email = "manager_a@example.org"
    world.officer_x.email = "officer_x@example.org"
    db.session.commit()
    services.run(OVERSTAY_DAY)
    assert mail.send_digests(OVERSTAY_DAY) >= 1
    to = sorted(m["To"] for m in smtp_sink)
    assert any("manager_a@example.org" in t for t in to)
    assert len([t for t in to if "manager_a@example.org" in t]) == 1
    message = next(m for m in smtp_sink if "manager_a@example.org" in m["To"])
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "待办提醒" in subject and "=?utf-8?" in message["Subject"]  # RFC 2047: no raw 8-bit header
    body = email.message_from_bytes(message.as_bytes()).get_payload(decode=True).decode("utf-8")
    assert "张三" in body and f"https://ops.example.org/stays/{world.stay_a.id}" in body
    count = len(smtp_sink)
    services.run(OVERSTAY_DAY)
    assert mail.send_digests(OVERSTAY_DAY) == 0 and len(smtp_sink) == count  # no second mail the same day


def test_no_mail_server_no_mail(world, db):
    world.manager_a.email = "manager_a@example.org"
    db.session.commit()
    services.run(OVERSTAY_DAY)
    assert mail.send_digests(OVERSTAY_DAY) == 0


def test_cli_run_prints_and_is_idempotent(world, app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "run", "--date", OVERSTAY_DAY.isoformat()])
    assert first.exit_code == 0, first.output
    assert "added" in first.output and "closed" in first.output and "open" in first.output
    second = runner.invoke(args=["reminders", "run", "--date", OVERSTAY_DAY.isoformat()])
    assert "added 0," in second.output
    bad = runner.invoke(args=["reminders", "run", "--date", "2026-13-01"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_inbox_count_is_one_query(world, login_as, app, db):
    from sqlalchemy import event

    _overstay(world)
    client = login_as(world.manager_a)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get("/reminders?status=done")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len([s for s in statements if "count(" in s.lower() and "reminders" in s]) == 1


def test_user_email_is_checked_and_kept(world, db):
    from base_ops.accounts.services import create_user, update_user
    from base_ops.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        create_user(None, username="mailer", role="base_manager", password="Correct-Horse-42",
                    base_ids=[world.base_a.id], email="not an address")
    assert "email" in refused.value.fields
    user = create_user(None, username="mailer", role="base_manager", password="Correct-Horse-42",
                       base_ids=[world.base_a.id], email=" mailer@example.org ")
    assert user.email == "mailer@example.org"
    update_user(world.admin, user, display_name="mailer", role="base_manager", region_code=None,
                base_ids=[world.base_a.id], enterprise_id=None, is_enabled=True, email="")
    assert user.email is None


def test_dismiss_page_owner_only_and_closed_items_stay(world, login_as, db):
    _overstay(world)
    item = db.session.execute(select(Reminder).where(Reminder.user_id == world.manager_a.id,
                                                     Reminder.kind == "overstay")).scalar_one()
    assert login_as(world.manager_b).post(f"/reminders/{item.id}/dismiss").status_code == 404
    assert login_as(world.officer_x).post(f"/reminders/{item.id}/dismiss").status_code == 404
    response = login_as(world.manager_a).post(f"/reminders/{item.id}/dismiss")
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status == "dismissed" and item.closed_at is not None
    assert services.dismiss(world.manager_a, item.id).status == "dismissed"  # again: nothing changes


def test_titles_name_the_person_for_each_kind(world, client, api_headers, db):
    from base_ops.intake.models import Absence

    db.session.add(Absence(stay_id=world.stay_a.id, start_on=OVERSTAY_DAY - timedelta(days=5)))
    db.session.commit()
    services.run(OVERSTAY_DAY)
    items = client.get("/api/v1/reminders", headers=api_headers(world.manager_a)).get_json()["items"]
    by_kind = {i["kind"]: i for i in items}
    assert "张三" in by_kind["absence"]["title"] and by_kind["absence"]["url"] == f"/stays/{world.stay_a.id}"
    assert "张三" in by_kind["overstay"]["title"]
    assert all(i["title"] and "#" not in i["title"] for i in items)
