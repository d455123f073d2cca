"""The home page: what each role needs first, within its scope."""

from datetime import timedelta

from flask import Blueprint, render_template
from sqlalchemy import func, select

from base_ops.accounts import services as account_services
from base_ops.accounts.models import Role, User
from base_ops.core.actor import current_actor
from base_ops.core.audit import AuditEvent
from base_ops.core.clock import today
from base_ops.core.db import utcnow
from base_ops.enterprises.models import Enterprise
from base_ops.extensions import db
from base_ops.home import today as today_summary
from base_ops.home import work as officer_work
from base_ops.meals.queries import served_count
from base_ops.org import queries
from base_ops.org.models import Base, Region

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    user = current_actor()
    context = {"today": today()}
    if user.role == Role.ADMIN:
        context["users_by_role"] = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        context["base_count"] = db.session.scalar(select(func.count()).select_from(Base))
        context["enterprise_count"] = db.session.scalar(select(func.count()).select_from(Enterprise))
        context["region_count"] = db.session.scalar(select(func.count()).select_from(Region))
        context["locked_users"] = account_services.locked_accounts()
    elif user.role == Role.AUDITOR:
        since = utcnow() - timedelta(days=1)
        context["recent_by_result"] = dict(db.session.execute(
            select(AuditEvent.result, func.count()).where(AuditEvent.occurred_at >= since).group_by(AuditEvent.result)
        ).all())
        context["recent_failures"] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.result != "success").order_by(AuditEvent.seq.desc()).limit(10)
        ).all()
    elif user.role == Role.BASE_MANAGER:
        bases = db.session.scalars(queries.bases_in_scope(user).order_by(Base.name)).all()
        context["bases"] = bases
        context["summary"] = today_summary.for_bases(bases, today())
        context["meals_today"] = served_count([b.id for b in bases], today())
    elif user.role == Role.TRAINER:
        from base_ops.training import queries as training  # the trainer's day: today's sessions, his courses

        context["bases"] = list(user.bases)
        context["todays_sessions"] = training.todays_sessions(user, today())
        context["courses"] = training.list_courses(user, limit=50)
        context["marked"] = training.marked_counts([s.id for s in context["todays_sessions"]])
    elif user.role == Role.COUNTY_OFFICER:
        bases = db.session.scalars(queries.bases_in_scope(user).order_by(Base.name).limit(200)).all()
        context["bases"] = bases
        context["counts"] = queries.bed_counts_by_base([b.id for b in bases], today())
        from base_ops.followup.queries import missing_count  # 脱管 people: the county sees them at once

        context["missing_count"] = missing_count(user)
        context["work"] = officer_work.for_officer(user)
        if user.region_code:
            context["region_path"] = queries.region_path(user.region_code)
    elif user.role == Role.ENTERPRISE:
        from base_ops.enterprises.queries import current_agreement, posting_counts
        from base_ops.placements.queries import due_checks, pipeline_counts

        context["enterprise"] = db.session.get(Enterprise, user.enterprise_id)
        if context["enterprise"] is not None:
            context["postings"] = posting_counts(user.enterprise_id)
            context["agreement"] = current_agreement(user.enterprise_id)
            context["pipeline"] = pipeline_counts(user)
            context["due"] = due_checks(user)
    return render_template(f"home/{user.role.value}.html", **context)
