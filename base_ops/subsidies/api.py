"""JSON API of the subsidies module (docs/api.md "Claims")."""

from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from base_ops.core.actor import current_actor
from base_ops.core.api import page_schema, paginate
from base_ops.extensions import db
from base_ops.subsidies import payees, queries, services
from base_ops.subsidies.models import Claim
from base_ops.subsidies.schemas import (
    ClaimCreateSchema,
    ClaimListArgsSchema,
    ClaimRejectSchema,
    ClaimReviewSchema,
    ClaimSchema,
    PayeeAccountSchema,
    PayeeAccountViewSchema,
)

blp = Blueprint("subsidies_api", __name__, description="Claims")
ClaimPageSchema = page_schema(ClaimSchema, "ClaimPage")


def _view(claim: Claim) -> dict:
    return queries.claim_view(current_actor(), claim)


@blp.route("/claims", methods=["POST"])
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(200, schema=ClaimSchema, description="the same (kind, subject, month) claim already exists")
def create_claim(body):
    """File a claim; the amount and its `rule` are computed. `200` with the existing claim for a
    repeated (kind, subject, month); `422 not_eligible` with the reason."""
    claim, created = services.create_claim(current_actor(), **body)
    return _view(claim), 201 if created else 200


@blp.route("/claims", methods=["GET"])
@blp.arguments(ClaimListArgsSchema, location="query")
@blp.response(200, ClaimPageSchema)
def list_claims(args):
    stmt = queries.claims_in_scope(current_actor(), status=args["status"], kind=args["kind"], month=args["month"])
    # Each claim's history in one more query for the page, not one per claim.
    page = paginate(db.session, stmt.options(selectinload(Claim.events)), Claim.id, args["limit"], args["cursor"])
    page["items"] = [_view(c) for c in page["items"]]
    return page


@blp.route("/claims/<int:claim_id>", methods=["GET"])
@blp.response(200, ClaimSchema)
def get_claim(claim_id):
    """The payee account is masked unless the caller may see it."""
    return _view(queries.get_claim(current_actor(), claim_id))


@blp.route("/claims/<int:claim_id>/submit", methods=["POST"])
@blp.response(200, ClaimSchema)
def submit_claim(claim_id):
    """draft (or a corrected rejected claim) → submitted; `409 too_many_resubmissions`."""
    return _view(services.submit(current_actor(), queries.get_claim(current_actor(), claim_id)))


@blp.route("/claims/<int:claim_id>/review", methods=["POST"])
@blp.arguments(ClaimReviewSchema)
@blp.response(200, ClaimSchema)
def review_claim(body, claim_id):
    """The base manager: submitted → reviewed, or rejected with a reason code."""
    return _view(services.review(current_actor(), queries.get_claim(current_actor(), claim_id), **body))


@blp.route("/claims/<int:claim_id>/approve", methods=["POST"])
@blp.response(200, ClaimSchema)
def approve_claim(claim_id):
    """The county officer: reviewed → approved; `409 budget_exceeded`."""
    return _view(services.approve(current_actor(), queries.get_claim(current_actor(), claim_id)))


@blp.route("/claims/<int:claim_id>/reject", methods=["POST"])
@blp.arguments(ClaimRejectSchema)
@blp.response(200, ClaimSchema)
def reject_claim(body, claim_id):
    return _view(services.reject(current_actor(), queries.get_claim(current_actor(), claim_id), **body))


@blp.route("/claims/<int:claim_id>/pay", methods=["POST"])
@blp.response(200, ClaimSchema)
def pay_claim(claim_id):
    """The county officer: approved → paid."""
    return _view(services.mark_paid(current_actor(), queries.get_claim(current_actor(), claim_id)))


# ---------------------------------------------------------------- payee accounts (issue 21)

def _payee_view(payee_type: str, payee) -> dict:
    return {"payee_type": payee_type, "payee_id": payee.id, "name": payee.name,
            "has_account": bool(payee.bank_account), "masked_account": queries.mask_account(payee.bank_account)}


@blp.route("/enterprises/<int:enterprise_id>/payee-account", methods=["PUT"])
@blp.arguments(PayeeAccountSchema)
@blp.response(200, PayeeAccountViewSchema)
def put_enterprise_payee_account(body, enterprise_id):
    """The account the enterprise's claims are paid to (county officer of its region, or the admin);
    approval and payment refuse a claim whose payee has none (`422 payee_account_missing`)."""
    from base_ops.enterprises.queries import get_enterprise

    enterprise = get_enterprise(current_actor(), enterprise_id)
    return _payee_view("enterprise", payees.set_bank_account(current_actor(), enterprise, body["bank_account"]))


@blp.route("/bases/<int:base_id>/payee-account", methods=["PUT"])
@blp.arguments(PayeeAccountSchema)
@blp.response(200, PayeeAccountViewSchema)
def put_base_payee_account(body, base_id):
    """The account a base's handover claims are paid to (county officer of its region, or the admin)."""
    from base_ops.org.queries import get_base

    base = get_base(current_actor(), base_id)
    return _payee_view("base", payees.set_bank_account(current_actor(), base, body["bank_account"]))
