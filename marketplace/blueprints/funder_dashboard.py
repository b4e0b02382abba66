"""The funder's dashboard: where one programme's budget went, as charts, tables and CSV."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("funder_dashboard", __name__, url_prefix="/admin/programmes")
