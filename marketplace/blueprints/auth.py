"""Registration, login, logout and password reset pages (public)."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from marketplace.accounts import service
from marketplace.auth import login_required
from marketplace.blueprints.forms import (
    CompanyRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    ProviderRegistrationForm,
    ResetPasswordForm,
    apply_service_errors,
)
from marketplace.errors import ValidationFailed
from marketplace.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _login_account() -> str:
    """The account a login attempt names (form or JSON body), as the rate-limit key."""
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return "account:" + (service.normalize_email(email) if isinstance(email, str) else "")


def note_failed_login() -> None:
    """Mark this request as a failed login, so that it counts against the account."""
    g.login_failed = True


def _login_failed(response: Response) -> bool:
    return bool(g.get("login_failed"))


# Failed logins per account, whatever the client IP, shared by the login page and the API token
# endpoint. Only failures count (deduct_when), so the real user's successful logins never do; an
# attacker guessing passwords can lock the account for at most one window of
# LOGIN_ACCOUNT_RATE_LIMIT (15 minutes by default) per burst, and the 429 says when to retry.
account_login_limit = limiter.shared_limit(
    _login_account_limit,
    scope="login-account",
    key_func=_login_account,
    methods=["POST"],
    deduct_when=_login_failed,
)

# New accounts per client IP, pages and API together.
registration_limit = limiter.shared_limit(
    _registration_limit, scope="registration", methods=["POST"]
)


@bp.errorhandler(429)
def too_many_attempts(error: Exception) -> tuple[str, int]:
    """Say how long to wait (the limiter adds the same delay as Retry-After)."""
    current = limiter.current_limit
    if current is None:
        message = _("Too many attempts. Please wait a moment and try again.")
    else:
        seconds = int(current.reset_at - time.time())  # as the limiter rounds Retry-After
        minutes = max(1, math.ceil(seconds / 60))
        message = ngettext(
            "Too many attempts. Try again in %(num)d minute.",
            "Too many attempts. Try again in %(num)d minutes.",
            minutes,
        )
    return render_template("errors/error.html", status=429, message=message), 429


def safe_next(target: str | None) -> str | None:
    """Only same-site paths: an attacker's link must not bounce users to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user) -> str:  # type: ignore[no-untyped-def]
    if user.role == "admin":
        return url_for("admin.label_queue")
    if user.role == "provider":
        return url_for("provider.dashboard")
    return url_for("account.overview")


def _locale() -> str:
    """New accounts keep the language the visitor was browsing in."""
    return get_locale().language if get_locale() else "fr"


def _user_data(form: CompanyRegistrationForm | ProviderRegistrationForm) -> service.UserData:
    return service.UserData(
        email=form.email.data or "",
        password=form.password.data or "",
        full_name=form.full_name.data or "",
        locale=_locale(),
    )


@bp.get("/register")
def register() -> str:
    """Public: choose between a company and a provider account."""
    return render_template("auth/register.html")


@bp.route("/register/company", methods=["GET", "POST"])
@registration_limit
def register_company() -> str | Response:
    """Public: create a company account."""
    form = CompanyRegistrationForm()
    if form.validate_on_submit():
        try:
            user = service.register_company(
                db.session(),
                _user_data(form),
                service.CompanyData(
                    name=form.company_name.data or "",
                    siren=form.siren.data or "",
                    size_band=form.size_band.data or "",
                    naf_code=form.naf_code.data or "",
                    department_code=form.department_code.data or "",
                ),
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            db.session.commit()
            login_user(user)
            # The first step is the self-diagnosis, not the account's settings.
            flash(
                _("Welcome! Your account is ready: start with your digital self-assessment."),
                "success",
            )
            return redirect(url_for("diagnosis.overview"))
    return render_template("auth/register_company.html", form=form)


@bp.route("/register/provider", methods=["GET", "POST"])
@registration_limit
def register_provider() -> str | Response:
    """Public: create a provider (expert or volunteer advisor) account."""
    form = ProviderRegistrationForm()
    if form.validate_on_submit():
        try:
            user = service.register_provider(
                db.session(),
                _user_data(form),
                service.ProviderData(
                    name=form.provider_name.data or "",
                    siret=form.siret.data or "",
                    kind=form.kind.data or "",
                    vat_number=form.vat_number.data or "",
                    department_code=form.department_code.data or "",
                    regions=form.regions.data or [],
                    remote_ok=bool(form.remote_ok.data),
                    languages=form.languages.data or ["fr"],
                    bio=form.bio.data or "",
                    website=form.website.data or "",
                ),
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome! Apply for your label to publish offers."), "success")
            return redirect(url_for("provider.dashboard"))
    return render_template("auth/register_provider.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@account_login_limit
def login() -> str | Response:
    """Public: log in with email and password (rate limited per client IP and per account)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(db.session(), form.email.data or "", form.password.data or "")
        if user is None:
            note_failed_login()
            form.form_errors.append(_("Wrong email address or password."))
        else:
            db.session.commit()
            session.pop("locale", None)
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Any logged-in user."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("public.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password() -> str | Response:
    """Public: ask for a reset link by mail; the answer is the same whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        service.request_password_reset(
            db.session(),
            form.email.data or "",
            current_app.extensions["mailer"],
            current_app.config["SECRET_KEY"],
            lambda token: url_for("auth.reset_password", token=token, _external=True),
        )
        db.session.commit()
        flash(
            _(
                "If an account exists for this address, we have sent it a link to choose "
                "a new password."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response:
    """Public, with a signed single-use token from the reset mail."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    secret = current_app.config["SECRET_KEY"]
    try:
        service.user_for_reset_token(db.session(), token, secret, max_age)
    except ValidationFailed as error:
        flash(" ".join(error.errors["token"]), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            service.reset_password(db.session(), token, form.password.data or "", secret, max_age)
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed. You can log in."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
