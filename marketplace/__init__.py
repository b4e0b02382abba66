"""Croissance Connectée: the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, has_request_context, request, session
from flask_login import current_user

from marketplace.config import load_config
from marketplace.extensions import (
    api,
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    make_sqlite_transactional,
    migrate,
)
from marketplace.mail import build_mailer
from marketplace.page_etags import register_page_etags
from marketplace.search.engine import register_search
from marketplace.static_files import register_static_versions

MIGRATIONS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "migrations"))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from the environment, then apply `config` overrides (tests use them)."""
    app = Flask(__name__, instance_relative_config=True)
    register_url_converters(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, secret_key=(config or {}).get("SECRET_KEY")))
    if config:
        app.config.update(config)
    configure_logger(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_static_versions(app)
    register_page_etags(app)
    register_observability(app)
    return app


def configure_logger(app: Flask) -> None:
    from marketplace.logs import configure_logging

    if not app.debug and not app.testing:  # tests and `flask run --debug` keep their own
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def select_locale() -> str:
    """The user's saved language, else the one chosen in this session, else French."""
    if not has_request_context():  # CLI commands and jobs speak French unless told otherwise
        return "fr"
    if current_user and current_user.is_authenticated:
        return current_user.locale
    if session.get("locale") in ("fr", "en"):
        return session["locale"]
    if request.path.startswith("/api/"):  # API clients say what they want in Accept-Language
        return request.accept_languages.best_match(("fr", "en")) or "fr"
    return "fr"  # French first: pages switch to English only when the visitor asks


def register_url_converters(app: Flask) -> None:
    """Before any route exists: every `<int:…>` in a URL is bounded like the id columns."""
    from flask_smorest.spec.plugins import integerconverter2paramschema

    from marketplace.blueprints.routing import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    api.register_converter(BoundedIntConverter, integerconverter2paramschema)


def register_extensions(app: Flask) -> None:
    from marketplace import models  # noqa: F401  (every table joins the metadata)
    from marketplace.auth import authenticate_bearer_token, register_user_loaders
    from marketplace.billing.gateway import build_payment_gateway
    from marketplace.bookings.evidence import EvidenceStore
    from marketplace.catalog.indexing import CatalogueLoader
    from marketplace.schemas import ErrorSchema

    db.init_app(app)
    with app.app_context():
        make_sqlite_transactional(db.engine)
    # SQLite can only ALTER tables by copying them: batch mode keeps migrations portable.
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    register_user_loaders(login_manager)
    # Ahead of every other hook, so nothing reads the cookie's user before the token's.
    app.before_request_funcs.setdefault(None, []).insert(0, authenticate_bearer_token)
    # Before init_app, which documents every error response with it: the body we send
    # (marketplace.blueprints.errors), not flask-smorest's own.
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    app.extensions["mailer"] = build_mailer(app.config)
    app.extensions["evidence_store"] = EvidenceStore(Path(app.config["EVIDENCE_FOLDER"]))
    app.extensions["payments"] = build_payment_gateway(app.config)  # None: transfers only
    register_search(app, CatalogueLoader())  # search reads offers through it (DESIGN §5)


def register_blueprints(app: Flask) -> None:
    from marketplace.blueprints import (
        about,
        account,
        admin,
        admin_bookings,
        admin_claims,
        admin_invoices,
        admin_ledger,
        admin_reviews,
        auth,
        card_payments,
        company,
        diagnosis,
        funder_dashboard,
        health,
        provider,
        provider_bookings,
        provider_claims,
        provider_invoices,
        public,
        review_pages,
        search,
        webhooks,
    )
    from marketplace.blueprints.api import register_api

    for module in (
        public,
        auth,
        account,
        diagnosis,
        search,
        company,
        card_payments,
        provider,
        provider_bookings,
        provider_invoices,
        provider_claims,
        review_pages,
        admin,
        admin_bookings,
        admin_invoices,
        admin_claims,
        admin_ledger,
        admin_reviews,
        funder_dashboard,
        health,
        about,
        webhooks,
    ):
        app.register_blueprint(module.bp)
    register_api(api)


def register_errorhandlers(app: Flask) -> None:
    from marketplace.blueprints.errors import register
    from marketplace.blueprints.guards import apply_body_limit, refuse_control_characters_in_links

    register(app)
    app.before_request(refuse_control_characters_in_links)
    # First of all hooks: CSRF protection reads the form (and so the body) in its own.
    app.before_request_funcs.setdefault(None, []).insert(0, apply_body_limit)


def register_commands(app: Flask) -> None:
    from marketplace.cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from marketplace.blueprints.helpers import register

    register(app)


SECURITY_HEADERS = {
    # Pages load only our own CSS and images; there is no inline script to allow.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def register_observability(app: Flask) -> None:
    """Last, so its hooks run first: a request id for every log line (and metrics when on)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from marketplace.logs import register_request_ids
    from marketplace.metrics import register_request_metrics

    if app.config["METRICS_ENABLED"]:
        register_request_metrics(app)
    register_request_ids(app)
    if hops := app.config["PROXY_COUNT"]:  # behind nginx: the client's address, not the proxy's
        proxied = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
        app.wsgi_app = proxied  # type: ignore[method-assign]
