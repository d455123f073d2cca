"""base_ops: operations system for transitional resettlement bases (过渡性安置基地)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request, session

from base_ops.config import PROJECT_ROOT, Config, config_from_env
from base_ops.core.logs import install_masking


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    config = config or config_from_env()
    app.config.from_object(config)
    app.config.update(overrides)
    _engine_settings(app)
    install_masking()  # ID numbers and account numbers never reach the logs (core/logs.py)
    _trust_proxies(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not os.environ.get("SECRET_KEY") and "SECRET_KEY" not in overrides and config.ENV_NAME == "development":
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    config.check(app)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    if config.ENV_NAME == "production":
        _refuse_seeded_passwords(app)
    return app


def _instance_secret_key(instance: Path) -> str:
    """Development only: a random key kept in instance/, never a hard-coded one."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _select_locale():
    from flask import current_app

    from base_ops.core.api import is_api_request

    languages, default = current_app.config["LANGUAGES"], current_app.config["BABEL_DEFAULT_LOCALE"]
    if request and is_api_request():
        # An API caller has no session to keep a choice in: it asks per request (`Accept-Language: en`), and is
        # answered in Chinese unless it asks for a language the app has (issue 21; docs/api.md "Conventions").
        return request.accept_languages.best_match(languages, default=default)
    lang = session.get("lang") if request else None
    return lang if lang in languages else default


def _init_extensions(app: Flask) -> None:
    import base_ops.models  # noqa: F401 - every table in the metadata
    from base_ops.core import web
    from base_ops.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    # Access control and timeouts run before CSRF, so a forbidden POST says 403.
    web.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from base_ops.accounts import auth

    auth.init_login_manager(login_manager)

    @app.context_processor
    def inject_helpers():
        from base_ops.core import ui

        return ui.template_globals()


def _trust_proxies(app: Flask) -> None:
    """Behind nginx (PROXY_HOPS=1) take the client address and scheme from its forwarded headers."""
    hops = app.config.get("PROXY_HOPS") or 0
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _engine_settings(app: Flask) -> None:
    """Statement parameters never reach logs or error texts: they carry names, ID numbers and bank
    accounts (GB/T 35273-2020; docs/security.md "Audit": never a full ID number), so `hide_parameters`.

    PostgreSQL: no JIT compilation. Report statements are costly enough to trigger it, and compiling
    them takes longer (150–250 ms, measured in tests/perf) than running them; the app's queries are
    short and do not gain from it."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("hide_parameters", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("options", "-c jit=off")
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _register_blueprints(app: Flask) -> None:
    from base_ops.accounts.api import blp as auth_blp
    from base_ops.accounts.views import bp as accounts_bp
    from base_ops.audit_log.api import blp as audit_blp
    from base_ops.audit_log.views import bp as audit_bp
    from base_ops.beds.api import blp as beds_blp
    from base_ops.beds.views import bp as beds_bp
    from base_ops.core.api import API_PREFIX, BaseOpsApi
    from base_ops.documents.api import blp as documents_blp
    from base_ops.documents.views import bp as documents_bp
    from base_ops.enterprises.api import blp as enterprises_blp
    from base_ops.enterprises.views import bp as enterprises_bp
    from base_ops.extensions import csrf
    from base_ops.followup.api import blp as followup_blp
    from base_ops.followup.views import bp as followup_bp
    from base_ops.home.views import bp as home_bp
    from base_ops.intake.notices.api import blp as notices_blp
    from base_ops.intake.notices.views import bp as notices_bp
    from base_ops.intake.stays.api import blp as stays_blp
    from base_ops.intake.stays.views import bp as stays_bp
    from base_ops.meals.api import blp as meals_blp
    from base_ops.meals.views import bp as meals_bp
    from base_ops.org.api import blp as reference_blp
    from base_ops.org.views import bp as org_bp
    from base_ops.placements.api import blp as placements_blp
    from base_ops.placements.views import bp as placements_bp
    from base_ops.policies.api import blp as policies_blp
    from base_ops.policies.views import bp as policies_bp
    from base_ops.reminders.api import blp as reminders_blp
    from base_ops.reminders.views import bp as reminders_bp
    from base_ops.reports.dashboard.api import blp as reports_blp
    from base_ops.reports.dashboard.views import bp as reports_bp
    from base_ops.reports.exports.views import bp as exports_bp
    from base_ops.reports.monthly.api import blp as monthly_blp
    from base_ops.reports.monthly.views import bp as monthly_bp
    from base_ops.residents.api import blp as residents_blp
    from base_ops.residents.views import bp as residents_bp
    from base_ops.subsidies.api import blp as subsidies_blp
    from base_ops.subsidies.views import bp as subsidies_bp
    from base_ops.training.api import blp as training_blp
    from base_ops.training.views import bp as training_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(enterprises_bp)
    app.register_blueprint(audit_bp)
    for bp in (residents_bp, notices_bp, stays_bp, beds_bp, meals_bp, training_bp, placements_bp, subsidies_bp,
               reports_bp, monthly_bp, exports_bp, policies_bp, documents_bp, reminders_bp, followup_bp):
        app.register_blueprint(bp)

    api = BaseOpsApi(app, spec_kwargs={
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    })
    for blp in (auth_blp, reference_blp, audit_blp, residents_blp, notices_blp, stays_blp, beds_blp, meals_blp,
                training_blp, enterprises_blp, placements_blp, subsidies_blp, reports_blp,
                monthly_blp, policies_blp, documents_blp, reminders_blp, followup_blp):
        api.register_blueprint(blp, url_prefix=API_PREFIX)
        csrf.exempt(blp)  # bearer tokens, no cookies: CSRF does not apply
    app.extensions["base_ops_api"] = api


def _register_cli(app: Flask) -> None:
    from base_ops.accounts.cli import users_cli
    from base_ops.audit_log.cli import audit_cli
    from base_ops.backup.cli import backup_command, restore_command
    from base_ops.followup.cli import follow_ups_cli
    from base_ops.intake.cli import calendar_cli
    from base_ops.reminders.cli import reminders_cli
    from base_ops.reports.cli import reports_cli
    from base_ops.reports.exports.cli import exports_cli
    from base_ops.seed.cli import seed_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(exports_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(follow_ups_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _refuse_seeded_passwords(app: Flask) -> None:
    """Production refuses to run while a demo/seed password is still active."""
    from sqlalchemy import inspect, select

    from base_ops.accounts.models import User
    from base_ops.extensions import db

    with app.app_context():
        if not inspect(db.engine).has_table("users"):
            return
        names = db.session.execute(
            select(User.username).where(User.has_seeded_password.is_(True), User.is_enabled.is_(True))
        ).scalars().all()
        db.session.remove()
    if names:
        raise RuntimeError(
            "Refusing to start in production: demo passwords still active for " + ", ".join(sorted(names))
        )
