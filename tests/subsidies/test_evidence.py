"""Claim evidence: size and type limits, storage outside static/, downloads only in scope
(docs/security.md "Uploads")."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from base_ops.core.audit import AuditEvent
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.subsidies import evidence
from base_ops.subsidies.models import Evidence

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def upload(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


def count(db) -> int:
    return db.session.scalar(select(func.count(Evidence.id)))


def stored_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "evidence"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_upload_is_stored_outside_static_under_a_random_name_with_its_hash(app, db, sw, post_claim):
    claim = post_claim("draft")
    item = evidence.add_evidence(sw.enterprise_user, claim, upload(PDF, "劳动合同.pdf"), "contract")
    path = Path(app.config["UPLOAD_FOLDER"]) / "evidence" / item.stored_name
    assert path.read_bytes() == PDF
    assert item.filename == "劳动合同.pdf"
    assert "劳动合同" not in item.stored_name and len(item.stored_name) == 32
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert item.size == len(PDF) and item.content_type == "application/pdf"
    static = Path(app.static_folder).resolve()
    assert static not in path.resolve().parents
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claim_evidence_added")).one()
    assert row.object_id == str(claim.id)


@pytest.mark.parametrize("data,name", [(PNG, "社保.png"), (JPG, "receipt.JPG"), (JPG, "r.jpeg")])
def test_images_are_accepted(db, sw, post_claim, data, name):
    item = evidence.add_evidence(sw.enterprise_user, post_claim("draft"), upload(data, name), "insurance")
    assert item.content_type.startswith("image/")


@pytest.mark.parametrize("data,name", [
    (b"MZ\x90\x00 executable", "contract.exe"),
    (b"MZ\x90\x00 executable", "contract.pdf"),  # the name lies: refused by the magic bytes
    (PNG, "contract.pdf"),
    (PDF, "contract"),
    (b"", "empty.pdf"),
    (b"<svg onload=alert(1)>", "x.svg"),
])
def test_wrong_types_are_refused_and_nothing_is_written(app, db, sw, post_claim, data, name):
    claim = post_claim("draft")
    before = stored_files(app)
    with pytest.raises(ValidationFailed) as caught:
        evidence.add_evidence(sw.enterprise_user, claim, upload(data, name), "contract")
    assert "file" in caught.value.fields
    assert count(db) == 0
    assert stored_files(app) == before


def test_size_limit_comes_from_the_config(app, db, sw, post_claim, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 100)
    claim = post_claim("draft")
    with pytest.raises(ValidationFailed) as caught:
        evidence.add_evidence(sw.enterprise_user, claim, upload(PDF + b"x" * 100, "big.pdf"), "contract")
    assert caught.value.code == "file_too_large"
    assert count(db) == 0
    assert evidence.add_evidence(sw.enterprise_user, claim, upload(PDF[:90], "small.pdf"), "contract")


def test_default_limit_is_five_megabytes(app, db, sw, post_claim):
    assert evidence.max_bytes() == 5 * 1024 * 1024
    with pytest.raises(ValidationFailed):
        evidence.add_evidence(sw.enterprise_user, post_claim("draft"),
                              upload(PDF + b"0" * (5 * 1024 * 1024), "big.pdf"), "contract")


def test_a_path_in_the_filename_is_dropped(app, db, sw, post_claim):
    item = evidence.add_evidence(sw.enterprise_user, post_claim("draft"), upload(PDF, "../../etc/合同.pdf"), "contract")
    assert item.filename == "合同.pdf"
    assert (Path(app.config["UPLOAD_FOLDER"]) / "evidence" / item.stored_name).is_file()


def test_unknown_kind_is_refused(db, sw, post_claim):
    with pytest.raises(ValidationFailed) as caught:
        evidence.add_evidence(sw.enterprise_user, post_claim("draft"), upload(PDF, "a.pdf"), "photo")
    assert "kind" in caught.value.fields


def test_only_while_draft_or_rejected(db, sw, post_claim):
    with pytest.raises(Conflict):
        evidence.add_evidence(sw.enterprise_user, post_claim("submitted", month="2026-11"), upload(PDF, "a.pdf"),
                              "contract")
    rejected = post_claim("rejected", month="2026-12")
    assert evidence.add_evidence(sw.enterprise_user, rejected, upload(PDF, "a.pdf"), "contract")


def test_only_the_claimant_uploads(db, sw, post_claim, factory):
    claim = post_claim("draft")
    for user in (sw.officer_x, sw.manager_b, sw.admin):
        with pytest.raises(PermissionDenied):
            evidence.add_evidence(user, claim, upload(PDF, "a.pdf"), "contract")
    other = factory.user("enterprise", enterprise=factory.enterprise(uscc="91330110MA2H1YAB2Y"))
    with pytest.raises(PermissionDenied):
        evidence.add_evidence(other, claim, upload(PDF, "a.pdf"), "contract")
    assert count(db) == 0


def test_download_only_for_those_who_see_the_claim_and_audited(db, sw, post_claim):
    item = evidence.add_evidence(sw.enterprise_user, post_claim("draft"), upload(PDF, "a.pdf"), "contract")
    for user in (sw.enterprise_user, sw.manager_a, sw.officer_x):
        found, path = evidence.open_evidence(user, item.id)
        assert found.id == item.id and path.read_bytes() == PDF
    for user in (sw.manager_b, sw.officer_y, sw.trainer_a, sw.admin, sw.auditor):
        with pytest.raises(NotFound):
            evidence.open_evidence(user, item.id)
    with pytest.raises(NotFound):
        evidence.open_evidence(sw.officer_x, item.id + 999)
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claim_evidence_viewed")
                               .order_by(AuditEvent.seq)).all()
    assert [v.actor_username for v in views] == ["enterprise_e", "manager_a", "officer_x"]


# ---------------------------------------------------------------- through the pages

def test_upload_and_download_through_the_pages(db, sw, post_claim, login_as):
    claim = post_claim("draft")
    client = login_as(sw.enterprise_user)
    response = client.post(f"/claims/{claim.id}/evidence", data={"kind": "contract", "amount": "99999",
                                                                 "file": (io.BytesIO(PDF), "合同.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    item = db.session.scalars(select(Evidence)).one()
    assert item.claim_id == claim.id
    page = client.get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "合同.pdf" in page and f"/evidence/{item.id}" in page
    download = client.get(f"/evidence/{item.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert login_as(sw.manager_b).get(f"/evidence/{item.id}").status_code == 404
    assert login_as(sw.officer_y).get(f"/evidence/{item.id}").status_code == 404
    # Not reachable as a static file.
    assert client.get(f"/static/evidence/{item.stored_name}").status_code == 404


def test_a_bad_upload_page_names_the_problem(db, sw, post_claim, login_as, english):
    claim = post_claim("draft")
    response = login_as(sw.enterprise_user).post(
        f"/claims/{claim.id}/evidence", data={"kind": "contract", "file": (io.BytesIO(b"MZ..."), "x.exe")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PDF, JPG or PNG" in response.get_data(as_text=True)
    assert count(db) == 0


def test_other_base_manager_cannot_upload(db, sw, post_claim, login_as):
    claim = post_claim("draft")
    response = login_as(sw.manager_b).post(f"/claims/{claim.id}/evidence",
                                           data={"kind": "contract", "file": (io.BytesIO(PDF), "a.pdf")},
                                           content_type="multipart/form-data")
    assert response.status_code == 404
    assert count(db) == 0
