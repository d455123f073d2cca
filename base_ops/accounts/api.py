"""POST /api/v1/auth/tokens: a bearer token for username, password and (where required) a TOTP code."""

from flask_babel import gettext as _
from flask_smorest import Blueprint

from base_ops.accounts import services
from base_ops.accounts.auth import login_rate_limit
from base_ops.accounts.schemas import TokenRequestSchema, TokenSchema
from base_ops.extensions import limiter

blp = Blueprint("auth_api", __name__, description="Bearer tokens")


@blp.route("/auth/tokens", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="invalid_credentials or otp_required")
@blp.alt_response(403, description="account_locked (this user name from this address, after repeated failures) "
                                   "or password_change_required (expired or set by an administrator: change it first)")
@blp.alt_response(429, description="rate_limited: too many attempts from this address")
@blp.doc(security=[])  # the way to get a token needs none
@limiter.limit(login_rate_limit)
def create_token(body):
    user = services.authenticate(body["username"], body["password"])
    if services.requires_second_factor(user):
        if not user.totp_enabled:
            raise services.OtpRequired(_("Enrol two-step sign-in on the web first, then send its code as otp."))
        if not body.get("otp") or not services.verify_otp(user, body["otp"]):
            raise services.OtpRequired(_("A valid otp code is required for this account."))
    if services.password_expired(user):
        # As on the web, where such a user reaches nothing but /account/password.
        services.refuse_token_until_password_changed(user)
    services.complete_login(user, "api")
    token, expires_at = services.issue_token(user, via="api")
    return {"token": token, "expires_at": expires_at}
