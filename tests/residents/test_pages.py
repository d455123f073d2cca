"""Residents pages: list and search, the file, reveal with fresh login, forms, case notes; XSS, scope, sentinels."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from base_ops.core.audit import AuditEvent
from base_ops.core.db import utcnow
from base_ops.residents import services
from base_ops.residents.models import CaseNote, Resident
from tests.conftest import ID_A, ID_B, PASSWORD
from tests.residents.conftest import ID_FEMALE, ID_MALE, service_fields

XSS = '"><img src=x onerror=alert(1)>'


def _count(db, model=Resident) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _views(db) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "resident_sensitive_viewed")))


def _form(**overrides) -> dict:
    data = {"id_number": ID_MALE, "name": "赵六", "hukou_region_code": "330106", "subject_type": "released",
            "released_on": "2026-10-01", "registered_on": "2026-10-05", "diet": "standard",
            "is_homeless": "y", "has_no_relatives": "y", "is_unemployed": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------- list and file

def test_list_masks_numbers_and_shows_categories_and_stay(world, login_as):
    html = login_as(world.manager_a).get("/residents").get_data(as_text=True)
    assert "张三" in html and "李四" not in html
    assert "330106********1231" in html and ID_A not in html
    assert "高血压" not in html and "6222020200112233445" not in html
    assert "基地A" in html and "2026-09-12" in html  # current stay
    assert "resident-badge" in html  # three-none / key subject badges


def _resident_like(template: Resident, id_number: str, name: str, base_id: int) -> Resident:
    return Resident(id_number=id_number, name=name, sex="male", birth_on=template.birth_on,
                    hukou_region_code=template.hukou_region_code, subject_type="released",
                    released_on=template.released_on, base_id=base_id)


def test_list_pages_the_whole_scope_in_name_order(world, login_as, db):
    """Pages of 50 in (name, id) order over every resident in scope — registered at the base, or
    registered elsewhere and once stayed here (that stay over: no current stay) — and nobody else."""
    from datetime import date

    from base_ops.intake.models import Stay

    a, b = world.base_a.id, world.base_b.id
    # Numbered names, created out of order; two share a name so the id decides between them.
    created = [_resident_like(world.resident_a, f"3301061990010{i:04d}1", f"甲{(i * 37) % 53:02d}", a)
               for i in range(53)]
    created.append(_resident_like(world.resident_a, "330106199001099991", "甲07", a))
    stayed_here = _resident_like(world.resident_b, "330110199001099992", "甲99", b)
    elsewhere = _resident_like(world.resident_b, "330110199001099993", "甲50x", b)
    db.session.add_all([*created, stayed_here, elsewhere])
    db.session.flush()
    db.session.add(Stay(resident_id=stayed_here.id, base_id=a, admitted_on=date(2026, 8, 1),
                        discharged_on=date(2026, 8, 20), destination="relatives"))
    db.session.commit()
    in_scope = [world.resident_a.id, stayed_here.id, *(r.id for r in created)]
    expected = list(db.session.scalars(select(Resident.id).where(Resident.id.in_(in_scope))
                                       .order_by(Resident.name, Resident.id)))
    numbered = [r for r in sorted(created, key=lambda r: (r.name, r.id))]
    assert [i for i in expected if i in {r.id for r in created}] == [r.id for r in numbered]

    client = login_as(world.manager_a)
    pages = [client.get("/residents").get_data(as_text=True), client.get("/residents?page=2").get_data(as_text=True)]
    shown = [[int(i) for i in re.findall(r'<td><a href="/residents/(\d+)">', html)] for html in pages]
    assert shown == [expected[:50], expected[50:]]
    assert "1 / 2" in pages[0] and "2 / 2" in pages[1]
    assert elsewhere.id not in shown[0] + shown[1]
    row = re.search(rf'<a href="/residents/{stayed_here.id}">.*?</tr>', pages[0] + pages[1], re.S).group(0)
    assert "基地A" not in row and "—" in row  # his stay here is over
    # Past the last page: an empty page that still counts the pages; not a page number: the first.
    past = client.get("/residents?page=3")
    assert past.status_code == 200 and "3 / 2" in past.get_data(as_text=True)
    assert not re.findall(r'<td><a href="/residents/(\d+)">', past.get_data(as_text=True))
    assert "已超出最后一页" in past.get_data(as_text=True)  # not "no residents in your scope"
    assert "暂无安置人员" not in past.get_data(as_text=True)
    for junk in ("abc", "0", "-4", "9" * 30):
        html = client.get(f"/residents?page={junk}").get_data(as_text=True)
        assert re.findall(r'<td><a href="/residents/(\d+)">', html) == [str(i) for i in expected[:50]], junk


def test_list_badges_follow_the_page_language(world, login_as):
    """The badge labels are translated once per page (residents/_badges.html), never kept from an
    earlier page in another language."""
    client = login_as(world.manager_a)
    assert "三无人员" in client.get("/residents").get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/residents").get_data(as_text=True)
    assert "Three-none" in html and "三无人员" not in html


def test_list_search_by_name_and_digits(world, login_as):
    client = login_as(world.officer_x)
    assert "张三" in client.get("/residents?q=张").get_data(as_text=True)
    assert "张三" not in client.get("/residents?q=王").get_data(as_text=True)
    assert "张三" in client.get(f"/residents?q={ID_A[-4:]}").get_data(as_text=True)
    assert "李四" not in client.get(f"/residents?q={ID_B[-4:]}").get_data(as_text=True)  # not his region
    whole = client.get(f"/residents?q={ID_A}")
    assert whole.status_code == 200
    assert ID_A not in whole.get_data(as_text=True)  # a whole number is refused and never echoed back
    injected = client.get("/residents", query_string={"q": "' OR 1=1 --"}).get_data(as_text=True)
    assert "张三" not in injected


def test_file_page_masks_by_default_and_shows_the_whole_file(world, login_as):
    response = login_as(world.manager_a).get(f"/residents/{world.resident_a.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "330106********1231" in html and ID_A not in html
    assert "高血压" not in html and "6222020200112233445" not in html
    for shown in ("浙江省 / 杭州市 / 西湖区", "浙江省第一监狱", "盗窃罪", "2026-09-01", "2031-09-01",
                  "入住谈话", "基地A", "101", "2026-10-01", "探亲"):
        assert shown in html, shown
    assert f"/residents/{world.resident_a.id}/sensitive" in html


def test_file_page_of_another_scope_is_404_without_data(world, login_as):
    for user, other in ((world.manager_a, world.resident_b), (world.officer_y, world.resident_a)):
        client = login_as(user)
        for url in (f"/residents/{other.id}", f"/residents/{other.id}/sensitive"):
            response = client.get(url)
            assert response.status_code == 404
            assert other.name not in response.get_data(as_text=True)
    manager = login_as(world.manager_a)
    assert manager.get(f"/residents/{world.resident_b.id}/edit").status_code == 404
    response = manager.post(f"/residents/{world.resident_b.id}/case-notes",
                            data={"kind": "talk", "noted_on": "2026-11-20", "text": "x"})
    assert response.status_code == 404


# ---------------------------------------------------------------- reveal

def test_reveal_needs_a_fresh_login_and_is_audited(world, login_as, db):
    client = login_as(world.officer_x)
    with client.session_transaction() as session:
        session["auth_at"] = utcnow().timestamp() - 3600
    url = f"/residents/{world.resident_a.id}/sensitive"
    stale = client.get(url)
    assert stale.status_code == 302 and "/account/reauth" in stale.headers["Location"]
    assert _views(db) == []
    confirm = client.post(stale.headers["Location"], data={"password": PASSWORD})
    assert confirm.status_code == 302 and confirm.headers["Location"].startswith(url)
    page = client.get(confirm.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ID_A in html and "高血压" in html and "6222020200112233445" in html
    views = _views(db)
    assert len(views) == 1 and views[0].actor_username == "officer_x"
    assert views[0].details_dict["fields"] == ["id_number", "health_notes", "bank_account"]
    assert ID_A not in views[0].details


@pytest.mark.parametrize("role", ["admin", "auditor", "trainer", "enterprise"])
def test_other_roles_never_reveal(world, login_as, db, role):
    user = {"admin": world.admin, "auditor": world.auditor, "trainer": world.trainer_a,
            "enterprise": world.enterprise_user}[role]
    response = login_as(user).get(f"/residents/{world.resident_a.id}/sensitive")
    assert response.status_code == 403
    assert ID_A not in response.get_data(as_text=True)
    assert _views(db) == []


# ---------------------------------------------------------------- forms

def test_new_resident_form_creates_and_derives(world, login_as, db):
    response = login_as(world.manager_a).post("/residents/new", data=_form(base_id=str(world.base_a.id)))
    assert response.status_code == 302
    resident = db.session.scalar(select(Resident).where(Resident.id_number == ID_MALE))
    assert (resident.sex, resident.base_id, resident.is_three_none) == ("male", world.base_a.id, True)
    assert response.headers["Location"].endswith(f"/residents/{resident.id}")


@pytest.mark.parametrize(("overrides", "field"), [
    ({"id_number": "330106199202153575"}, "id_number"),
    ({"id_number": "３３０１０６１９９２０２１５３５７６"}, "id_number"),
    ({"registered_on": "2026-09-01"}, "registered_on"),
    ({"hukou_region_code": "999999"}, "hukou_region_code"),
])
def test_new_form_errors_sit_next_to_the_field(world, login_as, db, overrides, field):
    response = login_as(world.manager_a).post("/residents/new", data=_form(**overrides))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The field is marked invalid and followed by its message.
    assert re.search(rf'name="{field}"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*name="{field}"',
                     html), field
    assert "invalid-feedback" in html
    assert _count(db) == 2


def test_new_form_refuses_another_base_and_ignores_extra_fields(world, login_as, db):
    client = login_as(world.manager_a)
    response = client.post("/residents/new", data=_form(base_id=str(world.base_b.id)))
    assert response.status_code == 200 and _count(db) == 2
    response = client.post("/residents/new", data=_form(sex="female", birth_on="2000-01-01", role="admin"))
    assert response.status_code == 302
    resident = db.session.scalar(select(Resident).where(Resident.id_number == ID_MALE))
    assert resident.sex == "male" and resident.birth_on.year == 1992


def test_edit_form_never_shows_sensitive_values_and_keeps_them(world, login_as, db):
    client = login_as(world.manager_a)
    url = f"/residents/{world.resident_a.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert ID_A not in html and "高血压" not in html and "6222020200112233445" not in html
    assert "张三" in html and "330106********1231" in html
    data = _form(id_number="", name="张三丰", released_on="2026-09-01", registered_on="2026-09-10")
    response = client.post(url, data=data)
    assert response.status_code == 302
    db.session.expire_all()
    resident = db.session.get(Resident, world.resident_a.id)
    assert resident.name == "张三丰"
    assert (resident.id_number, resident.health_notes, resident.bank_account) == (
        ID_A, "高血压", "6222020200112233445")


def test_officer_cannot_open_or_edit_files(world, login_as):
    client = login_as(world.officer_x)
    assert client.get("/residents/new").status_code == 403
    assert client.post("/residents/new", data=_form()).status_code == 403
    assert client.get(f"/residents/{world.resident_a.id}/edit").status_code == 403


# ---------------------------------------------------------------- case notes

def test_add_case_note_from_the_file(world, login_as, db):
    client = login_as(world.manager_a)
    url = f"/residents/{world.resident_a.id}/case-notes"
    response = client.post(url, data={"kind": "reward", "noted_on": "2026-11-20", "text": "表现良好"})
    assert response.status_code == 302
    html = client.get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert html.index("表现良好") < html.index("入住谈话")  # newest first
    future = client.post(url, data={"kind": "talk", "noted_on": "2026-11-21", "text": "x"})
    assert future.status_code == 422
    assert "is-invalid" in future.get_data(as_text=True)
    assert _count(db, CaseNote) == 2


def test_officer_reads_notes_but_cannot_add(world, login_as, db):
    client = login_as(world.officer_x)
    html = client.get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert "入住谈话" in html and f"/residents/{world.resident_a.id}/case-notes" not in html
    response = client.post(f"/residents/{world.resident_a.id}/case-notes",
                           data={"kind": "talk", "noted_on": "2026-11-20", "text": "x"})
    assert response.status_code == 403
    assert _count(db, CaseNote) == 1


# ---------------------------------------------------------------- XSS

def test_names_and_notes_render_escaped(world, login_as):
    resident = services.create_resident(world.manager_a, **service_fields(
        id_number=ID_FEMALE, name=XSS[:50], hukou_address=XSS, offence=XSS, phone=None))
    services.add_case_note(world.manager_a, resident, kind="talk", noted_on=world.stay_a.admitted_on, text=XSS)
    client = login_as(world.manager_a)
    for url in ("/residents", f"/residents/{resident.id}", f"/residents/{resident.id}/sensitive",
                f"/residents/{resident.id}/edit", "/residents?q=img"):
        html = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in html, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, url


# ---------------------------------------------------------------- sentinel

def test_trainer_and_enterprise_get_403_on_every_residents_endpoint(app, world, login_as, api_headers):
    from flask import url_for

    sentinels = (ID_A, "高血压", "6222020200112233445", "盗窃罪", "浙江省第一监狱", "张三", "入住谈话")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in ("residents", "residents_api")]
    assert len(rules) >= 12
    for user in (world.trainer_a, world.enterprise_user, world.admin, world.auditor):
        page_client = login_as(user)
        for rule in rules:
            with app.test_request_context():
                url = url_for(rule.endpoint, **({"resident_id": world.resident_a.id} if rule.arguments else {}))
            is_api = url.startswith("/api/")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if is_api:
                    response = app.test_client().open(url, method=method, headers=api_headers(user), json={})
                else:
                    response = page_client.open(url, method=method, data={})
                assert response.status_code == 403, (user.username, method, url, response.status_code)
                text = response.get_data(as_text=True)
                assert not [s for s in sentinels if s in text], (user.username, url)
        found = app.test_client().get("/api/v1/residents?q=张", headers=api_headers(user))
        assert found.status_code == 403 and "张三" not in found.get_data(as_text=True)


def test_file_shows_courses_and_placements(world, login_as):
    """一人一档: the file gathers the person's training and jobs too."""
    body = login_as(world.manager_a).get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert "电焊基础" in body  # course_a
    assert "物业保洁员" in body  # placement_a's posting
    assert "3800.00" in body


def test_a_file_without_an_open_stay_offers_admission(world, login_as, db):
    """Issue 17: a new resident's file had no 办理入住 button; it opens /stays/new for that person."""
    from datetime import date

    from base_ops.intake.stays import services as stays

    client = login_as(world.manager_a)
    page = client.get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert 'id="admit-resident"' not in page  # in a stay now
    stays.discharge(world.manager_a, world.stay_a, discharged_on=date(2026, 11, 10), destination="returned_home")
    page = client.get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert f'href="/stays/new?resident_id={world.resident_a.id}"' in page and "办理入住" in page
    form = client.get(f"/stays/new?resident_id={world.resident_a.id}")
    assert form.status_code == 200
    # Only who may admit sees it: the county officer reads the file without the button.
    assert 'id="admit-resident"' not in login_as(world.officer_x).get(
        f"/residents/{world.resident_a.id}").get_data(as_text=True)


def test_a_file_and_its_notice_name_the_person_not_a_number(world, login_as, db):
    """Issue 17: the file said 安置人员档案第 N 号 and the notice 已建档（档案号 N）; a person reads names."""
    world.notice_x.resident_id = world.resident_a.id
    db.session.commit()
    client = login_as(world.manager_a)
    notice = client.get(f"/notices/{world.notice_x.id}").get_data(as_text=True)
    assert "档案号" not in notice
    assert f'href="/residents/{world.resident_a.id}">{world.notice_x.name} 的档案</a>' in notice
    page = client.get(f"/residents/{world.resident_a.id}").get_data(as_text=True)
    assert "档案第" not in page and "建档基地：基地A" in page
