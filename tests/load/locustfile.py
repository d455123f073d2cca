"""A realistic day at the bases, for locust (issue 8 item 3). Run by tests/load/run.py (`make load`).

Who does what (one locust user = one person at a desk, a few seconds between actions):
- base managers register released people, admit them into a free bed, move residents between
  beds, discharge, file living-allowance claims (sometimes double-clicked), and look at the bed
  board, the Today page, the stays and the resident list;
- trainers save attendance for the sessions of their running course and look at progress;
- an enterprise user posts jobs (and opens them), files post-subsidy claims for its hires (again
  sometimes double-clicked) and reads its postings, referrals and placements;
- county and province officers read the dashboard, the reports (JSON and spreadsheets), the
  resident list, and now and then ask for a detail export (a background job when large).

Writes go through the JSON API with bearer tokens, reads through the pages with session cookies
(both prepared by run.py, which also partitions the work so that each stay and each training
session has one writer: its final state can then be checked exactly).

Every request is logged to LOAD_LOG (JSON lines: time, name, status, milliseconds; a 5xx or a
connection failure with the start of its body), every write with what was asked and what came
back — run.py checks the database against these lines afterwards.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import gevent
from locust import HttpUser, between, events, task
from stdnum.cn import ric

SETUP = json.loads(Path(os.environ["LOAD_SETUP"]).read_text(encoding="utf-8"))
LOG = open(os.environ["LOAD_LOG"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - open for the whole run
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")  # the app's clock.today()
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子"
JOB_TITLES = ["保洁员", "仓库分拣员", "普工", "厨师助理", "保安员", "快递员", "装配工", "绿化工", "包装工", "配送员"]
DESTINATIONS = ["returned_home", "relatives", "assistance_institution"]


def today() -> date:
    return datetime.now(LOCAL_ZONE).date()


def log(line: dict) -> None:
    LOG.write(json.dumps(line, ensure_ascii=False) + "\n")


@events.request.add_listener
def _log_request(request_type, name, response_time, response_length, response, context, exception, start_time=None,
                 **_kwargs):
    status = getattr(response, "status_code", 0) or 0
    line = {"k": "req", "t": start_time or time.time() - response_time / 1000, "ms": round(response_time, 1),
            "name": name, "status": status, "role": (context or {}).get("role")}  # names carry the method
    if status >= 500 or status == 0:
        body = getattr(response, "text", None) if response is not None else None
        line["body"] = (body or str(exception or ""))[:300]
        line["ctype"] = response.headers.get("Content-Type") if response is not None and response.headers else None
    log(line)


def id_number(region: str, birth: date, male: bool) -> str:
    """A valid 18-character ID number (GB 11643-1999): odd sequence digit for men; the place of birth
    must have had that code in the birth year (西湖区 since 1983, 临安区 since 2017), else the city's."""
    seq = random.randrange(50, 500) * 2 + (1 if male else 0)
    for place in (region, region[:4] + "00"):
        number = f"{place}{birth:%Y%m%d}{seq:03d}"
        number += ric.calc_check_digit(number + "0")
        if ric.is_valid(number):
            return number
    raise ValueError(f"no valid ID number for {region} {birth}")


def previous_month() -> str:
    """Claims are filed for a month that has begun; last month is the usual one."""
    first = today().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


class Desk(HttpUser):
    """One person at a desk: a bearer token for the API, a session cookie for the pages."""

    abstract = True
    wait_time = between(*SETUP["think"])  # seconds between one person's actions (run.py --think)
    role = "?"
    accounts_key = "?"
    _counter: itertools.count

    def on_start(self):
        self.index = next(type(self)._counter)  # 0, 1, 2 ... within the class
        accounts = SETUP["accounts"][self.accounts_key]
        self.account = accounts[self.index % len(accounts)]
        self.peers = SETUP["users"][self.accounts_key]  # locust users of this class
        self.api = {"Authorization": f"Bearer {self.account['token']}"}
        for cookie in self.account["cookies"]:
            self.client.cookies.set(cookie["name"], cookie["value"], domain=cookie["domain"], path=cookie["path"])

    def context(self):
        return {"role": self.role}

    # ---------------------------------------------------------------- helpers

    def get_json(self, path: str, name: str, **params):
        with self.client.get(path, headers=self.api, params=params, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return None
            return r.json()

    def page(self, path: str, name: str, expect: str | None = None, **params) -> str | None:
        with self.client.get(path, params=params, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200 or (expect and expect not in r.text):
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")
                return None
            return r.text

    def write(self, op: str, method: str, path: str, name: str, body: dict | None, ok: tuple[int, ...],
              expected: tuple[int, ...] = (), key=None) -> tuple[int, dict | None]:
        """One API write, logged with its outcome. `ok`: success codes; `expected`: refusals that are
        part of the day (a bed someone else took, an ineligible claim) and not failures."""
        started = time.time()
        with self.client.request(method, path, json=body, headers=self.api, name=name, catch_response=True) as r:
            try:
                data = r.json()
            except ValueError:
                data = None
            if r.status_code in ok or r.status_code in expected:
                r.success()
            else:
                r.failure(f"{r.status_code} {(data or {}).get('error', {}).get('code', '')}")
        log({"k": "w", "op": op, "key": key, "t0": started, "t1": time.time(), "status": r.status_code,
             "req": body, "res": data if r.status_code in ok else (data or {}).get("error"), "day": str(today())})
        return r.status_code, data


class Manager(Desk):
    """A base manager: intake, beds, discharges, living-allowance claims."""

    accounts_key = "manager"
    role = "manager"
    fixed_count = SETUP["users"]["manager"]
    _counter = itertools.count()

    def on_start(self):
        super().on_start()
        self.base_id = self.account["base_id"]
        self.region = self.account["region_code"]
        # The locust users sharing this account split the base's residents between them by stay id.
        sharing = [i for i in range(self.peers) if i % len(SETUP["accounts"]["manager"]) ==
                   self.index % len(SETUP["accounts"]["manager"])]
        self.slot, self.slots = sharing.index(self.index), len(sharing)
        self.stays: dict[int, dict] = {}  # my open stays: id -> {"sex", "bed_id", "resident_id"}
        beds = self.beds() or []
        for bed in beds:
            occupant = bed["occupant"]
            if occupant and occupant["stay_id"] <= SETUP["max_seed_stay_id"] and \
                    occupant["stay_id"] % self.slots == self.slot:
                self.stays[occupant["stay_id"]] = {"sex": bed["sex"], "bed_id": bed["id"],
                                                   "resident_id": occupant["resident_id"], "seeded": True}

    def beds(self):
        return self.get_json(f"/api/v1/bases/{self.base_id}/beds", "GET /api/v1/bases/[id]/beds", on=str(today()))

    def free_beds(self, sex: str) -> list[int]:
        beds = self.beds() or []
        return [b["id"] for b in beds if b["in_service"] and b["occupant"] is None and b["sex"] == sex]

    @task(3)
    def admit(self):
        """Register a released person (三无: no home, relatives or job) and admit him into a free bed."""
        male = random.random() < 0.85
        birth = date(random.randint(1965, 2002), random.randint(1, 12), random.randint(1, 28))
        released = today() - timedelta(days=random.randint(3, 20))
        status, resident = self.write("resident", "POST", "/api/v1/residents", "POST /api/v1/residents", {
            "id_number": id_number(self.region, birth, male), "hukou_region_code": self.region,
            "name": random.choice(SURNAMES) + "".join(random.choices(GIVEN, k=random.randint(1, 2))),
            "subject_type": "released", "released_on": str(released), "prison_name": "浙江省乔司监狱",
            "registered_on": str(released + timedelta(days=random.randint(0, 3))),
            "is_homeless": True, "has_no_relatives": True, "is_unemployed": True, "reoffend_risk": False,
            "state_security": False, "false_identity": False,
        }, ok=(201,), expected=(409,))
        if status != 201:
            return
        sex = "male" if male else "female"
        for _attempt in range(2):  # someone else may take the bed first: try another once
            free = self.free_beds(sex)
            if not free:
                self.discharge()
                return
            bed_id = random.choice(free)
            status, stay = self.write("admit", "POST", "/api/v1/stays", "POST /api/v1/stays", {
                "resident_id": resident["id"], "base_id": self.base_id, "admitted_on": str(today()),
                "bed_id": bed_id, "referral_source": "监狱",
            }, ok=(201,), expected=(409,))
            if status == 201:
                self.stays[stay["id"]] = {"sex": sex, "bed_id": bed_id, "resident_id": resident["id"], "seeded": False}
                return
            if status != 409:
                return

    @task(3)
    def move(self):
        """Move one of my residents to another free bed of his room's sex, from tonight."""
        if not self.stays:
            return
        stay_id = random.choice(list(self.stays))
        mine = self.stays[stay_id]
        free = [b for b in self.free_beds(mine["sex"]) if b != mine["bed_id"]]
        if not free:
            return
        bed_id = random.choice(free)
        status, _ = self.write("move", "POST", f"/api/v1/stays/{stay_id}/bed", "POST /api/v1/stays/[id]/bed",
                               {"bed_id": bed_id, "on": str(today())}, ok=(200,), expected=(409,), key=stay_id)
        if status == 200:
            mine["bed_id"] = bed_id

    @task(1)
    def discharge(self):
        """Discharge one of my residents (mostly those who came before today), which frees a bed."""
        if not self.stays:
            return
        seeded = [s for s, v in self.stays.items() if v["seeded"]]
        stay_id = random.choice(seeded if seeded and random.random() < 0.8 else list(self.stays))
        status, _ = self.write("discharge", "POST", f"/api/v1/stays/{stay_id}/discharge",
                               "POST /api/v1/stays/[id]/discharge",
                               {"discharged_on": str(today()), "destination": random.choice(DESTINATIONS)},
                               ok=(200,), key=stay_id)
        if status == 200:
            del self.stays[stay_id]

    @task(1)
    def claim(self):
        """The living allowance of one of my residents: this month's for one admitted today (eligible:
        registered at the justice office after release), last month's for one who came before (often
        refused: outside his six months). Every fourth is double-clicked."""
        new = [v for v in self.stays.values() if not v["seeded"]]
        old = [v for v in self.stays.values() if v["seeded"]]
        if not new and not old:
            return
        stay = random.choice(new if new and (random.random() < 0.8 or not old) else old)
        month = previous_month() if stay["seeded"] else f"{today():%Y-%m}"
        body = {"kind": "living_allowance", "resident_id": stay["resident_id"], "month": month}
        file_claim(self, body, double=random.random() < 0.25)

    @task(2)
    def bed_board(self):
        self.page("/beds", "GET /beds (bed board)", base_id=self.base_id)

    @task(2)
    def today_page(self):
        self.page("/", "GET / (Today)")

    @task(1)
    def stay_list(self):
        self.page("/stays", "GET /stays")

    @task(1)
    def resident_list(self):
        self.page("/residents", "GET /residents")


def file_claim(desk: Desk, body: dict, double: bool) -> None:
    """POST /claims once, or twice at the same moment (a double click): both must name the same claim."""
    def one():
        return desk.write("claim", "POST", "/api/v1/claims", "POST /api/v1/claims", body, ok=(200, 201),
                          expected=(404, 409, 422))
    if not double:
        one()
        return
    first, second = gevent.spawn(one), gevent.spawn(one)
    gevent.joinall([first, second])
    ids = {g.value[1].get("id") for g in (first, second) if g.value and g.value[0] in (200, 201)}
    log({"k": "double_claim", "req": body, "statuses": [g.value[0] if g.value else None for g in (first, second)],
         "ids": sorted(i for i in ids if i is not None)})


class Trainer(Desk):
    """A trainer saving attendance for his running course's sessions."""

    accounts_key = "trainer"
    role = "trainer"
    fixed_count = SETUP["users"]["trainer"]
    _counter = itertools.count()

    def on_start(self):
        super().on_start()
        self.sessions: dict[int, list[int]] = {}  # my sessions -> enrolled residents
        self.courses: list[int] = []
        courses = self.get_json("/api/v1/courses", "GET /api/v1/courses", status="running", limit=100) or {}
        for course in courses.get("items", []):
            enrolled = [e["resident_id"] for e in self.get_json(
                f"/api/v1/courses/{course['id']}/enrolments", "GET /api/v1/courses/[id]/enrolments") or []
                if e["status"] == "enrolled"]
            sessions = self.get_json(f"/api/v1/courses/{course['id']}/sessions", "GET /api/v1/courses/[id]/sessions")
            self.courses.append(course["id"])
            for s in sessions or []:
                if s["held_on"] <= str(today()) and s["id"] % self.peers == self.index and enrolled:
                    self.sessions[s["id"]] = enrolled

    @task(3)
    def attendance(self):
        if not self.sessions:
            return
        session_id = random.choice(list(self.sessions))
        records = [{"resident_id": r, "status": random.choices(["present", "late", "absent", "excused"],
                                                               [80, 8, 8, 4])[0]} for r in self.sessions[session_id]]
        self.write("attendance", "PUT", f"/api/v1/sessions/{session_id}/attendance",
                   "PUT /api/v1/sessions/[id]/attendance", {"records": records}, ok=(200,), key=session_id)

    @task(1)
    def attendance_screen(self):
        if self.sessions:
            session_id = random.choice(list(self.sessions))
            self.page(f"/training/sessions/{session_id}/attendance", "GET /training/sessions/[id]/attendance")

    @task(1)
    def progress(self):
        if self.courses:
            course_id = random.choice(self.courses)
            self.get_json(f"/api/v1/courses/{course_id}/progress", "GET /api/v1/courses/[id]/progress")

    @task(1)
    def course_list(self):
        self.page("/training", "GET /training")


class Enterprise(Desk):
    """A partner enterprise's HR clerk: job postings, subsidy claims, his candidates."""

    accounts_key = "enterprise"
    role = "enterprise"
    fixed_count = SETUP["users"]["enterprise"]
    _counter = itertools.count()

    def on_start(self):
        super().on_start()
        self.enterprise_id = self.account["enterprise_id"]
        placements = self.get_json("/api/v1/placements", "GET /api/v1/placements", limit=100) or {}
        self.placements = [p["id"] for p in placements.get("items", []) if not p["ended_on"] and
                           not p["is_cancelled"]]

    @task(2)
    def post_job(self):
        low = random.randrange(3000, 4500, 100)
        status, posting = self.write("posting", "POST", "/api/v1/postings", "POST /api/v1/postings", {
            "enterprise_id": self.enterprise_id, "title": random.choice(JOB_TITLES),
            "description": "负责日常工作，岗前培训，按月足额发放工资，缴纳社会保险。",
            "requirements": "身体健康，吃苦耐劳", "positions": random.randint(1, 5), "wage_min": str(low),
            "wage_max": str(low + random.randrange(300, 1500, 100)), "location": "杭州市",
            "provides_housing": random.random() < 0.5,
        }, ok=(201,))
        if status == 201 and random.random() < 0.6:
            self.write("posting_open", "POST", f"/api/v1/postings/{posting['id']}/open",
                       "POST /api/v1/postings/[id]/open", None, ok=(200,), key=posting["id"])

    @task(1)
    def claim(self):
        if self.placements:
            body = {"kind": "post_subsidy", "placement_id": random.choice(self.placements), "month": previous_month()}
            file_claim(self, body, double=random.random() < 0.25)

    @task(2)
    def open_postings(self):
        self.get_json("/api/v1/postings", "GET /api/v1/postings?status=open", status="open", limit=50)

    @task(1)
    def posting_pages(self):
        self.page("/postings", "GET /postings")

    @task(1)
    def referrals(self):
        self.get_json("/api/v1/referrals", "GET /api/v1/referrals", limit=50)

    @task(1)
    def placement_pages(self):
        self.page("/placements", "GET /placements")


class Officer(Desk):
    """A county or province officer: dashboards, reports, spreadsheets, the resident list, exports."""

    accounts_key = "officer"
    role = "officer"
    fixed_count = SETUP["users"]["officer"]
    _counter = itertools.count()

    def on_start(self):
        super().on_start()
        self.region = self.account["region_code"]
        end = today().replace(day=1)
        self.period = {"from": str(end.replace(year=end.year - 1)), "to": str(end)}

    @task(3)
    def dashboard(self):
        self.page("/reports/", "GET /reports/ (dashboard)", expect="<", **self.period)

    @task(2)
    def occupancy(self):
        self.get_json("/api/v1/reports/occupancy", "GET /api/v1/reports/occupancy", region_code=self.region,
                      group_by="month", **self.period)

    @task(1)
    def placements(self):
        self.get_json("/api/v1/reports/placements", "GET /api/v1/reports/placements", region_code=self.region,
                      group_by="base", **self.period)

    @task(1)
    def spreadsheet(self):
        name = random.choice(["occupancy", "placements", "overview", "subsidies"])
        with self.client.get(f"/api/v1/reports/{name}.xlsx", headers=self.api, name="GET /api/v1/reports/[name].xlsx",
                             params={"region_code": self.region, **self.period}, catch_response=True) as r:
            if r.status_code != 200 or not r.content.startswith(b"PK"):
                r.failure(f"{r.status_code}")

    @task(1)
    def resident_list(self):
        self.page("/residents", "GET /residents")

    @task(1)
    def resident_api(self):
        self.get_json("/api/v1/residents", "GET /api/v1/residents", limit=50)

    @task(1)
    def people(self):
        self.page("/reports/people", "GET /reports/people", kind="leavers", **self.period)

    @task(1)
    def export(self):
        """Now and then a detail export: a file at once when small, else a background job to wait for."""
        if random.random() > 0.3:
            return
        html = self.page("/reports/", "GET /reports/ (dashboard)", **self.period)
        match = CSRF.search(html or "")
        if not match:
            return
        form = {"csrf_token": match.group(1), "kind": random.choice(["residents", "placements", "leavers"]),
                "region_code": self.region, **self.period}
        started = time.time()
        with self.client.post("/exports/", data=form, name="POST /exports/", allow_redirects=False,
                              catch_response=True) as r:
            if r.status_code == 200 and r.content.startswith(b"PK"):
                log({"k": "w", "op": "export_direct", "t0": started, "t1": time.time(), "status": 200,
                     "day": str(today())})
                return
            location = r.headers.get("Location", "")
            job = re.search(r"/exports/(\d+)$", location)
            if r.status_code != 302 or not job:
                r.failure(f"{r.status_code} {location}")
                log({"k": "w", "op": "export", "t0": started, "t1": time.time(), "status": r.status_code})
                return
        job_id = int(job.group(1))
        final = None
        for _poll in range(20):  # the page polls every second or so
            state = self.client.get(f"/exports/{job_id}/status", name="GET /exports/[id]/status")
            if state.status_code == 200 and state.json().get("status") in ("done", "failed"):
                final = state.json()
                break
            gevent.sleep(1.5)
        log({"k": "w", "op": "export", "key": job_id, "t0": started, "t1": time.time(), "status": 302,
             "res": final})
