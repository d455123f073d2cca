"""The daily digest: one plain-text Chinese e-mail per user with an address and open items, once a day.

Sent after the run's commit (docs/architecture.md rule 4: mails go out after the commit); each sent digest
is recorded in its own unit (ReminderDigest), so a second run the same day sends nothing again and a failed
send is logged, does not undo the run, and is tried again by the next run that day.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, select

from base_ops.accounts.models import User
from base_ops.core.unit_of_work import unit_of_work
from base_ops.extensions import db
from base_ops.reminders.models import Reminder, ReminderDigest, ReminderStatus
from base_ops.reminders.vocabulary import describe, kind_label

log = logging.getLogger(__name__)
DIGEST_LOCALE = "zh_CN"  # the bases' language; the digest is read outside the app


def recipients(day: date) -> list[User]:
    """Enabled users with an address and open items, not yet sent a digest on `day` (one query)."""
    has_open = exists().where(Reminder.user_id == User.id, Reminder.status == ReminderStatus.OPEN)
    sent = exists().where(ReminderDigest.user_id == User.id, ReminderDigest.sent_on == day)
    return list(db.session.execute(
        select(User).where(User.email.is_not(None), User.is_enabled.is_(True), has_open, ~sent).order_by(User.id)
    ).unique().scalars())


def build_digest(user: User, day: date) -> EmailMessage:
    items = list(db.session.execute(
        select(Reminder).where(Reminder.user_id == user.id, Reminder.status == ReminderStatus.OPEN)
        .order_by(Reminder.due_on, Reminder.id)).scalars())
    base_url = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context("/"), force_locale(DIGEST_LOCALE):  # links and words outside a request
        described = describe(items)
        lines = [_("Hello %(name)s,", name=user.display_name), "",
                 _("%(count)s reminders wait for you on %(date)s:", count=len(items), date=day.isoformat()), ""]
        for item in items:
            title, url = described[item.id]
            due = _("due %(date)s", date=item.due_on.isoformat())
            lines.append(f"- [{kind_label(item.kind)}] {title}（{due}）")
            if url:
                lines.append(f"  {base_url}{url}")
        lines += ["", _("All reminders: %(url)s", url=base_url + "/reminders")]
        subject = _("Reminders for %(date)s: %(count)s items", date=day.isoformat(), count=len(items))
    message = EmailMessage()
    message["Subject"] = subject  # non-ASCII: encoded as RFC 2047 by the email package
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((user.display_name, user.email))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="base-ops")
    message.set_content("\n".join(lines), charset="utf-8")
    return message


def _smtp() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    if config["MAIL_USE_TLS"]:
        smtp.starttls()
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def send_digests(day: date) -> int:
    """Mail each recipient's digest; returns how many went out. Nothing when MAIL_SERVER is not set."""
    if not current_app.config.get("MAIL_SERVER"):
        return 0
    users = recipients(day)
    if not users:
        return 0
    sent = 0
    try:
        smtp = _smtp()
    except (OSError, smtplib.SMTPException):
        log.exception("reminder digests: the mail server is not reachable")
        return 0
    with smtp:
        for user in users:
            try:
                smtp.send_message(build_digest(user, day))
            except (OSError, smtplib.SMTPException):
                log.exception("reminder digest to user %s failed", user.id)
                continue
            with unit_of_work():
                db.session.add(ReminderDigest(user_id=user.id, sent_on=day))
            sent += 1
    return sent
