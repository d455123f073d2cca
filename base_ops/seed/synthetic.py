"""`flask seed synthetic`: a realistic, deterministic data set at small, county or province scale.

Used by the tests (small, on SQLite) and the benchmarks (province, on PostgreSQL: about 150
bases, 12,000 beds, 100,000 residents, 150,000 stays, 250,000 bed assignments, 1,000,000
attendance rows, 60,000 placements and 300,000 claims). Three years of history end at
`clock.today()`.

The rows are simulated in memory, day by day, so every rule the database holds is met by
construction: a bed holds one resident a night and a resident one bed (beds are handed out
from a free list of the room's sex), one open stay per person, a bed goes out of service only
while empty, enrolments never exceed capacity, one claim per (kind, subject, period), valid
ID numbers (GB 11643-1999) and credit codes (GB 32100-2015).

The simulation decides what happens (who arrives, how long they stay, who is hired); the domain
decides what it means, through base_ops/seed/domain.py: key subjects and override reasons (the
Resident model, intake/stays/rules.py), receipt deadlines (the notices service's working-day
rule), a referral's statuses (Referral.transitions), the mark each retention check answers,
which enrolments completed (training.queries.progress_columns, asked of the written rows), claim
amounts and rule lines (subsidies.rules, with the policies in force), and the batch that pays
each claim (subsidies.batches). tests/seed/test_domain_rules.py checks the seeded world against
the same functions.

The rows are then written in bulk, not through the services (they stamp "now" and check one row
at a time): psycopg COPY on PostgreSQL, SQLAlchemy Core executemany in chunks elsewhere, all in one
unit of work. A seeded `random.Random` makes every run with the same seed, scale, province and day
produce the same data.
"""

from __future__ import annotations

import base64
import heapq
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from itertools import pairwise

from sqlalchemy import bindparam, func, insert, select, text
from stdnum.cn import ric, uscc

from base_ops.accounts import services as account_services
from base_ops.accounts.models import User
from base_ops.beds.models import BedAssignment
from base_ops.core.clock import LOCAL_ZONE, today
from base_ops.core.unit_of_work import unit_of_work
from base_ops.enterprises.models import Enterprise, JobPosting, PlacementAgreement
from base_ops.extensions import db
from base_ops.followup import services as followup
from base_ops.followup.models import FollowUpDue
from base_ops.intake.models import Leave, ReleaseNotice, Stay
from base_ops.org.models import Base, Bed, BedServicePeriod, DibaoStandard, Region, RegionLevel, Room
from base_ops.placements.models import Placement, Referral, ReferralEvent, RetentionCheck
from base_ops.residents.models import SUPPORT_YEARS_KEY, Resident, add_years
from base_ops.seed import domain
from base_ops.subsidies import queries as subsidy_queries
from base_ops.subsidies import rules
from base_ops.subsidies.models import Claim, ClaimEvent, PaymentBatch
from base_ops.subsidies.services import allowance_terms, handover_terms
from base_ops.training.models import Attendance, Course, CourseSession, Enrolment
from base_ops.training.services import DEFAULT_THRESHOLD

# The users the benchmarks and a tester sign in with (README "Performance").
USERNAMES = {"province": "synth_province", "county": "synth_county", "manager": "synth_manager",
             "trainer": "synth_trainer"}
DEFAULT_PASSWORD = "Synthetic-Data-2026"  # noqa: S105 -- documented test logins
HISTORY_DAYS = 3 * 365


class AlreadySeeded(Exception):
    """Synthetic data is already in this database."""


@dataclass(frozen=True)
class Scale:
    bases: int
    beds_per_base: tuple[int, int]  # min, max (uniform)
    enterprises: int
    courses_per_base_year: float
    reuse_share: float  # share of admissions that are a returning resident


SCALES = {
    "small": Scale(bases=3, beds_per_base=(10, 16), enterprises=4, courses_per_base_year=3, reuse_share=0.3),
    "county": Scale(bases=8, beds_per_base=(50, 100), enterprises=30, courses_per_base_year=7, reuse_share=0.36),
    "province": Scale(bases=150, beds_per_base=(50, 110), enterprises=600, courses_per_base_year=7,
                      reuse_share=0.36),
}

# Discharge destinations (docs/domain.md "At the base"): most leave for a job or go home; a few
# reoffend, go to hospital or die.
DESTINATIONS = [("employed", 42), ("returned_home", 18), ("relatives", 10), ("assistance_institution", 5),
                ("self_left", 8), ("expelled", 4), ("reoffended", 4), ("hospital", 2), ("deceased", 1),
                ("other", 6)]
MOVES_PER_STAY = [(0, 42), (1, 43), (2, 15)]  # bed moves within a stay
# Stay = 10 + exponential days, at most 240 (docs/domain.md: 180 is the usual maximum; overstays are flagged).
MEAN_EXTRA_DAYS = 66
MEAN_STAY_DAYS = 10 + MEAN_EXTRA_DAYS * (1 - math.exp(-230 / MEAN_EXTRA_DAYS))  # about 74

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子"
    "杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮"
    "政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航"
    "弘"
)
GIVEN_F = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉"
    "琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨"
    "瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)
OFFENCES = ["盗窃罪", "诈骗罪", "故意伤害罪", "抢劫罪", "寻衅滋事罪", "危险驾驶罪", "交通肇事罪", "贩卖毒品罪",
            "聚众斗殴罪", "非法拘禁罪", "敲诈勒索罪", "职务侵占罪", "开设赌场罪", "容留他人吸毒罪"]
SKILLS = [("电焊", "焊工（初级）", "焊工职业技能等级证书"),
          ("烹饪", "中式烹调师（初级）", "中式烹调师职业技能等级证书"),
          ("家政", "家政服务员（初级）", "家政服务员职业技能等级证书"), ("电工", "低压电工作业", "特种作业操作证"),
          ("叉车", "叉车司机", "特种设备作业人员证"),
          ("物流", "快递员与仓储管理", None), ("电商", "网店运营与直播", None), ("养老护理", "养老护理员（初级）",
                                                                          "养老护理员职业技能等级证书")]
TRADES = ["物业服务", "建筑工程", "餐饮管理", "物流", "机械制造", "纺织", "电子", "保洁服务", "汽车维修", "食品加工",
          "电子商务", "家政服务", "包装印刷", "五金制品", "农业开发"]
# No 保安 course or posting: the law closes the job to the people the base serves, so the base neither trains
# them for it nor refers them to it (docs/domain.md "Lawful bars on some jobs"; enterprises/bars.py).
JOB_TITLES = ["保洁员", "仓库分拣员", "普工", "厨师助理", "物业维修员", "电焊工", "快递员", "叉车司机", "装配工",
              "绿化工", "家政服务员", "养老护理员", "维修工", "包装工", "配送员"]
DIET_WEIGHTS = [("standard", 85), ("halal", 5), ("vegetarian", 4), ("medical", 6)]
END_REASONS = ["合同期满未续签", "本人辞职", "企业裁员", "回原籍", "身体原因", "违反企业规章被辞退"]
LEAVE_REASONS = ["探亲", "就医", "面试", "办理证件", "参加培训考试"]
ETHNICITIES = [("汉族", 95), ("回族", 2), ("畲族", 1), ("土家族", 1), ("苗族", 1)]
CONTRACT_MONTHS = [(12, 55), (24, 20), (36, 10), (6, 15)]


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    values = [v for v, _w in weighted]
    weights = [w for _v, w in weighted]
    return rng.choices(values, weights)[0]


@lru_cache(maxsize=8192)
def _at(day: date, hour: int = 9) -> datetime:
    """A timestamp on that local day, in UTC (created_at and event times)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_ZONE).astimezone(UTC)


# ---------------------------------------------------------------- in-memory records

@dataclass(slots=True)
class BaseRec:
    id: int
    name: str
    region_code: str
    beds: dict[str, list[int]]  # sex -> bed ids
    occupancy: float
    free: dict[str, list[int]] = field(default_factory=dict)
    stays: list = field(default_factory=list)


@dataclass(slots=True)
class ResidentRec:
    id: int
    sex: str
    id_number: str
    name: str
    birth_on: date
    hukou: str
    released_on: date
    registered_on: date | None
    subject_type: str
    base_id: int
    flags: dict
    diet: str
    key_subject: bool  # the Resident model's answer for these flags
    reoffended_on: date | None = None
    dibao_since: date | None = None
    notice_id: int | None = None
    bank_account: str | None = None  # set when the resident rows are written

    @property
    def hardship_on(self) -> date | None:
        """生活确有困难 recorded at registration for every other person released from prison (the living
        allowance needs it, seed 002 三(三)); not drawn at random, so the rest of the world stays the same."""
        if self.subject_type == "released" and self.registered_on and self.id % 2 == 0:
            return self.registered_on
        return None


@dataclass(slots=True)
class StayRec:
    id: int
    resident: ResidentRec
    base: BaseRec
    admitted_on: date
    planned_end: date
    destination: str
    segments: list = field(default_factory=list)  # [bed_id, start, end or None]
    discharged_on: date | None = None


@dataclass(slots=True)
class PlacementRec:
    id: int
    referral_id: int
    resident: ResidentRec
    stay: StayRec
    enterprise_id: int
    agreement: dict
    started_on: date
    contract_months: int
    social_insurance: bool
    ended_on: date | None
    not_employed_on: tuple = ()


# ---------------------------------------------------------------- writing

def payee_account(prefix: str, number: int) -> str:
    """A synthetic bank account of 19 digits, the same for the same payee in every run."""
    return f"{prefix}{number:015d}"


class _Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany in chunks elsewhere."""

    CHUNK = 5000

    def __init__(self, log: Callable[[str], None]):
        self.connection = db.session.connection()
        self.is_pg = self.connection.dialect.name == "postgresql"
        self.counts: dict[str, int] = defaultdict(int)
        self.log = log

    def next_id(self, model) -> int:
        return (self.connection.execute(select(func.max(model.id))).scalar() or 0) + 1

    def write(self, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        table = model.__table__ if hasattr(model, "__table__") else model
        count = 0
        if self.is_pg:
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            statement = insert(table)
            chunk: list[dict] = []
            for row in rows:
                chunk.append(dict(zip(columns, row, strict=True)))
                if len(chunk) >= self.CHUNK:
                    self.connection.execute(statement, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                self.connection.execute(statement, chunk)
                count += len(chunk)
        self.counts[table.name] += count
        return count

    def finish(self, tables: list[str], analyze: bool) -> None:
        """PostgreSQL: move the id sequences past the ids given here, and refresh the planner's statistics."""
        if not self.is_pg:
            return
        # Table names come from the models, never from input.
        for name in tables:
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM {name}), 1))"  # noqa: S608
            ))
        if analyze:
            for name in tables:
                self.connection.execute(text(f"ANALYZE {name}"))


# ---------------------------------------------------------------- the builder

class SyntheticBuilder:
    def __init__(self, scale: str, province_code: str, seed: int, password: str,
                 log: Callable[[str], None] = lambda _m: None):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.province_code = province_code
        self.rng = random.Random(f"{seed}:{scale}:{province_code}")
        self.password = password
        self.log = log
        self.today = today()
        self.start = self.today - timedelta(days=HISTORY_DAYS)
        self.users: dict[str, User] = {}
        # Printed with the logins; one second-factor secret for both officers, from the seed like the rest.
        self.totp_secret = base64.b32encode(bytes(self.rng.getrandbits(8) for _ in range(20))).decode()
        self._pool_seq = 0
        self._id_seq: dict[tuple[str, date, int], int] = defaultdict(int)
        self._birthplace_ok: dict[tuple[str, int], bool] = {}

    # ------------------------------------------------------------ entry point

    def run(self) -> dict[str, int]:
        started = time.monotonic()
        with unit_of_work():  # the whole data set or nothing
            self._check_not_seeded()
            self._load_regions()
            self.w = _Writer(self.log)
            self._step("bases, rooms and beds", self._build_site)
            self._step("users", self._create_users)
            self._step("stays and beds (simulated day by day)", self._simulate)
            self._step("residents, stays, bed assignments, leave", self._write_people)
            self._step("follow-up dues after discharge", self._write_follow_up_dues)
            self._step("release notices", self._write_notices)
            self._step("enterprises, agreements, postings", self._build_enterprises)
            self._step("referrals, placements, retention checks", self._write_placements)
            self._step("courses, sessions, enrolments, attendance", self._write_training)
            self._step("dibao standards and claims", self._write_claims)
            self._step("agreement budgets and posting positions", self._finish_enterprises)
            tables = sorted(self.w.counts)
            self.w.finish(tables, analyze=self.scale_name == "small")
        if self.w.is_pg and self.scale_name != "small":
            self._step("VACUUM ANALYZE", lambda: _vacuum(tables))
        counts = dict(self.w.counts)
        counts["seconds"] = round(time.monotonic() - started, 1)
        return counts

    def _step(self, label: str, fn: Callable[[], None]) -> None:
        t0 = time.monotonic()
        fn()
        self.log(f"  {label}: {time.monotonic() - t0:.1f} s")

    def _check_not_seeded(self) -> None:
        taken = db.session.execute(select(User.username).where(User.username.in_(USERNAMES.values()))).first()
        if taken:
            raise AlreadySeeded(f"synthetic data is already in this database (user {taken[0]} exists); "
                                "use a fresh database")

    def _load_regions(self) -> None:
        from base_ops.seed import loaders

        if db.session.get(Region, self.province_code) is None:
            loaders.load_regions()
        province = db.session.get(Region, self.province_code)
        if province is None or province.level != RegionLevel.PROVINCE:
            raise ValueError(f"{self.province_code} is not a province code of GB/T 2260")
        self.province = province
        prefix = self.province_code[:2]
        rows = db.session.execute(select(Region.code, Region.name, Region.level, Region.parent_code)).all()
        self.region_names = {code: name for code, name, _l, _p in rows}
        self.counties = sorted(c for c, _n, lvl, _p in rows if lvl == RegionLevel.COUNTY and c.startswith(prefix))
        self.cities = sorted(c for c, _n, lvl, _p in rows if lvl == RegionLevel.CITY and c.startswith(prefix))
        self.provinces = sorted(c for c, _n, lvl, _p in rows if lvl == RegionLevel.PROVINCE)
        self.outside_counties = sorted(c for c, _n, lvl, _p in rows
                                       if lvl == RegionLevel.COUNTY and not c.startswith(prefix))
        if not self.counties:
            raise ValueError(f"no counties under {self.province_code}: load the regions (flask seed regions)")
        self.parent = {code: parent for code, _n, _l, parent in rows}

    # ------------------------------------------------------------ site

    def _build_site(self) -> None:
        rng, w = self.rng, self.w
        base_id, room_id, bed_id, period_id = (w.next_id(Base), w.next_id(Room), w.next_id(Bed),
                                               w.next_id(BedServicePeriod))
        # Bases over the province's counties, several in the bigger places.
        counties = [self.counties[i % len(self.counties)] for i in range(self.scale.bases)]
        rng.shuffle(counties)
        existing_names = set(db.session.execute(select(Base.name)).scalars())
        self.bases: list[BaseRec] = []
        base_rows, room_rows, bed_rows = [], [], []
        opened = self.start - timedelta(days=300)
        per_county: dict[str, int] = defaultdict(int)
        for county in counties:
            per_county[county] += 1
            name = f"{self.region_names[self._city_of(county)]}{self.region_names[county]}过渡性安置基地"
            if per_county[county] > 1:
                name += f"（{per_county[county]}号）"
            while name in existing_names:
                name += "·模拟"
            existing_names.add(name)
            beds_total = rng.randint(*self.scale.beds_per_base)
            female_beds = 0 if rng.random() < 0.3 else max(2, round(beds_total * rng.uniform(0.08, 0.18)))
            base = BaseRec(id=base_id, name=name, region_code=county, beds={"male": [], "female": []},
                           occupancy=rng.uniform(0.74, 0.90))
            base_rows.append((base_id, name, county, f"{self.region_names[county]}安置路{rng.randint(1, 300)}号",
                              180, Decimal(rng.choice(["25.00", "28.00", "30.00", "32.00", "35.00"])), True,
                              payee_account("6227", base_id), _at(opened)))
            floor = 1
            for sex, count in (("male", beds_total - female_beds), ("female", female_beds)):
                left = count
                number = 1
                while left > 0:
                    size = min(left, rng.choice([4, 6, 6, 8]))
                    room_name = f"{floor}{number:02d}" if sex == "male" else f"女{floor}{number:02d}"
                    room_rows.append((room_id, base_id, room_name, sex, _at(opened)))
                    for label in "ABCDEFGH"[:size]:
                        bed_rows.append((bed_id, room_id, label, _at(opened)))
                        base.beds[sex].append(bed_id)
                        bed_id += 1
                    room_id += 1
                    left -= size
                    number += 1
                    if number > 12:
                        floor, number = floor + 1, 1
                floor += 1
            base.free = {sex: list(ids) for sex, ids in base.beds.items()}
            self.bases.append(base)
            base_id += 1
        w.write(Base, ("id", "name", "region_code", "address", "max_stay_days", "meal_standard", "is_active",
                       "bank_account", "created_at"), base_rows)
        w.write(Room, ("id", "base_id", "name", "sex", "created_at"), room_rows)
        w.write(Bed, ("id", "room_id", "label", "created_at"), bed_rows)
        self.bed_opened = opened
        self.bed_gaps: dict[int, list[tuple[date, date]]] = defaultdict(list)  # out-of-service [from, to)
        self._next_period_id = period_id

    def _city_of(self, county: str) -> str:
        parent = self.parent.get(county)
        return parent if parent and parent in self.region_names else county

    # ------------------------------------------------------------ users

    def _create_users(self) -> None:
        """A province officer, the officer of the county with most beds, the manager and a trainer of its
        biggest base (seeded passwords: production refuses to start while they are active)."""
        beds_by_county: dict[str, int] = defaultdict(int)
        for base in self.bases:
            beds_by_county[base.region_code] += sum(len(v) for v in base.beds.values())
        county = max(sorted(beds_by_county), key=lambda c: beds_by_county[c])
        big = max((b for b in self.bases if b.region_code == county), key=lambda b: sum(map(len, b.beds.values())))
        self.big_base = big
        specs = [
            ("province", "county_officer", "省级安帮办（模拟）", self.province_code, []),
            ("county", "county_officer", f"{self.region_names[county]}安帮办（模拟）", county, []),
            ("manager", "base_manager", f"{big.name}管理员（模拟）", None, [big.id]),
            ("trainer", "trainer", f"{big.name}培训师（模拟）", None, [big.id]),
        ]
        for key, role, display, region, base_ids in specs:
            user = account_services.create_user(None, username=USERNAMES[key], role=role, password=self.password,
                                                display_name=display, region_code=region, base_ids=base_ids,
                                                seeded_password=True)
            if role == "county_officer":
                # County officers sign in with a second factor (docs/security.md); the secret is printed.
                user.totp_secret = self.totp_secret
                user.totp_enabled = True
            self.users[key] = user
        db.session.flush()
        self.w.connection = db.session.connection()

    # ------------------------------------------------------------ the day-by-day simulation

    def _simulate(self) -> None:
        rng = self.rng
        self.residents: list[ResidentRec] = []
        self.stays: list[StayRec] = []
        self._resident_id = self.w.next_id(Resident)
        self._stay_id = self.w.next_id(Stay)
        self._existing_ids = set(db.session.execute(select(Resident.id_number)).scalars())
        events: dict[date, list] = defaultdict(list)  # day -> [(order, seq, kind, payload)]
        pool: dict[str, list] = {"male": [], "female": []}  # heap of (available_from, seq, resident)
        ready: dict[str, list[ResidentRec]] = {"male": [], "female": []}
        seq = 0

        def schedule(day: date, order: int, kind: str, payload) -> None:
            nonlocal seq
            seq += 1
            events[day].append((order, seq, kind, payload))

        def take_bed(base: BaseRec, sex: str) -> int | None:
            free = base.free[sex]
            if not free:
                return None
            i = rng.randrange(len(free))
            free[i], free[-1] = free[-1], free[i]
            return free.pop()

        def admit(base: BaseRec, day: date, admitted_on: date) -> None:
            male_share = len(base.beds["male"]) / max(1, sum(map(len, base.beds.values())))
            sex = "male" if rng.random() < male_share else "female"
            bed = take_bed(base, sex)
            if bed is None:
                return  # no bed of that sex tonight: the person is turned away (referred elsewhere)
            if ready[sex] and rng.random() < self.scale.reuse_share:
                i = rng.randrange(len(ready[sex]))
                ready[sex][i], ready[sex][-1] = ready[sex][-1], ready[sex][i]
                resident = ready[sex].pop()
            else:
                resident = self._new_resident(base, sex, admitted_on)
            length = min(240, 10 + int(rng.expovariate(1 / MEAN_EXTRA_DAYS)))
            planned_end = admitted_on + timedelta(days=length)
            stay = StayRec(id=self._stay_id, resident=resident, base=base, admitted_on=admitted_on,
                           planned_end=planned_end, destination=_pick(rng, DESTINATIONS))
            self._stay_id += 1
            stay.segments.append([bed, admitted_on, None])
            self.stays.append(stay)
            base.stays.append(stay)
            moves = _pick(rng, MOVES_PER_STAY) if length >= 6 else 0
            for move_day in sorted(rng.sample(range(1, length), moves)):
                when = admitted_on + timedelta(days=move_day)
                if when > day:
                    schedule(when, 1, "move", stay)
            schedule(planned_end, 0, "discharge", stay)

        # Day 0: the bases are already running, filled to their usual occupancy.
        for base in self.bases:
            beds = sum(map(len, base.beds.values()))
            for _ in range(round(beds * base.occupancy * 0.95)):
                back = rng.randint(0, 150)
                admit(base, self.start, self.start - timedelta(days=back))
        # Fix up day-0 stays whose planned end is already past: they were shorter than their head start.
        for stay in self.stays:
            if stay.planned_end <= self.start:
                stay.planned_end = self.start + timedelta(days=rng.randint(1, 60))
                schedule(stay.planned_end, 0, "discharge", stay)

        rates = {base.id: base.occupancy * sum(map(len, base.beds.values())) / MEAN_STAY_DAYS for base in self.bases}
        day = self.start
        while day <= self.today:
            for _order, _seq, kind, payload in sorted(events.pop(day, [])):
                if kind == "discharge":
                    self._discharge(payload, day, pool, schedule)
                elif kind == "move":
                    self._move(payload, day, take_bed)
                elif kind == "bed_back":
                    base, sex, bed = payload
                    base.free[sex].append(bed)
            for sex in ("male", "female"):
                while pool[sex] and pool[sex][0][0] <= day:
                    ready[sex].append(heapq.heappop(pool[sex])[2])
            for base in self.bases:
                season = 1.0 + 0.15 * math.sin((day.timetuple().tm_yday / 365.0) * 2 * math.pi)
                for _ in range(_poisson(rng, rates[base.id] * season)):
                    admit(base, day, day)
            day += timedelta(days=1)
        # Still in the base today: open stays, open bed assignments.
        for stay in self.stays:
            if stay.discharged_on is None:
                stay.destination = None

    def _discharge(self, stay: StayRec, day: date, pool, schedule) -> None:
        if stay.discharged_on is not None or stay.planned_end != day:
            return
        rng = self.rng
        stay.discharged_on = day
        segment = stay.segments[-1]
        segment[2] = day
        base, bed = stay.base, segment[0]
        sex = stay.resident.sex
        if rng.random() < 0.025:
            # Repairs: the empty bed is out of service for a while (docs/domain.md: beds can be taken out).
            back = day + timedelta(days=rng.randint(10, 120))
            self.bed_gaps[bed].append((day, back))
            schedule(back, 2, "bed_back", (base, sex, bed))
        else:
            base.free[sex].append(bed)
        resident = stay.resident
        if stay.destination == "reoffended":
            resident.reoffended_on = day
        elif stay.destination != "deceased":
            self._pool_seq += 1
            heapq.heappush(pool[resident.sex], (day + timedelta(days=rng.randint(20, 400)), self._pool_seq, resident))

    def _move(self, stay: StayRec, day: date, take_bed) -> None:
        if stay.discharged_on is not None or day >= stay.planned_end:
            return
        bed = take_bed(stay.base, stay.resident.sex)
        if bed is None:
            return  # no other free bed tonight: stays where he is
        segment = stay.segments[-1]
        segment[2] = day
        stay.base.free[stay.resident.sex].append(segment[0])
        stay.segments.append([bed, day, None])

    # ------------------------------------------------------------ people

    def _id_number(self, region: str, birth: date, sex: str) -> str:
        """A valid, unique 居民身份证号 (GB 11643-1999): sequence odd for men, even for women."""
        if not self._birthplace_valid(region, birth.year):
            region = next((c for c in self.counties if self._birthplace_valid(c, birth.year)),
                          self.province_code)
        parity = 1 if sex == "male" else 0
        key = (region, birth, parity)
        while True:
            self._id_seq[key] += 1
            if self._id_seq[key] > 440:
                raise ValueError(f"too many people born {birth} in {region}")
            number = self._id_seq[key] * 2 - parity + 100
            body = f"{region}{birth:%Y%m%d}{number:03d}"
            candidate = body + ric.calc_check_digit(body + "0")
            if candidate not in self._existing_ids:
                self._existing_ids.add(candidate)
                return candidate

    def _birthplace_valid(self, region: str, year: int) -> bool:
        key = (region, year)
        if key not in self._birthplace_ok:
            body = f"{region}{year}0101101"
            self._birthplace_ok[key] = ric.is_valid(body + ric.calc_check_digit(body + "0"))
        return self._birthplace_ok[key]

    def _new_resident(self, base: BaseRec, sex: str, admitted_on: date) -> ResidentRec:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            hukou = base.region_code
        elif roll < 0.85 or not self.outside_counties:
            hukou = rng.choice(self.counties)
        else:
            hukou = rng.choice(self.outside_counties)
        age = int(rng.triangular(19, 64, 36))
        birth = admitted_on - timedelta(days=age * 365 + rng.randint(30, 360))
        released_on = admitted_on - timedelta(days=int(rng.expovariate(1 / 12)) if rng.random() < 0.9
                                              else rng.randint(30, 200))
        registered_on = None
        if rng.random() < 0.92:
            registered_on = released_on + timedelta(days=rng.randint(1, 28) if rng.random() < 0.8
                                                    else rng.randint(29, 120))
        homeless = rng.random() < 0.55
        flags = {"is_homeless": homeless, "has_no_relatives": homeless and rng.random() < 0.6,
                 "is_unemployed": rng.random() < 0.85, "reoffend_risk": rng.random() < 0.12,
                 "state_security": rng.random() < 0.005, "false_identity": rng.random() < 0.01,
                 "special_hardship": rng.random() < 0.08}
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN if sex == "male" else GIVEN_F)
                                              for _ in range(1 if rng.random() < 0.3 else 2))
        resident = ResidentRec(
            id=self._resident_id, sex=sex, id_number=self._id_number(hukou, birth, sex), name=name, birth_on=birth,
            hukou=hukou, released_on=released_on, registered_on=registered_on,
            subject_type="released" if rng.random() < 0.85 else "correction_ended", base_id=base.id, flags=flags,
            diet=_pick(rng, DIET_WEIGHTS), key_subject=domain.is_key_subject(flags),
            dibao_since=(registered_on + timedelta(days=rng.randint(60, 150))
                         if registered_on and rng.random() < 0.05 else None),
        )
        self._resident_id += 1
        self.residents.append(resident)
        return resident

    def _write_people(self) -> None:
        rng, w = self.rng, self.w
        prisons = self._prisons()
        manager_id = self.users["manager"].id

        def account(r: ResidentRec) -> str | None:
            """Seven in ten people have an account on file; everyone whose hardship is recorded has one, since
            the living allowance is paid to it (a claim is never approved without a payee account, issue 21)."""
            drawn = f"6222{rng.randint(0, 10**15 - 1):015d}" if rng.random() < 0.7 else None
            r.bank_account = drawn or (payee_account("6222", r.id) if r.hardship_on else None)
            return r.bank_account

        def residents():
            for r in self.residents:
                prison_name, prison_region = prisons[r.id % len(prisons)]
                yield (r.id, r.id_number, r.name, r.sex, r.birth_on, _pick(rng, ETHNICITIES),
                       f"13{rng.randint(0, 999999999):09d}", r.hukou, f"{self.region_names[r.hukou]}某街道某村",
                       r.subject_type, r.released_on, prison_name, prison_region, rng.choice(OFFENCES),
                       rng.randint(6, 180), r.registered_on, *r.flags.values(), r.diet,
                       "高血压" if r.diet == "medical" else None,
                       account(r),
                       r.dibao_since, r.reoffended_on, r.hardship_on,
                       "村委会出具的生活困难证明" if r.hardship_on else None, r.base_id, _at(r.released_on))

        w.write(Resident, ("id", "id_number", "name", "sex", "birth_on", "ethnicity", "phone", "hukou_region_code",
                           "hukou_address", "subject_type", "released_on", "prison_name", "prison_region_code",
                           "offence", "sentence_months", "registered_on", *self.residents[0].flags.keys(), "diet",
                           "health_notes", "bank_account", "dibao_since", "reoffended_on", "hardship_recorded_on",
                           "hardship_evidence", "base_id", "created_at"),
                residents())
        self.prisons = prisons

        def stays():
            for s in self.stays:
                r = s.resident
                note = "其他安置：由民政部门协调" if s.destination == "other" else None
                # An override reason exactly where the admission rule finds a problem.
                override = domain.needs_override(birth_on=r.birth_on, flags=r.flags, admitted_on=s.admitted_on)
                yield (s.id, r.id, s.base.id, s.admitted_on, s.discharged_on, s.destination, note,
                       rng.choice(["司法所", "监狱", "社区", "本人申请"]),
                       "不属于规定类别，经县司法局同意接收" if override else None,
                       manager_id if s.base is self.big_base else None, _at(s.admitted_on))

        w.write(Stay, ("id", "resident_id", "base_id", "admitted_on", "discharged_on", "destination",
                       "discharge_note", "referral_source", "override_reason", "admitted_by_id", "created_at"), stays())
        assignment_id = w.next_id(BedAssignment)

        def assignments():
            nonlocal assignment_id
            for s in self.stays:
                for bed, start, end in s.segments:
                    yield (assignment_id, s.id, s.resident.id, bed, start, end, None, _at(start))
                    assignment_id += 1

        w.write(BedAssignment, ("id", "stay_id", "resident_id", "bed_id", "start_on", "end_on", "assigned_by_id",
                                "created_at"), assignments())

        def periods():
            period_id = self._next_period_id
            for base in self.bases:
                for bed in [b for ids in base.beds.values() for b in ids]:
                    start = self.bed_opened
                    for gap_from, gap_to in self.bed_gaps.get(bed, []):
                        yield (period_id, bed, start, gap_from)
                        period_id += 1
                        start = gap_to
                    if start <= self.today:
                        yield (period_id, bed, start, None)
                        period_id += 1

        w.write(BedServicePeriod, ("id", "bed_id", "start_on", "end_on"), periods())
        leave_id = w.next_id(Leave)

        def leaves():
            nonlocal leave_id
            for s in self.stays:
                end = s.discharged_on or self.today
                if (end - s.admitted_on).days >= 20 and rng.random() < 0.15:
                    start = s.admitted_on + timedelta(days=rng.randint(3, (end - s.admitted_on).days - 5))
                    yield (leave_id, s.id, start, start + timedelta(days=rng.randint(1, 4)), rng.choice(LEAVE_REASONS),
                           None, _at(start))
                    leave_id += 1

        w.write(Leave, ("id", "stay_id", "start_on", "end_on", "reason", "recorded_by_id", "created_at"), leaves())

    def _write_follow_up_dues(self) -> None:
        """The follow-up schedule of each person's last stay, if discharged (not into custody or death), as
        followup.services.schedule_after_discharge makes it (docs/domain.md "Follow-up after discharge"); the
        dates from the same functions, the rows written in bulk like every table here."""
        from base_ops.policies.services import applied

        last: dict[int, StayRec] = {}
        for stay in self.stays:
            if stay.resident.id not in last or stay.admitted_on > last[stay.resident.id].admitted_on:
                last[stay.resident.id] = stay
        schedule = lru_cache(maxsize=None)(followup.schedule_months)
        years = lru_cache(maxsize=None)(lambda key, region, on: applied(key, region, on).whole)
        created = _at(self.today)
        # Every rule value is read before the COPY starts: on PostgreSQL the connection runs nothing else while
        # a COPY is open, so a policy lookup inside the row generator would wait for ever.
        plans = []
        for stay in last.values():
            if stay.discharged_on is None or stay.destination in {d.value for d in followup.NOT_FOLLOWED}:
                continue
            r = stay.resident
            ends = add_years(r.released_on, years(SUPPORT_YEARS_KEY[r.subject_type], r.hukou, r.released_on))
            plans.append((stay, ends, *schedule(r.hukou, stay.discharged_on)))
        due_id = self.w.next_id(FollowUpDue)

        def dues():
            nonlocal due_id
            for stay, ends, early, interval in plans:
                for n, (due_on, closes_on) in enumerate(
                        followup.schedule_dates(stay.discharged_on, ends, early, interval), start=1):
                    yield due_id, stay.resident.id, stay.id, n, due_on, closes_on, created
                    due_id += 1

        self.w.write(FollowUpDue, ("id", "resident_id", "stay_id", "sequence", "due_on", "closes_on", "created_at"),
                     dues())

    def _prisons(self) -> list[tuple[str, str]]:
        """Prisons of the province (named by number), a few in other provinces."""
        rng = random.Random(self.province_code)
        name = self.region_names[self.province_code]
        prisons = [(f"{name}第{n}监狱", rng.choice(self.counties)) for n in range(1, 9)]
        prisons += [(f"{name}女子监狱", rng.choice(self.counties)),
                    (f"{name}未成年犯管教所", rng.choice(self.counties))]
        if self.outside_counties:
            for code in rng.sample(self.outside_counties, min(3, len(self.outside_counties))):
                prisons.append((f"{self.region_names[code[:2] + '0000']}监狱", code))
        return prisons

    # ------------------------------------------------------------ release notices (衔接)

    def _write_notices(self) -> None:
        rng, w = self.rng, self.w
        notice_id = w.next_id(ReleaseNotice)
        first_stay: dict[int, StayRec] = {}
        for s in self.stays:
            first_stay.setdefault(s.resident.id, s)
        # The notices service's receipt deadline, from one calendar query over the whole history.
        deadline = domain.notice_deadlines([self.start - timedelta(days=400), self.today])
        prisons = {i: p for i, p in enumerate(self.prisons)}
        rows = []
        self.notices: list[tuple] = []  # (id, resident, base, prison_region, key, collected_on, received_on)
        for r in self.residents:
            if r.subject_type != "released" or rng.random() > 0.65:
                continue
            stay = first_stay[r.id]
            prison_name, prison_region = prisons[r.id % len(prisons)]
            received = r.released_on - timedelta(days=rng.randint(18, 40))
            due, estimated = deadline(received, stay.base.region_code)
            roll = rng.random()
            if roll < 0.8:
                sent = received + timedelta(days=rng.randint(1, max(1, (due - received).days)))
            elif roll < 0.95:
                sent = due + timedelta(days=rng.randint(1, 12))
            else:
                sent = None
            if sent is not None and sent > self.today:
                sent = None
            key = r.key_subject
            collected = r.released_on if key and rng.random() < 0.85 else None
            rows.append((notice_id, r.id_number, r.name, prison_name, prison_region, r.released_on, received,
                         stay.base.region_code, "回归社会危险性评估：中" if key else "回归社会危险性评估：低",
                         "建议安置至过渡性安置基地", key, due, estimated, sent,
                         "由基地接收安置" if sent else None, collected,
                         f"{stay.base.name}工作人员" if collected else None, r.id, None, _at(received)))
            self.notices.append((notice_id, r, stay.base, prison_region, key, collected, received))
            r.notice_id = notice_id
            notice_id += 1
        # Notices of people not yet released: the coming weeks' handovers, no resident yet.
        for base in self.bases:
            for _ in range(self.rng.randint(1, 4)):
                sex = "male" if rng.random() < 0.9 else "female"
                birth = self.today - timedelta(days=int(rng.triangular(20, 60, 35) * 365))
                release = self.today + timedelta(days=rng.randint(3, 35))
                received = self.today - timedelta(days=rng.randint(0, 10))
                due, estimated = deadline(received, base.region_code)
                prison_name, prison_region = rng.choice(self.prisons)
                name = rng.choice(SURNAMES) + rng.choice(GIVEN if sex == "male" else GIVEN_F)
                sent = received + timedelta(days=1) if rng.random() < 0.5 and received < self.today else None
                rows.append((notice_id, self._id_number(base.region_code, birth, sex), name, prison_name,
                             prison_region, release, received, base.region_code, "回归社会危险性评估：中",
                             "建议安置至过渡性安置基地", rng.random() < 0.3, due, estimated, sent,
                             "由基地接收安置" if sent else None, None, None, None, None, _at(received)))
                notice_id += 1
        w.write(ReleaseNotice, ("id", "id_number", "name", "prison_name", "prison_region_code",
                                "expected_release_on", "received_on", "receiving_region_code", "risk_assessment",
                                "relief_advice", "is_key_subject", "feedback_due_on", "feedback_due_is_estimate",
                                "feedback_sent_on", "feedback_arrangement", "collected_on", "collected_by",
                                "resident_id", "created_by_id", "created_at"), rows)

    # ------------------------------------------------------------ enterprises

    def _build_enterprises(self) -> None:
        rng, w = self.rng, self.w
        enterprise_id, agreement_id, posting_id = (w.next_id(Enterprise), w.next_id(PlacementAgreement),
                                                   w.next_id(JobPosting))
        taken = set(db.session.execute(select(Enterprise.uscc)).scalars())
        self.enterprises: list[dict] = []
        self.enterprises_by_city: dict[str, list[dict]] = defaultdict(list)
        enterprise_rows = []
        for _ in range(self.scale.enterprises):
            county = rng.choice(self.counties)
            while True:
                body = f"91{county}MA{rng.randint(0, 9_999_999):07d}"[:17]
                code = body + uscc.calc_check_digit(body)
                if code not in taken:
                    taken.add(code)
                    break
            trade = rng.choice(TRADES)
            place = self.region_names[self._city_of(county)][:-1]
            name = f"{place}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{trade}有限公司"
            enterprise = {"id": enterprise_id, "region": county, "name": name, "agreements": [], "postings": []}
            enterprise_rows.append((enterprise_id, name, code, county, rng.choice(SURNAMES) + "经理",
                                    f"0571-{rng.randint(80000000, 89999999)}", payee_account("6217", enterprise_id),
                                    _at(self.start - timedelta(days=400))))
            # One agreement, or a first version superseded by a second (versioned: claims keep their version).
            first_start = self.start - timedelta(days=rng.randint(30, 360))
            terms = self._terms()
            if rng.random() < 0.6:
                switch = self.start + timedelta(days=rng.randint(200, 800))
                versions = [(first_start, switch - timedelta(days=1), terms),
                            (switch, self.today + timedelta(days=rng.randint(90, 700)), self._terms())]
            else:
                versions = [(first_start, self.today + timedelta(days=rng.randint(90, 700)), terms)]
            previous = None
            for number, (starts, ends, t) in enumerate(versions, start=1):
                agreement = {"id": agreement_id, "version": number, "supersedes": previous, "starts_on": starts,
                             "ends_on": ends, "current": number == len(versions), "terms": t, "committed": Decimal(0),
                             "hires": 0, "enterprise": enterprise}
                enterprise["agreements"].append(agreement)
                previous = agreement_id
                agreement_id += 1
            for _ in range(rng.randint(2, 6)):
                enterprise["postings"].append({"id": posting_id, "hires": 0, "title": rng.choice(JOB_TITLES),
                                               "status": _pick(rng, [("closed", 55), ("open", 40), ("draft", 5)]),
                                               "wage_min": Decimal(rng.randrange(2800, 5000, 100))})
                posting_id += 1
            self.enterprises.append(enterprise)
            self.enterprises_by_city[self._city_of(county)].append(enterprise)
            enterprise_id += 1
        w.write(Enterprise, ("id", "name", "uscc", "region_code", "contact_name", "contact_phone", "bank_account",
                             "created_at"), enterprise_rows)

    def _terms(self) -> rules.Terms:
        rng = self.rng
        return rules.Terms(
            starts_on=date.min, ends_on=date.max, min_contract_months=12,
            one_time_subsidy=Decimal(rng.choice([2000, 3000, 4000, 5000, 6000])), one_time_after_months=6,
            post_subsidy_monthly=Decimal(rng.choice([500, 600, 700, 800])), post_subsidy_max_months=12,
            insurance_subsidy_monthly=Decimal(rng.choice([700, 800, 900, 1000])),
            insurance_subsidy_max_months=rng.choice([12, 24, 36]))

    def _agreement_on(self, enterprise: dict, day: date) -> dict | None:
        return next((a for a in enterprise["agreements"] if a["starts_on"] <= day <= a["ends_on"]), None)

    # ------------------------------------------------------------ referrals and placements

    def _write_placements(self) -> None:
        rng, w = self.rng, self.w
        referral_id, placement_id = w.next_id(Referral), w.next_id(Placement)
        event_id, check_id = w.next_id(ReferralEvent), w.next_id(RetentionCheck)
        pairs: set[tuple[int, int]] = set()
        referral_rows, event_rows, placement_rows, check_rows = [], [], [], []
        self.placements: list[PlacementRec] = []
        manager_id = self.users["manager"].id
        for s in self.stays:
            base = s.base
            end = s.discharged_on or self.today
            hired_on = None
            if s.destination == "employed":
                hired_on = end - timedelta(days=rng.randint(0, min(20, (end - s.admitted_on).days)))
            elif s.discharged_on is None and (end - s.admitted_on).days >= 30 and rng.random() < 0.08:
                hired_on = end - timedelta(days=rng.randint(0, 10))  # placed, moving out soon
            outcomes = []
            if rng.random() < 0.25:  # an earlier referral that came to nothing
                outcomes.append(_pick(rng, [("declined_by_employer", 50), ("declined_by_resident", 30),
                                            ("withdrawn", 20)]))
            if hired_on is not None:
                outcomes.append("hired")
            elif s.discharged_on is None and rng.random() < 0.3:
                outcomes.append(_pick(rng, [("referred", 50), ("interviewing", 30), ("offered", 20)]))
            for outcome in outcomes:
                posting, enterprise = self._posting_for(base, s.resident.id, pairs)
                if posting is None:
                    continue
                referred_on = (hired_on or end) - timedelta(days=rng.randint(3, 20))
                referred_on = max(referred_on, s.admitted_on)
                referral_rows.append((referral_id, posting["id"], s.resident.id, enterprise["id"], base.id, outcome,
                                      manager_id if base is self.big_base else None, _at(referred_on)))
                # One event per move the model's table allows on the way to the outcome, spread over the days.
                path = domain.referral_path(outcome)
                last = hired_on or min(end, referred_on + timedelta(days=5))
                event_rows.append((event_id, referral_id, None, path[0], None, _at(referred_on), None))
                event_id += 1
                for step, (previous, status) in enumerate(pairwise(path), start=1):
                    moved_on = referred_on + (last - referred_on) * step // (len(path) - 1)
                    event_rows.append((event_id, referral_id, previous, status, None, _at(moved_on, 15), None))
                    event_id += 1
                if outcome == "hired":
                    placement = self._placement(placement_id, referral_id, s, enterprise, hired_on)
                    posting["hires"] += 1
                    self.placements.append(placement)
                    ended_reason = rng.choice(END_REASONS) if placement.ended_on else None
                    placement_rows.append((placement.id, referral_id, s.resident.id, enterprise["id"],
                                           placement.agreement["id"] if placement.agreement else None, s.id,
                                           hired_on, placement.contract_months,
                                           Decimal(rng.randrange(int(posting["wage_min"]), 7000, 50)),
                                           placement.social_insurance, placement.ended_on, ended_reason, False,
                                           _at(hired_on)))
                    placement_id += 1
                    check_id = self._checks(placement, check_id, check_rows)
                referral_id += 1
        self._write_agreements_and_postings()  # referrals and placements point at them
        w.write(Referral, ("id", "posting_id", "resident_id", "enterprise_id", "base_id", "status", "referred_by_id",
                           "created_at"), referral_rows)
        w.write(ReferralEvent, ("id", "referral_id", "from_status", "to_status", "actor_id", "at", "note"),
                event_rows)
        w.write(Placement, ("id", "referral_id", "resident_id", "enterprise_id", "agreement_id", "stay_id",
                            "started_on", "contract_months", "monthly_wage", "social_insurance", "ended_on",
                            "end_reason", "is_cancelled", "created_at"), placement_rows)
        w.write(RetentionCheck, ("id", "placement_id", "month_mark", "checked_on", "employed", "checked_by_id",
                                 "created_at"), check_rows)

    def _posting_for(self, base: BaseRec, resident_id: int, pairs: set):
        """A posting of an enterprise near the base (same city mostly) that he was not referred to yet."""
        rng = self.rng
        near = self.enterprises_by_city.get(self._city_of(base.region_code)) or self.enterprises
        for _attempt in range(6):
            enterprise = rng.choice(near if rng.random() < 0.8 else self.enterprises)
            posting = rng.choice(enterprise["postings"])
            if (posting["id"], resident_id) not in pairs:
                pairs.add((posting["id"], resident_id))
                return posting, enterprise
        return None, None

    def _placement(self, placement_id, referral_id, stay: StayRec, enterprise, hired_on) -> PlacementRec:
        rng = self.rng
        agreement = self._agreement_on(enterprise, hired_on)
        ended_on = None
        if rng.random() < 0.4:
            ended = rules.add_months(hired_on, rng.randint(1, 20)) + timedelta(days=rng.randint(0, 25))
            ended_on = ended if ended <= self.today else None
        if agreement:
            agreement["hires"] += 1
        return PlacementRec(id=placement_id, referral_id=referral_id, resident=stay.resident, stay=stay,
                            enterprise_id=enterprise["id"], agreement=agreement, started_on=hired_on,
                            contract_months=_pick(rng, CONTRACT_MONTHS), social_insurance=rng.random() < 0.75,
                            ended_on=ended_on)

    def _checks(self, placement: PlacementRec, check_id: int, rows: list) -> int:
        """Retention checks at the placements' marks that have come due (most are recorded), each answering
        the mark placements.queries says it answers; none after one finds the person gone (as the pages)."""
        rng = self.rng
        recorded: set[int] = set()
        for due_mark in domain.CHECK_MARKS:
            due = domain.check_due_on(placement.started_on, due_mark)
            if due > self.today or rng.random() < 0.1:
                continue
            checked_on = min(self.today, due + timedelta(days=rng.randint(0, 6)))
            mark = domain.check_mark(placement.started_on, checked_on, recorded)
            if mark is None:
                continue
            recorded.add(mark)
            employed = placement.ended_on is None or placement.ended_on > checked_on
            rows.append((check_id, placement.id, mark, checked_on, employed, None, _at(checked_on)))
            check_id += 1
            if not employed:
                placement.not_employed_on = (checked_on,)
                break
        return check_id

    def _write_agreements_and_postings(self) -> None:
        rng = self.rng
        self._agreement_rows = []
        posting_rows = []
        for enterprise in self.enterprises:
            for p in enterprise["postings"]:
                hires = p["hires"]
                positions = hires + rng.randint(1 if p["status"] != "closed" else 0, 4) or 1
                open_positions = positions - hires if p["status"] == "open" else 0
                posting_rows.append((p["id"], enterprise["id"], p["title"],
                                     f"{p['title']}，负责日常工作，包吃住，月休四天。", "身体健康，吃苦耐劳",
                                     positions, open_positions, p["wage_min"], p["wage_min"] + 1000,
                                     f"{self.region_names[enterprise['region']]}", rng.random() < 0.5, p["status"],
                                     None, _at(self.start - timedelta(days=30))))
        # Agreements are written before postings and placements (placements point at them) with a
        # provisional budget, raised to cover the claims once they are known (_finish_enterprises).
        rows = []
        for enterprise in self.enterprises:
            for a in enterprise["agreements"]:
                t = a["terms"]
                rows.append((a["id"], enterprise["id"], a["version"], a["supersedes"], a["current"], a["starts_on"],
                             a["ends_on"], 0, 12, t.one_time_subsidy, 6, t.post_subsidy_monthly, 12,
                             t.insurance_subsidy_monthly, t.insurance_subsidy_max_months, Decimal("0.00"), None,
                             _at(a["starts_on"])))
        self.w.write(PlacementAgreement, ("id", "enterprise_id", "version", "supersedes_id", "is_current", "starts_on",
                                          "ends_on", "hire_quota", "min_contract_months", "one_time_subsidy",
                                          "one_time_after_months", "post_subsidy_monthly", "post_subsidy_max_months",
                                          "insurance_subsidy_monthly", "insurance_subsidy_max_months", "budget",
                                          "created_by_id", "created_at"), rows)
        self.w.write(JobPosting, ("id", "enterprise_id", "title", "description", "requirements", "positions",
                                  "open_positions", "wage_min", "wage_max", "location", "provides_housing", "status",
                                  "created_by_id", "created_at"), posting_rows)

    # ------------------------------------------------------------ training

    def _write_training(self) -> None:
        rng, w = self.rng, self.w
        course_id, session_id = w.next_id(Course), w.next_id(CourseSession)
        enrolment_id, attendance_id = w.next_id(Enrolment), w.next_id(Attendance)
        trainer_id = self.users["trainer"].id
        first_course_id = course_id
        course_rows, session_rows, enrolment_rows = [], [], []
        certificate_of: dict[int, tuple[int, int, date, str | None]] = {}  # enrolment -> course, number, end, type
        attendance_batches: list[list[tuple]] = []
        for base in self.bases:
            beds = sum(map(len, base.beds.values()))
            gap = max(14, int(365 / self.scale.courses_per_base_year))
            starts = self.start + timedelta(days=rng.randint(0, gap))
            stays = sorted(base.stays, key=lambda s: s.admitted_on)
            while starts <= self.today + timedelta(days=20):
                skill, title, certificate = rng.choice(SKILLS)
                weeks = rng.randint(4, 8)
                ends = starts + timedelta(days=weeks * 7 - 3)
                weekdays = rng.choice([(0, 2, 4), (1, 3), (0, 1, 2, 3, 4), (1, 3, 5)])
                capacity = max(6, min(40, round(beds * rng.uniform(0.28, 0.4))))
                present = [s for s in stays if s.admitted_on <= starts
                           and (s.discharged_on is None or s.discharged_on > starts)]
                chosen = rng.sample(present, min(len(present), round(capacity * rng.uniform(0.75, 1.0))))
                sessions = []
                day = starts
                while day <= ends:
                    if day.weekday() in weekdays:
                        sessions.append((session_id, day))
                        session_rows.append((session_id, course_id, day, Decimal("3.0"), f"{skill}第{len(sessions)}讲",
                                             _at(starts - timedelta(days=7))))
                        session_id += 1
                    day += timedelta(days=1)
                enrolled = 0
                attendance: list[tuple] = []
                for number, s in enumerate(chosen, start=1):
                    leaves = s.discharged_on
                    withdrawn = leaves is not None and leaves < ends and rng.random() < 0.7
                    diligence = rng.betavariate(8, 1.6)
                    for sid, held_on in sessions:
                        if held_on >= self.today or (leaves is not None and held_on >= leaves):
                            break
                        roll = rng.random()
                        status = ("present" if roll < diligence * 0.9 else "late" if roll < diligence
                                  else "excused" if roll < diligence + (1 - diligence) * 0.3 else "absent")
                        attendance.append((attendance_id, sid, s.resident.id, enrolment_id, status, None,
                                           _at(held_on, 17)))
                        attendance_id += 1
                    enrolled_on = max(s.admitted_on, starts - timedelta(days=rng.randint(0, 7)))
                    enrolled += not withdrawn
                    enrolment_rows.append((enrolment_id, course_id, s.resident.id, s.id, enrolled_on,
                                           "withdrawn" if withdrawn else "enrolled", _at(enrolled_on)))
                    certificate_of[enrolment_id] = (course_id, number, ends, certificate)
                    enrolment_id += 1
                course_rows.append((course_id, base.id, f"{title}（{starts.year}年第{starts.month}期）", skill,
                                    trainer_id if base is self.big_base else None, starts, ends, capacity, enrolled,
                                    Decimal(3 * len(sessions)) or Decimal("3.0"), DEFAULT_THRESHOLD, certificate,
                                    _at(starts - timedelta(days=14))))
                attendance_batches.append(attendance)
                course_id += 1
                starts = starts + timedelta(days=int(gap * rng.uniform(0.7, 1.3)))
        w.write(Course, ("id", "base_id", "title", "skill", "trainer_id", "starts_on", "ends_on", "capacity",
                         "enrolled_count", "hours", "completion_threshold", "certificate_type", "created_at"),
                course_rows)
        w.write(CourseSession, ("id", "course_id", "held_on", "hours", "topic", "created_at"), session_rows)
        w.write(Enrolment, ("id", "course_id", "resident_id", "stay_id", "enrolled_on", "status", "created_at"),
                enrolment_rows)
        w.write(Attendance, ("id", "session_id", "resident_id", "enrolment_id", "status", "recorded_by_id",
                             "created_at"), (row for batch in attendance_batches for row in batch))
        # Certificates for most of those who completed, as training.queries counts completion over the rows
        # just written (the certificate page refuses anyone else).
        rows = []
        for enrolment in domain.completed_enrolments(select(Course.id).where(Course.id >= first_course_id),
                                                     self.today):
            course, number, ends, certificate = certificate_of[enrolment]
            if certificate and rng.random() < 0.9:
                rows.append({"e_id": enrolment, "number": f"{ends.year}{course:06d}{number:03d}",
                             "on": min(self.today, ends + timedelta(days=rng.randint(3, 20)))})
        if rows:
            table = Enrolment.__table__
            w.connection.execute(table.update().where(table.c.id == bindparam("e_id")).values(
                certificate_number=bindparam("number"), certificate_on=bindparam("on")), rows)

    # ------------------------------------------------------------ claims

    def _write_claims(self) -> None:
        rng, w = self.rng, self.w
        dibao = self._write_dibao()
        claim_id, event_id, batch_id = w.next_id(Claim), w.next_id(ClaimEvent), w.next_id(PaymentBatch)
        current = rules.month_key(self.today)
        claims: list[list] = []  # [kind, subject_key, period, placement_id, resident_id, notice_id, agreement,
        #                           enterprise_id, base_id, region, amount, rule, payee, account, filed_on]

        for p in self.placements:
            a = p.agreement
            if a is None:
                continue
            terms = a["terms"]
            hire = rules.Hire(started_on=p.started_on, contract_months=p.contract_months,
                              social_insurance=p.social_insurance, ended_on=p.ended_on,
                              not_employed_on=p.not_employed_on)
            terms = rules.Terms(**{**terms.__dict__, "starts_on": a["starts_on"], "ends_on": a["ends_on"]})
            enterprise = a["enterprise"]
            base = p.stay.base
            common = (f"placement:{p.id}", p.id, p.resident.id, None, a, enterprise["id"], base.id,
                      base.region_code, enterprise["name"], payee_account("6217", enterprise["id"]))
            claimed_on = rules.add_months(p.started_on, 6) + timedelta(days=rng.randint(0, 40))
            if claimed_on <= self.today and rng.random() < 0.85:
                try:
                    amount, rule = rules.one_time_hire(terms, hire, claimed_on=claimed_on)
                    claims.append(["one_time_hire", common, "", amount, rule, claimed_on])
                except rules.NotEligible:
                    pass
            # Not every employer claims every subsidy it could (shares tuned to about 5 claims a hire).
            for kind, share in (("post_subsidy", 0.19), ("insurance_subsidy", 0.14)):
                if rng.random() > share:
                    continue
                earlier = 0
                month = rules.first_of(p.started_on)
                while month <= self.today:
                    period = rules.month_key(month)
                    try:
                        amount, rule = rules.monthly_subsidy(kind, terms, hire, month=period, earlier_claims=earlier,
                                                             current_month=current)
                    except rules.NotEligible:
                        if month > p.started_on:
                            break
                        month = rules.add_months(month, 1)
                        continue
                    filed_on = min(self.today, rules.add_months(month, 1) + timedelta(days=rng.randint(0, 20)))
                    claims.append([kind, common, period, amount, rule, filed_on])
                    earlier += 1
                    month = rules.add_months(month, 1)

        bases_by_id = {b.id: b for b in self.bases}
        residents_with_claims = [r for r in self.residents if r.registered_on and rng.random() < 0.17]
        for r in residents_with_claims:
            person = rules.Person(released_on=r.released_on, registered_on=r.registered_on, hukou_region_code=r.hukou,
                                  subject_type=r.subject_type, hardship_recorded_on=r.hardship_on,
                                  dibao_since=r.dibao_since, reoffended_on=r.reoffended_on)
            base = bases_by_id[r.base_id]
            month = rules.first_of(r.registered_on)
            for _ in range(6):
                if month > self.today:
                    break
                period = rules.month_key(month)
                terms, _policy = allowance_terms(r.hukou, month)
                try:
                    amount, rule = rules.living_allowance(person, month=period, terms=terms, dibao=dibao,
                                                          region_names=self.region_names)
                except rules.NotEligible:
                    break
                filed_on = min(self.today, month + timedelta(days=rng.randint(5, 40)))
                claims.append(["living_allowance", (f"resident:{r.id}", None, r.id, None, None, None, base.id,
                                                    base.region_code, r.name, r.bank_account), period, amount, rule,
                               filed_on])
                month = rules.add_months(month, 1)

        for notice_id, r, base, prison_region, key, collected, received in self.notices:
            if not (key and collected) or rng.random() > 0.9:
                continue
            terms, _policy = handover_terms(base.region_code, received, prison_region)
            amount, rule = rules.handover(is_key_subject=True, collected_on=collected,
                                          prison_region_code=prison_region, receiving_region_code=base.region_code,
                                          terms=terms, region_names=self.region_names)
            filed_on = min(self.today, collected + timedelta(days=rng.randint(3, 30)))
            claims.append(["handover", (f"notice:{notice_id}", None, r.id, notice_id, None, None, base.id,
                                        base.region_code, base.name, payee_account("6227", base.id)), "", amount,
                           rule, filed_on])

        claims.sort(key=lambda c: (c[5], c[0], c[1][0], c[2]))
        reason_codes = sorted(subsidy_queries.active_reason_codes())  # the admin's list of rejection reasons
        histories = [self._claim_history(filed_on) for *_claim, filed_on in claims]
        # Paid claims go in the batch of their county and of the month subsidies.batches pays them in; a
        # batch is paid on one day, the latest its claims' histories allow (after every approval in it).
        batch_of: dict[int, tuple[str, str]] = {}
        paid_on: dict[tuple[str, str], date] = {}
        for index, ((kind, common, period, *_rest), (status, chain)) in enumerate(zip(claims, histories,
                                                                                       strict=True)):
            if status == "paid":
                key = (common[7], domain.batch_period(kind, period, chain[-2][1]))
                batch_of[index] = key
                paid_on[key] = max(paid_on.get(key, chain[-1][1]), chain[-1][1])
        batch_ids = {key: batch_id + n for n, key in enumerate(sorted(paid_on, key=lambda k: (paid_on[k], k)))}
        claim_rows, event_rows = [], []
        for index, ((kind, common, period, amount, rule, filed_on), (status, chain)) in enumerate(
                zip(claims, histories, strict=True)):
            subject, placement_id, resident_id, notice_id, agreement, enterprise_id, base_id, region, payee, account = (
                common)
            batch = None
            if status == "paid":
                batch = batch_ids[batch_of[index]]
                chain[-1] = ("paid", paid_on[batch_of[index]])
            if agreement is not None and status in ("approved", "paid"):
                agreement["committed"] += amount
            reason_code = reason = None
            if status == "rejected":
                reason_code = rng.choice(reason_codes)
                reason = "材料不全，请补充劳动合同" if reason_code == "missing_evidence" else "经核查不符合条件"
            claim_rows.append((claim_id, kind, status, subject, period, placement_id, resident_id, notice_id,
                               agreement["id"] if agreement else None, enterprise_id, base_id, region, amount, rule,
                               payee, account, 0, reason_code, reason, batch, None, _at(filed_on)))
            previous = None
            for to_status, day in chain:
                event_rows.append((event_id, claim_id, previous, to_status, None,
                                   _at(day, 16 if to_status == "paid" else 10),
                                   reason_code if to_status == "rejected" else None,
                                   reason if to_status == "rejected" else None))
                event_id += 1
                previous = to_status
            claim_id += 1
        batch_rows = [(bid, region, month, "paid", None, _at(paid_on[(region, month)], 16), None,
                       _at(paid_on[(region, month)]))
                      for (region, month), bid in sorted(batch_ids.items(), key=lambda kv: kv[1])]
        w.write(PaymentBatch, ("id", "region_code", "period", "status", "created_by_id", "paid_at", "paid_by_id",
                               "created_at"), batch_rows)
        w.write(Claim, ("id", "kind", "status", "subject_key", "period", "placement_id", "resident_id",
                        "release_notice_id", "agreement_id", "enterprise_id", "base_id", "region_code", "amount",
                        "rule", "payee_name", "payee_account", "resubmissions", "reason_code", "reason", "batch_id",
                        "created_by_id", "created_at"), claim_rows)
        w.write(ClaimEvent, ("id", "claim_id", "from_status", "to_status", "actor_id", "at", "reason_code",
                             "reason"), event_rows)

    def _claim_history(self, filed_on: date) -> tuple[str, list[tuple[str, date]]]:
        """The claim's status by its age, and the dated steps that led there (draft → … → paid/rejected)."""
        rng = self.rng
        age = (self.today - filed_on).days
        if age > 120:
            weights = [("paid", 82), ("rejected", 8), ("approved", 6), ("reviewed", 2), ("submitted", 2)]
        elif age > 45:
            weights = [("paid", 45), ("approved", 25), ("reviewed", 12), ("submitted", 8), ("rejected", 8),
                       ("draft", 2)]
        else:
            weights = [("draft", 20), ("submitted", 35), ("reviewed", 20), ("approved", 15), ("rejected", 5),
                       ("paid", 5)]
        status = _pick(rng, weights)
        path = {"draft": ["draft"], "submitted": ["draft", "submitted"],
                "reviewed": ["draft", "submitted", "reviewed"],
                "approved": ["draft", "submitted", "reviewed", "approved"],
                "paid": ["draft", "submitted", "reviewed", "approved", "paid"],
                "rejected": ["draft", "submitted", "rejected"] if rng.random() < 0.5
                else ["draft", "submitted", "reviewed", "rejected"]}[status]
        room = max(0, age)
        steps = sorted(rng.randint(0, room) for _ in path[1:])
        chain = [(path[0], filed_on)] + [(s, filed_on + timedelta(days=d)) for s, d in zip(path[1:], steps,
                                                                                          strict=True)]
        return status, chain

    def _write_dibao(self) -> dict[tuple[str, int], Decimal]:
        """Dibao standards (reference data) for the province's cities and every province, the years of the history."""
        rng = self.rng
        existing = {(code, year): Decimal(monthly) for code, year, monthly in db.session.execute(
            select(DibaoStandard.region_code, DibaoStandard.year, DibaoStandard.monthly)).all()}
        dibao_id = self.w.next_id(DibaoStandard)
        rows = []
        table = dict(existing)
        for year in range(self.start.year - 1, self.today.year + 1):
            for code in [*self.cities, *self.provinces]:
                if (code, year) in table:
                    continue
                amount = Decimal(rng.randrange(700, 1200, 10) + 40 * (year - self.start.year)).quantize(Decimal("1.00"))
                table[(code, year)] = amount
                rows.append((dibao_id, code, year, amount, _at(date(year, 1, 1))))
                dibao_id += 1
        self.w.write(DibaoStandard, ("id", "region_code", "year", "monthly", "created_at"), rows)
        return table

    def _finish_enterprises(self) -> None:
        """Budgets that cover the approved and paid claims (docs/domain.md: never exceeded), quotas ≥ hires."""
        rows = []
        for enterprise in self.enterprises:
            for a in enterprise["agreements"]:
                budget = (a["committed"] * Decimal("1.3") / 10000).to_integral_value(rounding=ROUND_CEILING) * 10000
                rows.append({"b_id": a["id"], "budget": budget + Decimal(50000), "quota": a["hires"] + 10})
        if rows:
            table = PlacementAgreement.__table__
            self.w.connection.execute(
                table.update().where(table.c.id == bindparam("b_id")).values(budget=bindparam("budget"),
                                                                             hire_quota=bindparam("quota")), rows)


def _vacuum(tables: list[str]) -> None:
    """VACUUM (ANALYZE) the bulk-loaded tables, outside any transaction: statistics for the planner, and
    the visibility map, without which an index-only scan still visits every heap row (what autovacuum
    would do some minutes later; the benchmarks run at once)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in tables:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {name}")


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: fine for the small daily arrival rates here."""
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def seed_synthetic(scale: str, province_code: str = "330000", seed: int = 7, password: str = DEFAULT_PASSWORD,
                   log: Callable[[str], None] = lambda _m: None) -> dict[str, int]:
    """Build the data set; raises AlreadySeeded if it is already there. Returns row counts and seconds."""
    builder = SyntheticBuilder(scale, province_code, seed, password, log)
    counts = builder.run()
    counts["_totp_secret"] = builder.totp_secret
    return counts
