"""First journey: every demo user signs in through the real forms and sees a home page.

Also: a wrong second-factor code keeps a county officer out, and signing out ends the session.
"""

from __future__ import annotations

import pyotp
import pytest

from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, sign_in, sign_out

DEMO_USERNAMES = ["admin", "auditor", "officer", "city_officer", "manager", "manager2", "trainer", "enterprise"]
TOTP_USERNAMES = {"admin", "auditor", "officer", "city_officer"}


def _wrong_code(right: str) -> str:
    """A six-digit code that is not the current one (nor, almost surely, a neighbour)."""
    return f"{(int(right) + 500_000) % 1_000_000:06d}"


def assert_flash_above_card(page) -> None:
    """On the sign-in pages a message sits above the card, as wide as it (not beside it)."""
    alert = page.locator(".app-flashes .alert").first.bounding_box()
    card = page.locator(".auth-card").bounding_box()
    assert alert and card
    assert alert["y"] + alert["height"] <= card["y"] + 1, (alert, card)
    assert abs(alert["x"] - card["x"]) <= 1 and abs(alert["width"] - card["width"]) <= 1, (alert, card)


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
    assert_clean_page(page)
    shot(page, f"home-{username}")


def test_wrong_totp_code_keeps_county_officer_out(page, live_server, demo, shot):
    officer = demo["users_by_name"]["officer"]
    wrong = _wrong_code(pyotp.TOTP(officer["totp_secret"]).now())

    sign_in(page, live_server, "officer", demo["password"], code=wrong)

    assert path_of(page) == "/login/otp", f"a wrong code led to {page.url}"
    assert page.locator("input[name=code]").is_visible()
    assert page.locator(".alert-danger").count() == 1, "no error message for a wrong code"
    assert page.locator("nav.app-navbar").count() == 0
    assert_flash_above_card(page)
    shot(page, "otp-wrong-code")

    page.goto(f"{live_server}/")
    assert path_of(page) == "/login", f"/ opened without the second factor: {page.url}"
    assert officer["display_name"] not in page.content()
    assert_clean_page(page)


def test_sign_out_ends_the_session(page, live_server, demo, shot):
    manager = demo["users_by_name"]["manager"]
    sign_in(page, live_server, "manager", demo["password"])
    assert path_of(page) == "/"

    sign_out(page)

    assert path_of(page) == "/login"
    assert page.locator("#sign-in").is_visible()
    assert_flash_above_card(page)
    shot(page, "signed-out")

    page.goto(f"{live_server}/")
    assert path_of(page) == "/login", f"/ still open after signing out: {page.url}"
    assert manager["display_name"] not in page.content()

    # Back to the home page in the history: pages are no-store, so the browser asks
    # the server again instead of showing a cached copy of the signed-in page.
    page.go_back()
    page.go_back()
    page.wait_for_load_state()
    assert path_of(page) == "/login", f"history entry for / showed {page.url}"
    assert manager["display_name"] not in page.content(), f"cached signed-in page shown at {page.url}"


def test_login_page_renders(page, live_server, shot):
    page.goto(f"{live_server}/login")
    assert page.locator("input[name=username]").is_visible()
    assert page.locator("input[name=password]").is_visible()
    assert page.locator("#sign-in").is_enabled()
    assert_no_error_page(page)
    assert_clean_page(page)
    shot(page, "login")
