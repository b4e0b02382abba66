"""Who is calling: session users for pages, bearer tokens for API clients, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Request, abort, g, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from marketplace.accounts.models import Company, Role, User
from marketplace.accounts.tokens import user_for_token
from marketplace.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_actor() -> User:
    """The real user behind Flask-Login's proxy: services store it on rows and audit events."""
    return current_user._get_current_object()


def current_company() -> Company:
    """The calling company user's company (views behind company_required always have one)."""
    company = current_actor().company
    if company is None:
        abort(403)
    return company


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def register_user_loaders(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = _l("Please log in to see this page.")
    manager.login_message_category = "info"
    manager.session_protection = "strong"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id))
        return user if user and user.is_enabled else None


def authenticate_bearer_token() -> None:
    """Run first on every request: a bearer token, when sent, decides who is calling.

    Flask-Login would prefer the session cookie, and its "strong" session protection drops
    a user whose cookie holds no login (an anonymous visitor's locale, say) without asking
    the request loader: an API client that keeps cookies would then be refused. An invalid
    token means anonymous (401), never a fallback to the cookie.
    """
    raw = bearer_token(request)
    if raw is None:
        return
    user = user_for_token(db.session(), raw)
    if user is not None:
        g.token_authenticated = True
        if db.session.dirty:  # last_used_at moved on (nothing else is pending this early)
            db.session.commit()
    # Flask-Login reads the request's user from g._login_user before loading it itself.
    g._login_user = user if user is not None else login_manager.anonymous_user()


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Refuse (login redirect or 401, then 403) anyone who is not one of these roles."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if is_api_request():
                    abort(401)
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


company_required = roles_required(Role.COMPANY)
provider_required = roles_required(Role.PROVIDER)
admin_required = roles_required(Role.ADMIN)
login_required = roles_required(Role.COMPANY, Role.PROVIDER, Role.ADMIN)
