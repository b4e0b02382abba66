"""API: the calling company's de minimis ledger, and its declarations of aid received elsewhere."""

from __future__ import annotations

from typing import Any

from marketplace import clock
from marketplace.auth import company_required, current_actor, current_company
from marketplace.billing.deminimis import Ledger, declare_aid, ledger, withdraw_declared_aid
from marketplace.billing.deminimis_schemas import (
    DeclarationRequestSchema,
    DeclarationSchema,
    LedgerSchema,
)
from marketplace.billing.models import DeclaredAid
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint
from marketplace.extensions import db

bp = make_blueprint(
    "api_de_minimis", "/me/de-minimis", "The company's de minimis aid: ledger and declarations."
)


@bp.route("", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.response(200, LedgerSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def get_ledger() -> Ledger:
    """Companies: every de minimis grant (platform and declared), newest first, the rolling
    three-year total and the headroom under the EUR 300,000 ceiling."""
    return ledger(db.session(), current_company(), clock.today())


@bp.route("/declarations", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.arguments(DeclarationRequestSchema)
@bp.response(201, DeclarationSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def declare(args: dict[str, Any]) -> DeclaredAid:
    """Companies: declare de minimis aid received outside the platform (it counts from its
    grant date, and lowers the subsidies of later bookings if the ceiling comes close)."""
    aid = declare_aid(
        db.session(),
        current_actor(),
        current_company(),
        args["granted_on"],
        args["amount_cents"],
        args["funder"],
        clock.today(),
    )
    db.session.commit()
    return aid


@bp.route("/declarations/<int:aid_id>", methods=["DELETE"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.response(204)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def withdraw(aid_id: int) -> None:
    """Companies: withdraw a declaration made by mistake (the audit trail keeps it)."""
    withdraw_declared_aid(db.session(), current_actor(), current_company(), aid_id)
    db.session.commit()
