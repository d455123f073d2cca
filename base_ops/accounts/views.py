"""Sign-in, second factor, password change, and the admin's user pages."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from markupsafe import Markup
from sqlalchemy import select

from base_ops.accounts import services
from base_ops.accounts.auth import fresh_login_required, login_rate_limit, start_session
from base_ops.accounts.forms import (
    TOKEN_SOURCES,
    AdminPasswordForm,
    ChangePasswordForm,
    LoginForm,
    OtpForm,
    ReauthForm,
    TotpChangeForm,
    UserForm,
)
from base_ops.accounts.models import User
from base_ops.core.actor import current_actor
from base_ops.core.db import utcnow
from base_ops.core.errors import DomainError
from base_ops.core.forms import EmptyForm
from base_ops.core.redirects import local_path, safe_next
from base_ops.core.roles import ROLE_LABELS
from base_ops.core.ui import flash_error, form_errors_from
from base_ops.extensions import db, limiter

bp = Blueprint("accounts", __name__)

PENDING_SECONDS = 300


# ---------------------------------------------------------------- sign-in

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data.strip(), form.password.data)
        except DomainError as error:
            flash_error(error)
        else:
            return _after_password(user)
    return render_template("accounts/login.html", form=form)


def _after_password(user: User):
    next_url = safe_next(request.args.get("next"), url_for("home.index"))
    if services.requires_second_factor(user):
        session.clear()
        session["pending"] = {"user_id": user.id, "version": user.session_version,
                              "at": utcnow().timestamp(), "next": next_url}
        if user.totp_enabled:
            return redirect(url_for("accounts.login_otp"))
        services.begin_totp_at_sign_in(user)  # the new secret stays in the database, not in this cookie
        return redirect(url_for("accounts.login_totp_setup"))
    return _finish_login(user, "password", next_url)


def _finish_login(user: User, method: str, next_url: str):
    services.complete_login(user, method)
    start_session(user)
    if services.password_expired(user):
        session["must_change_password"] = True
        flash(_("Your password has expired. Please choose a new one."), "warning")
        return redirect(url_for("accounts.change_password"))
    return redirect(next_url)


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get("pending") or {}
    if not pending or utcnow().timestamp() - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    user = db.session.get(User, pending["user_id"])
    if user is None or user.session_version != pending["version"] or not user.is_enabled:
        return None, {}
    return user, pending


@bp.route("/login/otp", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login_otp():
    user, pending = _pending_user()
    if user is None or not user.totp_enabled:
        session.pop("pending", None)
        return redirect(url_for("accounts.login"))
    form = OtpForm()
    if form.validate_on_submit():
        if services.is_locked_here(user):
            flash(_("Too many failed sign-ins with this user name from your address. Try again later."), "danger")
            session.pop("pending", None)
            return redirect(url_for("accounts.login"))
        if services.verify_otp(user, form.code.data):
            return _finish_login(user, "password+totp", pending["next"])
        flash(_("The code is not correct. Check the time on your phone and try again."), "danger")
    return render_template("accounts/otp.html", form=form)


@bp.route("/login/totp-setup", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login_totp_setup():
    user, pending = _pending_user()
    if user is None or user.totp_enabled or not user.totp_pending_secret:
        session.pop("pending", None)
        return redirect(url_for("accounts.login"))
    form = OtpForm()
    secret = user.totp_pending_secret
    if form.validate_on_submit():
        try:
            services.enrol_totp(user, form.code.data)
        except DomainError as error:
            flash_error(error)
        else:
            return _finish_login(user, "password+totp_enrolled", pending["next"])
    return render_template("accounts/totp_setup.html", form=form, secret=secret,
                           qr=_qr_svg(services.totp_uri(user, secret)), required=True)


def _qr_svg(data: str) -> Markup:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return Markup(svg[svg.index("<svg"):])  # noqa: S704 - SVG generated by qrcode from our own URI


@bp.post("/logout")
def logout():
    services.logout(current_actor())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


# ---------------------------------------------------------------- own account

@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])  # a password is typed here too
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            form.confirm.errors.append(_("The two new passwords differ."))
        else:
            try:
                services.change_password(current_actor(), form.current_password.data,
                                         form.new_password.data)
            except DomainError as error:
                form_errors_from(form, error)
            else:
                start_session(current_actor())  # this session lives on, others end
                flash(_("Your password has been changed. Other sessions were signed out."), "success")
                return redirect(url_for("home.index"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/reauth", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])  # a password is typed here too
def reauthenticate():
    form = ReauthForm()
    if form.validate_on_submit():
        try:
            services.authenticate(current_user.username, form.password.data)
        except DomainError as error:
            flash_error(error)
        else:
            session["auth_at"] = utcnow().timestamp()
            target = safe_next(request.args.get("next"), url_for("home.index"))
            if is_download(target):
                # A file answers the redirect and the browser would stay on this prompt, which reads as a
                # failure (issue 17): a page says the download started and leads back.
                return render_template("accounts/download_started.html", target=target,
                                       back=local_path(request.args.get("back")))
            return redirect(target)
    return render_template("accounts/reauth.html", form=form)


def is_download(path: str) -> bool:
    """Whether a path answers with a file (a spreadsheet, a PDF, an export's download), not a page."""
    return urlsplit(path).path.endswith((".xlsx", ".pdf", "/download"))


@bp.route("/account/totp", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])  # a password is typed here too
def account_totp():
    """Set up or replace the second factor in two steps: the password (and the current code, when one
    is on) first, then the code of the new key. The new key is kept on the user, never in the cookie."""
    user = current_actor()
    if "code" in request.form:
        form = OtpForm()
        if form.validate_on_submit():
            try:
                services.enrol_totp(user, form.code.data)
            except DomainError as error:
                flash_error(error)
            else:
                start_session(user)  # the other sessions and the tokens ended with the old factor
                flash(_("Two-step sign-in is on. Your other sessions and API tokens were ended."), "success")
                return redirect(url_for("home.index"))
        if user.totp_pending_secret:
            return _new_key_page(user, form)
        return redirect(url_for("accounts.account_totp"))
    confirm = TotpChangeForm()
    if not user.totp_enabled:
        del confirm.current_code
    if confirm.validate_on_submit():
        try:
            services.begin_totp_change(user, confirm.password.data,
                                       confirm.current_code.data if user.totp_enabled else None)
        except DomainError as error:
            form_errors_from(confirm, error)
        else:
            return _new_key_page(user, OtpForm(formdata=None))
    return render_template("accounts/totp_confirm.html", form=confirm, already=user.totp_enabled)


def _new_key_page(user: User, form: OtpForm):
    secret = user.totp_pending_secret
    return render_template("accounts/totp_setup.html", form=form, secret=secret,
                           qr=_qr_svg(services.totp_uri(user, secret)), required=False, already=user.totp_enabled)


@bp.get("/account/tokens")
def account_tokens():
    """The user's API tokens that still work, each revocable."""
    user = current_actor()
    return render_template("accounts/tokens.html", tokens=services.active_tokens(user), form=EmptyForm(),
                           token_sources=TOKEN_SOURCES)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_own_token(token_id: int):
    if EmptyForm().validate_on_submit():
        user = current_actor()
        services.revoke_token(user, user, token_id)
        flash(_("The token was revoked."), "success")
    return redirect(url_for("accounts.account_tokens"))


# ---------------------------------------------------------------- admin: users

def _user_form_choices(form: UserForm) -> None:
    from base_ops.enterprises.models import Enterprise
    from base_ops.org.models import Base

    form.base_ids.choices = [(b.id, b.name) for b in db.session.execute(select(Base).order_by(Base.name)).scalars()]
    form.enterprise_id.choices = [("", "—")] + [
        (e.id, e.name) for e in db.session.execute(select(Enterprise).order_by(Enterprise.name)).scalars()
    ]


@bp.get("/admin/users")
def list_users():
    page = db.paginate(select(User).order_by(User.username), per_page=50, error_out=False)
    return render_template("accounts/users.html", page=page, role_labels=ROLE_LABELS, form=EmptyForm(),
                           locked_ids=services.locked_user_ids())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@fresh_login_required
def new_user():
    form = UserForm()
    _user_form_choices(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_actor(), username=form.username.data, role=form.role.data,
                password=form.password.data or "", display_name=form.display_name.data,
                region_code=form.region_code.data or None, base_ids=form.base_ids.data or [],
                enterprise_id=form.enterprise_id.data, email=form.email.data,
            )
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@fresh_login_required
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    _user_form_choices(form)
    if request.method == "GET":
        form.base_ids.data = user.base_ids
        form.role.data = str(user.role)
    del form.username, form.password
    if form.validate_on_submit():
        try:
            services.update_user(
                current_actor(), user, display_name=form.display_name.data,
                role=form.role.data, region_code=form.region_code.data or None,
                base_ids=form.base_ids.data or [], enterprise_id=form.enterprise_id.data,
                is_enabled=form.is_enabled.data, email=form.email.data,
            )
        except DomainError as error:
            form_errors_from(form, error)
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("accounts.list_users"))
    return render_template("accounts/user_form.html", form=form, user=user,
                           password_form=AdminPasswordForm(), action_form=EmptyForm(),
                           tokens=services.active_tokens(user), token_sources=TOKEN_SOURCES,
                           locked=user.id in services.locked_user_ids())


@bp.post("/admin/users/<int:user_id>/password")
@fresh_login_required
def reset_user_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = AdminPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_by_admin(current_actor(), user, form.new_password.data)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Password reset. The user must change it at the next sign-in."), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/totp")
@fresh_login_required
def reset_user_totp(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if EmptyForm().validate_on_submit():
        services.reset_totp(current_actor(), user)
        flash(_("Two-step sign-in reset: the user enrols again at the next sign-in."), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/sessions/end")
@fresh_login_required
def end_user_sessions(user_id: int):
    """Sign a user out everywhere: every browser session and every API token."""
    user = db.session.get(User, user_id) or abort(404)
    if EmptyForm().validate_on_submit():
        services.end_all_sessions(current_actor(), user)
        flash(_("%(name)s is signed out everywhere; every API token of the account has ended.",
                name=user.username), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/unlock")
def unlock_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    if EmptyForm().validate_on_submit():
        services.unlock(current_actor(), user)
        flash(_("Account unlocked."), "success")
    return redirect(url_for("accounts.list_users"))


@bp.before_app_request
def _force_password_change():
    """An expired or admin-set password must be changed before anything else."""
    if (
        session.get("must_change_password")
        and current_user.is_authenticated
        and request.endpoint not in {"accounts.change_password", "accounts.logout", "static", "core.set_language"}
    ):
        if not services.password_expired(current_user):
            session.pop("must_change_password", None)
            return None
        return redirect(url_for("accounts.change_password"))
    return None
