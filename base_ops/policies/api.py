"""JSON API of policies (docs/api.md "Policies")."""

from flask_smorest import Blueprint

from base_ops.core.actor import current_actor
from base_ops.core.clock import today
from base_ops.policies import changes, services
from base_ops.policies.keys import RULE_KEYS
from base_ops.policies.models import Policy
from base_ops.policies.schemas import (
    EffectiveArgsSchema,
    EffectiveSchema,
    PolicyCreateSchema,
    PolicyEndSchema,
    PolicyListArgsSchema,
    PolicyListSchema,
    PolicySchema,
    PreviewSchema,
    RuleKeyListSchema,
)

blp = Blueprint("policies_api", __name__, description="Policies")


def policy_view(policy: Policy) -> dict:
    return {"id": policy.id, "region_code": policy.region_code, "title": policy.title,
            "document_no": policy.document_no, "issued_by": policy.issued_by,
            "effective_from": policy.effective_from, "effective_to": policy.effective_to,
            "supersedes_id": policy.supersedes_id, "citation": policy.cited(),
            "rules": [{"key": r.key, "value": r.value, "article": r.article} for r in policy.rules]}


def applied_view(applied: services.Applied) -> dict:
    return {"key": applied.key, "value": applied.value, "policy_id": applied.policy_id, "title": applied.title,
            "document_no": applied.document_no, "article": applied.article, "region_code": applied.region_code,
            "citation": applied.citation()}


@blp.route("/policies", methods=["POST"])
@blp.arguments(PolicyCreateSchema)
@blp.response(201, PolicySchema)
def create_policy(body):
    """Enter a published document (admin); `422` names an unknown rule key or a bad value
    (`rules.<key>`), `409 policy_overlap` when another document of the region sets the same rule on a
    common day (end it, or pass `supersedes_id`). Draft claims and open receipt deadlines of the region
    follow the new policy; approved claims never change."""
    return policy_view(changes.adopt(current_actor(), body))


@blp.route("/policies/preview", methods=["POST"])
@blp.arguments(PolicyCreateSchema)
@blp.response(200, PreviewSchema)
def preview_policy(body):
    """What the policy would change if entered (admin): values that differ, draft claims whose amount would
    change, open receipt deadlines that would move. Nothing is written."""
    result = changes.preview(current_actor(), body)
    return {"changes": [{"key": c["key"], "current": applied_view(c["current"]), "proposed": c["proposed"]}
                        for c in result["changes"]],
            "claims": [{"claim_id": c.claim.id, "kind": str(c.claim.kind), "status": str(c.claim.status),
                        "amount": c.claim.amount, "proposed_amount": c.amount} for c in result["claims"]],
            "notices": [{"notice_id": n.notice.id, "feedback_due_on": n.notice.feedback_due_on,
                         "proposed_due_on": n.due_on} for n in result["notices"]]}


@blp.route("/policies", methods=["GET"])
@blp.arguments(PolicyListArgsSchema, location="query")
@blp.response(200, PolicyListSchema)
def list_policies(args):
    """Policies that apply in a region (its own, the regions above it, national), optionally those in force
    on a day; the most specific region first."""
    return {"items": [policy_view(p) for p in services.list_policies(args["region_code"], args["on"])]}


@blp.route("/policies/keys", methods=["GET"])
@blp.response(200, RuleKeyListSchema)
def list_keys():
    """The rule keys the engine knows, with their national defaults and what decides each."""
    return {"items": [{"key": k.key, "default": k.default, "label": str(k.label), "unit": str(k.unit),
                       "decided_by": str(k.decided_by), "whole": k.whole, "low": k.low, "high": k.high}
                      for k in RULE_KEYS.values()]}


@blp.route("/policies/effective", methods=["GET"])
@blp.arguments(EffectiveArgsSchema, location="query")
@blp.response(200, EffectiveSchema)
def effective(args):
    """Every key with its value and the document it comes from, after county → city → province → national."""
    on = args["on"] or today()
    values = services.applied_all(args["region_code"], on)
    return {"region_code": args["region_code"], "on": on, "rules": [applied_view(v) for v in values.values()]}


@blp.route("/policies/<int:policy_id>", methods=["GET"])
@blp.response(200, PolicySchema)
def get_policy(policy_id):
    return policy_view(services.get_policy(policy_id))


@blp.route("/policies/<int:policy_id>/end", methods=["POST"])
@blp.arguments(PolicyEndSchema)
@blp.response(200, PolicySchema)
def end_policy(body, policy_id):
    """Set the last day in force (admin); the values are never edited — a change is a new document."""
    return policy_view(changes.end(current_actor(), services.get_policy(policy_id), body["effective_to"]))
