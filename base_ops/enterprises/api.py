"""JSON API of the enterprises module (docs/api.md "Enterprises, postings, placements")."""

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.api import PageArgsSchema, page_schema, paginate
from base_ops.enterprises import queries, services
from base_ops.enterprises.models import Enterprise, JobPosting
from base_ops.enterprises.schemas import (
    AgreementCreateSchema,
    AgreementSchema,
    EnterpriseCreateSchema,
    EnterpriseSchema,
    PostingCreateSchema,
    PostingListArgsSchema,
    PostingSchema,
)
from base_ops.extensions import db

blp = Blueprint("enterprises_api", __name__, description="Partner enterprises, placement agreements, job postings")
EnterprisePageSchema = page_schema(EnterpriseSchema, "EnterprisePage")
PostingPageSchema = page_schema(PostingSchema, "PostingPage")


@blp.route("/enterprises", methods=["POST"])
@blp.arguments(EnterpriseCreateSchema)
@blp.response(201, EnterpriseSchema)
def create_enterprise(body):
    """Register an enterprise (admin; county officers within their region). The USCC is checked
    with its check character; a duplicate is `409 enterprise_exists` with the existing `id`."""
    return services.create_enterprise(current_actor(), **body)


@blp.route("/enterprises", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, EnterprisePageSchema)
def list_enterprises(args):
    """Enterprises in the caller's scope (an enterprise user: his own)."""
    return paginate(db.session, queries.enterprises_in_scope(current_actor()), Enterprise.id, args["limit"],
                    args["cursor"])


@blp.route("/enterprises/<int:enterprise_id>", methods=["GET"])
@blp.response(200, EnterpriseSchema)
def get_enterprise(enterprise_id):
    return queries.get_enterprise(current_actor(), enterprise_id)


@blp.route("/enterprises/<int:enterprise_id>/agreements", methods=["POST"])
@blp.arguments(AgreementCreateSchema)
@blp.response(201, AgreementSchema)
def create_agreement(body, enterprise_id):
    """A new version of the 安置协议 (county officers of the enterprise's region): version + 1,
    superseding the current one, which stays readable."""
    enterprise = queries.get_enterprise(current_actor(), enterprise_id)
    return services.create_agreement(current_actor(), enterprise, **body)


@blp.route("/enterprises/<int:enterprise_id>/agreements", methods=["GET"])
@blp.response(200, AgreementSchema(many=True))
def list_agreements(enterprise_id):
    """Every version of the agreement, newest first."""
    return queries.agreement_history(queries.get_enterprise(current_actor(), enterprise_id))


@blp.route("/agreements/<int:agreement_id>", methods=["GET"])
@blp.response(200, AgreementSchema)
def get_agreement(agreement_id):
    return queries.get_agreement(current_actor(), agreement_id)


@blp.route("/postings", methods=["POST"])
@blp.arguments(PostingCreateSchema)
@blp.response(201, PostingSchema)
def create_posting(body):
    """A draft posting of the caller's enterprise. Text that asks for a clean record or excludes
    released persons is `422 discriminatory_content`, naming the field and the `phrase`."""
    return services.create_posting(current_actor(), **body)


@blp.route("/postings", methods=["GET"])
@blp.arguments(PostingListArgsSchema, location="query")
@blp.response(200, PostingPageSchema)
def list_postings(args):
    """Postings in the caller's scope, e.g. `?status=open`."""
    stmt = queries.postings_in_scope(current_actor(), status=args["status"])
    return paginate(db.session, stmt, JobPosting.id, args["limit"], args["cursor"])


@blp.route("/postings/<int:posting_id>", methods=["GET"])
@blp.response(200, PostingSchema)
def get_posting(posting_id):
    return queries.get_posting(current_actor(), posting_id)


@blp.route("/postings/<int:posting_id>/open", methods=["POST"])
@blp.response(200, PostingSchema)
def open_posting(posting_id):
    """draft -> open (screened again); any other move is `409 invalid_transition`."""
    return services.open_posting(current_actor(), queries.get_posting(current_actor(), posting_id))


@blp.route("/postings/<int:posting_id>/close", methods=["POST"])
@blp.response(200, PostingSchema)
def close_posting(posting_id):
    """open -> closed; any other move is `409 invalid_transition`."""
    return services.close_posting(current_actor(), queries.get_posting(current_actor(), posting_id))
