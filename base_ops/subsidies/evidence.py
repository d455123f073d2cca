"""Claim evidence (contract, insurance record, receipts): size and type limits, stored outside static/,
served only to those who may see the claim (docs/security.md "Uploads"; issue 6 item 4).

The file on disk is named by a random token, never by the user's filename; the type is
checked by the extension AND by the file's first bytes, so a renamed executable is refused.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from base_ops.accounts.models import Role
from base_ops.core import audit
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.unit_of_work import unit_of_work
from base_ops.extensions import db
from base_ops.subsidies.models import Claim, ClaimStatus, Evidence

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
KINDS = {"contract": _l("Labour contract"), "insurance": _l("Social-insurance record"),
         "receipt": _l("Receipt"), "other": _l("Other")}
# extension -> (content type, magic bytes the file must begin with)
TYPES = {
    "pdf": ("application/pdf", b"%PDF-"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
# Evidence may be added or replaced while the claimant can still change the claim.
OPEN_STATUSES = (ClaimStatus.DRAFT, ClaimStatus.REJECTED)


def max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_claim_owner(actor, claim: Claim) -> bool:
    """The claimant: a user of the claim's enterprise, or a manager of the claim's base."""
    if actor.role == Role.ENTERPRISE:
        return actor.enterprise_id is not None and claim.enterprise_id == actor.enterprise_id
    if actor.role == Role.BASE_MANAGER:
        return claim.base_id is not None and claim.base_id in actor.base_ids
    return False


def may_upload(actor, claim: Claim) -> bool:
    return is_claim_owner(actor, claim) and ClaimStatus(claim.status) in OPEN_STATUSES


def _display_name(filename: str) -> str:
    # Control characters go: a CR or LF (e.g. from filename*=UTF-8''a%0D.pdf) would break the download's header.
    name = "".join(ch for ch in os.path.basename((filename or "").replace("\\", "/")) if ch.isprintable()).strip()
    return name[-200:] or "evidence"


def _check_type(filename: str, data: bytes) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in TYPES:
        raise ValidationFailed.on("file", _("must be a PDF, JPG or PNG file"), code="unsupported_file_type")
    content_type, magic = TYPES[ext]
    if not data:
        raise ValidationFailed.on("file", _("is empty"))
    if not data.startswith(magic):
        raise ValidationFailed.on("file", _("does not contain what its name says (.%(ext)s)", ext=ext),
                                  code="unsupported_file_type")
    return content_type


def add_evidence(actor, claim: Claim, file_storage, kind: str) -> Evidence:
    """Attach a file to a claim the actor files, while it is a draft or rejected (to be corrected)."""
    if not is_claim_owner(actor, claim):
        raise PermissionDenied(_("Only the claimant may add evidence to this claim."))
    if ClaimStatus(claim.status) not in OPEN_STATUSES:
        raise Conflict(_("Evidence can be added only while the claim is a draft or was rejected."),
                       code="invalid_transition")
    if kind not in KINDS:
        raise ValidationFailed.on("kind", _("must be one of %(kinds)s", kinds=", ".join(KINDS)))
    if file_storage is None or not getattr(file_storage, "filename", None):
        raise ValidationFailed.on("file", _("is required"))
    filename = _display_name(file_storage.filename)
    stream: IO[bytes] = file_storage.stream
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed.on("file", _("must be at most %(mb)s MB", mb=round(limit / 2**20, 1)),
                                  code="file_too_large")
    content_type = _check_type(filename, data)
    token = secrets.token_hex(16)
    path = folder() / token
    path.write_bytes(data)
    try:
        with unit_of_work():
            evidence = Evidence(claim_id=claim.id, kind=kind, filename=filename, stored_name=token,
                                content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                uploaded_by_id=actor.id)
            db.session.add(evidence)
            db.session.flush()
            audit.record(actor, "claim_evidence_added", claim, evidence_id=evidence.id, kind=kind, size=len(data),
                         sha256=evidence.sha256)
    except BaseException:
        # Nothing was recorded (the unit rolled back): the file on disk goes too.
        path.unlink(missing_ok=True)
        raise
    return evidence


def open_evidence(actor, evidence_id: int) -> tuple[Evidence, Path]:
    """The stored file, for those who may see its claim (404 for everyone else); audited as a sensitive view."""
    from base_ops.subsidies import queries

    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(_("No such file."))
    claim = queries.get_claim(actor, evidence.claim_id)  # 404 when the claim is out of scope
    path = folder() / evidence.stored_name
    if not path.is_file():
        raise NotFound(_("No such file."))
    with unit_of_work():
        audit.record(actor, "claim_evidence_viewed", claim, evidence_id=evidence.id, kind=evidence.kind)
    return evidence, path
