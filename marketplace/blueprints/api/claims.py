"""API: subsidy claims — admins decide, providers read theirs.

A claim opens by itself when an invoice's company share is paid (one per subsidy). Admins see
every claim and approve, refuse (with a reason: the company then owes the amount) or mark it
paid (with the funder's reference); a provider reads its own; anyone else gets a 404 (or a 403
on the list). Deciding a claim already decided is a 409, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.auth import admin_required, current_actor, roles_required
from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.billing.claim_schemas import (
    ClaimPageSchema,
    ClaimQuerySchema,
    ClaimSchema,
    PayClaimSchema,
    RejectClaimSchema,
)
from marketplace.billing.claims import (
    approve_claim,
    claim_for,
    claims_of,
    mark_claim_paid,
    reject_claim,
)
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint, paginate
from marketplace.extensions import db

bp = make_blueprint("api_claims", "/claims", "Subsidy claims: one per subsidy of a paid invoice.")
providers_and_admins = roles_required(Role.PROVIDER, Role.ADMIN)


def claim_body(claim: SubsidyClaim) -> dict[str, Any]:
    """The claim with its evidence (ClaimSchema)."""
    return {
        "id": claim.id,
        "status": ClaimStatus(claim.status).value,
        "amount_cents": claim.amount_cents,
        "programme_id": claim.programme_id,
        "programme_code": claim.programme.code,
        "invoice_id": claim.invoice_id,
        "invoice_number": claim.invoice.number,
        "booking_id": claim.booking_id,
        "provider_id": claim.provider_id,
        "company_id": claim.company_id,
        "submitted_at": claim.submitted_at,
        "decided_at": claim.decided_at,
        "rejection_reason": claim.rejection_reason,
        "paid_on": claim.paid_on,
        "funder_payment_reference": claim.funder_payment_reference,
        "evidence": [
            {
                "kind": item.get("kind", ""),
                "label": item.get("label", ""),
                "ref": item.get("ref", ""),
                "files": list(item.get("files") or []),
            }
            for item in claim.evidence
        ],
    }


@bp.route("", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@providers_and_admins
@bp.arguments(ClaimQuerySchema, location="query")
@bp.response(200, ClaimPageSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def list_claims(args: dict[str, Any]) -> dict[str, Any]:
    """Providers and admins: the provider's claims (admins: all), oldest submitted first.

    Filter by `status` and `programme_id`; paginated (`page`, `page_size` in).
    """
    status = ClaimStatus(args["status"]) if args.get("status") else None
    query = claims_of(current_actor(), status)
    if args.get("programme_id"):
        query = query.where(SubsidyClaim.programme_id == args["programme_id"])
    page = paginate(query, args["page"], args["page_size"])
    page["items"] = [claim_body(claim) for claim in page["items"]]
    return page


@bp.route("/<int:claim_id>", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@providers_and_admins
@bp.response(200, ClaimSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def get_claim(claim_id: int) -> dict[str, Any]:
    """Providers and admins: one claim with its evidence (a provider: its own only)."""
    return claim_body(claim_for(db.session(), current_actor(), claim_id))


@bp.route("/<int:claim_id>/approve", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.response(200, ClaimSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def approve(claim_id: int) -> dict[str, Any]:
    """Admins: the evidence is complete; the claim waits for the funder (409 unless
    submitted)."""
    claim_for(db.session(), current_actor(), claim_id)
    claim = approve_claim(db.session(), current_actor(), claim_id)
    db.session.commit()
    return claim_body(claim)


@bp.route("/<int:claim_id>/reject", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(RejectClaimSchema)
@bp.response(200, ClaimSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def reject(args: dict[str, Any], claim_id: int) -> dict[str, Any]:
    """Admins: refuse a submitted or approved claim with a reason; its subsidy goes back to
    the budget and the company owes the amount (its members get a mail). 409 once settled."""
    claim_for(db.session(), current_actor(), claim_id)
    claim = reject_claim(
        db.session(),
        current_actor(),
        claim_id,
        args["reason"],
        clock.today(),
        current_app.extensions["mailer"],
    )
    db.session.commit()
    return claim_body(claim)


@bp.route("/<int:claim_id>/pay", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(PayClaimSchema)
@bp.response(200, ClaimSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def pay(args: dict[str, Any], claim_id: int) -> dict[str, Any]:
    """Admins: the funder paid an approved claim (409 otherwise); the booking closes once
    the share and every claim are settled."""
    claim_for(db.session(), current_actor(), claim_id)
    claim = mark_claim_paid(
        db.session(),
        current_actor(),
        claim_id,
        args["paid_on"],
        args["funder_reference"],
        clock.today(),
        current_app.extensions["mailer"],
    )
    db.session.commit()
    return claim_body(claim)
