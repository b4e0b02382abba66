"""Review pages: the company rates a closed booking, the provider replies, an admin hides."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reviews", __name__)
