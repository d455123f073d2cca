"""The words of reminders: each kind's label, and each item's title and link, built when shown, in the
reader's language, from the object it is about (the person's name, the notice's prison, the claim's kind...).

`describe(items)` loads each kind of object once for a whole page (no query per item; docs/architecture.md
rule 7) and returns {reminder id: (title, url)}.
"""

from __future__ import annotations

from collections import defaultdict

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from base_ops.extensions import db
from base_ops.reminders.models import ReminderKind, ReminderStatus

K = ReminderKind
KIND_LABELS = {
    K.RECEIPT_DUE: _l("Receipt due"),
    K.ARRIVAL_EXPECTED: _l("Arrival expected"),
    K.OVERSTAY: _l("Stay past the limit"),
    K.ABSENCE: _l("Absence"),
    K.RETENTION_CHECK_DUE: _l("Retention check due"),
    K.CLAIM_WAITING: _l("Claim waiting"),
    K.MONTHLY_REPORT_DUE: _l("Monthly report due"),
    K.SUPPORT_ENDING: _l("Support period ending"),
    K.ALLOWANCE_ENDING: _l("Living allowance ending"),
    K.FOLLOW_UP_DUE: _l("Follow-up due"),
}
STATUS_LABELS = {
    ReminderStatus.OPEN: _l("Open"),
    ReminderStatus.DONE: _l("Done"),
    ReminderStatus.DISMISSED: _l("Dismissed"),
}


def kind_label(kind) -> str:
    return str(KIND_LABELS.get(ReminderKind(kind), kind))


def _load(model, ids: set[str]) -> dict[int, object]:
    int_ids = sorted({int(i) for i in ids if str(i).isdigit()})
    if not int_ids:
        return {}
    return {row.id: row for row in db.session.execute(select(model).where(model.id.in_(int_ids))).unique().scalars()}


def _objects(items) -> dict[str, dict]:
    """The objects the items name, one query per object type."""
    from base_ops.intake.models import Absence, ReleaseNotice, Stay
    from base_ops.org.models import Region
    from base_ops.placements.models import Placement
    from base_ops.residents.models import Resident
    from base_ops.subsidies.models import Claim

    wanted: dict[str, set[str]] = defaultdict(set)
    for item in items:
        wanted[item.object_type].add(item.object_id)
    models = {"notice": ReleaseNotice, "stay": Stay, "absence": Absence, "placement": Placement, "claim": Claim,
              "resident": Resident}
    found = {kind: _load(model, wanted[kind]) for kind, model in models.items() if wanted.get(kind)}
    # People and bases the stays, absences and claims point to: one more query each.
    found["absence_stay"] = _load(Stay, {str(a.stay_id) for a in found.get("absence", {}).values()})
    stays = list(found.get("stay", {}).values()) + list(found["absence_stay"].values())
    claims = list(found.get("claim", {}).values())
    person_ids = {str(s.resident_id) for s in stays} | {str(c.resident_id) for c in claims if c.resident_id}
    found["person"] = _load(Resident, person_ids)
    from base_ops.org.models import Base

    found["base"] = _load(Base, {str(s.base_id) for s in stays})
    codes = {i.split(":")[0] for i in wanted.get("monthly_report", set())}
    found["region"] = ({r.code: r for r in db.session.execute(select(Region).where(Region.code.in_(codes))).scalars()}
                       if codes else {})
    return found


def _describe_one(item, found: dict) -> tuple[str, str | None]:
    kind = ReminderKind(item.kind)
    obj_id = int(item.object_id) if str(item.object_id).isdigit() else None
    obj = found.get(item.object_type, {}).get(obj_id) if obj_id is not None else None
    if item.object_type == "notice" and obj is not None:
        url = url_for("notices.notice_detail", notice_id=obj.id)
        if kind == K.RECEIPT_DUE:
            return _("Receipt to %(prison)s for %(name)s", prison=obj.prison_name, name=obj.name), url
        return _("%(name)s expected from %(prison)s on %(date)s", name=obj.name, prison=obj.prison_name,
                 date=obj.expected_release_on.isoformat()), url
    if item.object_type in ("stay", "absence") and obj is not None:
        stay = obj if item.object_type == "stay" else found["absence_stay"][obj.stay_id]
        person = found["person"].get(stay.resident_id)
        base = found["base"].get(stay.base_id)
        name, base_name = getattr(person, "name", ""), getattr(base, "name", "")
        url = url_for("stays.stay_detail", stay_id=stay.id)
        if kind == K.OVERSTAY:
            return _("%(name)s has stayed at %(base)s past the longest stay", name=name, base=base_name), url
        return _("%(name)s absent from %(base)s since %(date)s", name=name, base=base_name,
                 date=obj.start_on.isoformat()), url
    if item.object_type == "placement" and obj is not None:
        return (_("Retention check of %(name)s", name=obj.resident.name),
                url_for("placements.placement_detail", placement_id=obj.id))
    if item.object_type == "claim" and obj is not None:
        from base_ops.subsidies.vocabulary import KIND_LABELS as CLAIM_KINDS

        person = found["person"].get(obj.resident_id)
        label = str(CLAIM_KINDS.get(obj.kind, obj.kind))
        title = (_("Claim no. %(number)s, %(kind)s for %(name)s", number=obj.number, kind=label, name=person.name)
                 if person is not None else _("Claim no. %(number)s, %(kind)s", number=obj.number, kind=label))
        return title, url_for("subsidies.claim_detail", claim_id=obj.id)
    if item.object_type == "monthly_report" and ":" in str(item.object_id):
        code, month = str(item.object_id).split(":", 1)
        region = found["region"].get(code)
        return (_("Monthly report of %(region)s for %(month)s", region=getattr(region, "name", code), month=month),
                url_for("monthly.month_detail", region_code=code, month=month))
    if item.object_type == "resident" and obj is not None:
        url = url_for("residents.resident_file", resident_id=obj.id)
        if kind == K.SUPPORT_ENDING:
            return _("Support period of %(name)s ends", name=obj.name), url
        if kind == K.ALLOWANCE_ENDING:
            return _("Last month of the living allowance of %(name)s", name=obj.name), url
        return _("Follow-up of %(name)s", name=obj.name), url
    return kind_label(kind), None  # the object is gone (or a kind added later): the kind says what it was


def describe(items) -> dict[int, tuple[str, str | None]]:
    """{reminder id: (title, url)} for a page of items, in the current language."""
    items = list(items)
    if not items:
        return {}
    found = _objects(items)
    return {item.id: _describe_one(item, found) for item in items}
