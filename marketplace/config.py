"""Settings read from environment variables, with embedded defaults (see .env.example)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    return default if raw is None or raw == "" else raw.strip().lower() in TRUE_WORDS


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    """Use SECRET_KEY, or one generated once into the instance folder (never committed)."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(env: Mapping[str, str], instance_path: Path) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'marketplace.db'}"
    # Heroku-style URLs and plain "postgresql://" should use the psycopg 3 driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(
    instance_path: str, env: Mapping[str, str] | None = None, secret_key: str | None = None
) -> dict[str, Any]:
    """Build the Flask config from the environment (`secret_key` wins when given)."""
    env = dict(os.environ if env is None else env)
    if secret_key:
        env["SECRET_KEY"] = secret_key
    instance = Path(instance_path)
    secure_cookies = _flag(env, "SECURE_COOKIES", False)
    return {
        "SECRET_KEY": _secret_key(env, instance),
        "SQLALCHEMY_DATABASE_URI": _database_url(env, instance),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Request bodies: larger ones get a 413 before they are read. Upload routes raise their
        # own request.max_content_length (`guards.body_limit`: delivery evidence, 5 files of 5 MB).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_REQUEST_BYTES", str(1024 * 1024))),
        # Delivery evidence files: outside the static folder, served only to the booking's parties
        "EVIDENCE_FOLDER": env.get("EVIDENCE_FOLDER") or str(instance / "evidence"),
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PREFERRED_URL_SCHEME": "https" if secure_cookies else "http",
        # Rate limits (Redis when several app servers share them)
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _flag(env, "RATELIMIT_ENABLED", True),
        # Prefix of the limiter's keys, so deployments (or test runs) can share one Redis
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", ""),
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Failed logins per account, whatever the IP; the window bounds how long it stays locked
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "5 per 15 minutes"),
        "REGISTRATION_RATE_LIMIT": env.get("REGISTRATION_RATE_LIMIT", "5 per minute;20 per hour"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Mail: without MAIL_SERVER, mails go to the log and the admin-readable outbox
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag(env, "MAIL_USE_TLS", True),
        "MAIL_DEFAULT_SENDER": env.get(
            "MAIL_DEFAULT_SENDER", "Croissance Connectée <no-reply@croissance-connectee.fr>"
        ),
        # Accounts and labels
        "PASSWORD_RESET_MAX_AGE": int(env.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "LABEL_VALIDITY_DAYS": int(env.get("LABEL_VALIDITY_DAYS", "365")),
        # Invoices (billing.invoices.invoice_terms): days to pay, and the legal interest rate in
        # basis points, whose triple is the late-payment penalty rate (Code de commerce L441-10)
        "INVOICE_PAYMENT_DAYS": int(env.get("INVOICE_PAYMENT_DAYS", "30")),
        "LEGAL_INTEREST_RATE_BP": int(env.get("LEGAL_INTEREST_RATE_BP", "276")),
        # Ledger: the platform's SIREN names its FEC (<SIREN>FEC<AAAAMMJJ>.txt); empty refuses
        # the export
        "PLATFORM_SIREN": env.get("PLATFORM_SIREN", ""),
        # The account companies pay their share into by transfer (the demo's is fictitious)
        "PLATFORM_IBAN": env.get("PLATFORM_IBAN", "FR76 3000 6000 0112 3456 7890 189"),
        "PLATFORM_BIC": env.get("PLATFORM_BIC", "AGRIFRPP"),
        # Shown on the contact, legal-notice and personal-data pages
        "CONTACT_EMAIL": env.get("CONTACT_EMAIL", "contact@croissance-connectee.fr"),
        # Internationalisation: French first
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        # Search and payments (used by later capabilities; empty means embedded defaults)
        "SEARCH_INDEX_PATH": env.get("SEARCH_INDEX_PATH", ""),
        "SEARCH_SYNC": env.get("SEARCH_SYNC", "inline"),
        "MEILI_URL": env.get("MEILI_URL", ""),
        "MEILI_MASTER_KEY": env.get("MEILI_MASTER_KEY", ""),
        "MEILI_INDEX_PREFIX": env.get("MEILI_INDEX_PREFIX", "cc_"),
        "MEILI_TIMEOUT": float(env.get("MEILI_TIMEOUT", "5")),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE", ""),
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        # Serving: how many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host
        # (1 behind nginx): per-IP rate limits then see the client, not the proxy. 0: trust none
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "0")),
        "REDIS_URL": env.get("REDIS_URL", ""),
        # Logs (text for a terminal, json for a collector) and Prometheus metrics at /metrics
        "LOG_FORMAT": env.get("LOG_FORMAT", "text"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        "METRICS_ENABLED": _flag(env, "METRICS_ENABLED", False),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        # Background worker (`flask --app wsgi worker`): seconds between two runs of each job,
        # and the port of its own metrics (0: none)
        "WORKER_SEARCH_SYNC_INTERVAL": float(env.get("WORKER_SEARCH_SYNC_INTERVAL", "5")),
        "WORKER_BOOKINGS_TICK_INTERVAL": float(env.get("WORKER_BOOKINGS_TICK_INTERVAL", "60")),
        "WORKER_LABEL_EXPIRY_INTERVAL": float(env.get("WORKER_LABEL_EXPIRY_INTERVAL", "3600")),
        "WORKER_PROGRAMME_CALENDAR_INTERVAL": float(
            env.get("WORKER_PROGRAMME_CALENDAR_INTERVAL", "3600")
        ),
        "WORKER_CARD_REFUNDS_INTERVAL": float(env.get("WORKER_CARD_REFUNDS_INTERVAL", "300")),
        "WORKER_METRICS_PORT": int(env.get("WORKER_METRICS_PORT", "0")),
        # JSON API and its OpenAPI document at /api/openapi.json
        "API_TITLE": "Croissance Connectée API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            }
        },
        "WTF_CSRF_TIME_LIMIT": None,
    }
