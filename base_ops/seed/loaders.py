"""Seed loaders: they call the same services as the pages, so the same rules hold.

`load_demo` runs as one unit of work (core/unit_of_work.py): the services it calls join it, so the demo
site and its past year (demo_history) are loaded whole or not at all.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from sqlalchemy import select

from base_ops.accounts import services as account_services
from base_ops.accounts.models import User
from base_ops.config import PROJECT_ROOT
from base_ops.core import audit
from base_ops.core.clock import today
from base_ops.core.unit_of_work import use_case
from base_ops.enterprises import services as enterprise_services
from base_ops.extensions import db
from base_ops.org import services as org_services
from base_ops.org.models import Bed
from base_ops.seed import demo_history
from base_ops.seed.id_numbers import demo_id_number
from base_ops.subsidies import payees

SEED_DIR = PROJECT_ROOT / "seed"
REGIONS_FILE = SEED_DIR / "regions.csv"
DEMO_FILE = SEED_DIR / "demo" / "demo.json"


def load_regions(path: Path = REGIONS_FILE) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return org_services.load_regions(rows)


POLICIES_FILE = SEED_DIR / "policies.json"


@use_case
def load_policies(path: Path = POLICIES_FILE) -> int:
    """The seeds' documents for their regions and the demo region's own (seed/policies.json); those already
    entered (same region, title and first day), and those of a region not loaded, are skipped. Returns how
    many were added."""
    from base_ops.org.models import Region
    from base_ops.policies import services as policies
    from base_ops.policies.models import Policy

    added = 0
    for spec in json.loads(path.read_text(encoding="utf-8"))["policies"]:
        if db.session.get(Region, spec["region_code"]) is None:
            continue
        exists = db.session.execute(select(Policy.id).where(
            Policy.region_code == spec["region_code"], Policy.title == spec["title"],
            Policy.effective_from == date.fromisoformat(spec["effective_from"]))).first()
        if exists is None:
            policies.create_policy(None, {k: v for k, v in spec.items() if k != "note"})
            added += 1
    return added


def demo_data(path: Path = DEMO_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@use_case
def load_demo(path: Path = DEMO_FILE, beds_from: date = date(2025, 1, 1)) -> bool:
    """Load the demo site; returns False (and changes nothing) if it is already there."""
    data = demo_data(path)
    if db.session.execute(select(User.id).where(User.username == data["users"][0]["username"])).first():
        return False
    load_regions()
    load_policies()
    bases = {}
    for spec in data["bases"]:
        base = org_services.create_base(None, name=spec["name"], region_code=spec["region_code"],
                                        address=spec["address"], max_stay_days=spec["max_stay_days"],
                                        meal_standard=spec["meal_standard"])
        bases[spec["key"]] = base
        if spec.get("bank_account"):  # its handover claims are paid to it (subsidies/payees.py)
            payees.set_bank_account(None, base, spec["bank_account"])
        for room_spec in spec["rooms"]:
            room = org_services.create_room(None, base, name=room_spec["name"], sex=room_spec["sex"])
            for label in room_spec["beds"]:
                bed = org_services.create_bed(None, room, label=label, in_service_from=beds_from)
                if label in room_spec.get("out_of_service", []):
                    org_services.set_bed_service(None, db.session.get(Bed, bed.id), in_service=False,
                                                 from_on=date(2026, 10, 1))
    enterprises = {}
    for spec in data["enterprises"]:
        fields = {k: v for k, v in spec.items() if k not in ("key", "bank_account")}
        enterprises[spec["key"]] = enterprise_services.create_enterprise(None, **fields)
        if spec.get("bank_account"):  # its claims are paid to it (subsidies/payees.py)
            payees.set_bank_account(None, enterprises[spec["key"]], spec["bank_account"])
    for row in data["dibao"]:
        org_services.put_dibao(None, region_code=row["region_code"], year=row["year"], monthly=row["monthly"])
    for spec in data["users"]:
        user = account_services.create_user(
            None, username=spec["username"], role=spec["role"], password=data["password"],
            display_name=spec["display_name"], region_code=spec.get("region_code"),
            base_ids=[bases[k].id for k in spec.get("bases", [])],
            enterprise_id=enterprises[spec["enterprise"]].id if "enterprise" in spec else None,
            seeded_password=True,
        )
        if spec.get("totp_secret"):
            # Published demo secret so the demo can be signed into; production refuses seeded accounts.
            user.totp_secret = spec["totp_secret"]
            user.totp_enabled = True
            audit.record(None, "totp_enrolled", user, via="seed")
    load_demo_people(today())
    load_demo_training_and_jobs(today())
    demo_history.load_demo_history(today())  # a past year, so the reports have figures
    from base_ops.followup import services as followup  # contacts due after each discharge, as a discharge makes

    followup.schedule_all()
    return True


PEOPLE_FILE = SEED_DIR / "demo" / "people.json"


def load_demo_people(day: date, path: Path = PEOPLE_FILE) -> None:
    """Residents, stays, beds, leave, case notes and notices around `day`, through the services."""
    from datetime import timedelta

    from base_ops.intake.notices import services as notices
    from base_ops.intake.stays import services as stays
    from base_ops.org.models import Room
    from base_ops.residents import services as residents

    data = json.loads(path.read_text(encoding="utf-8"))
    manager = db.session.execute(select(User).where(User.username == data["manager"])).scalar_one()
    base = manager.bases[0]

    def on(offset: int) -> date:
        return day + timedelta(days=offset)

    def bed_id(room_name: str, label: str) -> int:
        room = db.session.execute(select(Room).where(Room.base_id == base.id, Room.name == room_name)).scalar_one()
        return next(b.id for b in room.beds if b.label == label)

    for person in data["residents"]:
        resident = residents.create_resident(
            manager, id_number=demo_id_number(person["region"], person["birth"], person["sex"]),
            name=person["name"], hukou_region_code=person["region"], subject_type="released",
            released_on=on(person["released"]), registered_on=on(person["registered"]),
            prison_name=person["prison"], prison_region_code=person["prison_region"], offence=person["offence"],
            sentence_months=person["sentence_months"], diet=person["diet"], base_id=base.id,
            **{flag: True for flag in person["flags"]},
        )
        if "admitted" not in person:
            continue
        stay = stays.admit(manager, resident_id=resident.id, base_id=base.id, admitted_on=on(person["admitted"]),
                           bed_id=bed_id(*person["bed"]) if "bed" in person else None)
        if "leave" in person:
            start, nights, reason = person["leave"]
            stays.record_leave(manager, stay, start_on=on(start), end_on=on(start + nights), reason=reason)
        if "note" in person:
            kind, offset, text = person["note"]
            residents.add_case_note(manager, resident, kind=kind, noted_on=on(offset), text=text)
    for notice in data["notices"]:
        notices.register_notice(
            manager, id_number=demo_id_number(notice["region"], notice["birth"], notice["sex"]), name=notice["name"],
            prison_name=notice["prison"], prison_region_code=notice["prison_region"],
            expected_release_on=on(notice["release"]), received_on=on(notice["received"]),
            receiving_region_code=base.region_code, is_key_subject=notice["key"],
            risk_assessment=notice["risk"], relief_advice=notice["relief"],
        )


def load_demo_training_and_jobs(day: date) -> None:
    """A running course with sessions and attendance, an agreement, an open posting and a referral."""
    from datetime import timedelta
    from decimal import Decimal

    from base_ops.enterprises import services as enterprises
    from base_ops.enterprises.models import Enterprise
    from base_ops.intake.models import Stay
    from base_ops.placements import services as placements
    from base_ops.residents.models import Resident
    from base_ops.training import services as training

    def user(name: str) -> User:
        return db.session.execute(select(User).where(User.username == name)).scalar_one()

    manager, trainer, officer, hr = user("manager"), user("trainer"), user("officer"), user("enterprise")
    base = manager.bases[0]
    open_stays = db.session.execute(
        select(Stay).join(Resident).where(Stay.base_id == base.id, Stay.discharged_on.is_(None)).order_by(Stay.id)
    ).scalars().all()

    course = training.create_course(manager, base_id=base.id, title="家政服务员（初级）", skill="家政",
                                    starts_on=day - timedelta(days=14), ends_on=day + timedelta(days=30),
                                    capacity=15, hours=Decimal("60"), trainer=trainer.username,
                                    certificate_type="家政服务员职业技能等级证书")
    sessions = training.generate_sessions(manager, course, weekdays=[1, 3, 5], hours=Decimal("3"),
                                          skip_holidays=True)
    for stay in open_stays[:5]:
        training.enrol(manager, course, resident_id=stay.resident_id)
    statuses = ["present", "present", "late", "present", "absent"]
    for session in [s for s in sessions if s.held_on < day]:
        training.record_attendance(trainer, session, [
            {"resident_id": stay.resident_id, "status": statuses[i]} for i, stay in enumerate(open_stays[:5])])

    enterprise = db.session.get(Enterprise, hr.enterprise_id)
    # The quota holds the past year's hires (demo_history) with room for more: a hire beyond it is refused.
    enterprises.create_agreement(
        officer, enterprise, starts_on=date(day.year, 1, 1), ends_on=date(day.year + 1, 12, 31), hire_quota=40,
        min_contract_months=12, one_time_subsidy=Decimal("3000.00"), one_time_after_months=6,
        post_subsidy_monthly=Decimal("600.00"), post_subsidy_max_months=12,
        insurance_subsidy_monthly=Decimal("800.00"), insurance_subsidy_max_months=36, budget=Decimal("200000.00"))
    posting = enterprises.create_posting(
        hr, enterprise_id=enterprise.id, title="小区保洁员",
        description="负责小区公共区域日常保洁，早八晚五，月休四天。",
        requirements="身体健康，吃苦耐劳", positions=3, wage_min=Decimal("3500"), wage_max=Decimal("4200"),
        location="杭州市西湖区转塘街道", provides_housing=True)
    enterprises.open_posting(hr, posting)
    placements.refer(manager, posting_id=posting.id, resident_id=open_stays[0].resident_id)
