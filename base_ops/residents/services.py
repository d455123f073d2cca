"""Resident use cases: the person's file (一人一档, seed 002 二(三)5), case notes, sensitive views.

Identity comes from the ID number alone (GB 11643-1999, docs/domain.md "Identity"):
sex and birth date are derived, never typed, and one person has one file.
The ID number, bank account and health notes are sensitive personal
information (GB/T 35273-2020 Table B.2): every view of them is audited, and
audit rows carry field names only, never their values.

Each use case writes in one unit of work (core/unit_of_work.py). A refused duplicate ID number is
audited in a unit of its own before the 409, so the probe stays in the log though the change is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from stdnum.cn import ric

from base_ops.accounts.models import Role
from base_ops.beds.models import BedAssignment
from base_ops.core import audit
from base_ops.core.clock import today
from base_ops.core.errors import Conflict, PermissionDenied, ValidationFailed
from base_ops.core.identity import validate_id_number
from base_ops.core.unit_of_work import flush, unit_of_work, use_case
from base_ops.extensions import db
from base_ops.intake.models import Stay
from base_ops.org.models import Base, Region, Sex
from base_ops.residents.models import CaseNote, CaseNoteKind, Diet, Resident, SubjectType

# A file may be opened ahead of a release the office already knows of, but not far ahead.
MAX_RELEASE_DAYS_AHEAD = 60
MAX_SENTENCE_MONTHS = 1200
CASE_NOTE_MAX_CHARS = 2000
HARDSHIP_EVIDENCE_MAX_CHARS = 200
SENSITIVE_FIELDS = ("id_number", "health_notes", "bank_account")

# Free-text fields: (maximum length, required).
_TEXT_FIELDS = {
    "name": (50, True),
    "ethnicity": (20, False),
    "hukou_address": (200, False),
    "prison_name": (100, False),
    "offence": (200, False),
    "health_notes": (2000, False),
}
_FLAG_FIELDS = ("is_homeless", "has_no_relatives", "is_unemployed", "reoffend_risk", "state_security",
                "false_identity", "special_hardship")
_DATE_FIELDS = ("released_on", "registered_on", "dibao_since", "reoffended_on")
_REQUIRED = ("id_number", "name", "hukou_region_code", "subject_type", "released_on")
# Every field a caller may set; sex and birth_on are derived and deliberately absent.
EDITABLE_FIELDS = frozenset({
    "id_number", "name", "ethnicity", "phone", "hukou_region_code", "hukou_address", "subject_type",
    "released_on", "prison_name", "prison_region_code", "offence", "sentence_months", "registered_on",
    *_FLAG_FIELDS, "diet", "health_notes", "bank_account", "dibao_since", "reoffended_on", "base_id",
})
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,28}$")
_BANK_ACCOUNT = re.compile(r"^[0-9]{10,30}$")


def may_see_sensitive(actor) -> bool:
    """Base managers and county officers see full numbers of residents in their scope (the
    caller has already fetched the resident through the scope); nobody else ever does."""
    return actor is not None and actor.role in (Role.BASE_MANAGER, Role.COUNTY_OFFICER)


def derive_identity(id_number: str) -> tuple[Sex, date]:
    """Sex from the 17th digit (odd = male) and birth date from characters 7-14 (GB 11643-1999)."""
    sex = Sex.MALE if int(id_number[16]) % 2 == 1 else Sex.FEMALE
    return sex, ric.get_birth_date(id_number)


# ---------------------------------------------------------------- field checks

class _Errors:
    """Collects one problem per field so a form shows them all at once."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields.setdefault(field, []).append(problem)

    def guard(self, field: str, check, *args):
        try:
            return check(*args)
        except ValidationFailed as error:
            for name, problems in (error.fields or {field: [error.message]}).items():
                for problem in problems:
                    self.add(name, problem)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            summary = "; ".join(f"{name}: {problems[0]}" for name, problems in self.fields.items())
            raise ValidationFailed(summary, fields=self.fields)


def _text(field: str, value) -> str | None:
    limit, required = _TEXT_FIELDS[field]
    if value is not None and not isinstance(value, str):
        raise ValidationFailed.on(field, _("must be text"))
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed.on(field, _("is required"))
        return None
    if len(value) > limit:
        raise ValidationFailed.on(field, _("must be at most %(max)s characters", max=limit))
    return value


def _region_code(field: str, value) -> str | None:
    if value in (None, ""):
        return None
    region = db.session.get(Region, str(value).strip())
    if region is None:
        raise ValidationFailed.on(field, _("no region with code %(code)s", code=str(value)[:12]))
    return region.code


def _date(field: str, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed.on(field, _("must be a date YYYY-MM-DD")) from None


def _choice(field: str, value, enum_cls):
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum_cls)
        raise ValidationFailed.on(field, _("must be one of %(choices)s", choices=choices)) from None


def _flag(field: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed.on(field, _("must be true or false"))
    return value


def _sentence(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.on("sentence_months", _("must be a whole number of months"))
    if not 0 <= value <= MAX_SENTENCE_MONTHS:
        raise ValidationFailed.on("sentence_months", _("must be between %(low)s and %(high)s",
                                                       low=0, high=MAX_SENTENCE_MONTHS))
    return value


def _phone(value) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _PHONE.match(value):
        raise ValidationFailed.on("phone", _("must be a phone number (digits, spaces, + and - only)"))
    return value


def clean_bank_account(value) -> str | None:
    """A bank account number without spaces, 10 to 30 digits (also the payees' rule, subsidies/payees.py)."""
    value = re.sub(r"\s", "", value or "")
    if not value:
        return None
    if not _BANK_ACCOUNT.match(value):
        raise ValidationFailed.on("bank_account", _("must be 10 to 30 digits"))
    return value


def _id_number(value) -> str:
    number = validate_id_number(value if isinstance(value, str) else "", "id_number")
    if ric.get_birth_date(number) > today():
        raise ValidationFailed.on("id_number", _("birth date in the number is in the future"))
    return number


def _base_id(actor, value) -> int:
    """The registering base: one of the manager's bases (default: his only one)."""
    if actor is None:  # seed loaders and the CLI name the base themselves
        if value is None or db.session.get(Base, value) is None:
            raise ValidationFailed.on("base_id", _("is not a known base"))
        return value
    own = actor.base_ids
    if value is None:
        if len(own) == 1:
            return own[0]
        raise ValidationFailed.on("base_id", _("choose one of your bases") if own else _("you manage no base"))
    if isinstance(value, bool) or not isinstance(value, int) or value not in own:
        raise ValidationFailed.on("base_id", _("is not one of your bases"))
    return value


def _clean(actor, values: dict, errors: _Errors) -> dict:
    """Each given field normalised; problems collected per field."""
    cleaners = {
        "id_number": _id_number,
        "phone": _phone,
        "bank_account": clean_bank_account,
        "sentence_months": _sentence,
        "subject_type": lambda v: _choice("subject_type", v, SubjectType),
        "diet": lambda v: _choice("diet", Diet.STANDARD if v in (None, "") else v, Diet),
        "hukou_region_code": lambda v: _region_code("hukou_region_code", v),
        "prison_region_code": lambda v: _region_code("prison_region_code", v),
        "base_id": lambda v: _base_id(actor, v),
    }
    cleaned = {}
    for field, value in values.items():
        if field in _TEXT_FIELDS:
            check = lambda v, f=field: _text(f, v)  # noqa: E731
        elif field in _FLAG_FIELDS:
            check = lambda v, f=field: _flag(f, v)  # noqa: E731
        elif field in _DATE_FIELDS:
            check = lambda v, f=field: _date(f, v)  # noqa: E731
        else:
            check = cleaners[field]
        before = len(errors.fields)
        result = errors.guard(field, check, value)
        if len(errors.fields) == before:
            cleaned[field] = result
    return cleaned


def _known(values: dict, errors: _Errors) -> dict:
    """Mass assignment: derived (sex, birth_on) or foreign fields are refused by name."""
    for name in sorted(set(values) - EDITABLE_FIELDS):
        errors.add(name, _("is not a field you can set"))
    return {k: v for k, v in values.items() if k in EDITABLE_FIELDS}


def _check_dates(state: dict, errors: _Errors) -> None:
    """Cross-field date rules on the resident as he would be after the change."""
    now = today()
    birth_on, released_on = state.get("birth_on"), state.get("released_on")
    if released_on and "released_on" not in errors.fields:
        if released_on > now + timedelta(days=MAX_RELEASE_DAYS_AHEAD):
            errors.add("released_on", _("must not be more than %(days)s days ahead", days=MAX_RELEASE_DAYS_AHEAD))
        elif birth_on and released_on <= birth_on:
            errors.add("released_on", _("must be after the birth date"))
    registered_on = state.get("registered_on")
    if registered_on and released_on:
        if registered_on < released_on:
            errors.add("registered_on", _("must not be before the release date"))
        elif registered_on > now:
            errors.add("registered_on", _("must not be in the future"))
    reoffended_on = state.get("reoffended_on")
    if reoffended_on and released_on:
        if reoffended_on < released_on:
            errors.add("reoffended_on", _("must not be before the release date"))
        elif reoffended_on > now:
            errors.add("reoffended_on", _("must not be in the future"))
    dibao_since = state.get("dibao_since")
    if dibao_since and birth_on and dibao_since < birth_on:
        errors.add("dibao_since", _("must not be before the birth date"))


def _require_manager(actor) -> None:
    if actor is not None and actor.role != Role.BASE_MANAGER:
        raise PermissionDenied(_("Only base managers keep residents' files."))


def _refuse_duplicate(actor, id_number: str, resident_id: int | None = None) -> None:
    """A number that already has a file is refused with that file's id (409 resident_exists).

    Accepted risk (README "Security notes"): the id tells a manager that the person has a file at
    some base, even another one; a transfer between bases needs exactly that. Every such attempt is
    audited, committed on its own before the refusal, so probing for ID numbers shows in the log.
    """
    stmt = select(Resident.id).where(Resident.id_number == id_number)
    if resident_id is not None:
        stmt = stmt.where(Resident.id != resident_id)
    existing = db.session.execute(stmt).scalar_one_or_none()
    if existing is not None:
        # Called before the change's own unit (or after it rolled back): only the refusal is kept.
        with unit_of_work():
            audit.record(actor, "resident_exists_refused", result="denied", object_type="Resident",
                         object_id=existing, for_resident=resident_id)
        raise Conflict(_("A file with this ID number exists already."), code="resident_exists",
                       fields={"id_number": [_("a file with this ID number exists already")]},
                       extra={"id": existing})


@contextmanager
def _refused_if_taken(actor, id_number: str, resident_id: int | None = None) -> Iterator[None]:
    """Two registrations racing for one number: the unique index decides, the loser gets the same
    audited 409 as the check before.

    Around the change's unit, not a constraint mapping inside it: the 409 names the winner's file,
    read once the losing unit has rolled back, and its audit row needs a unit of its own."""
    try:
        yield
    except IntegrityError:
        _refuse_duplicate(actor, id_number, resident_id)
        raise


# ---------------------------------------------------------------- use cases

def create_resident(actor, **fields) -> Resident:
    """Open a resident's file (一人一档).

    ID number validated (GB 11643-1999, stdnum) and unique (409 resident_exists
    with the existing id); sex and birth date derived from it; regions must
    exist; registration not before release (seed 002 三(三)); the file belongs
    to one of the manager's bases.
    """
    _require_manager(actor)
    errors = _Errors()
    fields = _known(fields, errors)
    for field in _REQUIRED:
        if fields.get(field) in (None, ""):
            errors.add(field, _("is required"))
    cleaned = _clean(actor, {k: v for k, v in fields.items() if k not in errors.fields}, errors)
    if "base_id" not in fields and "base_id" not in errors.fields:
        cleaned["base_id"] = errors.guard("base_id", _base_id, actor, None)
    state = dict(cleaned)
    if "id_number" in cleaned:
        state["sex"], state["birth_on"] = derive_identity(cleaned["id_number"])
    _check_dates(state, errors)
    errors.raise_if_any()
    _refuse_duplicate(actor, cleaned["id_number"])

    for flag in _FLAG_FIELDS:
        state.setdefault(flag, False)
    state.setdefault("diet", Diet.STANDARD)
    with _refused_if_taken(actor, state["id_number"]), unit_of_work():
        resident = Resident(**state)
        db.session.add(resident)
        flush()  # the index refuses a racing duplicate here, before the audit row
        audit.record(actor, "resident_created", resident, base_id=resident.base_id)
    return resident


def update_resident(actor, resident: Resident, **fields) -> Resident:
    """Change the given fields only (PATCH). A new ID number re-derives sex and birth
    date and is checked for duplicates; the audit row names the changed fields only (never values)."""
    _require_manager(actor)
    errors = _Errors()
    fields = _known(fields, errors)
    for field in (*_REQUIRED, *_FLAG_FIELDS, "diet", "base_id"):
        if field in fields and fields[field] in (None, ""):
            errors.add(field, _("is required"))
    cleaned = _clean(actor, {k: v for k, v in fields.items() if k not in errors.fields}, errors)
    state = {column: getattr(resident, column) for column in (*EDITABLE_FIELDS, "sex", "birth_on")}
    state.update(cleaned)
    if "id_number" in cleaned:
        state["sex"], state["birth_on"] = derive_identity(cleaned["id_number"])
    _check_dates(state, errors)
    errors.raise_if_any()
    if "id_number" in cleaned:
        _refuse_duplicate(actor, cleaned["id_number"], resident.id)

    with _refused_if_taken(actor, state["id_number"], resident.id), unit_of_work():
        # Checked in the unit that writes: the check and the change are one transaction.
        if state["sex"] != resident.sex and _holds_a_bed(resident):
            raise ValidationFailed.on("id_number", _("this number changes the sex while the resident holds a bed; "
                                                     "move him out of the room first"), code="sex_mismatch")
        changed = sorted(name for name in (*cleaned, "sex", "birth_on") if state[name] != getattr(resident, name))
        # Audited even when nothing changed: the API answers a PATCH with the whole file.
        for name in changed:
            setattr(resident, name, state[name])
        flush()  # the index refuses a racing duplicate here, before the audit row
        audit.record(actor, "resident_updated", resident, fields=changed)
    return resident


def _holds_a_bed(resident: Resident) -> bool:
    """A bed assignment covering tonight or later (read from the beds tables, never written)."""
    now = today()
    return db.session.execute(
        select(BedAssignment.id).where(
            BedAssignment.resident_id == resident.id,
            (BedAssignment.end_on.is_(None)) | (BedAssignment.end_on > now),
        ).limit(1)
    ).first() is not None


@use_case
def record_sensitive_view(actor, resident: Resident, fields=SENSITIVE_FIELDS, via: str = "page") -> Resident:
    """Audit a view of the full ID number, bank account or health notes (docs/security.md "Audit";
    PIPL art. 51: least privilege). Refused for roles that may never see them."""
    if not may_see_sensitive(actor):
        raise PermissionDenied(_("You may not see this resident's sensitive information."))
    audit.record(actor, "resident_sensitive_viewed", resident, fields=list(fields), via=via)
    return resident


@use_case
def add_case_note(actor, resident: Resident, *, kind, noted_on, text) -> CaseNote:
    """A dated 帮教记录 on the file (seed 002 二(三)5; 评价奖惩, seed 003): not in the future,
    at most 2000 characters, linked to the open stay when he has one at the manager's base."""
    if actor is None or actor.role != Role.BASE_MANAGER:
        raise PermissionDenied(_("Only base managers write case notes."))
    errors = _Errors()
    kind_value = errors.guard("kind", _choice, "kind", kind, CaseNoteKind)
    noted = errors.guard("noted_on", _date, "noted_on", noted_on)
    if noted is None and "noted_on" not in errors.fields:
        errors.add("noted_on", _("is required"))
    elif noted is not None and noted > today():
        errors.add("noted_on", _("must not be in the future"))
    body = (text or "").strip() if isinstance(text, str) or text is None else None
    if body is None:
        errors.add("text", _("must be text"))
    elif not body:
        errors.add("text", _("is required"))
    elif len(body) > CASE_NOTE_MAX_CHARS:
        errors.add("text", _("must be at most %(max)s characters", max=CASE_NOTE_MAX_CHARS))
    errors.raise_if_any()

    stay_id = db.session.execute(
        select(Stay.id).where(Stay.resident_id == resident.id, Stay.discharged_on.is_(None),
                              Stay.base_id.in_(actor.base_ids or [-1]))
    ).scalar_one_or_none()
    note = CaseNote(resident_id=resident.id, stay_id=stay_id, kind=kind_value, noted_on=noted, text=body,
                    author_id=actor.id)
    db.session.add(note)
    audit.record(actor, "case_note_added", note, resident_id=resident.id, kind=kind_value.value)
    return note


# ---------------------------------------------------------------- reoffence and hardship

def _require_file_keeper(actor, what: str) -> None:
    """Base managers and county officers; the caller has resolved the resident through the actor's scope."""
    if actor is None or actor.role not in (Role.BASE_MANAGER, Role.COUNTY_OFFICER):
        raise PermissionDenied(what)


def _require_day_since_release(resident: Resident, on) -> None:
    """A day in the person's life after prison: a date, not before his release, not in the future (422 naming
    `on`)."""
    if not isinstance(on, date):
        raise ValidationFailed.on("on", _("must be a date YYYY-MM-DD"))
    if on < resident.released_on:
        raise ValidationFailed.on("on", _("must not be before the release on %(date)s",
                                          date=resident.released_on.isoformat()))
    if on > today():
        raise ValidationFailed.on("on", _("must not be in the future"))


@use_case
def record_reoffence(actor, resident: Resident, *, on) -> Resident:
    """Record that the person reoffended (重新犯罪) on a day of his support period: not before his release,
    not in the future (422 naming `on`). A discharge as `reoffended` records it too
    (intake/stays/services.py). The living allowance stops from the month after
    (docs/domain.md "Living allowance"). Audited by field name only (a criminal record is sensitive)."""
    _require_file_keeper(actor, _("A reoffence is recorded by the base manager or the county officer."))
    _require_day_since_release(resident, on)
    resident.reoffended_on = on
    audit.record(actor, "reoffence_recorded", resident, fields=["reoffended_on"])
    return resident


@use_case
def record_missing(actor, resident: Resident, *, on) -> Resident:
    """Flag the person 脱管 (missing) from `on`, found by a follow-up contact (followup/services.py): not before
    his release, not in the future (422 naming `on`). An earlier flag stands. docs/domain.md "Follow-up after
    discharge"; seed 001 三、第二 (减少脱管失控). Audited by field name only."""
    _require_file_keeper(actor, _("A follow-up is recorded by the base manager or the county officer."))
    _require_day_since_release(resident, on)
    if resident.missing_since is None or resident.missing_since > on:
        resident.missing_since = on
        audit.record(actor, "missing_recorded", resident, fields=["missing_since"])
    return resident


@use_case
def clear_missing(actor, resident: Resident) -> Resident:
    """A later contact found the person: the 脱管 flag goes. Audited by field name only."""
    _require_file_keeper(actor, _("A follow-up is recorded by the base manager or the county officer."))
    if resident.missing_since is not None:
        resident.missing_since = None
        audit.record(actor, "missing_cleared", resident, fields=["missing_since"])
    return resident


@use_case
def record_hardship(actor, resident: Resident, *, evidence, recorded_on=None) -> Resident:
    """Record 生活确有困难 with what proves it (seed 002 三(三); e.g. 村委会出具的生活困难证明, at most 200
    characters; 422 naming `evidence`), on a day not in the future (default today; 422 naming `recorded_on`).
    The living allowance needs both (docs/domain.md "Living allowance"). Audited by field name only."""
    _require_file_keeper(actor, _("Hardship is recorded by the base manager or the county officer."))
    text = evidence.strip() if isinstance(evidence, str) else ""
    if not text:
        raise ValidationFailed.on("evidence", _("is required: say what proves the hardship"))
    if len(text) > HARDSHIP_EVIDENCE_MAX_CHARS:
        raise ValidationFailed.on("evidence", _("must be at most %(max)s characters", max=HARDSHIP_EVIDENCE_MAX_CHARS))
    if recorded_on is None:
        recorded_on = today()
    if not isinstance(recorded_on, date):
        raise ValidationFailed.on("recorded_on", _("must be a date YYYY-MM-DD"))
    if recorded_on > today():
        raise ValidationFailed.on("recorded_on", _("must not be in the future"))
    resident.hardship_recorded_on, resident.hardship_evidence = recorded_on, text
    audit.record(actor, "hardship_recorded", resident, fields=["hardship_recorded_on", "hardship_evidence"])
    return resident


@use_case
def clear_hardship(actor, resident: Resident) -> Resident:
    """Hardship no longer holds (or was recorded by mistake): both the date and the evidence go. Audited."""
    _require_file_keeper(actor, _("Hardship is recorded by the base manager or the county officer."))
    resident.hardship_recorded_on = resident.hardship_evidence = None
    audit.record(actor, "hardship_cleared", resident, fields=["hardship_recorded_on", "hardship_evidence"])
    return resident
