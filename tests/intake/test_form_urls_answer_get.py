"""A form's POST URL that shows its page again on an error answers GET too (issue 17: after an error the
address bar shows the POST URL, and a reload gave a bare 405): GET there leads to the page."""

from __future__ import annotations

from base_ops.core.permissions import ENDPOINT_ACCESS
from tests.security.crawl import ROLES, actor, build_url, role_may

# The forms that re-render their page on an error (grep `methods=["GET", "POST"]` with `page_on_get`).
EXPECTED = {
    "stays.record_leave", "stays.record_absence", "stays.record_return", "stays.discharge",
    "residents.add_case_note", "residents.record_reoffence", "residents.record_hardship",
    "notices.record_feedback", "notices.record_collection", "notices.import_confirm",
    "placements.hire", "placements.record_check", "placements.end_placement",
    "subsidies.reject_claim", "subsidies.upload_evidence", "subsidies.set_reason",
    "training.add_session", "training.generate_sessions", "training.enrol",
}


def _form_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if getattr(app.view_functions[rule.endpoint], "answers_get_with_its_page", False)]


def test_every_form_that_re_renders_answers_get(app):
    assert {rule.endpoint for rule in _form_rules(app)} >= EXPECTED
    for rule in _form_rules(app):
        assert "GET" in rule.methods, rule.endpoint


def test_get_on_a_form_url_leads_to_its_page(app, world, login_as, db):
    from base_ops.intake.models import Absence

    absence = Absence(stay_id=world.stay_a.id, start_on=world.stay_a.admitted_on)
    db.session.add(absence)
    db.session.commit()
    overrides = {"absence_id": absence.id, "claim_id": 1}
    checked = set()
    for rule in _form_rules(app):
        role = next((r for r in ROLES if role_may(r, rule.endpoint)), None)
        assert role is not None and rule.endpoint in ENDPOINT_ACCESS
        if rule.endpoint.startswith("subsidies.") and "claim_id" in rule.arguments:
            continue  # the plain world has no claim: the redirect is checked on the claim page's tests
        client = login_as(actor(world, role))
        response = client.get(build_url(app, rule, world, overrides))
        assert response.status_code == 302, (rule.endpoint, response.status_code)
        assert client.get(response.headers["Location"]).status_code == 200, rule.endpoint
        checked.add(rule.endpoint)
    assert {"stays.record_leave", "stays.record_return", "residents.add_case_note", "training.enrol"} <= checked
