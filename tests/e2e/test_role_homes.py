"""First journey: every demo user signs in through the real forms and sees a home page.

Also: a wrong second-factor code keeps a county officer out, and signing out ends the session.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_no_error_page, path_of, sign_in, sign_out

DEMO_USERNAMES = ["admin", "auditor", "officer", "city_officer", "manager", "manager2", "trainer", "enterprise"]
TOTP_USERNAMES = {"admin", "auditor", "officer", "city_officer"}


def _wrong_code(right: str) -> str:
    """A six-digit code that is not the current one (nor, almost surely, a neighbour)."""
    return f"{(int(right) + 500_000) % 1_000_000:06d}"


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_user_signs_in_and_sees_home(page, live_server, demo, shot, username):
    user = demo["users_by_name"][username]
    assert bool(user.get("totp_secret")) == (username in TOTP_USERNAMES), "demo data changed: update the test"

    sign_in(page, live_server, username, demo["password"], user.get("totp_secret"))

    assert path_of(page) == "/", f"{username} landed on {page.url}"
    navbar = page.locator("nav.app-navbar")
    navbar.wait_for()
    assert user["display_name"] in navbar.inner_text()
    assert_no_error_page(page)
    assert page.locator("main h1").count() >= 1, "home page has no heading"
    assert page.title().strip(), "home page has no <title>"
    assert page.js_errors == []
    shot(page, f"home-{username}")


def test_wrong_totp_code_keeps_county_officer_out(page, live_server, demo, shot):
    import pyotp

    officer = demo["users_by_name"]["officer"]
    wrong = _wrong_code(pyotp.TOTP(officer["totp_secret"]).now())

    sign_in(page, live_server, "officer", demo["password"], code=wrong)

    assert path_of(page) == "/login/otp", f"a wrong code led to {page.url}"
    assert page.locator("input[name=code]").is_visible()
    assert page.locator(".alert-danger").count() == 1, "no error message for a wrong code"
    assert page.locator("nav.app-navbar").count() == 0
    shot(page, "otp-wrong-code")

    page.goto(f"{live_server}/")
    assert path_of(page) == "/login", f"/ opened without the second factor: {page.url}"
    assert officer["display_name"] not in page.content()


def test_sign_out_ends_the_session(page, live_server, demo, shot):
    manager = demo["users_by_name"]["manager"]
    sign_in(page, live_server, "manager", demo["password"])
    assert path_of(page) == "/"

    sign_out(page)

    assert path_of(page) == "/login"
    assert page.locator("#sign-in").is_visible()
    shot(page, "signed-out")

    page.goto(f"{live_server}/")
    assert path_of(page) == "/login", f"/ still open after signing out: {page.url}"
    assert manager["display_name"] not in page.content()

    page.go_back()  # the cached home page must not come back to life either
    page.goto(f"{live_server}/")
    assert path_of(page) == "/login"


def test_login_page_renders(page, live_server, shot):
    page.goto(f"{live_server}/login")
    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").is_visible()
    assert page.locator("#sign-in").is_enabled()
    assert_no_error_page(page)
    shot(page, "login")
