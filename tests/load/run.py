"""`make load`: the load and fault scenario of issue 8 (items 3 and 4), in one command.

Hermetic: everything runs on loopback and is this script's own — a PostgreSQL cluster (initdb into a
temporary directory, as the `postgres` user when run as root), a redis-server, gunicorn with several
workers (deploy/gunicorn.conf.py), the RQ export worker (`flask exports worker`) — never the shared
PostgreSQL on 5432 or Redis on 6379. Everything is stopped and deleted at the end, also on Ctrl+C.

1. Set up: migrate, seed the county-scale synthetic data (`flask seed synthetic --scale county`),
   add two base managers and an enterprise user, sign everyone in (tokens for the API, session
   cookies for the pages; officers with their second factor).
2. Load: locust (tests/load/locustfile.py) runs a realistic day for --duration seconds.
3. Faults, in the middle of the load:
   - PostgreSQL restart (`pg_ctl restart -m fast`): requests caught in it must get a clean 503
     (never a 500); the app must serve again by itself once the server is back (pool_pre_ping);
   - Redis stopped for a while: everything keeps serving; sign-in works and is still rate-limited
     (in memory per worker); a background export fails with a clear message (the queue is
     unreachable); after Redis is back, a background export completes again.
4. Checks against the database: every write a client was told succeeded is there (residents,
   admissions, bed moves, discharges, attendance, postings, claims), no bed double-booked, no
   resident in two beds or two open stays, no stay or claim half-written, one claim per (kind,
   subject, month) and a double click gets one claim, `flask audit verify` passes.
5. Figures: requests/s, p50/p95 per request type, what happened in the fault windows, recovery time.

Exit status 0 only if every assertion holds. `python tests/load/run.py --help` for the knobs.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pyotp
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
LOAD_PASSWORD = "Load-Scenario-2026"  # throw-away accounts of a throw-away database
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def say(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir() -> Path:
    """The PostgreSQL server binaries (initdb, pg_ctl): PG_BIN, else the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)")


class Failures:
    """The assertions: each failed one is printed and makes the exit status non-zero."""

    def __init__(self):
        self.items: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        print(f"  [{'ok' if ok else 'FAIL'}] {what}", flush=True)
        if not ok:
            self.items.append(what)
        return ok


# ---------------------------------------------------------------- the stack: PostgreSQL, Redis, gunicorn, worker

@dataclass
class Stack:
    work: Path
    workers: int
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    pg_started: bool = False
    worker_restarts: int = 0

    def __post_init__(self):
        self.pg_bin = pg_bindir()
        self.data = self.work / "pg" / "data"
        self.logs = self.work / "logs"
        self.logs.mkdir(parents=True)
        self.as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
        self.database_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/base_ops_load"
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.pg_port}/base_ops_load"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update({
            "PATH": f"{BIN}:{env.get('PATH', '')}", "FLASK_APP": "base_ops", "BASE_OPS_ENV": "development",
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "SECRET_KEY": secrets.token_hex(32),
            "EXPORT_FOLDER": str(self.work / "exports"), "UPLOAD_FOLDER": str(self.work / "uploads"),
            # Larger exports become background jobs (the RQ path): most officers' exports of a year are.
            "EXPORT_BACKGROUND_ROWS": "300", "FRESH_LOGIN_MINUTES": "180",
            "GUNICORN_BIND": f"127.0.0.1:{self.http_port}", "GUNICORN_WORKERS": str(self.workers),
            "GUNICORN_LOGLEVEL": "warning", "PYTHONUNBUFFERED": "1",
        })
        self.env = env

    # -------------------------------------------------------- helpers

    def _pg(self, *args: str, check: bool = True, timeout: float = 120) -> None:
        """initdb or pg_ctl. Output goes to a file, never a pipe: the server pg_ctl starts would inherit
        the pipe and keep it open, and waiting for its end would wait for the server to stop."""
        command = [str(self.pg_bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        with open(self.logs / "pg_ctl.log", "a") as out:
            code = subprocess.run(command, timeout=timeout, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL).returncode
        if check and code != 0:
            raise RuntimeError(f"{' '.join(args[:1])} failed ({code}); see {self.logs / 'pg_ctl.log'}")

    def flask(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, input=stdin, text=True,
                                capture_output=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 - kept open for the child
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes[name] = process
        return process

    def stop(self, name: str, timeout: float = 30) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    # -------------------------------------------------------- PostgreSQL

    def start_postgres(self) -> None:
        (self.work / "pg").mkdir()
        os.chmod(self.work, 0o755)  # the postgres user walks through to its data directory
        if self.as_postgres:
            shutil.chown(self.work / "pg", "postgres", "postgres")
        self._pg("initdb", "-D", str(self.data), "--auth=trust", "--username=postgres", "--encoding=UTF8",
                 "--locale=C.UTF-8")
        options = (f"-p {self.pg_port} -k {self.work / 'pg'} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c shared_buffers=256MB")
        self.pg_started = True
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.work / "pg" / "server.log"), "-o", options, "-w",
                 "-t", "60", "start")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE base_ops_load")

    def postmaster_pid(self) -> int:
        pid_file = self.data / "postmaster.pid"
        return int(pid_file.read_text().split()[0])

    def restart_postgres(self) -> None:
        """What an operator does: a fast restart ends every session (SQLSTATE 57P01) and starts again."""
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.work / "pg" / "server.log"), "-m", "fast", "-w",
                 "-t", "60", "restart")

    def stop_postgres(self) -> None:
        if self.pg_started:
            self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", check=False)
            self.pg_started = False

    # -------------------------------------------------------- Redis, gunicorn, the export worker

    def start_redis(self) -> None:
        # Saved on shutdown and loaded at start (as a production Redis would): the queued exports survive.
        self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                             "--save", "3600 1", "--appendonly", "no", "--dir", str(self.work)])
        self.wait_for(lambda: self._redis_ping(), "redis-server")

    def _redis_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_web(self) -> None:
        self.spawn("gunicorn", [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")])
        self.wait_for(lambda: self._healthy(), "gunicorn")

    def _healthy(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def start_worker(self) -> None:
        self.spawn("rq-worker", [str(BIN / "flask"), "exports", "worker"])

    def supervise_worker(self, stop: threading.Event) -> None:
        """Like systemd's Restart=always for base-ops-worker.service: an RQ worker that lost Redis exits."""
        while not stop.wait(1.0):
            worker = self.processes.get("rq-worker")
            if worker is not None and worker.poll() is not None and self._redis_ping():
                self.worker_restarts += 1
                self.start_worker()

    @staticmethod
    def wait_for(ready, what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")

    def teardown(self) -> None:
        for name in ("locust", "rq-worker", "gunicorn", "redis"):
            self.stop(name)
        self.stop_postgres()


# ---------------------------------------------------------------- accounts and sign-in

def session_login(base_url: str, username: str, password: str, otp: str | None = None) -> requests.Session:
    """Sign in through the pages (password, then the second factor where one is needed)."""
    s = requests.Session()
    page = s.get(f"{base_url}/login", timeout=30)
    r = s.post(f"{base_url}/login", data={"username": username, "password": password,
                                          "csrf_token": CSRF.search(page.text).group(1)},
               allow_redirects=False, timeout=30)
    if r.status_code != 302:
        raise RuntimeError(f"login of {username}: {r.status_code}")
    if "/login/otp" in r.headers["Location"]:
        page = s.get(f"{base_url}/login/otp", timeout=30)
        r = s.post(f"{base_url}/login/otp", data={"code": otp, "csrf_token": CSRF.search(page.text).group(1)},
                   allow_redirects=False, timeout=30)
        if r.status_code != 302 or "/login" in r.headers["Location"]:
            raise RuntimeError(f"second factor of {username}: {r.status_code}")
    return s


def cookies(s: requests.Session) -> list[dict]:
    """The session's cookies with their domain and path, so that the cookie the server sets later
    replaces this one in locust's jar instead of standing beside it."""
    return [{"name": c.name, "value": c.value, "domain": c.domain, "path": c.path} for c in s.cookies]


def api_token(base_url: str, username: str, password: str, otp: str | None = None) -> str:
    body = {"username": username, "password": password, **({"otp": otp} if otp else {})}
    r = requests.post(f"{base_url}/api/v1/auth/tokens", json=body, timeout=30)
    if r.status_code != 201:
        raise RuntimeError(f"token for {username}: {r.status_code} {r.text[:200]}")
    return r.json()["token"]


def prepare(stack: Stack, users: dict[str, int]) -> tuple[dict, dict]:
    """Migrate, seed, add the load's own users, sign everyone in → (locust setup, runner's sessions)."""
    from base_ops.seed.synthetic import DEFAULT_PASSWORD, USERNAMES

    started = time.monotonic()
    stack.flask("db", "upgrade")
    stack.flask("seed", "synthetic", "--scale", "county")
    say(f"migrated and seeded the county-scale data set in {time.monotonic() - started:.0f} s")
    with psycopg.connect(stack.dsn) as conn:
        manager_base = conn.execute(
            "SELECT ub.base_id FROM user_bases ub JOIN users u ON u.id = ub.user_id WHERE u.username = %s",
            (USERNAMES["manager"],)).fetchone()[0]
        # Two more bases with their own managers: the largest after the synthetic manager's.
        other_bases = [row[0] for row in conn.execute(
            "SELECT r.base_id FROM beds b JOIN rooms r ON r.id = b.room_id WHERE r.base_id <> %s "
            "GROUP BY r.base_id ORDER BY count(*) DESC, r.base_id LIMIT 2", (manager_base,))]
        enterprise_id = conn.execute(
            "SELECT enterprise_id FROM placements WHERE ended_on IS NULL AND NOT is_cancelled "
            "GROUP BY enterprise_id ORDER BY count(*) DESC, enterprise_id LIMIT 1").fetchone()[0]
        regions = dict(conn.execute("SELECT id, region_code FROM bases").fetchall())
        max_stay = conn.execute("SELECT max(id) FROM stays").fetchone()[0]
        secret = conn.execute("SELECT totp_secret FROM users WHERE username = %s",
                              (USERNAMES["county"],)).fetchone()[0]
        officer_regions = dict(conn.execute("SELECT username, region_code FROM users WHERE role = 'county_officer'"))
    for i, base_id in enumerate(other_bases, start=1):
        stack.flask("users", "create", f"load_manager_{i}", "--role", "base_manager", "--base", str(base_id),
                    "--password-stdin", stdin=LOAD_PASSWORD + "\n")
    stack.flask("users", "create", "load_enterprise", "--role", "enterprise", "--enterprise", str(enterprise_id),
                "--password-stdin", stdin=LOAD_PASSWORD + "\n")

    stack.start_redis()
    stack.start_web()
    stack.start_worker()
    say(f"gunicorn ({stack.workers} workers) at {stack.base_url}, PostgreSQL on {stack.pg_port}, "
        f"Redis on {stack.redis_port}")

    base_url = stack.base_url
    sessions: dict[str, requests.Session] = {}
    accounts: dict[str, list[dict]] = {"manager": [], "trainer": [], "enterprise": [], "officer": []}

    def plain(key: str, username: str, password: str, **extra) -> None:
        s = session_login(base_url, username, password)
        sessions[username] = s
        accounts[key].append({"username": username, "token": api_token(base_url, username, password),
                              "cookies": cookies(s), **extra})

    plain("manager", USERNAMES["manager"], DEFAULT_PASSWORD, base_id=manager_base,
          region_code=regions[manager_base])
    for i, base_id in enumerate(other_bases, start=1):
        plain("manager", f"load_manager_{i}", LOAD_PASSWORD, base_id=base_id, region_code=regions[base_id])
    plain("trainer", USERNAMES["trainer"], DEFAULT_PASSWORD)
    plain("enterprise", "load_enterprise", LOAD_PASSWORD, enterprise_id=enterprise_id)
    totp = pyotp.TOTP(secret)
    for key in ("county", "province"):
        # One code per sign-in: a code is refused once its time step was used (replay), so the page
        # sign-in takes the next step's code, which the server accepts (±1 step of clock drift).
        step = int(time.time() // 30)
        username = USERNAMES[key]
        token = api_token(base_url, username, DEFAULT_PASSWORD, totp.generate_otp(step))
        s = session_login(base_url, username, DEFAULT_PASSWORD, totp.generate_otp(step + 1))
        sessions[username] = s
        accounts["officer"].append({"username": username, "token": token, "cookies": cookies(s),
                                    "region_code": officer_regions[username]})
    setup = {"accounts": accounts, "users": users, "max_seed_stay_id": max_stay}
    return setup, sessions


# ---------------------------------------------------------------- the faults

@dataclass
class FaultLog:
    pg_started: float = 0.0
    pg_ready: float = 0.0
    pg_serving: float = 0.0
    pg_pids: tuple[int, int] = (0, 0)
    probe_statuses: list[tuple[float, int]] = field(default_factory=list)
    redis_down: float = 0.0
    redis_up: float = 0.0
    login_while_down: int = 0
    limiter_statuses: dict[int, int] = field(default_factory=dict)
    export_while_down: dict = field(default_factory=dict)
    export_after: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def probe_until_serving(stack: Stack, token: str, log: FaultLog) -> None:
    """From the restart on, ask every 100 ms until the app answers from the database again."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.time() + 90
    while time.time() < deadline:
        t = time.time()
        try:
            status = requests.get(f"{stack.base_url}/api/v1/bases", headers=headers, timeout=10).status_code
        except requests.RequestException:
            status = 0
        log.probe_statuses.append((t, status))
        if status == 200 and log.pg_ready:
            log.pg_serving = time.time()
            return
        time.sleep(0.1)


def background_export(stack: Stack, s: requests.Session, region: str, wait: float) -> dict:
    """Ask for a province-wide residents export (a background job) and wait for its end → job row."""
    end = datetime.now(LOCAL_ZONE).date().replace(day=1)
    page = s.get(f"{stack.base_url}/reports/", timeout=60)
    r = s.post(f"{stack.base_url}/exports/", allow_redirects=False, timeout=60, data={
        "csrf_token": CSRF.search(page.text).group(1), "kind": "residents", "region_code": region,
        "from": str(end.replace(year=end.year - 1)), "to": str(end)})
    match = re.search(r"/exports/(\d+)$", r.headers.get("Location", ""))
    if r.status_code != 302 or not match:
        return {"http": r.status_code, "status": None}
    job_id = int(match.group(1))
    deadline = time.time() + wait
    while time.time() < deadline:
        state = s.get(f"{stack.base_url}/exports/{job_id}/status", timeout=30).json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    with psycopg.connect(stack.dsn) as conn:
        status, error, rows = conn.execute("SELECT status, error, rows_total FROM export_jobs WHERE id = %s",
                                           (job_id,)).fetchone()
    return {"http": 302, "job": job_id, "status": status, "error": error, "rows": rows}


def limiter_probe(stack: Stack) -> dict[int, int]:
    """Wrong sign-ins from one address until the limit answers 429 (each worker counts in its own
    memory while Redis is away, so it may take up to workers × the limit) → {status: count}."""
    from base_ops.config import Config

    per_minute = int(Config.LOGIN_RATE_LIMIT.split()[0])
    s = requests.Session()
    token = CSRF.search(s.get(f"{stack.base_url}/login", timeout=30).text).group(1)
    statuses: dict[int, int] = defaultdict(int)
    for _ in range(per_minute * (stack.workers + 1) + 5):
        r = s.post(f"{stack.base_url}/login", data={"username": "load-limit-probe", "password": "wrong-password",
                                                    "csrf_token": token}, allow_redirects=False, timeout=30)
        statuses[r.status_code] += 1
        if r.status_code == 429:
            break
    return dict(statuses)


def inject_faults(stack: Stack, sessions: dict, setup: dict, log: FaultLog, t0: float, duration: float) -> None:
    """The schedule, relative to the start of the load: PostgreSQL at 30 %, Redis down 55 %–80 %."""
    from base_ops.seed.synthetic import DEFAULT_PASSWORD, USERNAMES

    def at(share: float) -> None:
        time.sleep(max(0.0, t0 + duration * share - time.time()))

    try:
        at(0.30)
        say("fault: pg_ctl restart -m fast")
        before = stack.postmaster_pid()
        probe = threading.Thread(target=probe_until_serving,
                                 args=(stack, setup["accounts"]["manager"][0]["token"], log), daemon=True)
        log.pg_started = time.time()
        probe.start()
        stack.restart_postgres()
        log.pg_ready = time.time()
        log.pg_pids = (before, stack.postmaster_pid())
        probe.join()
        say(f"PostgreSQL back after {log.pg_ready - log.pg_started:.1f} s; the app served again "
            f"{(log.pg_serving or time.time()) - log.pg_started:.1f} s after the restart began")

        at(0.55)
        say("fault: Redis stopped")
        log.redis_down = time.time()
        stack.stop("redis")
        time.sleep(1.0)
        try:
            session_login(stack.base_url, USERNAMES["manager"], DEFAULT_PASSWORD)
            log.login_while_down = 302
        except RuntimeError as error:
            log.errors.append(f"sign-in with Redis down: {error}")
        log.limiter_statuses = limiter_probe(stack)
        log.export_while_down = background_export(stack, sessions[USERNAMES["province"]], "330000", wait=20)
        at(0.80)
        stack.start_redis()
        log.redis_up = time.time()
        say("Redis started again")
        log.export_after = background_export(stack, sessions[USERNAMES["province"]], "330000", wait=60)
    except Exception as error:  # reported as a failed check, never left hanging
        log.errors.append(f"fault injection: {type(error).__name__}: {error}")


# ---------------------------------------------------------------- analysis of the request log

def read_log(path: Path) -> tuple[list[dict], list[dict], list[dict]]:
    requests_, writes, doubles = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        {"req": requests_, "w": writes, "double_claim": doubles}[item["k"]].append(item)
    return requests_, writes, doubles


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def print_figures(reqs: list[dict], seconds: float, workers: int, users: int) -> None:
    by_name: dict[str, list[dict]] = defaultdict(list)
    for r in reqs:
        by_name[r["name"]].append(r)
    print()
    print(f"  {len(reqs)} requests in {seconds:.0f} s = {len(reqs) / seconds:.1f} requests/s "
          f"({users} locust users, gunicorn -w {workers}, {os.cpu_count()} CPU cores shared with PostgreSQL, "
          f"Redis and locust)")
    print(f"  {'request':<44}{'count':>7}{'req/s':>7}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}  statuses")
    for name in sorted(by_name, key=lambda n: -len(by_name[n])):
        rows = by_name[name]
        times = [r["ms"] for r in rows]
        statuses = defaultdict(int)
        for r in rows:
            statuses[r["status"]] += 1
        shown = " ".join(f"{s}×{n}" for s, n in sorted(statuses.items()))
        print(f"  {name[:43]:<44}{len(rows):>7}{len(rows) / seconds:>7.1f}{statistics.median(times):>8.0f}"
              f"{percentile(times, 0.95):>8.0f}{max(times):>8.0f}  {shown}")
    times = [r["ms"] for r in reqs]
    print(f"  {'all':<44}{len(reqs):>7}{len(reqs) / seconds:>7.1f}{statistics.median(times):>8.0f}"
          f"{percentile(times, 0.95):>8.0f}{max(times):>8.0f}")


def in_window(r: dict, start: float, end: float) -> bool:
    """Whether the request was under way at some moment of [start, end]."""
    return r["t"] <= end and r["t"] + r["ms"] / 1000 >= start


def clean_503(r: dict) -> bool:
    """A 503 that says what happened (docs/api.md error body or the error page), not a traceback."""
    body = r.get("body") or ""
    return r["status"] == 503 and "Traceback" not in body and (
        "database_unavailable" in body or "503" in body)


def check_requests(reqs: list[dict], faults: FaultLog, failures: Failures) -> None:
    pg_window = (faults.pg_started, (faults.pg_serving or faults.pg_ready) + 1.0)
    redis_window = (faults.redis_down, faults.redis_up + 1.0)
    in_pg = [r for r in reqs if in_window(r, *pg_window)]
    errors = [r for r in reqs if r["status"] >= 500 or r["status"] == 0]
    outside = [r for r in errors if not in_window(r, *pg_window)]
    during = [r for r in errors if in_window(r, *pg_window)]
    in_redis = [r for r in reqs if in_window(r, *redis_window)]
    print()
    print(f"  PostgreSQL restart: pg_ctl restart -m fast took {faults.pg_ready - faults.pg_started:.1f} s "
          f"(postmaster {faults.pg_pids[0]} → {faults.pg_pids[1]}); {len(in_pg)} requests under way in the window, "
          f"{sum(r['status'] == 503 for r in in_pg)} answered 503, {sum(r['status'] == 500 for r in in_pg)} "
          f"answered 500, {sum(r['status'] == 0 for r in in_pg)} lost their connection")
    if faults.pg_serving:
        print(f"  recovery: the app answered from the database again {faults.pg_serving - faults.pg_started:.1f} s "
              f"after the restart began ({faults.pg_serving - faults.pg_ready:.1f} s after PostgreSQL was back)")
    print(f"  Redis down for {faults.redis_up - faults.redis_down:.0f} s: {len(in_redis)} requests, "
          f"{sum(r['status'] >= 500 or r['status'] == 0 for r in in_redis)} errors")
    for r in errors[:8]:
        print(f"    e.g. {r['status']} {r['name']} at +{r['t'] - faults.pg_started:.1f} s: "
              f"{(r.get('body') or '')[:160]!r}")
    odd = [r for r in reqs if not (r["status"] == 503 and in_window(r, *pg_window))
           and r["status"] not in ((200,) if r["name"].startswith("GET") else (200, 201, 302, 409, 422))]
    failures.check(not odd, "every read answered 200, every write a success or a refusal of the day (409, 422)"
                            + "".join(f"; {r['status']} {r['name']}" for r in odd[:5]))
    failures.check(faults.pg_pids[0] != faults.pg_pids[1] and faults.pg_pids[1] != 0,
                   "PostgreSQL really restarted (new postmaster)")
    failures.check(bool(faults.pg_serving), "the app served again by itself after the restart (pool_pre_ping)")
    failures.check(not outside, f"no 5xx or lost connection outside the restart window ({len(outside)} seen)")
    failures.check(all(clean_503(r) for r in during),
                   f"every failure in the restart window is a clean 503 ({len(during)} failures, "
                   f"{sum(not clean_503(r) for r in during)} not)")
    failures.check(not faults.errors, "the fault schedule ran: " + ("; ".join(faults.errors) or "as planned"))
    failures.check(faults.login_while_down == 302, "sign-in works while Redis is down")
    failures.check(faults.limiter_statuses.get(429, 0) == 1 and not any(s >= 500 for s in faults.limiter_statuses),
                   f"the sign-in limit still answers 429 while Redis is down (in memory): {faults.limiter_statuses}")
    down, after = faults.export_while_down, faults.export_after
    failures.check(down.get("status") == "failed" and bool(down.get("error")),
                   f"a background export asked for while Redis is down fails with a message: "
                   f"{down.get('status')} {down.get('error')!r}")
    failures.check(after.get("status") == "done",
                   f"a background export after Redis is back completes ({after.get('rows')} rows): "
                   f"{after.get('status')} {after.get('error') or ''}")


# ---------------------------------------------------------------- checks against the database

UNCERTAIN = (0, 500, 502, 503, 504)  # the client cannot know whether the write happened


def check_database(stack: Stack, writes: list[dict], doubles: list[dict], started_at: datetime,
                   faults: FaultLog, failures: Failures) -> None:
    ok = defaultdict(list)
    uncertain = [w for w in writes if w["status"] in UNCERTAIN]
    for w in writes:
        if w["status"] in (200, 201) or (w["op"] == "export" and w["status"] == 302):
            ok[w["op"]].append(w)
    print()
    print("  writes the clients were told succeeded: " + ", ".join(f"{op} {len(v)}" for op, v in sorted(ok.items()))
          + f"; {len(uncertain)} with an unknown outcome (503 or lost in the restart)")
    refused = defaultdict(int)
    for w in writes:
        if 400 <= w["status"] < 500:
            refused[f"{w['op']} {w['status']} {(w.get('res') or {}).get('code', '')}"] += 1
    print("  refused as part of the day: " + (", ".join(f"{k} ×{n}" for k, n in sorted(refused.items())) or "none"))
    with psycopg.connect(stack.dsn) as conn:
        q = conn.execute

        def ids_present(table: str, ids: list[int]) -> set[int]:
            return {row[0] for row in q(f"SELECT id FROM {table} WHERE id = ANY(%s)", (ids,))}

        residents = [w["res"]["id"] for w in ok["resident"]]
        failures.check(ids_present("residents", residents) == set(residents),
                       f"every resident registered (201) is on file ({len(residents)})")
        admitted = {w["res"]["id"]: w for w in ok["admit"]}
        rows = {row[0]: row[1:] for row in q(
            "SELECT id, resident_id, base_id, admitted_on::text FROM stays WHERE id = ANY(%s)", (list(admitted),))}
        failures.check(all(rows.get(i) == (w["req"]["resident_id"], w["req"]["base_id"], w["req"]["admitted_on"])
                           for i, w in admitted.items()),
                       f"every admission (201) is there with its resident, base and date ({len(admitted)})")
        check_stay_states(q, writes, failures)
        check_attendance(q, writes, failures)
        postings = {w["res"]["id"]: w for w in ok["posting"]}
        found = {row[0]: row[1:] for row in q("SELECT id, enterprise_id, title FROM job_postings WHERE id = ANY(%s)",
                                              (list(postings),))}
        failures.check(all(found.get(i) == (w["req"]["enterprise_id"], w["req"]["title"])
                           for i, w in postings.items()), f"every job posting (201) is there ({len(postings)})")
        opened = [w["key"] for w in ok["posting_open"]]
        open_now = {row[0] for row in q("SELECT id FROM job_postings WHERE id = ANY(%s) AND status = 'open'",
                                        (opened,))}
        failures.check(open_now == set(opened), f"every posting opened (200) is open ({len(opened)})")
        claims = {}
        for w in ok["claim"]:
            subject = (f"resident:{w['req']['resident_id']}" if "resident_id" in w["req"]
                       else f"placement:{w['req']['placement_id']}")
            claims[w["res"]["id"]] = (w["req"]["kind"], subject, w["req"]["month"])
        found = {row[0]: row[1:] for row in q("SELECT id, kind::text, subject_key, period FROM claims "
                                              "WHERE id = ANY(%s)", (list(claims),))}
        failures.check(all(found.get(i) == c for i, c in claims.items()),
                       f"every claim answered 200/201 is there with its kind, subject and month ({len(claims)})")
        split = [d for d in doubles if len(d["ids"]) > 1]
        failures.check(not split, f"a double-clicked claim is one claim ({len(doubles)} double clicks, "
                                  f"{len(split)} split)")
        check_invariants(q, writes, started_at, failures)
        jobs = q("SELECT status, count(*) FROM export_jobs GROUP BY status").fetchall()
        stuck = sum(n for status, n in jobs if status in ("queued", "running"))
        print(f"  export jobs: {dict(jobs)}; direct exports: {len(ok['export_direct'])}")
        failures.check(stuck == 0, f"no export job left queued or running ({stuck})")
        odd = q("SELECT id, created_at, error FROM export_jobs WHERE status = 'failed' AND (coalesce(error, '') = '' "
                "OR created_at < %s OR created_at > %s)", (datetime.fromtimestamp(faults.redis_down - 2).astimezone(),
                                                          datetime.fromtimestamp(faults.redis_up + 2).astimezone())
                ).fetchall()
        failures.check(not odd, f"export jobs failed only while Redis was down, each with its message {odd[:3]}")


def check_stay_states(q, writes: list[dict], failures: Failures) -> None:
    """Each stay has one writer (locust partitions them), so its final state is the last write that
    succeeded — unless a write with an unknown outcome came after it (then only the invariants hold)."""
    ops = defaultdict(list)
    for w in writes:
        if w["op"] == "admit" and w["status"] == 201:
            ops[w["res"]["id"]].append(("bed", w["req"]["bed_id"], w["status"]))
        elif w["op"] in ("move", "discharge") and (w["status"] == 200 or w["status"] in UNCERTAIN):
            ops[w["key"]].append(("bed" if w["op"] == "move" else "gone", w["req"].get("bed_id"), w["status"]))
    state = {row[0]: row[1:] for row in q(
        "SELECT s.id, s.discharged_on IS NOT NULL, (SELECT array_agg(a.bed_id) FROM bed_assignments a "
        "WHERE a.stay_id = s.id AND a.end_on IS NULL) FROM stays s WHERE s.id = ANY(%s)", (list(ops),))}
    wrong, unknown = [], 0
    for stay_id, history in ops.items():
        last_ok = max((i for i, h in enumerate(history) if h[2] in (200, 201)), default=None)
        if last_ok is None or any(h[2] in UNCERTAIN for h in history[last_ok + 1:]):
            unknown += 1
            continue
        kind, bed_id, _status = history[last_ok]
        discharged, beds = state[stay_id]
        expected = (True, None) if kind == "gone" else (False, [bed_id])
        if (discharged, beds) != expected:
            wrong.append((stay_id, history, (discharged, beds)))
    failures.check(not wrong, f"every stay is where its last successful admission, move or discharge put it "
                              f"({len(ops) - unknown} stays checked, {unknown} left out after an unknown outcome"
                              f"{', wrong: ' + str(wrong[:3]) if wrong else ''})")


def check_attendance(q, writes: list[dict], failures: Failures) -> None:
    """Attendance saved (200) is there: per session and resident the status of the last save that succeeded."""
    history = defaultdict(list)
    for w in writes:
        if w["op"] == "attendance" and (w["status"] == 200 or w["status"] in UNCERTAIN):
            for record in w["req"]["records"]:
                history[(w["key"], record["resident_id"])].append((record["status"], w["status"]))
    saved = {(row[0], row[1]): row[2] for row in q(
        "SELECT session_id, resident_id, status::text FROM attendance WHERE session_id = ANY(%s)",
        (list({k[0] for k in history}),))}
    wrong = checked = 0
    for key, marks in history.items():
        last_ok = max((i for i, m in enumerate(marks) if m[1] == 200), default=None)
        if last_ok is None:
            continue
        allowed = {marks[last_ok][0]} | {m[0] for m in marks[last_ok + 1:] if m[1] in UNCERTAIN}
        checked += 1
        wrong += saved.get(key) not in allowed
    failures.check(wrong == 0, f"attendance saved (200) is there as last saved ({checked} marks, {wrong} wrong)")


def check_invariants(q, writes: list[dict], started_at: datetime, failures: Failures) -> None:
    """What the database must hold whatever the clients were told (docs/security.md "Reliability")."""
    def count(sql: str, *args) -> int:
        return q(sql, args).fetchone()[0]

    failures.check(count(
        "SELECT count(*) FROM bed_assignments a JOIN bed_assignments b ON a.bed_id = b.bed_id AND a.id < b.id "
        "AND daterange(a.start_on, a.end_on) && daterange(b.start_on, b.end_on)") == 0,
        "no bed double-booked on any night")
    failures.check(count(
        "SELECT count(*) FROM bed_assignments a JOIN bed_assignments b ON a.resident_id = b.resident_id "
        "AND a.id < b.id AND daterange(a.start_on, a.end_on) && daterange(b.start_on, b.end_on)") == 0,
        "no resident in two beds on the same night")
    failures.check(count("SELECT count(*) FROM (SELECT resident_id FROM stays WHERE discharged_on IS NULL "
                         "GROUP BY resident_id HAVING count(*) > 1) x") == 0, "no resident with two open stays")
    failures.check(count(
        "SELECT count(*) FROM bed_assignments a JOIN stays s ON s.id = a.stay_id WHERE a.start_on < s.admitted_on "
        "OR (s.discharged_on IS NOT NULL AND (a.end_on IS NULL OR a.end_on > s.discharged_on))") == 0,
        "every bed assignment lies within its stay")
    new_stays = count("SELECT count(*) FROM stays WHERE created_at >= %s", started_at)
    failures.check(count(
        "SELECT count(*) FROM stays s WHERE s.created_at >= %s AND s.discharged_on IS NULL AND (SELECT count(*) "
        "FROM bed_assignments a WHERE a.stay_id = s.id AND a.end_on IS NULL) <> 1", started_at) == 0,
        f"every open stay admitted during the load has its bed ({new_stays} admitted; all admissions carry a bed)")
    failures.check(count(
        "SELECT count(*) FROM stays s WHERE s.created_at >= %s AND NOT EXISTS (SELECT 1 FROM audit_events e "
        "WHERE e.action = 'stay_admitted' AND e.object_type = 'Stay' AND e.object_id = s.id::text)",
        started_at) == 0, "every admission has its audit row")
    failures.check(count(
        "SELECT count(*) FROM bed_assignments a WHERE a.created_at >= %s AND NOT EXISTS (SELECT 1 FROM "
        "audit_events e WHERE e.action = 'bed_assigned' AND e.object_id = a.id::text)", started_at) == 0,
        "every bed assignment made during the load has its audit row")
    failures.check(count(
        "SELECT count(*) FROM (SELECT kind, subject_key, period FROM claims GROUP BY 1, 2, 3 "
        "HAVING count(*) > 1) x") == 0, "one claim per (kind, subject, month)")
    new_claims = count("SELECT count(*) FROM claims WHERE created_at >= %s", started_at)
    failures.check(count(
        "SELECT count(*) FROM claims c WHERE c.created_at >= %s AND (NOT EXISTS (SELECT 1 FROM claim_events v "
        "WHERE v.claim_id = c.id AND v.to_status = 'draft') OR NOT EXISTS (SELECT 1 FROM audit_events e "
        "WHERE e.action = 'claim_created' AND e.object_id = c.id::text))", started_at) == 0,
        f"no claim half-made: each new claim has its draft event and audit row ({new_claims} new)")
    tried = list({w["key"] for w in writes if w["op"] == "discharge"})
    failures.check(count(
        "SELECT count(*) FROM stays s WHERE s.id = ANY(%s) AND (s.discharged_on IS NOT NULL) <> EXISTS (SELECT 1 "
        "FROM audit_events e WHERE e.action = 'stay_discharged' AND e.object_id = s.id::text "
        "AND e.occurred_at >= %s)", tried, started_at) == 0,
        f"a stay the load tried to discharge is discharged if and only if its audit row is there ({len(tried)})")


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=90, help="seconds of load (default 90; faults at 30 %%, "
                        "Redis down from 55 %% to 80 %%)")
    parser.add_argument("--managers", type=int, default=9, help="locust users per role ...")
    parser.add_argument("--trainers", type=int, default=3)
    parser.add_argument("--enterprises", type=int, default=3)
    parser.add_argument("--officers", type=int, default=9)
    parser.add_argument("--think", default="1,3", help="seconds between one person's actions, min,max "
                        "(default 1,3: people at desks; 0,0.2 to push the server)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="gunicorn workers (default 2 × cores)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args()
    if args.duration < 40:
        parser.error("--duration must be at least 40 s (the faults need room)")
    users = {"manager": args.managers, "trainer": args.trainers, "enterprise": args.enterprises,
             "officer": args.officers}
    think = [float(x) for x in args.think.split(",")]
    total = sum(users.values())

    if not shutil.which("redis-server"):
        raise SystemExit("redis-server not found (apt-get install redis-server)")
    pg_bindir()  # PostgreSQL's server binaries, or a clear message
    work = Path(tempfile.mkdtemp(prefix="base_ops_load_"))
    stack = Stack(work, args.workers)
    stop_supervisor = threading.Event()

    def interrupted(signum, _frame):
        raise SystemExit(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    failures = Failures()
    try:
        say(f"working in {work}")
        stack.start_postgres()
        setup, sessions = prepare(stack, users)
        setup["think"] = think
        (work / "setup.json").write_text(json.dumps(setup), encoding="utf-8")
        log_path = work / "requests.jsonl"
        stack.env.update(LOAD_SETUP=str(work / "setup.json"), LOAD_LOG=str(log_path))
        threading.Thread(target=stack.supervise_worker, args=(stop_supervisor,), daemon=True).start()
        started_at = datetime.now().astimezone()
        say(f"load: {total} locust users ({users}), {think[0]:g}–{think[1]:g} s between actions, "
            f"for {args.duration} s")
        t0 = time.time()
        locust = stack.spawn("locust", [
            str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(total), "-r", "10",
            "-t", f"{args.duration}s", "--host", stack.base_url, "--stop-timeout", "10", "--only-summary",
            "--loglevel", "WARNING", "--exit-code-on-error", "0"])
        faults = FaultLog()
        injector = threading.Thread(target=inject_faults, args=(stack, sessions, setup, faults, t0, args.duration),
                                    daemon=True)
        injector.start()
        locust.wait(timeout=args.duration + 120)
        seconds = time.time() - t0
        injector.join(timeout=120)
        stop_supervisor.set()
        say(f"load finished after {seconds:.0f} s; checking")
        reqs, writes, doubles = read_log(log_path)
        print_figures(reqs, seconds, args.workers, total)
        print(f"  machine load average at the end (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        check_requests(reqs, faults, failures)
        check_database(stack, writes, doubles, started_at, faults, failures)
        verify = subprocess.run([str(BIN / "flask"), "audit", "verify"], cwd=ROOT, env=stack.env,
                                capture_output=True, text=True, timeout=300)
        failures.check(verify.returncode == 0, f"flask audit verify: {(verify.stdout + verify.stderr).strip()}")
        failures.check(stack.worker_restarts <= 2,
                       f"the RQ worker was restarted {stack.worker_restarts} time(s) (after Redis came back)")
        gunicorn_log = (stack.logs / "gunicorn.log").read_text(errors="replace")
        tracebacks = gunicorn_log.count("Traceback")
        print(f"  gunicorn log: {tracebacks} tracebacks, {gunicorn_log.count('database unavailable')} "
              f"'database unavailable' warnings")
    except BaseException as error:
        failures.items.append(f"the scenario stopped: {type(error).__name__}: {error}")
        print(f"  [FAIL] the scenario stopped: {type(error).__name__}: {error}", flush=True)
        if not isinstance(error, Exception):
            raise
    finally:
        stop_supervisor.set()
        stack.teardown()
        if args.keep or failures.items:
            say(f"logs and data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    if failures.items:
        print(f"LOAD AND FAULTS: FAILED ({len(failures.items)} of the checks)")
        return 1
    print("LOAD AND FAULTS: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
