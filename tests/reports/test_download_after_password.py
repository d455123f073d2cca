"""After the password check in front of a download, the user lands on a page saying the download started
(issue 17: the file came but the browser stayed on "请确认密码后继续", which read as a failure)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.conftest import PASSWORD


def _stale(client):
    with client.session_transaction() as session:
        session["auth_at"] -= 3600


def test_the_password_check_before_a_spreadsheet_ends_on_a_download_started_page(world, login_as):
    client = login_as(world.officer_x)
    _stale(client)
    prompt = client.get("/reports/occupancy.xlsx", headers={"Referer": "http://localhost/reports/"})
    assert prompt.status_code == 302
    query = parse_qs(urlsplit(prompt.headers["Location"]).query)
    assert query["next"][0].startswith("/reports/occupancy.xlsx") and query["back"] == ["/reports/"]

    answer = client.post(prompt.headers["Location"], data={"password": PASSWORD})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert 'id="download-link"' in body and 'href="/reports/occupancy.xlsx' in body
    assert 'id="download-back" href="/reports/"' in body
    assert "js/download.js" in body
    assert client.get(query["next"][0]).mimetype.endswith("spreadsheetml.sheet")


def test_a_page_behind_the_password_check_is_still_a_redirect(world, login_as):
    client = login_as(world.manager_a)
    _stale(client)
    target = f"/residents/{world.resident_a.id}/sensitive"
    prompt = client.get(target)
    answer = client.post(prompt.headers["Location"], data={"password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].startswith(target)
