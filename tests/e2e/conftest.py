"""End-to-end fixtures: a live server on a fresh demo database, and a real Chromium.

The app runs with the development ``Config`` (CSRF on, real password hashing),
a throw-away SQLite file built by the migrations, and the demo data set. The
browser is the Debian Chromium driven by Playwright's sync API (no
``playwright install``).

Every test collected under tests/e2e gets the ``e2e`` marker, so
``pytest -m "not e2e"`` skips them and ``pytest -m e2e`` runs only them.

Screenshots: ``shot(page, name)`` saves to the test's tmp_path and copies the
file to ``test-artifacts/e2e/`` (gitignored) so people can look at them.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest

from base_ops.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--lang=zh-CN",  # date inputs etc. in the format a Chinese user sees
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "e2e"
E2E_DIR = Path(__file__).resolve().parent
TIMEOUT_MS = 10_000


# ---------------------------------------------------------------- marker

def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# ---------------------------------------------------------------- server

@pytest.fixture(scope="session")
def demo():
    """The demo data set (seed/demo/demo.json): shared password and users."""
    from base_ops.seed.loaders import demo_data

    data = demo_data()
    data["users_by_name"] = {u["username"]: u for u in data["users"]}
    return data


_LIVE_APPS: list = []  # the live server's app, for tests that run a job on its database (live_app)


@pytest.fixture(scope="session")
def live_server():
    """Base URL (no trailing slash) of the app served from a background thread."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from base_ops import create_app
    from base_ops.config import Config
    from base_ops.extensions import db
    from base_ops.seed.loaders import load_demo

    tmp = Path(tempfile.mkdtemp(prefix="base_ops_e2e_"))
    (tmp / "uploads").mkdir()
    app = create_app(
        Config,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/e2e.sqlite3",
        SECRET_KEY="e2e-secret-key-0123456789abcdef0123456789",
        RATELIMIT_ENABLED=False,
        UPLOAD_FOLDER=str(tmp / "uploads"),
    )
    with app.app_context():
        upgrade()
        load_demo()
        db.session.remove()

    _LIVE_APPS.append(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in test reports
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def live_app(live_server):
    """The Flask app the live server serves: a test runs a scheduled job (e.g. the reminders' daily run) on the
    same database the browser sees."""
    return _LIVE_APPS[-1]

@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser):
    """A page in a browser context of its own (its own cookies: another person at another desk), in Chinese
    and China time, watched for console errors; closed on leaving."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch_page(page)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser):
    with open_page(browser) as page:
        yield page


@pytest.fixture
def shot(tmp_path):
    """shot(page, name) -> Path: full-page PNG in tmp_path, copied to test-artifacts/e2e/."""

    def _shot(page, name: str, full_page: bool = True) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, ARTIFACTS / path.name)
        return path

    return _shot


# ---------------------------------------------------------------- helpers

def watch_page(page) -> None:
    """Record what a page does wrong, for assert_clean_page().

    page.js_errors: uncaught exceptions; page.console_errors: console errors such
    as CSP refusals ("Refused to apply inline style ..."); page.failed_loads:
    sub-resources (CSS, JS, fonts, images) answering 4xx/5xx. Documents are left
    out, since tests open forbidden pages on purpose; so is the browser's own
    /favicon.ico probe (the app ships no favicon).
    """
    page.js_errors = []
    page.console_errors = []
    page.failed_loads = []

    def on_console(msg):
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            page.console_errors.append(f"{page.url}: {msg.text}")

    def on_response(response):
        if (response.status >= 400 and response.request.resource_type != "document"
                and not response.url.endswith("/favicon.ico")):
            page.failed_loads.append(f"{response.status} {response.url}")

    page.on("pageerror", lambda exc: page.js_errors.append(f"{page.url}: {exc}"))
    page.on("console", on_console)
    page.on("response", on_response)


def assert_clean_page(page) -> None:
    assert page.js_errors == [], page.js_errors
    assert page.console_errors == [], page.console_errors
    assert page.failed_loads == [], page.failed_loads


def path_of(page) -> str:
    """The current URL's path, e.g. '/login/otp'."""
    from urllib.parse import urlsplit

    return urlsplit(page.url).path


def assert_no_error_page(page) -> None:
    """The error template shows the status code in a .display-4 block."""
    assert page.locator(".error-page, .display-4").count() == 0, (
        f"error page at {page.url}: {page.locator('.display-4').first.inner_text()!r}"
    )


_last_totp_step: dict[str, int] = {}


def totp_code(secret: str) -> str:
    """A valid code that this test run has not used yet for this secret.

    The server accepts the neighbouring time step (valid_window=1); should it
    refuse re-used codes, a second sign-in of the same user within 30 seconds
    takes the next step's code, or waits for a new step.
    """
    totp = pyotp.TOTP(secret)
    now = time.time()
    step = int(now // totp.interval)
    last = _last_totp_step.get(secret)
    if last is not None and last >= step:
        step = last + 1
        if step > int(now // totp.interval) + 1:  # both usable steps spent: wait for a fresh one
            time.sleep((step - 1) * totp.interval - now + 0.2)
    _last_totp_step[secret] = step
    return totp.at(step * totp.interval)


def sign_in(page, base_url: str, username: str, password: str, totp_secret: str | None = None,
            *, code: str | None = None) -> None:
    """Sign in through the real forms; with totp_secret (or an explicit code) also pass /login/otp.

    Waits until the browser has left the form it submitted; callers assert where it landed.
    """
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#sign-in")
    if totp_secret is None and code is None:
        return
    assert path_of(page) == "/login/otp", f"expected the OTP step, got {page.url}"
    page.fill("input[name=code]", code if code is not None else totp_code(totp_secret))
    with page.expect_navigation():
        page.click("form:has(input[name=code]) button[type=submit]")


def sign_out(page) -> None:
    """Open the user dropdown in the navbar and press the sign-out button (POST /logout)."""
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("form[action$='/logout'] button[type=submit]")
