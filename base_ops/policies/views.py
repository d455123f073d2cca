"""Policy pages: the documents that apply where the user works and what each rule is there today; the admin
enters a document (with a preview of what it changes), ends one, or supersedes it from a date."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from base_ops.core.actor import current_actor
from base_ops.core.clock import today
from base_ops.core.errors import DomainError
from base_ops.core.roles import Role
from base_ops.core.ui import flash_error
from base_ops.extensions import db
from base_ops.org.models import Region
from base_ops.policies import changes, services
from base_ops.policies.forms import EndPolicyForm, PolicyForm
from base_ops.policies.keys import RULE_KEYS, show

bp = Blueprint("policies", __name__)


def _home_region(actor) -> str | None:
    """Where the user works: an officer's region, a manager's first base's county; none for the admin."""
    if actor.role == Role.COUNTY_OFFICER:
        return actor.region_code
    if actor.role == Role.BASE_MANAGER and actor.bases:
        return actor.bases[0].region_code
    return None


def _day_arg(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.get("/policies")
def policy_list():
    actor = current_actor()
    region_code = request.args.get("region_code", "").strip() or _home_region(actor)
    if region_code and db.session.get(Region, region_code) is None:
        flash(_("Region code %(code)s is not known.", code=region_code), "danger")
        region_code = _home_region(actor)
    on = _day_arg("on") or today()
    policies = services.list_policies(region_code)
    effective = services.applied_all(region_code, on) if region_code else None
    return render_template("policies/list.html", policies=policies, effective=effective, keys=RULE_KEYS, show=show,
                           region=db.session.get(Region, region_code) if region_code else None, on=on,
                           may_enter=actor.role == Role.ADMIN)


@bp.get("/policies/<int:policy_id>")
def policy_detail(policy_id: int):
    policy = services.get_policy(policy_id)
    actor = current_actor()
    order = list(RULE_KEYS)
    rules = sorted(policy.rules, key=lambda r: order.index(r.key) if r.key in RULE_KEYS else len(order))
    return render_template("policies/detail.html", policy=policy, rules=rules, keys=RULE_KEYS, show=show,
                           region=db.session.get(Region, policy.region_code) if policy.region_code else None,
                           superseded=services.get_policy(policy.supersedes_id) if policy.supersedes_id else None,
                           end_form=EndPolicyForm(formdata=None) if actor.role == Role.ADMIN else None)


def _form_data(form: PolicyForm) -> dict:
    """The form as the service takes it: rule values and articles from the `rule-<key>` / `article-<key>` rows."""
    rules, articles = {}, {}
    for key in RULE_KEYS:
        value = request.form.get(f"rule-{key}", "").strip()
        if value:
            rules[key] = value
            article = request.form.get(f"article-{key}", "").strip()
            if article:
                articles[key] = article
    supersedes = (form.supersedes_id.data or "").strip()
    return {"region_code": (form.region_code.data or "").strip() or None, "title": form.title.data,
            "document_no": form.document_no.data, "issued_by": form.issued_by.data,
            "effective_from": form.effective_from.data, "effective_to": form.effective_to.data,
            "rules": rules, "articles": articles,
            "supersedes_id": int(supersedes) if supersedes.isdigit() and len(supersedes) < 10 else None}


def _place_errors(form: PolicyForm, error: DomainError) -> dict[str, list[str]]:
    """A field's problem next to the field, a rule's next to its row (returned); the rest as a message."""
    rule_errors: dict[str, list[str]] = {}
    unplaced = not error.fields
    for name, problems in (error.fields or {}).items():
        if name.startswith(("rules", "articles")):
            rule_errors[name] = problems
        elif hasattr(getattr(form, name, None), "errors"):
            getattr(form, name).errors = [*getattr(form, name).errors, *problems]
        else:
            unplaced = True
    if unplaced:
        flash_error(error)
    return rule_errors


@bp.route("/policies/new", methods=["GET", "POST"])
def new_policy():
    form = PolicyForm()
    rule_errors: dict[str, list[str]] = {}
    preview = None
    superseded = None
    if request.method == "GET" and request.args.get("supersedes", "").isdigit():
        # A new version of a document: its region, title and values to start from.
        superseded = services.get_policy(int(request.args["supersedes"][:9]))
        form.region_code.data = superseded.region_code
        form.title.data, form.document_no.data = superseded.title, superseded.document_no
        form.issued_by.data, form.supersedes_id.data = superseded.issued_by, str(superseded.id)
    values = {r.key: (show(r.value), r.article or "") for r in superseded.rules} if superseded else {}
    if request.method == "POST":
        values = {key: (request.form.get(f"rule-{key}", ""), request.form.get(f"article-{key}", ""))
                  for key in RULE_KEYS}
        if form.validate_on_submit():
            data = _form_data(form)
            try:
                if request.form.get("action") == "preview":
                    preview = changes.preview(current_actor(), data)
                else:
                    policy = changes.adopt(current_actor(), data)
                    flash(_("Policy saved: it applies from %(day)s.", day=policy.effective_from.isoformat()), "success")
                    return redirect(url_for("policies.policy_detail", policy_id=policy.id))
            except DomainError as error:
                rule_errors = _place_errors(form, error)
    return render_template("policies/form.html", form=form, keys=RULE_KEYS, show=show, values=values,
                           rule_errors=rule_errors, preview=preview), 422 if (form.errors or rule_errors) else 200


@bp.post("/policies/<int:policy_id>/end")
def end_policy(policy_id: int):
    policy = services.get_policy(policy_id)
    form = EndPolicyForm()
    if form.validate_on_submit():
        try:
            changes.end(current_actor(), policy, form.effective_to.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("The policy ends on %(day)s.", day=form.effective_to.data.isoformat()), "success")
    else:
        flash(_("Give the last day in force."), "danger")
    return redirect(url_for("policies.policy_detail", policy_id=policy.id))
