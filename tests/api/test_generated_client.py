"""A client generated from the live /api/v1/openapi.json drives a base manager's day (issue 21).

Other systems do not hand-write HTTP calls: they generate a client from the document. Here
openapi-python-client (a dev dependency, pyproject.toml) generates one from the document a live server
serves — with no warning at all, a typed model for every schema — and the client then registers a resident,
admits him, gives him a bed, records a leave, refers him to a job, reads a report and its spreadsheet, and
discharges him, parsing every answer into its typed model: enums as enums, dates as dates, decimals as strings,
no undocumented field, errors as `Error` in the caller's language.

The server is a werkzeug server in a thread on a database of its own (tests/race_support.py), so the client
speaks real HTTP. Skipped where openapi-python-client is not installed.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import json
import logging
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext

pytest.importorskip("openapi_python_client")
attrs = pytest.importorskip("attrs")
httpx = pytest.importorskip("httpx")

from base_ops.core import clock  # noqa: E402
from tests.conftest import ID_A, PASSWORD, REGIONS  # noqa: E402
from tests.race_support import separate_app  # noqa: E402

PACKAGE = "base_ops_client"
PYDANTIC_MODULE = "base_ops_pydantic_models"
GENERATOR_SECONDS = 60
# The generator's own options, as an integrator would set them: spreadsheets and PDFs arrive as bytes, and no
# formatter is run on the generated code (it is not ours to lint).
GENERATOR_CONFIG = """\
post_hooks: []
content_type_overrides:
  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet: application/octet-stream
  application/pdf: application/octet-stream
"""
MAPS = {"ErrorDetailFields"}  # models that are maps by design (additionalProperties), not records


def _site(app) -> None:
    from base_ops.accounts.services import create_user
    from base_ops.enterprises.services import create_agreement, create_enterprise, create_posting, open_posting
    from base_ops.extensions import db
    from base_ops.org import services as org

    org.load_regions([{"code": c, "name": n, "level": lvl, "parent_code": p} for c, n, lvl, p in REGIONS])
    base = org.create_base(None, name="生成客户端基地", region_code="330106", address="测试路 21 号")
    for room_name, sex, labels in (("101", "male", ("A", "B")), ("201", "female", ("A",))):
        room = org.create_room(None, base, name=room_name, sex=sex)
        for label in labels:
            org.create_bed(None, room, label=label, in_service_from=datetime.date(2025, 1, 1))
    create_user(None, username="client_manager", role="base_manager", password=PASSWORD, base_ids=[base.id])
    officer = create_user(None, username="client_officer", role="county_officer", password=PASSWORD,
                          region_code="330106")
    enterprise = create_enterprise(None, name="生成客户端企业", uscc="91330106MA27XK3L01", region_code="330106",
                                   contact_name="王经理", contact_phone="0571-88000000")
    create_agreement(officer, enterprise, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2028, 12, 31),
                     hire_quota=5, min_contract_months=12, one_time_subsidy=Decimal("3000"), one_time_after_months=6,
                     post_subsidy_monthly=Decimal("600"), post_subsidy_max_months=12,
                     insurance_subsidy_monthly=Decimal("800"), insurance_subsidy_max_months=36,
                     budget=Decimal("100000"))
    hr = create_user(None, username="client_hr", role="enterprise", password=PASSWORD, enterprise_id=enterprise.id)
    posting = create_posting(hr, enterprise_id=enterprise.id, title="物业保洁员", description="负责小区日常保洁",
                             positions=2, wage_min=Decimal("3500"), wage_max=Decimal("4200"),
                             location="杭州市西湖区", provides_housing=True)
    open_posting(hr, posting)
    app.config["CLIENT_BASE_ID"] = base.id
    app.config["CLIENT_POSTING_ID"] = posting.id
    db.session.commit()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """(app, base URL) of the app served over HTTP from a thread, on a database of its own."""
    from werkzeug.serving import make_server

    sites = separate_app(tmp_path_factory, "generated_client", _site)
    app = next(sites)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in test reports
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="generated-client-server", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        next(sites, None)  # drops the database


@pytest.fixture(scope="module")
def generated(live, tmp_path_factory):
    """The client package openapi-python-client generates from the live document, imported."""
    _app, url = live
    folder = tmp_path_factory.mktemp("generated")
    document = folder / "openapi.json"
    document.write_bytes(httpx.get(f"{url}/api/v1/openapi.json", timeout=30).raise_for_status().content)
    config = folder / "config.yaml"
    config.write_text(GENERATOR_CONFIG)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
         "--output-path", str(folder / PACKAGE), "--meta", "none", "--config", str(config)],
        capture_output=True, text=True, timeout=GENERATOR_SECONDS * 2, check=False)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert elapsed < GENERATOR_SECONDS, f"the generator took {elapsed:.0f} s"
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def pydantic_models(live, tmp_path_factory):
    """A second generator where it is installed: datamodel-code-generator's pydantic models of the same document
    (None without it). `--strict-nullable` is how it reads OpenAPI 3.0's `nullable` on a property that is a
    reference; its models forbid undocumented fields and parse decimals as Decimal."""
    if importlib.util.find_spec("datamodel_code_generator") is None:
        yield None
        return
    _app, url = live
    folder = tmp_path_factory.mktemp("pydantic")
    document = folder / "openapi.json"
    document.write_bytes(httpx.get(f"{url}/api/v1/openapi.json", timeout=30).raise_for_status().content)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "datamodel_code_generator", "--input", str(document), "--input-file-type", "openapi",
         "--output", str(folder / "models.py"), "--output-model-type", "pydantic_v2.BaseModel",
         "--formatters", "builtin", "--strict-nullable"],
        capture_output=True, text=True, timeout=GENERATOR_SECONDS * 2, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert time.monotonic() - started < GENERATOR_SECONDS
    spec = importlib.util.spec_from_file_location(PYDANTIC_MODULE, folder / "models.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[PYDANTIC_MODULE] = module  # pydantic resolves its generic models through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[PYDANTIC_MODULE]


def _op(tag: str, name: str):
    """The generated module of one operation: `_op("stays_api", "create_stay").sync_detailed(...)`."""
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")


def _typed(value, path: str = "answer") -> None:
    """A parsed answer holds models, enums, dates and plain values only: no field the document does not name."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _typed(item, f"{path}[{i}]")
    elif attrs.has(type(value)):
        if type(value).__name__ not in MAPS:
            extra = getattr(value, "additional_properties", {})  # none at all where the schema forbids them
            assert extra == {}, f"{path}: undocumented {sorted(extra)}"
        for field in attrs.fields(type(value)):
            if field.name != "additional_properties":
                _typed(getattr(value, field.name), f"{path}.{field.name}")


def _checked(response, model, status: int = 200, pydantic=None):
    """The answer of `status`, parsed into `model` (its typed fields checked), and by the second generator's model
    of the same name where there is one."""
    assert response.status_code == status, response.content.decode()
    assert isinstance(response.parsed, model), (type(response.parsed), response.content.decode())
    _typed(response.parsed)
    if pydantic is not None:
        raw, parsed = json.loads(response.content), response.parsed
        for raw_item, typed in zip(raw if isinstance(raw, list) else [raw],
                                   parsed if isinstance(parsed, list) else [parsed], strict=True):
            getattr(pydantic, type(typed).__name__).model_validate(raw_item)
    return response.parsed


def test_every_schema_is_a_model(generated, live):
    """Every schema of the document became a model class of the client (none dropped with a warning)."""
    _app, url = live
    schemas = httpx.get(f"{url}/api/v1/openapi.json", timeout=30).json()["components"]["schemas"]
    models = importlib.import_module(f"{PACKAGE}.models")
    missing = [name for name in schemas if not hasattr(models, name)]
    assert not missing, missing


def test_a_base_manager_drives_the_day_with_the_generated_client(generated, pydantic_models, live):
    app, url = live

    def _ok(response, model, status: int = 200):
        return _checked(response, model, status, pydantic_models)

    m = importlib.import_module(f"{PACKAGE}.models")
    base_id, posting_id = app.config["CLIENT_BASE_ID"], app.config["CLIENT_POSTING_ID"]
    today = clock.today()
    admitted_on = today - datetime.timedelta(days=6)

    anonymous = generated.Client(base_url=url, raise_on_unexpected_status=True)
    token = _ok(_op("auth_api", "create_token").sync_detailed(client=anonymous, body=m.TokenRequest(
        username="client_manager", password=PASSWORD)), m.Token, 201)
    client = generated.AuthenticatedClient(base_url=url, token=token.token, raise_on_unexpected_status=True)

    # register
    resident = _ok(_op("residents_api", "create_resident").sync_detailed(client=client, body=m.ResidentCreate(
        id_number=ID_A, name="赵六", hukou_region_code="330106", subject_type=m.ResidentCreateSubjectType.RELEASED,
        released_on=today - datetime.timedelta(days=30), is_homeless=True, has_no_relatives=True, is_unemployed=True,
        reoffend_risk=False, state_security=False, false_identity=False, diet=m.ResidentCreateDiet.HALAL,
        base_id=base_id)), m.Resident, 201)
    assert resident.sex == m.ResidentSex.MALE
    assert resident.diet == m.ResidentDiet.HALAL
    assert resident.subject_type == m.ResidentSubjectType.RELEASED
    assert isinstance(resident.support_ends_on, datetime.date)

    # the beds free from the admission night on, then admit (no bed yet: it is given next)
    free = _ok(_op("reference_api", "list_base_beds").sync_detailed(base_id, client=client, from_=admitted_on), list)
    bed = next(b for b in free if b.sex == m.BedNightSex.MALE and b.occupant is None)
    stay = _ok(_op("stays_api", "create_stay").sync_detailed(client=client, body=m.StayCreate(
        resident_id=resident.id, base_id=base_id, admitted_on=admitted_on)), m.Stay, 201)
    assert stay.status == m.StayStatus.OPEN
    assert stay.destination is None and stay.bed is None and stay.discharged_on is None

    # bed
    stay = _ok(_op("stays_api", "assign_bed").sync_detailed(stay.id, client=client, body=m.BedAssign(
        bed_id=bed.id, on=admitted_on)), m.Stay)
    assert isinstance(stay.bed, m.StayBed) and stay.bed.id == bed.id
    tonight = _ok(_op("reference_api", "list_base_beds").sync_detailed(base_id, client=client, on=today), list)
    occupied = next(b for b in tonight if b.id == bed.id)
    assert isinstance(occupied.occupant, m.Occupant) and occupied.occupant.stay_id == stay.id

    # leave
    leave = _ok(_op("stays_api", "record_leave").sync_detailed(stay.id, client=client, body=m.LeaveCreate(
        start_on=admitted_on + datetime.timedelta(days=1), end_on=admitted_on + datetime.timedelta(days=3),
        reason="探亲")), m.Leave, 201)
    assert leave.stay_id == stay.id

    # referral to a job, moved along the pipeline
    referral = _ok(_op("placements_api", "create_referral").sync_detailed(client=client, body=m.ReferralCreate(
        posting_id=posting_id, resident_id=resident.id)), m.Referral, 201)
    assert referral.status == m.ReferralStatus.REFERRED
    hr_token = _ok(_op("auth_api", "create_token").sync_detailed(client=anonymous, body=m.TokenRequest(
        username="client_hr", password=PASSWORD)), m.Token, 201)
    hr = generated.AuthenticatedClient(base_url=url, token=hr_token.token, raise_on_unexpected_status=True)
    seen_by_hr = _ok(_op("placements_api", "set_referral_status").sync_detailed(referral.id, client=hr, body=(
        m.ReferralStatusChange(status=m.ReferralStatusChangeStatus.INTERVIEWING))), m.Referral)
    assert seen_by_hr.status == m.ReferralStatus.INTERVIEWING
    assert isinstance(seen_by_hr.resident_id, generated.types.Unset)  # staff only: absent for the enterprise
    referral = _ok(_op("placements_api", "get_referral").sync_detailed(referral.id, client=client), m.Referral)
    assert referral.resident_id == resident.id and referral.candidate.sex == m.CandidateSex.MALE
    assert [e.to_status for e in referral.events] == [m.ReferralEventToStatus.REFERRED,
                                                      m.ReferralEventToStatus.INTERVIEWING]
    page = _ok(_op("placements_api", "list_referrals").sync_detailed(
        client=client, status=m.ListReferralsStatus.INTERVIEWING), m.ReferralPage)
    assert [r.id for r in page.items] == [referral.id] and page.next_cursor is None

    # a report and its spreadsheet
    report = _ok(_op("reports_api", "occupancy_report").sync_detailed(
        client=client, base_id=base_id, from_=admitted_on, to=today + datetime.timedelta(days=1),
        group_by=m.OccupancyReportGroupBy.BASE), m.OccupancyReport)
    assert report.total.bed_nights_occupied > 0 and isinstance(report.total.occupancy_rate, float)
    sheet = _op("reports_api", "report_spreadsheet").sync_detailed(
        m.ReportSpreadsheetName.OCCUPANCY, client=client, base_id=base_id, from_=admitted_on,
        to=today + datetime.timedelta(days=1))
    assert sheet.status_code == 200 and sheet.parsed.payload.read(2) == b"PK"  # an .xlsx is a zip

    # discharge
    stay = _ok(_op("stays_api", "discharge_stay").sync_detailed(stay.id, client=client, body=m.Discharge(
        discharged_on=today, destination=m.DischargeDestination.RELATIVES)), m.Stay)
    assert stay.status == m.StayStatus.DISCHARGED and stay.destination == m.StayDestination.RELATIVES
    assert stay.bed is None
    listed = _ok(_op("stays_api", "list_stays").sync_detailed(
        client=client, base_id=base_id, status=m.ListStaysStatus.DISCHARGED), m.StayPage)
    assert [s.id for s in listed.items] == [stay.id]
    again = _ok(_op("stays_api", "get_stay").sync_detailed(stay.id, client=client), m.Stay)
    assert again.discharged_on == today and isinstance(again.days, int)


def test_errors_are_typed_and_in_the_callers_language(generated, live):
    """Every error parses as `Error`; Chinese by default, English with `Accept-Language: en`, marshmallow's own
    messages included."""
    app, url = live
    m = importlib.import_module(f"{PACKAGE}.models")
    create_token, get_stay = _op("auth_api", "create_token"), _op("stays_api", "get_stay")
    anonymous = generated.Client(base_url=url)
    token = create_token.sync(client=anonymous, body=m.TokenRequest(username="client_manager", password=PASSWORD))
    chinese = generated.AuthenticatedClient(base_url=url, token=token.token)
    english = generated.AuthenticatedClient(base_url=url, token=token.token, headers={"Accept-Language": "en"})

    with app.app_context(), force_locale("zh_CN"):
        missing_zh = gettext("Missing data for required field.")
    for client, missing, unknown in ((chinese, missing_zh, "未知字段。"),
                                     (english, "Missing data for required field.", "Unknown field.")):
        answer = client.get_httpx_client().post("/api/v1/stays", json={"resident_id": 1, "bed": 2})
        assert answer.status_code == 422
        error = m.Error.from_dict(answer.json())
        assert error.error.code == "validation_error"
        assert error.error.fields["base_id"] == [missing]
        assert error.error.fields["bed"] == [unknown]

    not_found = get_stay.sync_detailed(2**31 - 1, client=english)
    assert not_found.status_code == 404 and isinstance(not_found.parsed, m.Error)
    unauthenticated = get_stay.sync_detailed(1, client=generated.Client(base_url=url))
    assert unauthenticated.status_code == 401 and isinstance(unauthenticated.parsed, m.Error)
    wrong = create_token.sync_detailed(client=anonymous, body=m.TokenRequest(username="client_manager",
                                                                              password="wrong"))
    assert wrong.status_code == 401 and wrong.parsed.error.code == "invalid_credentials"
