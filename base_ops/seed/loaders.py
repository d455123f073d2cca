"""Seed loaders: they call the same services as the pages, so the same rules hold."""

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
from base_ops.enterprises import services as enterprise_services
from base_ops.extensions import db
from base_ops.org import services as org_services
from base_ops.org.models import Bed

SEED_DIR = PROJECT_ROOT / "seed"
REGIONS_FILE = SEED_DIR / "regions.csv"
DEMO_FILE = SEED_DIR / "demo" / "demo.json"


def load_regions(path: Path = REGIONS_FILE) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return org_services.load_regions(rows)


def demo_data(path: Path = DEMO_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def load_demo(path: Path = DEMO_FILE, beds_from: date = date(2025, 1, 1)) -> bool:
    """Load the demo site; returns False (and changes nothing) if it is already there."""
    data = demo_data(path)
    if db.session.execute(select(User.id).where(User.username == data["users"][0]["username"])).first():
        return False
    load_regions()
    bases = {}
    for spec in data["bases"]:
        base = org_services.create_base(None, name=spec["name"], region_code=spec["region_code"],
                                        address=spec["address"], max_stay_days=spec["max_stay_days"],
                                        meal_standard=spec["meal_standard"])
        bases[spec["key"]] = base
        for room_spec in spec["rooms"]:
            room = org_services.create_room(None, base, name=room_spec["name"], sex=room_spec["sex"])
            for label in room_spec["beds"]:
                bed = org_services.create_bed(None, room, label=label, in_service_from=beds_from)
                if label in room_spec.get("out_of_service", []):
                    org_services.set_bed_service(None, db.session.get(Bed, bed.id), in_service=False,
                                                 from_on=date(2026, 10, 1))
    enterprises = {}
    for spec in data["enterprises"]:
        fields = {k: v for k, v in spec.items() if k != "key"}
        enterprises[spec["key"]] = enterprise_services.create_enterprise(None, **fields)
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
            db.session.commit()
    return True
