"""Administrator pages for subsidy claims: the queue, one claim with its evidence, decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_claims", __name__, url_prefix="/admin/claims")
