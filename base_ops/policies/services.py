"""Which rule value applies to a case, and the admin's use cases on policies (docs/domain.md "Policy
differs by region and changes over time"; docs/api.md "Policies").

`applied(key, region_code, on)` is the one way the code reads a policy value: the most specific
region's policy in force on the deciding day that sets the key — county, then its city, then its
province, then a national document — else the system default of policies/keys.py. The answer
carries the document and article, so every amount, deadline and refusal can say what decided it.

All policies are read once per application context (a request, a CLI command) and answered from
memory after that: a province has tens of documents, and a list page asks for hundreds of values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask import g
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from base_ops.core import audit
from base_ops.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from base_ops.core.roles import Role
from base_ops.core.scope import regions_up_from
from base_ops.core.unit_of_work import use_case
from base_ops.extensions import db
from base_ops.org.models import Region
from base_ops.policies.keys import RULE_KEYS, RuleKey
from base_ops.policies.models import Policy, PolicyRule

SYSTEM_DEFAULT = "系统默认值"


@dataclass(frozen=True)
class Applied:
    """A rule value and what decided it (a policy and its article, or the system default)."""

    key: str
    value: Decimal
    policy_id: int | None = None
    title: str | None = None
    document_no: str | None = None
    article: str | None = None
    region_code: str | None = None

    @property
    def whole(self) -> int:
        return int(self.value)

    def citation(self) -> str:
        """《title》（文号）第六条, or 系统默认值 — never a document the region does not follow."""
        if self.title is None:
            return SYSTEM_DEFAULT
        text = f"《{self.title}》"
        if self.document_no:
            text += f"（{self.document_no}）"
        return text + (self.article or "")


@dataclass
class _Entry:
    """One policy as the lookup holds it."""

    policy_id: int | None
    region_code: str | None
    title: str
    document_no: str | None
    effective_from: date
    effective_to: date | None
    rules: dict[str, tuple[Decimal, str | None]] = field(default_factory=dict)

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


_BOOK = "_policy_book"
_PROPOSED = "_policy_proposed"


def _book() -> dict[str | None, list[_Entry]]:
    book = g.get(_BOOK)
    if book is None:
        book = {}
        policies = db.session.scalars(select(Policy).options(selectinload(Policy.rules)))
        for policy in policies:
            book.setdefault(policy.region_code, []).append(_Entry(
                policy.id, policy.region_code, policy.title, policy.document_no, policy.effective_from,
                policy.effective_to, {r.key: (Decimal(r.value), r.article) for r in policy.rules}))
        setattr(g, _BOOK, book)
    proposed = g.get(_PROPOSED)
    if proposed is None:
        return book
    merged = {code: list(entries) for code, entries in book.items()}
    merged.setdefault(proposed.region_code, []).insert(0, proposed)
    return merged


def forget() -> None:
    """Read the policies again at the next lookup (after one is added or ended)."""
    g.pop(_BOOK, None)


def region_chain(region_code: str | None) -> list[str | None]:
    """county → city → province (core.scope.regions_up_from), then national (None)."""
    regions: list[str | None] = list(regions_up_from(region_code)) if region_code and len(region_code) == 6 else []
    return [*regions, None]


def applied(key: str, region_code: str | None, on: date) -> Applied:
    """The value of `key` for a case in `region_code` decided on `on`, and the document it comes from."""
    rule_key = RULE_KEYS[key]
    book = _book()
    for code in region_chain(region_code):
        in_force = [e for e in book.get(code, ()) if key in e.rules and e.in_force_on(on)]
        if in_force:
            # Overlaps are refused when a policy is added; should two remain, the later document wins.
            entry = max(in_force, key=lambda e: (e.effective_from, e.policy_id or 0))
            value, article = entry.rules[key]
            return Applied(key, value, entry.policy_id, entry.title, entry.document_no, article, entry.region_code)
    return Applied(key, rule_key.default)


def cite(values) -> str:
    """The distinct sources of several applied values, in order: 《甲》第六条；系统默认值."""
    return "；".join(dict.fromkeys(v.citation() for v in values))


def applied_all(region_code: str | None, on: date) -> dict[str, Applied]:
    """Every key with its value and source (GET /policies/effective)."""
    return {key: applied(key, region_code, on) for key in RULE_KEYS}


@contextmanager
def proposing(entry: _Entry) -> Iterator[None]:
    """Answer lookups as if `entry` were in force too (the preview of a new policy); nothing is written."""
    setattr(g, _PROPOSED, entry)
    try:
        yield
    finally:
        g.pop(_PROPOSED, None)


# ---------------------------------------------------------------- checking a new policy

def require_admin(actor) -> None:
    """An administrator enters and ends documents; `None` is the system itself (the seed loads the seeds'
    documents, as it loads regions)."""
    if actor is not None and actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only an administrator enters policy documents."))


def _text(errors: dict, name: str, value, limit: int, *, required: bool) -> str | None:
    text = value.strip() if isinstance(value, str) else ("" if value is None else None)
    if text is None:
        errors[name] = [_("must be text")]
        return None
    if not text:
        if required:
            errors[name] = [_("is required")]
        return None
    if len(text) > limit:
        errors[name] = [_("at most %(max)s characters", max=limit)]
        return None
    return text


def _day(errors: dict, name: str, value, *, required: bool) -> date | None:
    if value is None or value == "":
        if required:
            errors[name] = [_("is required")]
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            errors[name] = [_("must be a date YYYY-MM-DD")]
            return None
    if not date(1949, 10, 1) <= day <= date(2099, 12, 31):
        errors[name] = [_("must be between 1949-10-01 and 2099-12-31")]
        return None
    return day


def rule_value(rule_key: RuleKey, value) -> Decimal:
    """A rule value as the engine stores it; ValueError with the reason when it is not one."""
    if isinstance(value, bool):
        raise ValueError(_("must be a number"))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(_("must be a number")) from None
    if not number.is_finite():
        raise ValueError(_("must be a number"))
    if rule_key.whole and number != number.to_integral_value():
        raise ValueError(_("must be a whole number"))
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("at most two decimal places"))
    if not rule_key.low <= number <= rule_key.high:
        raise ValueError(_("must be between %(low)s and %(high)s", low=rule_key.low.normalize(),
                           high=rule_key.high.normalize()))
    return number.quantize(Decimal("0.01"))


def _rules(errors: dict, rules, articles) -> dict[str, tuple[Decimal, str | None]]:
    if not isinstance(rules, Mapping) or not rules:
        errors["rules"] = [_("name at least one rule and its value")]
        return {}
    if articles is None:
        articles = {}
    if not isinstance(articles, Mapping):
        errors["articles"] = [_("must map rule names to articles")]
        articles = {}
    out: dict[str, tuple[Decimal, str | None]] = {}
    for key, value in rules.items():
        rule_key = RULE_KEYS.get(key) if isinstance(key, str) else None
        if rule_key is None:
            errors[f"rules.{key}"] = [_("is not a rule the system knows (GET /policies/keys lists them)")]
            continue
        try:
            number = rule_value(rule_key, value)
        except ValueError as problem:
            errors[f"rules.{key}"] = [str(problem)]
            continue
        article = articles.get(key)
        if article is not None and (not isinstance(article, str) or len(article.strip()) > 50):
            errors[f"articles.{key}"] = [_("at most %(max)s characters", max=50)]
            continue
        out[key] = (number, (article or "").strip() or None)
    for key in articles:
        if key not in rules:
            errors[f"articles.{key}"] = [_("names a rule this policy does not set")]
    return out


def _overlapping(region_code: str | None, keys, start: date, end: date | None, *, ignore: set[int]) -> Policy | None:
    """Another policy of the same region in force on some common day that sets one of `keys`."""
    candidates = db.session.scalars(
        select(Policy).where(Policy.region_code.is_(None) if region_code is None else Policy.region_code == region_code)
        .options(selectinload(Policy.rules)))
    for other in candidates:
        if other.id in ignore:
            continue
        if end is not None and other.effective_from > end:
            continue
        if other.effective_to is not None and other.effective_to < start:
            continue
        if {r.key for r in other.rules} & set(keys):
            return other
    return None


# ---------------------------------------------------------------- use cases

@dataclass(frozen=True)
class PolicyInput:
    region_code: str | None
    title: str
    document_no: str | None
    issued_by: str | None
    effective_from: date
    effective_to: date | None
    rules: dict[str, tuple[Decimal, str | None]]


def check_policy(data: Mapping) -> PolicyInput:
    """The fields of a new policy, checked; 422 naming every field at fault."""
    errors: dict[str, list[str]] = {}
    region_code = data.get("region_code")
    if region_code in (None, ""):
        region_code = None
    elif not isinstance(region_code, str) or db.session.get(Region, region_code.strip()) is None:
        errors["region_code"] = [_("is not a known region (a province, city or county code)")]
    else:
        region_code = region_code.strip()
    title = _text(errors, "title", data.get("title"), 200, required=True)
    document_no = _text(errors, "document_no", data.get("document_no"), 100, required=False)
    issued_by = _text(errors, "issued_by", data.get("issued_by"), 100, required=False)
    start = _day(errors, "effective_from", data.get("effective_from"), required=True)
    end = _day(errors, "effective_to", data.get("effective_to"), required=False)
    if start and end and end < start:
        errors["effective_to"] = [_("must not be before effective_from")]
    rules = _rules(errors, data.get("rules"), data.get("articles"))
    if errors:
        raise ValidationFailed(_("The policy has errors."), fields=errors)
    return PolicyInput(region_code, title or "", document_no, issued_by, start, end, rules)  # type: ignore[arg-type]


@use_case
def create_policy(actor, data: Mapping) -> Policy:
    """Enter a published document and the rule values it sets. With `supersedes_id`, the older
    document of the same region ends the day before this one takes over. 409 policy_overlap when
    another document of the same region sets one of the same rules on a common day."""
    require_admin(actor)
    clean = check_policy(data)
    ignore: set[int] = set()
    superseded = None
    supersedes_id = data.get("supersedes_id")
    if supersedes_id not in (None, ""):
        superseded = db.session.get(Policy, supersedes_id) if isinstance(supersedes_id, int) else None
        if superseded is None or superseded.region_code != clean.region_code:
            raise ValidationFailed.on("supersedes_id", _("is not a policy of the same region"))
        last_day = clean.effective_from - timedelta(days=1)
        if last_day < superseded.effective_from:
            raise ValidationFailed.on("effective_from", _("must be after the day the superseded policy took effect"))
        if superseded.effective_to is None or superseded.effective_to > last_day:
            superseded.effective_to = last_day
        ignore.add(superseded.id)
    other = _overlapping(clean.region_code, clean.rules, clean.effective_from, clean.effective_to, ignore=ignore)
    if other is not None:
        raise Conflict(_("《%(title)s》 already sets some of these rules for this region on these days; end it or "
                         "supersede it from a date.", title=other.title), code="policy_overlap",
                       extra={"policy_id": other.id})
    policy = Policy(region_code=clean.region_code, title=clean.title, document_no=clean.document_no,
                    issued_by=clean.issued_by, effective_from=clean.effective_from,
                    effective_to=clean.effective_to, created_by_id=actor.id if actor else None,
                    supersedes_id=superseded.id if superseded else None,
                    rules=[PolicyRule(key=k, value=v, article=a) for k, (v, a) in clean.rules.items()])
    db.session.add(policy)
    db.session.flush()
    audit.record(actor, "policy_created", policy, region_code=clean.region_code, title=clean.title,
                 effective_from=clean.effective_from.isoformat(),
                 effective_to=clean.effective_to.isoformat() if clean.effective_to else None,
                 rules={k: str(v) for k, (v, _a) in clean.rules.items()},
                 supersedes_id=superseded.id if superseded else None)
    forget()
    return policy


@use_case
def end_policy(actor, policy: Policy, effective_to) -> Policy:
    """Set the policy's last day in force. The rule values are never edited: a changed rule is a new
    document that supersedes this one from a date."""
    require_admin(actor)
    errors: dict[str, list[str]] = {}
    last_day = _day(errors, "effective_to", effective_to, required=True)
    if errors:
        raise ValidationFailed(_("The date has errors."), fields=errors)
    assert last_day is not None
    if last_day < policy.effective_from:
        raise ValidationFailed.on("effective_to", _("must not be before effective_from"))
    previous = policy.effective_to
    policy.effective_to = last_day
    audit.record(actor, "policy_ended", policy, effective_to=last_day.isoformat(),
                 previous=previous.isoformat() if previous else None)
    forget()
    return policy


def get_policy(policy_id: int) -> Policy:
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        raise NotFound(_("No such policy."))
    return policy


def list_policies(region_code: str | None = None, on: date | None = None) -> list[Policy]:
    """Policies, the most specific region first; with `region_code`, those that apply there (the region,
    the regions above it, national); with `on`, those in force that day."""
    stmt = select(Policy).options(selectinload(Policy.rules)).order_by(Policy.region_code.desc().nulls_last(),
                                                                       Policy.effective_from.desc(), Policy.id)
    if region_code:
        codes = [c for c in region_chain(region_code) if c is not None]
        stmt = stmt.where(Policy.region_code.in_(codes) | Policy.region_code.is_(None))
    policies = list(db.session.scalars(stmt))
    if on is not None:
        policies = [p for p in policies if p.in_force_on(on)]
    return policies


def draft_entry(clean: PolicyInput) -> _Entry:
    """A checked new policy as the lookup holds it, for `proposing` (the preview)."""
    return _Entry(None, clean.region_code, clean.title, clean.document_no, clean.effective_from, clean.effective_to,
                  dict(clean.rules))
