"""Each object's page has one "打印…" link to its document, for the users who may open it."""

from __future__ import annotations

from urllib.parse import quote


def test_pages_link_to_their_documents(world, login_as):
    manager = login_as(world.manager_a)
    for page, link in [(f"/notices/{world.notice_x.id}", f"/release-notices/{world.notice_x.id}/receipt.pdf"),
                       (f"/stays/{world.stay_a.id}", f"/stays/{world.stay_a.id}/admission.pdf"),
                       (f"/residents/{world.resident_a.id}", f"/residents/{world.resident_a.id}/file.pdf")]:
        body = manager.get(page).get_data(as_text=True)
        assert f'href="{link}"' in body and "bi-printer" in body, page
        assert 'target="_blank"' in body


def test_monthly_page_prints_the_version_shown(world, login_as):
    from base_ops.reports.monthly import services as monthly

    officer = login_as(world.officer_x)
    assert "/monthly-reports/" not in officer.get("/reports/monthly/330106/2026-11").get_data(as_text=True)
    report = monthly.submit_month(world.officer_x, "330106", "2026-11")
    body = officer.get("/reports/monthly/330106/2026-11").get_data(as_text=True)
    assert f'href="/monthly-reports/{report.id}.pdf"' in body


def test_a_chinese_file_name_with_an_ascii_fallback(world, login_as):
    response = login_as(world.manager_a).get(f"/stays/{world.stay_a.id}/admission.pdf")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="admission-{world.stay_a.id}.pdf"')
    assert f"filename*=UTF-8''{quote('入住登记表-入住〔2026〕330106-', safe='')}" in disposition
    assert response.headers["Cache-Control"] == "no-store"
