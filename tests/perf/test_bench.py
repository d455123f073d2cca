"""Province-scale benchmarks (issue 7 item 6), on PostgreSQL with the synthetic province data set.

1. Occupancy and placement reports for the province, a whole year, by base × month: time ÷ the
   time of one hand-written SQL statement computing the same numbers (≤ 2.0), absolute time
   (≤ 1 s), and the numbers must equal the hand SQL's.
2. The placements export (`reports.exports.write_xlsx`): time ÷ a bare XlsxWriter constant_memory
   write of the same rows (≤ 1.5), peak memory growth (≤ 300 MB).
3. The resident list page under 8 concurrent clients on gunicorn: p95 latency (≤ 100 ms) and
   throughput ÷ that of /healthz (≥ 0.4); a note adds /healthz with the session cookie, the floor
   of every signed-in page.

Timings are the median of several runs after a warm-up run (the same for the function and
its baseline), so both read from a warm cache.
"""

from __future__ import annotations

import gc
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
import requests
import xlsxwriter
from sqlalchemy import text

from tests.perf.conftest import NOTES, ROOT, record

pytestmark = pytest.mark.perf

RUNS = 5
PROVINCE = "330000"


def _compare(fn, baseline, runs: int = RUNS, warm_up: bool = True) -> tuple[float, float, object, object]:
    """Median times of `fn` and `baseline`, run alternately (so a busy moment of the machine hits
    both alike) after one warm-up run each → (fn time, baseline time, fn result, baseline result)."""
    if warm_up:
        fn(), baseline()
    mine, theirs = [], []
    result = expected = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        t1 = time.perf_counter()
        expected = baseline()
        mine.append(t1 - t0)
        theirs.append(time.perf_counter() - t1)
    return statistics.median(mine), statistics.median(theirs), result, expected


def _last_full_year() -> tuple[date, date]:
    from base_ops.core.clock import today

    end = today().replace(day=1)
    return end.replace(year=end.year - 1), end


# ---------------------------------------------------------------- 1. reports vs one hand-written statement

# The months as integer offsets: the planner knows generate_series(0, n) has n + 1 rows (a
# timestamp series is guessed at 1,000, which makes the statement look costly enough to JIT).
HAND_OCCUPANCY = """
WITH w AS (
    SELECT to_char(d, 'YYYY-MM') AS month, d AS w_start, (d + interval '1 month')::date AS w_end
    FROM (SELECT (CAST(:start AS date) + make_interval(months => i))::date AS d
          FROM generate_series(0, :months - 1) AS i) AS m
), scope AS (
    SELECT r.id AS room_id, r.base_id FROM rooms r JOIN bases b ON b.id = r.base_id WHERE b.region_code LIKE :prefix
), available AS (
    SELECT s.base_id, w.month,
           SUM(LEAST(COALESCE(p.end_on, w.w_end), w.w_end) - GREATEST(p.start_on, w.w_start)) AS nights
    FROM bed_service_periods p JOIN beds ON beds.id = p.bed_id JOIN scope s ON s.room_id = beds.room_id
    JOIN w ON p.start_on < w.w_end AND (p.end_on IS NULL OR p.end_on > w.w_start)
    WHERE p.start_on < :end AND (p.end_on IS NULL OR p.end_on > :start)
    GROUP BY s.base_id, w.month
), occupied AS (
    SELECT s.base_id, w.month,
           SUM(LEAST(COALESCE(a.end_on, w.w_end), w.w_end) - GREATEST(a.start_on, w.w_start)) AS nights
    FROM bed_assignments a JOIN beds ON beds.id = a.bed_id JOIN scope s ON s.room_id = beds.room_id
    JOIN w ON a.start_on < w.w_end AND (a.end_on IS NULL OR a.end_on > w.w_start)
    WHERE a.start_on < :end AND (a.end_on IS NULL OR a.end_on > :start)
    GROUP BY s.base_id, w.month
)
SELECT COALESCE(v.base_id, o.base_id) AS base_id, COALESCE(v.month, o.month) AS month,
       COALESCE(v.nights, 0) AS available, COALESCE(o.nights, 0) AS occupied
FROM available v FULL JOIN occupied o ON o.base_id = v.base_id AND o.month = v.month
"""

HAND_PLACEMENTS = """
SELECT s.base_id, to_char(s.discharged_on, 'YYYY-MM') AS month,
       COUNT(*) AS leavers,
       COUNT(*) FILTER (WHERE s.destination NOT IN ('hospital', 'deceased')) AS leavers_counted,
       COUNT(*) FILTER (WHERE s.destination = 'employed') AS leavers_employed,
       COUNT(*) FILTER (WHERE s.destination = 'reoffended') AS reoffended,
       SUM(s.discharged_on - s.admitted_on) AS stay_days_total,
       COUNT(*) FILTER (WHERE s.discharged_on - s.admitted_on <= 30) AS stay_le_30,
       COUNT(*) FILTER (WHERE s.discharged_on - s.admitted_on BETWEEN 31 AND 60) AS stay_31_60,
       COUNT(*) FILTER (WHERE s.discharged_on - s.admitted_on BETWEEN 61 AND 90) AS stay_61_90,
       COUNT(*) FILTER (WHERE s.discharged_on - s.admitted_on BETWEEN 91 AND 180) AS stay_91_180,
       COUNT(*) FILTER (WHERE s.discharged_on - s.admitted_on > 180) AS stay_gt_180,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY s.discharged_on - s.admitted_on) AS median_stay_days
FROM stays s JOIN bases b ON b.id = s.base_id
WHERE b.region_code LIKE :prefix AND s.discharged_on >= :start AND s.discharged_on < :end
GROUP BY s.base_id, to_char(s.discharged_on, 'YYYY-MM')
"""

PLACEMENT_KEYS = ("leavers", "leavers_counted", "leavers_employed", "reoffended", "stay_days_total", "stay_le_30",
                  "stay_31_60", "stay_61_90", "stay_91_180", "stay_gt_180")


def _hand(sql: str, start: date, end: date) -> list[dict]:
    from base_ops.extensions import db

    months = (end.year - start.year) * 12 + end.month - start.month
    params = {"start": start, "end": end, "months": months, "prefix": PROVINCE[:2] + "%"}
    return [dict(row._mapping) for row in db.session.execute(text(sql), params)]


@pytest.mark.parametrize("report", ["occupancy", "placements"])
def test_report_against_one_hand_written_statement(bench_app, report):
    from base_ops.extensions import db
    from base_ops.reports.metrics import queries as metrics
    from base_ops.reports.metrics.filters import ReportFilter

    start, end = _last_full_year()
    f = ReportFilter(start, end, region_code=PROVINCE, group_by=("base", "month"))
    with bench_app.app_context():
        fn = metrics.occupancy if report == "occupancy" else metrics.placements
        sql = HAND_OCCUPANCY if report == "occupancy" else HAND_PLACEMENTS
        metric_time, hand_time, result, hand_rows = _compare(lambda: fn(f), lambda: _hand(sql, start, end))
        db.session.remove()

    got = {(row.dims["base_id"], row.dims["month"]): row.values for row in result.rows}
    if report == "occupancy":
        expected = {(r["base_id"], r["month"]): {"bed_nights_available": int(r["available"]),
                                                 "bed_nights_occupied": int(r["occupied"])} for r in hand_rows}
        keys = ("bed_nights_available", "bed_nights_occupied")
    else:
        expected = {(r["base_id"], r["month"]): {**{k: int(r[k]) for k in PLACEMENT_KEYS},
                                                 "median_stay_days": round(float(r["median_stay_days"]), 1)}
                    for r in hand_rows}
        keys = (*PLACEMENT_KEYS, "median_stay_days")
    assert len(got) == len(expected) > 100  # about 150 bases × 12 months
    assert {k: {key: v[key] for key in keys} for k, v in got.items()} == expected

    label = f"{report} report, province, {start:%Y-%m}..{end - timedelta(days=1):%Y-%m}, base × month"
    record(f"{label}: time ÷ hand SQL", metric_time / hand_time, "×", 2.0)
    record(f"{report} report: absolute time ({len(got)} rows)", metric_time, "s", 1.0)
    NOTES.append(f"{report}: report {metric_time * 1000:.0f} ms, hand SQL {hand_time * 1000:.0f} ms "
                 f"(median of {RUNS})")


# ---------------------------------------------------------------- 2. the placements export vs bare XlsxWriter

HAND_EXPORT_ROWS = {
    # The same rows as the export's select: the bare baseline fetches them and writes them as they come.
    "placements": """
        SELECT r.name, r.id_number, b.name, e.name, j.title, p.started_on, p.contract_months, p.monthly_wage,
               p.social_insurance, p.ended_on, p.end_reason, c3.employed, c6.employed
        FROM placements p JOIN referrals f ON f.id = p.referral_id JOIN residents r ON r.id = p.resident_id
        JOIN bases b ON b.id = f.base_id JOIN enterprises e ON e.id = p.enterprise_id
        JOIN job_postings j ON j.id = f.posting_id
        LEFT JOIN retention_checks c3 ON c3.placement_id = p.id AND c3.month_mark = 3
        LEFT JOIN retention_checks c6 ON c6.placement_id = p.id AND c6.month_mark = 6
        WHERE NOT p.is_cancelled AND p.started_on >= :start AND p.started_on < :end
          AND f.base_id IN (SELECT id FROM bases WHERE region_code LIKE :prefix)
        ORDER BY b.name, p.started_on, p.id""",
    "residents": """
        SELECT r.name, r.id_number, r.sex, r.birth_on, b.name, s.admitted_on, s.discharged_on, s.destination
        FROM stays s JOIN residents r ON r.id = s.resident_id JOIN bases b ON b.id = s.base_id
        WHERE s.admitted_on < :end AND (s.discharged_on IS NULL OR s.discharged_on > :start)
          AND s.base_id IN (SELECT id FROM bases WHERE region_code LIKE :prefix)
        ORDER BY b.name, s.admitted_on, s.id""",
}


def _bare_write(kind: str, start: date, end: date, path: str) -> int:
    from base_ops.extensions import db

    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = book.add_worksheet()
    n = 0
    result = db.session.execute(text(HAND_EXPORT_ROWS[kind]).execution_options(yield_per=2000),
                                {"start": start, "end": end, "prefix": PROVINCE[:2] + "%"})
    for n, values in enumerate(result, start=1):
        ws.write_row(n, 0, values)
    result.close()
    book.close()
    return n


def _export(kind: str, f, path: str) -> int:
    from base_ops.reports.exports import spreadsheets as exports

    with open(path, "wb") as handle:
        return exports.write_xlsx(kind, f, handle)


@pytest.mark.parametrize("kind", ["placements", "residents"])
def test_export_against_bare_xlsxwriter(bench_app, kind):
    from base_ops.core.clock import today
    from base_ops.extensions import db
    from base_ops.reports.metrics.filters import ReportFilter

    # The whole history: every placement (about 60,000), every stay (about 150,000).
    start, end = today() - timedelta(days=4 * 365), today() + timedelta(days=1)
    f = ReportFilter(start, end, region_code=PROVINCE, group_by=("base",))
    with tempfile.TemporaryDirectory() as tmp, bench_app.app_context():
        mine, bare = os.path.join(tmp, "export.xlsx"), os.path.join(tmp, "bare.xlsx")
        # Two alternating runs each (a run takes seconds; the reports above warmed the cache).
        export_time, bare_time, rows, bare_rows = _compare(lambda: _export(kind, f, mine),
                                                           lambda: _bare_write(kind, start, end, bare), runs=2,
                                                           warm_up=False)
        assert rows == bare_rows > 0
        # Peak memory: a separate run under tracemalloc (it slows the code, so not the timed runs).
        gc.collect()
        tracemalloc.start()
        _export(kind, f, mine)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = Path(mine).stat().st_size
        db.session.remove()
    record(f"{kind} export ({rows:,} rows): time ÷ bare XlsxWriter", export_time / bare_time, "×", 1.5)
    record(f"{kind} export: peak memory growth (tracemalloc)", peak / 2**20, "MB", 300)
    NOTES.append(f"{kind} export: {export_time:.2f} s, bare {bare_time:.2f} s, {rows:,} rows, "
                 f"{size / 2**20:.1f} MB file (median of 2)")
    if kind == "placements" and rows < 100_000:
        NOTES.append(f"the province has {rows:,} placements (issue: about 60,000), fewer than the 100,000 rows "
                     "asked of the export; the residents export is the ≥ 100,000-row measurement")


# ---------------------------------------------------------------- 3. the resident list under 8 concurrent clients

CLIENTS = 8
DURATION = 15.0  # seconds of load per endpoint
WORKERS = 2 * (os.cpu_count() or 1) + 1  # gunicorn's advice: 2 × cores + 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _login(base_url: str, username: str, password: str, totp_secret: str | None) -> dict:
    """Sign in through the pages (password, then the second factor) and return the session cookies."""
    s = requests.Session()
    page = s.get(f"{base_url}/login")
    r = s.post(f"{base_url}/login", data={"username": username, "password": password,
                                          "csrf_token": _csrf(page.text)}, allow_redirects=False)
    assert r.status_code == 302, r.text[:500]
    if "/login/otp" in r.headers["Location"]:
        page = s.get(f"{base_url}/login/otp")
        r = s.post(f"{base_url}/login/otp", data={"code": pyotp.TOTP(totp_secret).now(),
                                                  "csrf_token": _csrf(page.text)}, allow_redirects=False)
        assert r.status_code == 302 and "/login" not in r.headers["Location"], r.text[:500]
    return s.cookies.get_dict()


def _load(url: str, cookies: dict, expect: str) -> tuple[float, list[float]]:
    """CLIENTS threads, each requesting `url` back to back for DURATION seconds → (requests/s, latencies)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + DURATION

    def client():
        s = requests.Session()
        s.cookies.update(cookies)
        mine = []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            r = s.get(url, allow_redirects=False)
            mine.append(time.perf_counter() - t0)
            if r.status_code != 200 or expect not in r.text:
                errors.append(f"{r.status_code} {r.headers.get('Location', '')}")
                break
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    return len(latencies) / elapsed, latencies


def test_resident_list_under_concurrent_clients(bench_app, bench_env):
    from sqlalchemy import select

    from base_ops.accounts.models import User
    from base_ops.extensions import db
    from base_ops.residents.queries import residents_in_scope
    from base_ops.seed.synthetic import DEFAULT_PASSWORD, USERNAMES

    with bench_app.app_context():
        officer = db.session.execute(select(User).where(User.username == USERNAMES["county"])).scalar_one()
        secret = officer.totp_secret
        in_scope = db.session.execute(select(text("count(*)")).select_from(
            residents_in_scope(officer).subquery())).scalar()
        db.session.remove()

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**bench_env, "SECRET_KEY": os.urandom(32).hex(), "RATELIMIT_ENABLED": "false"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
                               "--log-level", "warning", "base_ops:create_app()"], cwd=ROOT, env=env)
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or a worker still booting
                pass
            time.sleep(0.25)
        else:
            pytest.fail("gunicorn did not answer /healthz")
        cookies = _login(base_url, USERNAMES["county"], DEFAULT_PASSWORD, secret)
        for _ in range(3 * WORKERS):  # warm every worker (imports, connection pools, templates)
            requests.get(f"{base_url}/healthz")
            requests.get(f"{base_url}/residents", cookies=cookies)
        health_rps, _ = _load(f"{base_url}/healthz", {}, "ok")
        # The floor of any page: the same trivial endpoint with the session cookie, which loads the
        # signed-in user and renews the session like every page does.
        signed_in_rps, _ = _load(f"{base_url}/healthz", cookies, "ok")
        list_rps, latencies = _load(f"{base_url}/residents", cookies, "<table")
    finally:
        server.terminate()
        server.wait(timeout=30)

    p95 = statistics.quantiles(latencies, n=100)[94]
    record(f"/residents, {CLIENTS} clients, gunicorn -w {WORKERS}: p95 latency", p95 * 1000, "ms", 100)
    record("/residents throughput ÷ /healthz throughput", list_rps / health_rps, "×", 0.4, better="higher")
    NOTES.append(f"/residents as {USERNAMES['county']} ({in_scope:,} residents in scope, 50 a page): "
                 f"{list_rps:.0f} req/s, median {statistics.median(latencies) * 1000:.0f} ms; "
                 f"/healthz {health_rps:.0f} req/s, signed in {signed_in_rps:.0f} req/s (/residents ÷ that: "
                 f"{list_rps / signed_in_rps:.2f})")
