"""Pages anyone can see: home, provider directory and profiles, language switch."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.models import Provider
from marketplace.blueprints.auth import safe_next
from marketplace.blueprints.helpers import page_number
from marketplace.directory import listed_providers
from marketplace.extensions import db

bp = Blueprint("public", __name__)

PER_PAGE = 20


@bp.get("/")
def home() -> str:
    """Public: what the platform does, in four steps."""
    return render_template("public/home.html")


@bp.post("/language")
def set_language() -> Response:
    """Public: switch between French and English (saved on the account when logged in)."""
    locale = request.form.get("locale", "fr")
    if locale not in ("fr", "en"):
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))


@bp.get("/providers")
def providers() -> str:
    """Public: labelled providers and volunteer advisors, filtered by region, category, kind."""
    region = request.args.get("region") or None
    category = request.args.get("category") or None
    kind = request.args.get("kind") or None
    q = (request.args.get("q") or "").strip()[:100] or None
    page = db.paginate(
        listed_providers(date.today(), region, category, kind, q),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "public/providers.html",
        page=page,
        filters={"region": region, "category": category, "kind": kind, "q": q},
    )


@bp.get("/providers/<int:provider_id>")
def provider_profile(provider_id: int) -> str:
    """Public for labelled providers; the provider itself and admins see any."""
    provider = db.session.get(Provider, provider_id) or abort(404)
    is_own = current_user.is_authenticated and (
        current_user.is_admin or (current_user.provider and current_user.provider.id == provider.id)
    )
    if not provider.has_active_label and not is_own:
        abort(404)
    return render_template("public/provider.html", provider=provider, is_own=is_own)
