"""Audit log search, shared by the page and the API."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, select

from base_ops.core.audit import AuditEvent
from base_ops.core.clock import LOCAL_ZONE
from base_ops.extensions import db


def search(*, action: str | None = None, username: str | None = None, object_type: str | None = None,
           object_id: str | None = None, result: str | None = None, from_on: date | None = None,
           to_on: date | None = None) -> Select:
    """Events matching the filters; dates are local days, `to_on` inclusive."""
    stmt = select(AuditEvent)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if username:
        stmt = stmt.where(AuditEvent.actor_username == username)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if result:
        stmt = stmt.where(AuditEvent.result == result)
    if from_on:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(from_on, time(), LOCAL_ZONE))
    if to_on:
        stmt = stmt.where(AuditEvent.occurred_at < datetime.combine(to_on + timedelta(days=1), time(), LOCAL_ZONE))
    return stmt


# ---------------------------------------------------------------- the page's words for objects and details

def _names(stmt) -> dict[int, str]:
    rows = db.session.execute(stmt)
    return {row[0]: " ".join(str(part) for part in row[1:] if part not in (None, "")) for row in rows}


def _describers() -> dict:
    """Per object kind: ids -> {id: words}, one query per kind on a page (no query per row)."""
    from base_ops.accounts.models import User
    from base_ops.beds.models import BedAssignment
    from base_ops.enterprises.models import Enterprise, JobPosting, PlacementAgreement
    from base_ops.intake.models import Absence, Leave, ReleaseNotice, Stay
    from base_ops.org.models import Base, Bed, Room
    from base_ops.placements.models import Placement, Referral, RetentionCheck
    from base_ops.policies.models import Policy
    from base_ops.residents.models import CaseNote, Resident
    from base_ops.subsidies.models import Claim, PaymentBatch
    from base_ops.training.models import Course, CourseSession, Enrolment

    def via_stay(model, day):
        return lambda ids: _names(select(model.id, Resident.name, day).join(Stay, Stay.id == model.stay_id)
                                  .join(Resident, Resident.id == Stay.resident_id).where(model.id.in_(ids)))

    def numbered(model):
        return lambda ids: {row.id: row.number for row in db.session.scalars(select(model).where(model.id.in_(ids)))}

    return {
        "Resident": lambda ids: _names(select(Resident.id, Resident.name).where(Resident.id.in_(ids))),
        "User": lambda ids: _names(select(User.id, User.display_name).where(User.id.in_(ids))),
        "Base": lambda ids: _names(select(Base.id, Base.name).where(Base.id.in_(ids))),
        "Room": lambda ids: _names(select(Room.id, Base.name, Room.name).join(Base).where(Room.id.in_(ids))),
        "Bed": lambda ids: _names(select(Bed.id, Room.name, Bed.label).join(Room).where(Bed.id.in_(ids))),
        "Enterprise": lambda ids: _names(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))),
        "JobPosting": lambda ids: _names(select(JobPosting.id, JobPosting.title).where(JobPosting.id.in_(ids))),
        "PlacementAgreement": lambda ids: _names(
            select(PlacementAgreement.id, Enterprise.name, PlacementAgreement.starts_on)
            .join(Enterprise, Enterprise.id == PlacementAgreement.enterprise_id).where(PlacementAgreement.id.in_(ids))),
        "Course": lambda ids: _names(select(Course.id, Course.title).where(Course.id.in_(ids))),
        "CourseSession": lambda ids: _names(select(CourseSession.id, Course.title, CourseSession.held_on)
                                            .join(Course).where(CourseSession.id.in_(ids))),
        "Enrolment": lambda ids: _names(select(Enrolment.id, Resident.name, Course.title)
                                        .join(Resident, Resident.id == Enrolment.resident_id)
                                        .join(Course, Course.id == Enrolment.course_id).where(Enrolment.id.in_(ids))),
        "Stay": lambda ids: _names(select(Stay.id, Resident.name, Stay.admitted_on)
                                   .join(Resident, Resident.id == Stay.resident_id).where(Stay.id.in_(ids))),
        "Leave": via_stay(Leave, Leave.start_on),
        "Absence": via_stay(Absence, Absence.start_on),
        "BedAssignment": via_stay(BedAssignment, BedAssignment.start_on),
        "CaseNote": lambda ids: _names(select(CaseNote.id, Resident.name, CaseNote.noted_on)
                                       .join(Resident, Resident.id == CaseNote.resident_id)
                                       .where(CaseNote.id.in_(ids))),
        "ReleaseNotice": lambda ids: _names(select(ReleaseNotice.id, ReleaseNotice.name)
                                            .where(ReleaseNotice.id.in_(ids))),
        "Referral": lambda ids: _names(select(Referral.id, Resident.name, JobPosting.title)
                                       .join(Resident, Resident.id == Referral.resident_id)
                                       .join(JobPosting, JobPosting.id == Referral.posting_id)
                                       .where(Referral.id.in_(ids))),
        "Placement": lambda ids: _names(select(Placement.id, Resident.name, Placement.started_on)
                                        .join(Resident, Resident.id == Placement.resident_id)
                                        .where(Placement.id.in_(ids))),
        "RetentionCheck": lambda ids: _names(select(RetentionCheck.id, Resident.name, RetentionCheck.checked_on)
                                             .join(Placement, Placement.id == RetentionCheck.placement_id)
                                             .join(Resident, Resident.id == Placement.resident_id)
                                             .where(RetentionCheck.id.in_(ids))),
        "Policy": lambda ids: _names(select(Policy.id, Policy.title).where(Policy.id.in_(ids))),
        "Claim": numbered(Claim),
        "PaymentBatch": numbered(PaymentBatch),
    }


# Detail keys that hold the id of an object of a kind, resolved like the object column.
ID_KEYS = {"resident_id": "Resident", "base_id": "Base", "bed_id": "Bed", "moved_from_bed_id": "Bed",
           "stay_id": "Stay", "course_id": "Course", "enterprise_id": "Enterprise", "posting_id": "JobPosting",
           "placement_id": "Placement", "claim_id": "Claim", "owner_id": "User", "base_ids": "Base",
           "supersedes_id": "PlacementAgreement"}


def _ids(value) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def describe(events) -> dict[tuple[str, int], str]:
    """{(kind, id): words} for every object of `events` and every id in their details."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type and event.object_id and event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
        for key, value in _details(event).items():
            if key in ID_KEYS:
                wanted.setdefault(ID_KEYS[key], set()).update(_ids(value))
    describers = _describers()
    words = {}
    for kind, ids in wanted.items():
        if kind in describers and ids:
            for object_id, text in describers[kind](sorted(ids)).items():
                words[(kind, object_id)] = text
    return words


def _details(event) -> dict:
    try:
        details = json.loads(event.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _value_labels() -> dict:
    """Status, kind and role codes of every domain, in words (the log keeps codes; the page reads words)."""
    from base_ops.audit_log.vocabulary import VALUE_LABELS
    from base_ops.core.roles import ROLE_LABELS
    from base_ops.enterprises.vocabulary import POSTING_STATUS_LABELS
    from base_ops.intake.vocabulary import STAY_STATE_LABELS
    from base_ops.placements.vocabulary import REFERRAL_STATUS_LABELS
    from base_ops.residents.vocabulary import CASE_NOTE_KIND_LABELS
    from base_ops.subsidies.models import RejectionReason
    from base_ops.subsidies.vocabulary import KIND_LABELS, STATUS_LABELS
    from base_ops.training.vocabulary import ENROLMENT_STATUS_LABELS

    labels: dict = {}
    for table in (POSTING_STATUS_LABELS, STAY_STATE_LABELS, REFERRAL_STATUS_LABELS, CASE_NOTE_KIND_LABELS,
                  KIND_LABELS, STATUS_LABELS, ENROLMENT_STATUS_LABELS, ROLE_LABELS, VALUE_LABELS):
        labels.update({str(getattr(code, "value", code)): label for code, label in table.items()})
    labels.update(dict(db.session.execute(select(RejectionReason.code, RejectionReason.label)).all()))
    return labels


def readable_details(events, words: dict) -> dict[int, list[tuple[str, str]]]:
    """{event id: [(label, value), ...]}: each event's details as a list a person reads — ids as names,
    codes as words, yes/no for flags (docs/architecture.md rule 11)."""
    from flask_babel import gettext as _

    from base_ops.audit_log.vocabulary import DETAIL_LABELS
    from base_ops.org.queries import region_name

    labels = _value_labels()

    def value_of(key, value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if key in ID_KEYS:
            return "、".join(words.get((ID_KEYS[key], i), "—") for i in _ids(value)) or "—"
        if key.endswith("region_code"):
            return region_name(str(value))
        if isinstance(value, dict):
            return "；".join(f"{DETAIL_LABELS.get(k, k)}：{value_of(k, v)}" for k, v in value.items())
        if isinstance(value, list):
            return "、".join(value_of(key, v) for v in value)
        return str(labels.get(str(value), value))

    return {event.id: [(str(DETAIL_LABELS.get(key, key)), value_of(key, value))
                       for key, value in _details(event).items()] for event in events}
