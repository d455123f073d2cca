"""A tour of the main pages per role: each opens without an error page, and is screenshotted.

Also checks that scope holds in the browser: a base manager cannot open another base.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import assert_clean_page, assert_no_error_page, path_of, sign_in

# Demo bases are created in demo.json order: 1 西湖 (manager's), 2 余杭, 3 淳安.
TOURS = {
    "admin": [
        ("/admin/users", "admin-users"),
        ("/admin/users/new", "admin-user-new"),
        ("/admin/users/1", "admin-user-edit"),
        ("/bases", "admin-bases"),
        ("/bases/1", "admin-base-detail"),
        ("/admin/bases/new", "admin-base-new"),
        ("/admin/regions", "admin-regions"),
        ("/admin/reference/dibao", "admin-dibao"),
        ("/enterprises", "admin-enterprises"),
        ("/admin/enterprises/new", "admin-enterprise-new"),
        ("/account/password", "admin-change-password"),
        ("/account/totp", "admin-account-totp"),
    ],
    "auditor": [("/audit", "auditor-audit")],
    "officer": [
        ("/bases", "officer-bases"),
        ("/bases/1", "officer-base-detail"),
        ("/enterprises", "officer-enterprises"),
    ],
    "manager": [("/bases", "manager-bases"), ("/bases/1", "manager-base-detail")],
}


@pytest.mark.parametrize("username", list(TOURS))
def test_role_page_tour(page, live_server, demo, shot, username):
    user = demo["users_by_name"][username]
    sign_in(page, live_server, username, demo["password"], user.get("totp_secret"))
    assert path_of(page) == "/"

    for url, name in TOURS[username]:
        response = page.goto(f"{live_server}{url}")
        assert response is not None and response.status == 200, f"{username} {url}: HTTP {response.status}"
        assert path_of(page) == url, f"{username} {url} redirected to {page.url}"
        assert_no_error_page(page)
        assert page.locator("main h1").count() >= 1, f"{url} has no heading"
        assert user["display_name"] in page.locator("nav.app-navbar").inner_text()
        shot(page, name)
    assert_clean_page(page)


def test_manager_cannot_open_another_base(page, live_server, demo):
    sign_in(page, live_server, "manager", demo["password"])
    response = page.goto(f"{live_server}/bases/2")
    assert response.status in (403, 404)
    assert page.locator(".display-4").inner_text().strip() == str(response.status)


def test_trainer_is_refused_the_bases_list(page, live_server, demo):
    sign_in(page, live_server, "trainer", demo["password"])
    response = page.goto(f"{live_server}/bases")
    assert response.status == 403
    assert page.locator(".display-4").inner_text().strip() == "403"
