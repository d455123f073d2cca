"""A year of demo history for `flask seed demo`, so every report and chart has something real to show.

The demo site (loaders.load_demo) holds only today's residents, and nobody has ever left, so the
placement rate, occupancy trend, retention, training, handover and subsidy figures would be empty.
This module adds, deterministically (a fixed random seed, dates relative to the load day), about
fourteen months of past stays at the three demo bases and what goes with them:

- past residents with stays that ended, destinations in the proportions of docs/domain.md ("At the base":
  most `employed` or `returned_home`, a few `reoffended`, one `hospital`), bed assignments covering
  `[admitted_on, discharged_on)` on beds of their sex that never overlap each other, a bed's service
  periods, or today's residents (each bed's history ends before its current occupant's admission);
- placements for most employed leavers through the demo enterprise (closed past postings, referral
  pipeline, hire on or before the discharge day, some ended), with retention checks at 1/3/6/12 months;
- a past course at two bases with sessions, enrolments, attendance and certificates;
- release notices (receipts on time, late or missing; key subjects collected or not);
- subsidy claims of every kind, amounts computed by subsidies.rules, moved through the claim life
  cycle with dated ClaimEvents, paid ones gathered in paid payment batches.

Rows are inserted directly (as the synthetic seed does): the services refuse back-dated history
by design (a bed is checked from a night *on*, events are stamped now). What the rows mean is the
domain's, through base_ops/seed/domain.py and the rule modules: receipt deadlines, the statuses a
referral passes, the mark a retention check answers, which enrolments completed (certificates),
claim amounts, budgets and payment batches, the nights away that close a stay as self_left. The
database constraints hold the rest; tests/seed/test_demo_history.py and test_domain_rules.py check.
It runs inside the caller's unit of work (loaders.load_demo) and commits nothing itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from base_ops.accounts.models import User
from base_ops.core.clock import LOCAL_ZONE
from base_ops.core.scope import regions_up_from
from base_ops.extensions import db
from base_ops.org.queries import region_name
from base_ops.seed import domain
from base_ops.subsidies import payees

SEED = 20260701
HISTORY_DAYS = 430  # the first admissions: about fourteen months back, so the oldest report month is full

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
MALE_NAMES = ["建国", "志明", "海峰", "国强", "永康", "晓东", "文斌", "德华", "振宇", "光辉", "春生", "立新", "伟民",
              "宏伟", "俊杰", "小军", "庆丰", "金龙", "继红", "学文", "家豪", "明亮", "长青", "保平"]
FEMALE_NAMES = ["秀英", "丽娟", "美玲", "春燕", "小红", "桂芳", "晓梅", "玉兰", "雪芬", "海燕", "静", "彩霞"]
HUKOU_ELSEWHERE = ["330102", "330105", "330106", "330108", "330122", "330127", "330182", "330203", "330302",
                   "330402", "330602"]
PRISONS = [("浙江省第一监狱", "330110"), ("浙江省第二监狱", "330106"), ("浙江省乔司监狱", "330110"),
           ("浙江省十里丰监狱", "330803"), ("浙江省长湖监狱", "330521"), ("浙江省金华监狱", "330702"),
           ("安徽省宿松监狱", "340826")]
WOMEN_PRISON = ("浙江省女子监狱", "330110")
OFFENCES = ["盗窃罪", "诈骗罪", "故意伤害罪", "抢劫罪", "寻衅滋事罪", "交通肇事罪", "开设赌场罪", "合同诈骗罪",
            "非法拘禁罪", "聚众斗殴罪", "掩饰、隐瞒犯罪所得罪", "走私、贩卖、运输毒品罪"]
LEAVE_REASONS = ["回原籍办理身份证", "探望生病的母亲", "到人社部门办理社保", "参加招聘会面试"]
# (destination, share of leavers); `employed` takes what is left. docs/domain.md "At the base".
DESTINATION_SHARES = [("returned_home", 0.20), ("relatives", 0.10), ("assistance_institution", 0.04),
                      ("self_left", 0.06), ("expelled", 0.04), ("reoffended", 0.06)]
DISCHARGE_NOTES = {"expelled": "多次违反基地管理规定，经警告无效，予以清退。",
                   "other": "应征参加公益性岗位集中培训，转至培训点住宿。",
                   "hospital": "突发脑梗，转入医院长期治疗。",
                   "self_left": "未请假离开基地超过 30 天，联系不上。"}
# Not a 门岗/巡逻 (保安) job: the law closes it to the people the base serves (docs/domain.md "Lawful bars on
# some jobs"; enterprises/bars.py).
POSTINGS = [("小区保洁员（往期）", "负责小区公共区域日常保洁，早八晚五，月休四天。", 3400, 4000),
            ("物业维修工（往期）", "小区水电及公共设施日常维修，两班倒，提供员工宿舍。", 3800, 4600)]
END_REASONS = ["个人原因辞职", "试用期未通过", "回原籍另行就业"]
MISSING_EVIDENCE = {kind: "缺少劳动合同或社保缴费证明，请补充后重新提交。"
                    for kind in ("post_subsidy", "insurance_subsidy", "one_time_hire")}
MISSING_EVIDENCE.update(living_allowance="缺少报到登记证明，请补充后重新提交。",
                        handover="缺少接回记录（接回时间、地点、人员），请补充后重新提交。")


def at(day: date, hour: int = 10) -> datetime:
    """A moment of `day` in Beijing time, as the aware UTC datetime the UTCDateTime columns take."""
    return datetime.combine(day, time(hour), LOCAL_ZONE).astimezone(UTC)


def add_months(day: date, months: int) -> date:
    from base_ops.subsidies.rules import add_months as rules_add_months

    return rules_add_months(day, months)


def month_key(day: date) -> str:
    from base_ops.subsidies.rules import month_key as rules_month_key

    return rules_month_key(day)


@dataclass
class BedSlot:
    """A bed and the nights its history may use: [start, limit)."""

    id: int
    base_id: int
    sex: str
    start: date
    limit: date
    may_stay_open: bool  # free and in service through today: its last stay may still be going on


@dataclass
class PastStay:
    bed: BedSlot
    admitted_on: date
    discharged_on: date | None  # None: still staying today
    destination: str | None = None
    resident: object = None
    stay: object = None
    placement: object = None


@dataclass
class Context:
    day: date
    rng: random.Random
    users: dict
    managers: dict  # base id -> the manager user
    officers: dict  # region code -> the officer who approves and pays there
    bases: dict  # base id -> Base
    enterprise: object
    agreement: object
    used_ids: set = field(default_factory=set)
    used_names: set = field(default_factory=set)


def load_demo_history(day: date) -> dict[str, int]:
    """Add the demo's past year around `day`; returns how many stays, placements, claims were made."""
    ctx = _context(day)
    slots = _bed_slots(ctx)
    stays = _plan_stays(ctx, slots)
    _assign_destinations(ctx, stays)
    for past in stays:
        _insert_stay(ctx, past)
    db.session.flush()
    notices = _insert_notices(ctx, stays)
    placements = _insert_placements(ctx, stays)
    _insert_training(ctx, stays)
    claims = _insert_claims(ctx, stays, placements, notices)
    db.session.flush()
    return {"stays": len(stays), "placements": len(placements), "claims": claims}


# ---------------------------------------------------------------- context and beds


def _context(day: date) -> Context:
    from base_ops.enterprises.models import Enterprise, PlacementAgreement
    from base_ops.org.models import Base

    users = {u.username: u for u in db.session.execute(select(User)).unique().scalars()}
    bases = {b.id: b for b in db.session.execute(select(Base).order_by(Base.id)).unique().scalars()}
    managers = {}
    for name in ("manager", "manager2"):
        for base in users[name].bases:
            managers[base.id] = users[name]
    officers = {base.region_code: users["officer"] if base.region_code == users["officer"].region_code
                else users["city_officer"] for base in bases.values()}
    enterprise = db.session.get(Enterprise, users["enterprise"].enterprise_id)
    agreement = db.session.execute(select(PlacementAgreement).where(
        PlacementAgreement.enterprise_id == enterprise.id, PlacementAgreement.is_current.is_(True))).scalar_one()
    from base_ops.intake.models import ReleaseNotice
    from base_ops.residents.models import Resident

    used = set(db.session.execute(select(Resident.id_number)).scalars())
    used |= set(db.session.execute(select(ReleaseNotice.id_number)).scalars())
    names = set(db.session.execute(select(Resident.name)).scalars())
    return Context(day, random.Random(SEED), users, managers, officers, bases, enterprise, agreement, used, names)


def _bed_slots(ctx: Context) -> list[BedSlot]:
    """Every bed with the nights its history may fill: from its first service night (at most HISTORY_DAYS
    back) to the earliest of its current occupant's first night, the first night out of service, and a day
    a little before today (free beds empty at different times, not all on one day)."""
    from base_ops.beds.models import BedAssignment
    from base_ops.org.models import Bed, BedServicePeriod, Room

    first_taken = dict(db.session.execute(
        select(BedAssignment.bed_id, func.min(BedAssignment.start_on)).group_by(BedAssignment.bed_id)).all())
    periods: dict[int, list] = {}
    for period in db.session.execute(select(BedServicePeriod).order_by(BedServicePeriod.start_on)).scalars():
        periods.setdefault(period.bed_id, []).append(period)
    window_start = ctx.day - timedelta(days=HISTORY_DAYS)
    slots = []
    rows = db.session.execute(select(Bed, Room).join(Room, Room.id == Bed.room_id)
                              .order_by(Room.base_id, Room.name, Bed.label)).unique().all()
    for bed, room in rows:
        serving = [p for p in periods.get(bed.id, []) if p.end_on is None or p.end_on > window_start]
        if not serving:
            continue
        start = max(window_start, serving[0].start_on)
        limit = ctx.day - timedelta(days=ctx.rng.randint(1, 40))
        may_stay_open = serving[0].end_on is None and bed.id not in first_taken
        if serving[0].end_on is not None:  # history stays inside the first service period
            limit = min(limit, serving[0].end_on)
        if bed.id in first_taken:
            limit = min(limit, first_taken[bed.id])
        slots.append(BedSlot(bed.id, room.base_id, str(getattr(room.sex, "value", room.sex)), start, limit,
                             may_stay_open))
    return slots


def _stay_length(rng: random.Random) -> int:
    """Days of a stay: most between one and six months, a few short ones and one or two overstays."""
    bucket = rng.choices([(10, 30), (31, 60), (61, 90), (91, 175), (181, 200)], weights=[8, 17, 25, 45, 5])[0]
    return rng.randint(*bucket)


def _plan_stays(ctx: Context, slots: list[BedSlot]) -> list[PastStay]:
    """Back-to-back stays on each bed with gaps of some weeks; a bed's stays never overlap (the next
    admission is after the last discharge: half-open nights) and end by its limit. On a bed nobody holds
    today the last stay may still be open (the bases other than the demo's first have residents too)."""
    rng = ctx.rng
    stays = []
    for slot in slots:
        # Not every bed was used all year: an idle spell at the start of about half of them.
        cursor = slot.start + timedelta(days=rng.choice([rng.randint(0, 40), rng.randint(100, 260)]))
        while cursor < slot.limit - timedelta(days=14):
            end = cursor + timedelta(days=_stay_length(rng))
            if end > slot.limit:
                if slot.may_stay_open and (ctx.day - cursor).days <= 150 and rng.random() < 0.6:
                    stays.append(PastStay(slot, cursor, None))
                    break
                if rng.random() < 0.6:
                    break  # the bed stays empty to the end: not everyone leaves in the last weeks
                end = slot.limit - timedelta(days=rng.randint(0, 4))
            if (end - cursor).days < 7:
                break
            stays.append(PastStay(slot, cursor, end))
            cursor = end + timedelta(days=rng.randint(15, 110))
    stays.sort(key=lambda s: (s.admitted_on, s.bed.id))
    return stays


def _assign_destinations(ctx: Context, stays: list[PastStay]) -> None:
    """Destinations in docs/domain.md proportions (at least one of each kind named), employed the rest, shuffled."""
    stays = [past for past in stays if past.discharged_on is not None]
    n = len(stays)
    destinations = ["hospital", "other"]
    for destination, share in DESTINATION_SHARES:
        destinations += [destination] * max(1, round(n * share))
    destinations += ["employed"] * (n - len(destinations))
    ctx.rng.shuffle(destinations)
    for past, destination in zip(stays, destinations, strict=True):
        past.destination = destination


# ---------------------------------------------------------------- residents, stays, beds


def _new_person(ctx: Context, sex: str, base_region: str) -> dict:
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    from base_ops.seed.id_numbers import demo_id_number

    rng = ctx.rng
    while True:
        name = rng.choice(SURNAMES) + rng.choice(MALE_NAMES if sex == "male" else FEMALE_NAMES)
        if name not in ctx.used_names:
            break
    ctx.used_names.add(name)
    # The ID number's region must have existed in the birth year (stdnum checks it; 余杭区 330110 only
    # since 2001): draw another birth date, and now and then another region, until one is valid and new.
    region = base_region
    for attempt in range(2000):
        if attempt % 40 == 0:
            region = base_region if rng.random() < 0.55 else rng.choice(HUKOU_ELSEWHERE)
        birth = date(1966, 1, 1) + timedelta(days=rng.randint(0, 365 * 35))
        try:  # cheap check first: demo_id_number tries every sequence number before it gives up
            ric.get_birth_place(f"{region}{birth:%Y%m%d}0000")
        except ValidationError:
            continue
        number = demo_id_number(region, birth.isoformat(), sex)
        if number not in ctx.used_ids:
            break
    else:
        raise RuntimeError(f"no free valid ID number for region {base_region}")
    ctx.used_ids.add(number)
    return {"name": name, "region": region, "birth": birth, "id_number": number}


def _insert_stay(ctx: Context, past: PastStay) -> None:
    from base_ops.beds.models import BedAssignment
    from base_ops.intake.models import Absence, Leave, Stay
    from base_ops.intake.stays.services import absence_close_nights
    from base_ops.residents.models import CaseNote, Resident

    rng, base = ctx.rng, ctx.bases[past.bed.base_id]
    manager = ctx.managers[base.id]
    person = _new_person(ctx, past.bed.sex, base.region_code)
    released = past.admitted_on - timedelta(days=rng.randint(0, 20))
    registered = released + timedelta(days=rng.choice([rng.randint(1, 25)] * 4 + [rng.randint(35, 80)]))
    prison = WOMEN_PRISON if past.bed.sex == "female" else rng.choice(PRISONS)
    category = rng.choices(["three_none", "risk", "false_identity", "hardship"], weights=[70, 15, 10, 5])[0]
    resident = Resident(
        id_number=person["id_number"], name=person["name"], sex=past.bed.sex, birth_on=person["birth"],
        hukou_region_code=person["region"],
        subject_type="correction_ended" if category == "hardship" else "released",
        released_on=released, registered_on=registered, prison_name=prison[0], prison_region_code=prison[1],
        offence=rng.choice(OFFENCES), sentence_months=rng.randint(10, 96), base_id=base.id,
        is_homeless=category == "three_none", has_no_relatives=category == "three_none",
        is_unemployed=category in ("three_none", "risk"), reoffend_risk=category == "risk",
        false_identity=category == "false_identity", special_hardship=category == "hardship",
        diet="medical" if past.destination == "hospital" else rng.choices(
            ["standard", "halal", "vegetarian"], weights=[85, 8, 7])[0],
        reoffended_on=past.discharged_on if past.destination == "reoffended" else None,
        created_at=at(past.admitted_on, 9))
    db.session.add(resident)
    db.session.flush()
    stay = Stay(resident_id=resident.id, base_id=base.id, admitted_on=past.admitted_on,
                discharged_on=past.discharged_on, destination=past.destination,
                discharge_note=DISCHARGE_NOTES.get(past.destination), referral_source="司法所转介",
                admitted_by_id=manager.id, created_at=at(past.admitted_on))
    db.session.add(stay)
    db.session.flush()
    db.session.add(BedAssignment(stay_id=stay.id, resident_id=resident.id, bed_id=past.bed.id,
                                 start_on=past.admitted_on, end_on=past.discharged_on, assigned_by_id=manager.id,
                                 created_at=at(past.admitted_on)))
    db.session.add(CaseNote(resident_id=resident.id, stay_id=stay.id, kind="talk",
                            noted_on=past.admitted_on + timedelta(days=1), author_id=manager.id,
                            text="入住谈话：介绍基地管理规定，了解家庭情况和就业意向。",
                            created_at=at(past.admitted_on + timedelta(days=1))))
    days = ((past.discharged_on or ctx.day) - past.admitted_on).days
    if days > 40 and rng.random() < 0.3:
        start = past.admitted_on + timedelta(days=rng.randint(10, days - 10))
        db.session.add(Leave(stay_id=stay.id, start_on=start, end_on=start + timedelta(days=rng.randint(1, 3)),
                             reason=rng.choice(LEAVE_REASONS), recorded_by_id=manager.id, created_at=at(start)))
    close_nights = absence_close_nights(base.region_code, past.discharged_on or ctx.day)
    if past.destination == "self_left" and days > close_nights + 5:
        # Closed as self_left once away the nights the stays service requires (docs/domain.md); discharge
        # ends the absence that day.
        gone = past.discharged_on - timedelta(days=close_nights + 1)
        db.session.add(Absence(stay_id=stay.id, start_on=gone, returned_on=past.discharged_on,
                               note="未请假外出，电话无人接听", recorded_by_id=manager.id,
                               created_at=at(gone + timedelta(days=1))))
    past.resident, past.stay = resident, stay


# ---------------------------------------------------------------- release notices (handover)


def _insert_notices(ctx: Context, stays: list[PastStay]) -> list:
    """Notices for most past residents: receipts mostly within 5 working days, some late, a few never;
    key subjects mostly collected at the prison gate (必接必送)."""
    from base_ops.intake.models import ReleaseNotice
    from base_ops.intake.notices.services import feedback_due

    rng, notices = ctx.rng, []
    for past in stays:
        if rng.random() < 0.2:
            continue
        resident, base = past.resident, ctx.bases[past.bed.base_id]
        received = resident.released_on - timedelta(days=rng.randint(18, 40))
        due, estimated = feedback_due(received, base.region_code)
        roll = rng.random()
        if roll < 0.75:
            sent = received + timedelta(days=rng.randint(1, max(1, (due - received).days)))
        elif roll < 0.93:
            sent = due + timedelta(days=rng.randint(1, 8))
        else:
            sent = None
        key = resident.is_key_subject
        collected = resident.released_on if key and rng.random() < 0.8 else None
        notice = ReleaseNotice(
            id_number=resident.id_number, name=resident.name, prison_name=resident.prison_name,
            prison_region_code=resident.prison_region_code, expected_release_on=resident.released_on,
            received_on=received, receiving_region_code=base.region_code, is_key_subject=key,
            risk_assessment="有一定重新违法犯罪倾向，建议重点帮教" if key else "危险性较低",
            relief_advice="无固定住所，建议过渡性安置" if resident.is_homeless else "协助就业",
            feedback_due_on=due, feedback_due_is_estimate=estimated, feedback_sent_on=sent,
            feedback_arrangement="已安排接回并入住过渡性安置基地" if sent else None,
            collected_on=collected, collected_by=f"{base.name} 工作人员" if collected else None,
            resident_id=resident.id, created_by_id=ctx.managers[base.id].id, created_at=at(received))
        db.session.add(notice)
        notices.append(notice)
    db.session.flush()
    return notices


# ---------------------------------------------------------------- placements


def _insert_placements(ctx: Context, stays: list[PastStay]) -> list:
    """Most employed leavers were hired by the demo enterprise through a referral, starting on or before
    the discharge day; some later left the job; retention checked at 1, 3, 6 and 12 months."""
    from base_ops.enterprises.models import JobPosting
    from base_ops.placements.models import Placement, Referral, ReferralEvent, RetentionCheck

    rng, hr = ctx.rng, ctx.users["enterprise"]
    employed = [p for p in stays if p.destination == "employed" and rng.random() < 0.85]
    others = [p for p in stays if p.destination in ("returned_home", "relatives", "self_left")][:4]
    first_day = min((p.admitted_on for p in stays), default=ctx.day)
    postings = []
    for index, (title, description, low, high) in enumerate(POSTINGS):
        hires = len(employed[index::2]) or 1
        posting = JobPosting(enterprise_id=ctx.enterprise.id, title=title, description=description,
                             requirements="身体健康，能吃苦耐劳", positions=hires, open_positions=0,
                             wage_min=Decimal(low), wage_max=Decimal(high), location="杭州市西湖区转塘街道",
                             provides_housing=index == 1, status="closed", created_by_id=hr.id,
                             created_at=at(first_day))
        db.session.add(posting)
        postings.append(posting)
    db.session.flush()

    def referral(past: PastStay, posting, referred_on: date, outcome: str, outcome_on: date) -> Referral:
        """A referral and one event per move of the domain's pipeline up to `outcome` (seed/domain.py),
        spread evenly from the referral day to the outcome day."""
        manager = ctx.managers[past.bed.base_id]
        ref = Referral(posting_id=posting.id, resident_id=past.resident.id, enterprise_id=ctx.enterprise.id,
                       base_id=past.bed.base_id, status=outcome, referred_by_id=manager.id, created_at=at(referred_on))
        db.session.add(ref)
        db.session.flush()
        path = domain.referral_path(outcome)
        previous = None
        for step, status in enumerate(path):
            on = referred_on + (outcome_on - referred_on) * step // max(1, len(path) - 1)
            actor = manager if status in ("referred", "withdrawn") else hr
            db.session.add(ReferralEvent(referral_id=ref.id, from_status=previous, to_status=status,
                                         actor_id=actor.id, at=at(on, 15)))
            previous = status
        return ref

    placements = []
    for index, past in enumerate(employed):
        posting = postings[index % 2]
        started = max(past.admitted_on + timedelta(days=1), past.discharged_on - timedelta(days=rng.randint(0, 7)))
        started = min(started, past.discharged_on)
        referred = max(past.admitted_on, started - timedelta(days=rng.randint(10, 25)))
        ref = referral(past, posting, referred, "hired", started)
        ended = None
        if rng.random() < 0.3:
            ended = started + timedelta(days=rng.randint(20, 200))
            ended = ended if ended < ctx.day else None
        agreement = ctx.agreement
        covered = agreement.starts_on <= started <= agreement.ends_on
        placement = Placement(
            referral_id=ref.id, resident_id=past.resident.id, enterprise_id=ctx.enterprise.id,
            agreement_id=agreement.id if covered else None, stay_id=past.stay.id, started_on=started,
            contract_months=12, monthly_wage=Decimal(rng.randrange(int(posting.wage_min), int(posting.wage_max) + 1,
                                                                   100)),
            social_insurance=rng.random() < 0.8, ended_on=ended, end_reason=rng.choice(END_REASONS) if ended else None,
            created_at=at(started))
        db.session.add(placement)
        db.session.flush()
        recorded: set[int] = set()
        for due_mark in domain.CHECK_MARKS:
            due = domain.check_due_on(started, due_mark)
            if due >= ctx.day:
                break
            checked = min(due + timedelta(days=rng.randint(0, 6)), ctx.day - timedelta(days=1))
            mark = domain.check_mark(started, checked, recorded)
            if mark is None:
                continue
            recorded.add(mark)
            still = ended is None or ended > checked
            db.session.add(RetentionCheck(placement_id=placement.id, month_mark=mark, checked_on=checked,
                                          employed=still, checked_by_id=hr.id, created_at=at(checked)))
            if not still:
                break
        past.placement = placement
        placements.append(placement)
    for past, status in zip(others, ["declined_by_employer", "declined_by_resident", "withdrawn",
                                     "declined_by_employer"], strict=False):
        referred = past.admitted_on + timedelta(days=min(10, (past.discharged_on - past.admitted_on).days // 2))
        referral(past, postings[0], referred, status, referred + timedelta(days=6))
    db.session.flush()
    return placements


# ---------------------------------------------------------------- training


def _insert_training(ctx: Context, stays: list[PastStay]) -> None:
    """A finished course at each of the first two bases, 3 sessions a week for six weeks, for the people
    staying there when it began; attendance for the sessions they were there, certificates for completers."""
    from base_ops.intake.models import Stay
    from base_ops.org.models import Base

    base_ids = sorted(ctx.bases)[:2]
    courses = [("中式烹调师（初级）", "烹饪", "中式烹调师职业技能等级证书", 150),
               ("叉车司机（N1）", "叉车", "特种设备作业人员证（叉车）", 230)]
    for base_id, (title, skill, certificate, days_back) in zip(base_ids, courses, strict=False):
        starts = ctx.day - timedelta(days=days_back)
        ends = starts + timedelta(days=41)
        open_stays = db.session.execute(select(Stay).where(
            Stay.base_id == base_id, Stay.admitted_on <= starts,
            (Stay.discharged_on.is_(None)) | (Stay.discharged_on > starts + timedelta(days=7)))
            .order_by(Stay.admitted_on, Stay.id)).scalars().all()
        _insert_course(ctx, db.session.get(Base, base_id), title, skill, certificate, starts, ends, open_stays[:12])


def _insert_course(ctx: Context, base, title, skill, certificate, starts: date, ends: date, stays: list) -> None:
    from base_ops.core.workdays import WorkCalendar
    from base_ops.training.models import Attendance, Course, CourseSession, Enrolment
    from base_ops.training.services import pattern_days

    rng = ctx.rng
    manager = ctx.managers[base.id]
    trainer = ctx.users["trainer"] if base.id in {b.id for b in ctx.users["trainer"].bases} else None
    recorder = trainer or manager
    # Monday, Wednesday and Friday, skipping holidays, as the course page's session generator picks them.
    holidays = {day for day, is_workday in WorkCalendar.load(starts, ends).days.items() if not is_workday}
    days = pattern_days(starts, ends, {1, 3, 5}, holidays)
    course = Course(base_id=base.id, title=title, skill=skill, trainer_id=trainer.id if trainer else None,
                    starts_on=starts, ends_on=ends, capacity=15, enrolled_count=0, hours=Decimal(3 * len(days)),
                    certificate_type=certificate, created_at=at(starts - timedelta(days=10)))
    db.session.add(course)
    db.session.flush()
    sessions = [CourseSession(course_id=course.id, held_on=d, hours=Decimal("3"), topic=f"第 {i + 1} 课",
                              created_at=at(starts - timedelta(days=10))) for i, d in enumerate(days)]
    db.session.add_all(sessions)
    db.session.flush()
    enrolments = []
    for stay in stays:
        leaves_early = stay.discharged_on is not None and stay.discharged_on <= ends
        enrolment = Enrolment(course_id=course.id, resident_id=stay.resident_id, stay_id=stay.id,
                              enrolled_on=starts - timedelta(days=3),
                              status="withdrawn" if leaves_early else "enrolled",
                              created_at=at(starts - timedelta(days=3)))
        db.session.add(enrolment)
        db.session.flush()
        enrolments.append(enrolment)
        course.enrolled_count += 0 if leaves_early else 1
        diligence = rng.choice([0.97, 0.95, 0.9, 0.85, 0.65])
        for session in sessions:
            if stay.discharged_on is not None and session.held_on >= stay.discharged_on:
                break
            roll = rng.random()
            status = ("present" if roll < diligence - 0.06 else "late" if roll < diligence
                      else "excused" if roll < diligence + 0.03 else "absent")
            db.session.add(Attendance(session_id=session.id, resident_id=stay.resident_id,
                                      enrolment_id=enrolment.id, status=status, recorded_by_id=recorder.id,
                                      created_at=at(session.held_on, 17)))
    db.session.flush()
    # Certificates two weeks after the end for those training.queries counts as completed.
    completed = set(domain.completed_enrolments([course.id], ctx.day))
    if ends + timedelta(days=14) < ctx.day:
        for number, enrolment in enumerate(enrolments, start=1):
            if enrolment.id in completed:
                enrolment.certificate_number = f"{base.region_code}{ends:%Y}{number:04d}"
                enrolment.certificate_on = ends + timedelta(days=14)
    db.session.flush()


# ---------------------------------------------------------------- claims


@dataclass
class PlannedClaim:
    values: dict
    created_on: date
    creator: User
    enterprise_kind: bool


def _insert_claims(ctx: Context, stays: list[PastStay], placements: list, notices: list) -> int:
    """Claims of every kind, amounts by subsidies.rules, each moved through the life cycle on dated events."""
    planned = (_enterprise_claims(ctx, placements) + _living_claims(ctx, stays) + _handover_claims(ctx, notices))
    planned.sort(key=lambda p: (p.created_on, p.values["kind"], p.values["subject_key"], p.values["period"]))
    return _move_claims(ctx, planned)


def _enterprise_claims(ctx: Context, placements: list) -> list[PlannedClaim]:
    from base_ops.subsidies import rules
    from base_ops.subsidies.services import hire_of, terms_of

    rng, hr, out = ctx.rng, ctx.users["enterprise"], []
    current_month = month_key(ctx.day)
    for placement in placements:
        if placement.agreement_id is None:
            continue
        terms, hire = terms_of(ctx.agreement), hire_of(placement)
        common = {"placement_id": placement.id, "resident_id": placement.resident_id,
                  "enterprise_id": placement.enterprise_id, "base_id": placement.referral.base_id,
                  "agreement_id": placement.agreement_id, "payee_name": ctx.enterprise.name,
                  "subject_key": f"placement:{placement.id}"}
        for kind in ("post_subsidy", "insurance_subsidy"):
            for index in range(3):
                month = month_key(add_months(placement.started_on.replace(day=1), index))
                filed = add_months(date.fromisoformat(month + "-01"), 1) + timedelta(days=rng.randint(2, 12))
                if filed >= ctx.day:
                    break
                try:
                    amount, rule = rules.monthly_subsidy(kind, terms, hire, month=month, earlier_claims=index,
                                                         current_month=current_month)
                except rules.NotEligible:
                    break
                out.append(PlannedClaim({**common, "kind": kind, "period": month, "amount": amount, "rule": rule},
                                        filed, hr, True))
        claimed_on = add_months(placement.started_on, 6) + timedelta(days=rng.randint(3, 15))
        if claimed_on < ctx.day:
            try:
                amount, rule = rules.one_time_hire(terms, hire, claimed_on=claimed_on)
            except rules.NotEligible:
                continue
            out.append(PlannedClaim({**common, "kind": "one_time_hire", "period": "", "amount": amount,
                                     "rule": rule}, claimed_on, hr, True))
    return out


def _living_claims(ctx: Context, stays: list[PastStay]) -> list[PlannedClaim]:
    """The first months of the transitional living allowance for about half the past residents (those whose
    户籍 has a dibao standard for the year; rules.living_allowance decides)."""
    from base_ops.subsidies import rules
    from base_ops.subsidies.services import allowance_terms, dibao_table, person_of

    rng, out = ctx.rng, []
    for past in stays:
        if rng.random() < 0.5:
            continue
        resident = past.resident
        if resident.subject_type == "released" and resident.registered_on:
            # 生活确有困难, recorded with its evidence when he registered (seed 002 三(三)).
            resident.hardship_recorded_on = resident.registered_on
            resident.hardship_evidence = "村委会出具的生活困难证明"
            # The allowance is paid to his account (the payment list needs one, issue 21).
            resident.bank_account = resident.bank_account or f"6222{resident.id:015d}"
        person = person_of(resident)
        for index in range(3):
            first = add_months(resident.registered_on.replace(day=1), index)
            filed = max(first, resident.registered_on) + timedelta(days=rng.randint(2, 10))
            if filed >= ctx.day:
                break
            terms, policy_id = allowance_terms(resident.hukou_region_code, first)
            try:
                amount, rule = rules.living_allowance(
                    person, month=month_key(first), terms=terms,
                    dibao=dibao_table(resident.hukou_region_code, first.year),
                    region_names={c: region_name(c) for c in regions_up_from(resident.hukou_region_code)})
            except rules.NotEligible:
                break
            out.append(PlannedClaim({"kind": "living_allowance", "subject_key": f"resident:{resident.id}",
                                     "period": month_key(first), "resident_id": resident.id,
                                     "base_id": past.bed.base_id, "payee_name": resident.name,
                                     "payee_account": resident.bank_account,
                                     "amount": amount, "rule": rule, "policy_id": policy_id},
                                    filed, ctx.managers[past.bed.base_id], False))
    return out


def _handover_claims(ctx: Context, notices: list) -> list[PlannedClaim]:
    from base_ops.residents.models import Resident
    from base_ops.subsidies import rules
    from base_ops.subsidies.services import handover_terms

    rng, out = ctx.rng, []
    for notice in notices:
        if notice.collected_on is None or rng.random() < 0.3:
            continue
        filed = notice.collected_on + timedelta(days=rng.randint(3, 15))
        if filed >= ctx.day:
            continue
        terms, policy_id = handover_terms(notice.receiving_region_code, notice.received_on, notice.prison_region_code)
        amount, rule = rules.handover(is_key_subject=notice.is_key_subject, collected_on=notice.collected_on,
                                      prison_region_code=notice.prison_region_code,
                                      receiving_region_code=notice.receiving_region_code, terms=terms,
                                      region_names={c: region_name(c) for c in (notice.prison_region_code,
                                                                               notice.receiving_region_code)})
        base_id = db.session.get(Resident, notice.resident_id).base_id
        out.append(PlannedClaim({"kind": "handover", "subject_key": f"notice:{notice.id}", "period": "",
                                 "release_notice_id": notice.id, "resident_id": notice.resident_id,
                                 "base_id": base_id, "payee_name": ctx.bases[base_id].name,
                                 "region_code": notice.receiving_region_code, "amount": amount, "rule": rule,
                                 "policy_id": policy_id},
                                filed, ctx.managers[base_id], False))
    return out


def _move_claims(ctx: Context, planned: list[PlannedClaim]) -> int:
    """draft → submitted → reviewed → approved → paid on dated events, as far as the days since filing allow;
    a few rejected at review or approval; recent ones sometimes still waiting; approvals within the
    agreement's budget; approved claims of a county and month paid together in one batch."""
    from base_ops.subsidies import rules
    from base_ops.subsidies.models import BatchStatus, Claim, ClaimEvent, PaymentBatch

    rng, last_day = ctx.rng, ctx.day - timedelta(days=1)
    committed = Decimal(0)
    to_pay: dict[tuple[str, str], list[tuple[Claim, date]]] = {}
    for plan in planned:
        values = dict(plan.values)
        values.setdefault("region_code", ctx.bases[values["base_id"]].region_code)
        manager, officer = ctx.managers[values["base_id"]], ctx.officers[values["region_code"]]
        claim = Claim(status="draft", created_by_id=plan.creator.id, created_at=at(plan.created_on, 9), **values)
        db.session.add(claim)
        db.session.flush()
        events = [(None, "draft", plan.creator, plan.created_on, None)]
        on, status = plan.created_on, "draft"
        recent = (ctx.day - plan.created_on).days < 45
        for target, actor, wait in (("submitted", plan.creator, (0, 2)), ("reviewed", manager, (2, 6)),
                                    ("approved", officer, (3, 12))):
            on = on + timedelta(days=rng.randint(*wait))
            if on > last_day or (recent and rng.random() < 0.3):
                break
            if target in ("reviewed", "approved") and rng.random() < 0.06:
                reason = ("missing_evidence", MISSING_EVIDENCE[values["kind"]])
                claim.reason_code, claim.reason = reason
                events.append((status, "rejected", actor, on, reason))
                status = "rejected"
                break
            if target == "approved" and plan.enterprise_kind:
                if not rules.within_budget(ctx.agreement.budget, committed, claim.amount):
                    break
                committed += claim.amount
            if target == "approved" and not claim.payee_account:
                # As approval does (subsidies/payees.py): the account is taken from the payee's record.
                payee, _where = payees.payee_of(claim)
                claim.payee_account = getattr(payee, "bank_account", None)
            events.append((status, target, actor, on, None))
            status = target
        claim.status = status
        for previous, target, actor, moved_on, reason in events:
            db.session.add(ClaimEvent(claim_id=claim.id, from_status=previous, to_status=target, actor_id=actor.id,
                                      at=at(moved_on, 11), reason_code=reason[0] if reason else None,
                                      reason=reason[1] if reason else None))
        if status == "approved":
            period = domain.batch_period(values["kind"], values["period"], on)
            to_pay.setdefault((values["region_code"], period), []).append((claim, on))
    batches = sorted((max(on for _claim, on in claims) + timedelta(days=rng.randint(5, 15)), region_code, period,
                      claims) for (region_code, period), claims in sorted(to_pay.items()))
    for index, (paid_on, region_code, period, claims) in enumerate(batches):
        if paid_on > last_day or index == len(batches) - 1:
            continue  # approved, waiting for the next payment batch (the latest always waits)
        officer = ctx.officers[region_code]
        batch = PaymentBatch(region_code=region_code, period=period, status=BatchStatus.PAID,
                             created_by_id=officer.id, paid_at=at(paid_on, 16), paid_by_id=officer.id,
                             created_at=at(paid_on, 14))
        db.session.add(batch)
        db.session.flush()
        for claim, _approved_on in claims:
            claim.status, claim.batch_id = "paid", batch.id
            db.session.add(ClaimEvent(claim_id=claim.id, from_status="approved", to_status="paid",
                                      actor_id=officer.id, at=at(paid_on, 16)))
    db.session.flush()
    return len(planned)
