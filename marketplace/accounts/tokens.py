"""Personal access tokens for API clients: shown once, stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from marketplace.accounts.models import ApiToken, User
from marketplace.audit import record_event
from marketplace.dbtypes import utcnow

TOKEN_PREFIX = "cc_"
DEFAULT_LIFETIME = timedelta(days=90)
# last_used_at says when a token was last used to this precision: one write per token per
# period, not one per request (a write and a commit on every API call halved their rate).
LAST_USED_PRECISION = timedelta(minutes=5)


def _digest(raw: str) -> str:
    # Tokens are 256 random bits: a plain hash is enough (no need for a slow password hash).
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    session: Session, user: User, name: str, lifetime: timedelta | None = DEFAULT_LIFETIME
) -> tuple[ApiToken, str]:
    """A new token and its plain value, which is never stored and cannot be shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at: datetime | None = utcnow() + lifetime if lifetime else None
    token = ApiToken(
        user=user,
        name=name.strip()[:80] or "API",
        token_digest=_digest(raw),
        prefix=raw[:10],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    record_event(session, user, "api_token.created", "api_token", token.id, name=token.name)
    return token, raw


def user_for_token(session: Session, raw: str) -> User | None:
    """The enabled user a live token belongs to, or None (one query: the token with its user).

    It marks the token used (`last_used_at`, to LAST_USED_PRECISION): the caller commits when
    the session has changes.
    """
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_digest == _digest(raw))
        .options(joinedload(ApiToken.user))
    )
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if not token.user.is_enabled:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
    return token.user


def revoke_token(session: Session, user: User, token: ApiToken) -> None:
    token.revoked_at = utcnow()
    record_event(session, user, "api_token.revoked", "api_token", token.id)
