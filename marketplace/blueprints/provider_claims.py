"""Provider pages for subsidy claims: each claim's status and what it waits for."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("provider_claims", __name__, url_prefix="/provider/claims")
