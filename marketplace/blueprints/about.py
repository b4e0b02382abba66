"""The pages every public e-service links from its footer: legal notice, personal data,
accessibility statement, site map and contact."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("about", __name__)


def _render(template: str) -> str:
    config = current_app.config
    return render_template(
        f"about/{template}.html",
        contact_email=config["CONTACT_EMAIL"],
        platform_siren=config.get("PLATFORM_SIREN", ""),
    )


@bp.get("/mentions-legales")
def legal_notice() -> str:
    """Public: who runs the platform, who hosts it, and the billing mandate."""
    return _render("legal_notice")


@bp.get("/donnees-personnelles")
def personal_data() -> str:
    """Public: what personal data the platform keeps, why, how long, and the user's rights."""
    return _render("personal_data")


@bp.get("/accessibilite")
def accessibility() -> str:
    """Public: the accessibility statement, with how conformance was measured."""
    return _render("accessibility")


@bp.get("/plan-du-site")
def site_map() -> str:
    """Public: every section of the site, by who uses it."""
    return _render("site_map")


@bp.get("/contact")
def contact() -> str:
    """Public: how to reach the team."""
    return _render("contact")
