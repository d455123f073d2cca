"""Issue 3's journey: a base manager registers a resident, admits him, gives him a bed on the
bed board, prints the meal roster and discharges him — in a real Chromium."""

from __future__ import annotations

from datetime import timedelta

from base_ops.core.clock import today
from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, sign_in

NEW_ID = "330106199001010050"  # valid, male, born 1990-01-01; not in the demo data
NAME = "测试入住人"


def test_register_admit_bed_meals_discharge(page, live_server, demo, shot):
    day = today()
    sign_in(page, live_server, "manager", demo["password"])
    assert path_of(page) == "/"
    shot(page, "journey-01-today")

    # Register the resident (一人一档).
    page.goto(f"{live_server}/residents/new")
    page.fill("input[name=id_number]", NEW_ID)
    page.fill("input[name=name]", NAME)
    page.fill("input[name=hukou_region_code]", "330106")
    page.fill("input[name=released_on]", (day - timedelta(days=10)).isoformat())
    page.fill("input[name=registered_on]", (day - timedelta(days=5)).isoformat())
    for flag in ("is_homeless", "has_no_relatives", "is_unemployed"):
        page.check(f"input[name={flag}]")
    shot(page, "journey-02-register-form")
    with page.expect_navigation():
        page.click("form button[type=submit].btn-primary")
    assert_no_error_page(page)
    assert path_of(page).startswith("/residents/"), page.url
    assert NAME in page.inner_text("main")
    assert NEW_ID not in page.content()  # masked on the file page
    resident_id = int(path_of(page).split("/")[2])
    shot(page, "journey-03-file")

    # Admit him (no bed yet).
    page.goto(f"{live_server}/stays/new?resident_id={resident_id}")
    with page.expect_navigation():
        page.click("form button[type=submit].btn-primary")
    assert_no_error_page(page)
    assert path_of(page).startswith("/stays/"), page.url
    stay_path = path_of(page)
    shot(page, "journey-04-stay")

    # On the bed board he waits for a bed; give him a vacant bed in a men's room.
    page.goto(f"{live_server}/beds")
    tile = page.locator(".bed-tile[data-state=vacant]").filter(
        has=page.locator(f"select[name=assign-stay_id] option:has-text('{NAME}')")).first
    tile.locator(".bed-menu").click()
    tile.locator("select[name=assign-stay_id]").select_option(label=NAME)
    with page.expect_navigation():
        tile.locator("form[action$='/assign'] button[type=submit]").click()
    assert_no_error_page(page)
    occupied = page.locator(".bed-tile[data-state=occupied]", has_text=NAME)
    assert occupied.count() == 1
    shot(page, "journey-05-board")

    # The kitchen's roster counts him today; print view.
    page.goto(f"{live_server}/meals")
    assert NAME in page.inner_text("main")
    page.emulate_media(media="print")
    shot(page, "journey-06-meal-roster-print")
    page.emulate_media(media="screen")

    # Discharge him home today; the bed frees that night.
    page.goto(f"{live_server}{stay_path}")
    page.fill("input[name=discharge-discharged_on]", day.isoformat())
    page.select_option("select[name=discharge-destination]", "returned_home")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action$='/discharge'] button[type=submit]")
    assert_no_error_page(page)
    shot(page, "journey-07-discharged")
    page.goto(f"{live_server}/beds")
    assert page.locator(".bed-tile", has_text=NAME).count() == 0
    assert_clean_page(page)
