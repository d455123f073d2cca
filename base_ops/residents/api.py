"""JSON API of the residents module (docs/api.md "Residents and notices")."""

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.extensions import db
from base_ops.residents import queries, services
from base_ops.residents.models import Resident
from base_ops.residents.schemas import (
    CaseNoteCreateSchema,
    CaseNoteSchema,
    HardshipSchema,
    ReoffenceSchema,
    ResidentCreateSchema,
    ResidentSchema,
    ResidentSearchSchema,
    ResidentUpdateSchema,
    Shown,
)

blp = Blueprint("residents_api", __name__, description="Residents' files (一人一档) and case notes")
ResidentPageSchema = page_schema(ResidentSchema, "ResidentPage")


@blp.route("/residents", methods=["POST"])
@blp.arguments(ResidentCreateSchema)
@blp.response(201, ResidentSchema)
def create_resident(body):
    """Open a file. Sex and birth date are derived from `id_number`; a duplicate number is
    `409 resident_exists` with the existing `id`. The caller typed the full number, so it
    comes back in full."""
    return Shown(services.create_resident(current_actor(), **body), reveal_sensitive=True)


@blp.route("/residents", methods=["GET"])
@blp.arguments(ResidentSearchSchema, location="query")
@blp.response(200, ResidentPageSchema)
def list_residents(args):
    """Residents in the caller's scope; `q` is part of the name or the last 4-8 characters of
    the ID number. ID numbers are masked in lists; health notes and bank accounts are left out."""
    stmt = queries.search_residents(current_actor(), args["q"])
    return paginate(db.session, stmt, Resident.id, args["limit"], args["cursor"])


@blp.route("/residents/<int:resident_id>", methods=["GET"])
@blp.response(200, ResidentSchema)
def get_resident(resident_id):
    """The whole file. Base managers and county officers in scope get the full ID number,
    health notes and bank account; each such view is audited (resident_sensitive_viewed)."""
    resident = queries.get_resident(current_actor(), resident_id)
    services.record_sensitive_view(current_actor(), resident, via="api")
    return Shown(resident, reveal_sensitive=True)


@blp.route("/residents/<int:resident_id>", methods=["PATCH"])
@blp.arguments(ResidentUpdateSchema)
@blp.response(200, ResidentSchema)
def update_resident(body, resident_id):
    """Change the given fields only; `sex` and `birth_on` are derived and cannot be sent."""
    resident = queries.get_resident(current_actor(), resident_id)
    return Shown(services.update_resident(current_actor(), resident, **body), reveal_sensitive=True)


@blp.route("/residents/<int:resident_id>/reoffence", methods=["POST"])
@blp.arguments(ReoffenceSchema)
@blp.response(200, ResidentSchema)
def record_reoffence(body, resident_id):
    """Record a reoffence in the support period (base manager or county officer): `on` not before the
    release, not in the future (`422` naming `on`). The living allowance stops from the month after."""
    resident = queries.get_resident(current_actor(), resident_id)
    return Shown(services.record_reoffence(current_actor(), resident, **body), reveal_sensitive=True)


@blp.route("/residents/<int:resident_id>/hardship", methods=["POST"])
@blp.arguments(HardshipSchema)
@blp.response(200, ResidentSchema)
def record_hardship(body, resident_id):
    """Record 生活确有困难 with its evidence (base manager or county officer): `evidence` required
    (`422` naming `evidence` if blank), `recorded_on` default today."""
    resident = queries.get_resident(current_actor(), resident_id)
    return Shown(services.record_hardship(current_actor(), resident, **body), reveal_sensitive=True)


@blp.route("/residents/<int:resident_id>/case-notes", methods=["GET"])
@blp.response(200, CaseNoteSchema(many=True))
def list_case_notes(resident_id):
    """The file's case notes (帮教记录), newest first."""
    return queries.case_notes_of(queries.get_resident(current_actor(), resident_id))


@blp.route("/residents/<int:resident_id>/case-notes", methods=["POST"])
@blp.arguments(CaseNoteCreateSchema)
@blp.response(201, CaseNoteSchema)
def create_case_note(body, resident_id):
    """Add a case note: kind talk|counselling|job_guidance|education|reward|breach, not in the future."""
    resident = queries.get_resident(current_actor(), resident_id)
    return services.add_case_note(current_actor(), resident, **body)
