"""Subsidy claims, from the paid share to the funder's payment, and the booking's closing.

Claims open when an invoice's company share is paid in full (at once when the share is 0 €): one
per subsidy line, its allocation moving from committed to claimed, with the evidence a funder
checks. An admin approves (a status, no money moves), rejects with a reason (the allocation is
released to the budget and the company owes the amount, see `payments.ShareAccount`), or marks
an approved claim paid with the funder's payment reference. When the share and every claim are
settled, the booking closes.

Functions flush and never commit; each money step writes its journal entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.parties import enabled_members
from marketplace.audit import record_event
from marketplace.billing.claim_models import OPEN_CLAIM, ClaimStatus, SubsidyClaim
from marketplace.billing.invoice_models import Invoice, InvoiceStatus
from marketplace.billing.ledger import (
    record_subsidy_claimed,
    record_subsidy_paid,
    record_subsidy_rejected,
)
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.money import format_euros
from marketplace.billing.payment_models import Payment, PaymentStatus
from marketplace.billing.payments import ShareStatus, share_account
from marketplace.bookings.lifecycle import State, TransitionName
from marketplace.bookings.models import Booking
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, Forbidden, InputConflict, NotFound, ValidationFailed
from marketplace.mail import Mailer

REASON_MIN, REASON_MAX = 10, 1000
FUNDER_REFERENCE_MAX = 140


def claim_for(session: Session, actor: User, claim_id: int) -> SubsidyClaim:
    """The claim for an admin, or for a member of its provider; anyone else: it does not exist."""
    claim = session.get(SubsidyClaim, claim_id)
    if claim is None or not (
        actor.is_admin or (actor.provider is not None and actor.provider.id == claim.provider_id)
    ):
        raise NotFound(str(_l("No such claim.")))
    return claim


def claims_of(actor: User, status: ClaimStatus | None = None) -> Select[SubsidyClaim]:
    """All claims for admins (oldest waiting first), a provider's own otherwise."""
    query = select(SubsidyClaim).order_by(SubsidyClaim.submitted_at, SubsidyClaim.id)
    if not actor.is_admin:
        provider_id = actor.provider.id if actor.provider is not None else -1
        query = query.where(SubsidyClaim.provider_id == provider_id)
    if status is not None:
        query = query.where(SubsidyClaim.status == status)
    return query


def claims_of_invoice(session: Session, invoice: Invoice) -> list[SubsidyClaim]:
    return list(
        session.scalars(
            select(SubsidyClaim)
            .where(SubsidyClaim.invoice_id == invoice.id)
            .order_by(SubsidyClaim.id)
        )
    )


def _evidence(session: Session, invoice: Invoice) -> list[dict[str, Any]]:
    """What the funder checks: the agreement, the delivery, the invoice, the company's payment."""
    booking = session.get(Booking, invoice.booking_id)
    assert booking is not None
    items: list[dict[str, Any]] = [
        {
            "kind": "agreement",
            "label": f"Accord {booking.reference}",
            "ref": booking.agreed_at.date().isoformat() if booking.agreed_at else "",
        },
        {
            "kind": "delivery",
            "label": "Livraison confirmée",
            "ref": booking.confirmed_at.date().isoformat() if booking.confirmed_at else "",
            "files": [e.original_name for e in booking.evidence],
        },
        {"kind": "invoice", "label": f"Facture {invoice.number}", "ref": invoice.number},
    ]
    for payment in session.scalars(
        select(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id)
    ):
        assert payment.received_on is not None
        items.append(
            {
                "kind": "payment",
                "label": f"Règlement {payment.method.value} "
                f"{format_euros(payment.amount_cents, 'fr')}",
                "ref": payment.received_on.isoformat(),
            }
        )
    return items


def open_claims(session: Session, invoice: Invoice, today: date) -> list[SubsidyClaim]:
    """One claim per committed subsidy of the invoice not claimed yet (idempotent)."""
    claimed = {c.invoice_subsidy_id for c in claims_of_invoice(session, invoice)}
    evidence = _evidence(session, invoice)
    opened = []
    for subsidy in invoice.subsidies:
        if subsidy.id in claimed:
            continue
        allocation = session.get(SubsidyAllocation, subsidy.allocation_id)
        assert allocation is not None
        if allocation.status != AllocationStatus.COMMITTED:
            continue
        claim = SubsidyClaim(
            invoice=invoice,
            invoice_subsidy_id=subsidy.id,
            allocation=allocation,
            programme_id=subsidy.programme_id,
            provider_id=invoice.provider_id,
            company_id=invoice.company_id,
            booking_id=invoice.booking_id,
            status=ClaimStatus.SUBMITTED,
            amount_cents=subsidy.amount_cents,
            evidence=evidence,
        )
        allocation.status = AllocationStatus.CLAIMED
        session.add(claim)
        session.flush()
        record_subsidy_claimed(session, claim, today)
        record_event(
            session,
            None,
            "claim.submitted",
            "claim",
            claim.id,
            invoice=invoice.number,
            programme=subsidy.programme_code,
            amount_cents=claim.amount_cents,
        )
        opened.append(claim)
    session.flush()
    return opened


def after_share_paid(session: Session, mailer: Mailer, invoice: Invoice, today: date) -> None:
    """The share is paid: claim the subsidies, or close the booking if nothing is left."""
    open_claims(session, invoice, today)
    close_if_settled(session, mailer, invoice, today)


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(str(_l("Only administrators decide on subsidy claims.")))


def _locked_claim(session: Session, claim_id: int) -> SubsidyClaim:
    claim = session.scalar(
        select(SubsidyClaim).where(SubsidyClaim.id == claim_id).with_for_update()
    )
    if claim is None:
        raise NotFound(str(_l("No such claim.")))
    session.refresh(claim)
    return claim


def approve_claim(session: Session, actor: User, claim_id: int) -> SubsidyClaim:
    """The evidence is complete: the claim waits for the funder's payment."""
    _check_admin(actor)
    claim = _locked_claim(session, claim_id)
    if claim.status != ClaimStatus.SUBMITTED:
        raise Conflict(str(_l("Only a submitted claim can be approved.")))
    claim.status = ClaimStatus.APPROVED
    claim.decided_at = utcnow()
    claim.decided_by_id = actor.id
    record_event(
        session, actor, "claim.approved", "claim", claim.id, amount_cents=claim.amount_cents
    )
    session.flush()
    return claim


def reject_claim(
    session: Session, actor: User, claim_id: int, reason: str, today: date, mailer: Mailer
) -> SubsidyClaim:
    """The funder will not pay: the subsidy goes back to its budget and the company owes it;
    its members are told why and what they now owe."""
    _check_admin(actor)
    text = " ".join(reason.split())
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise ValidationFailed(
            {
                "reason": [
                    str(
                        _l(
                            "Give a reason of %(min)d to %(max)d characters.",
                            min=REASON_MIN,
                            max=REASON_MAX,
                        )
                    )
                ]
            }
        )
    claim = _locked_claim(session, claim_id)
    if claim.status not in OPEN_CLAIM:
        raise Conflict(str(_l("This claim is already settled.")))
    allocation = claim.allocation
    session.execute(
        update(SubsidyProgramme)
        .where(SubsidyProgramme.id == allocation.programme_id)
        .values(allocated_cents=SubsidyProgramme.allocated_cents - allocation.amount_cents)
        .execution_options(synchronize_session=False)
    )
    session.expire(claim.programme, ["allocated_cents"])
    allocation.status = AllocationStatus.RELEASED
    allocation.released_at = utcnow()
    claim.status = ClaimStatus.REJECTED
    claim.rejection_reason = text
    claim.decided_at = utcnow()
    claim.decided_by_id = actor.id
    session.flush()
    record_subsidy_rejected(session, claim, today)
    record_event(
        session,
        actor,
        "claim.rejected",
        "claim",
        claim.id,
        reason=text,
        amount_cents=claim.amount_cents,
        programme=claim.programme.code,
    )
    _tell_company_of_rejection(session, mailer, claim)
    session.flush()
    return claim


def _tell_company_of_rejection(session: Session, mailer: Mailer, claim: SubsidyClaim) -> None:
    for user in enabled_members(session, company_id=claim.company_id):
        with force_locale(user.locale):
            amount = format_euros(claim.amount_cents, user.locale)
            subject = gettext(
                "Invoice %(number)s: a subsidy was refused", number=claim.invoice.number
            )
            body = gettext(
                "Hello %(name)s,\n\nThe programme %(programme)s will not pay its share of "
                "invoice %(number)s (%(amount)s).\nReason: %(reason)s\n\nThis amount is now "
                "yours to pay, in addition to your share.\nSee it at /invoices/%(id)d\n",
                name=user.full_name,
                programme=claim.programme.name,
                number=claim.invoice.number,
                amount=amount,
                reason=claim.rejection_reason,
                id=claim.invoice_id,
            )
        mailer.send(session, user.email, subject, body)


def mark_claim_paid(
    session: Session,
    actor: User,
    claim_id: int,
    paid_on: date,
    funder_reference: str,
    today: date,
    mailer: Mailer,
) -> SubsidyClaim:
    """The funder's money arrived for an approved claim."""
    _check_admin(actor)
    errors: dict[str, list[str]] = {}
    reference = " ".join(funder_reference.split())
    if not reference:
        errors["funder_reference"] = [str(_l("Give the funder's payment reference."))]
    elif len(reference) > FUNDER_REFERENCE_MAX:
        errors["funder_reference"] = [
            str(_l("At most %(max)d characters.", max=FUNDER_REFERENCE_MAX))
        ]
    claim = _locked_claim(session, claim_id)
    dates: dict[str, list[str]] = {}  # refused by today's date or the claim's, not by form
    if paid_on > today:
        dates["paid_on"] = [str(_l("A payment cannot be received in the future."))]
    elif paid_on < claim.submitted_at.date():
        dates["paid_on"] = [str(_l("A claim cannot be paid before it was made."))]
    if errors:
        raise ValidationFailed(errors | dates)
    if dates:
        raise InputConflict(dates)
    if claim.status != ClaimStatus.APPROVED:
        raise Conflict(str(_l("Only an approved claim can be marked paid.")))
    claim.status = ClaimStatus.PAID
    claim.paid_on = paid_on
    claim.funder_payment_reference = reference
    claim.allocation.status = AllocationStatus.PAID
    session.flush()
    record_subsidy_paid(session, claim)
    record_event(
        session,
        actor,
        "claim.paid",
        "claim",
        claim.id,
        amount_cents=claim.amount_cents,
        paid_on=paid_on.isoformat(),
        reference=reference,
    )
    close_if_settled(session, mailer, claim.invoice, today)
    session.flush()
    return claim


def is_settled(session: Session, invoice: Invoice) -> bool:
    """The share (with any refused subsidy) is paid and every subsidy is paid or refused."""
    if invoice.status == InvoiceStatus.CANCELLED:
        return False
    if share_account(session, invoice).status not in (ShareStatus.PAID, ShareStatus.NOTHING_DUE):
        return False
    claims = claims_of_invoice(session, invoice)
    return len(claims) == len(invoice.subsidies) and all(
        c.status in (ClaimStatus.PAID, ClaimStatus.REJECTED) for c in claims
    )


def close_if_settled(session: Session, mailer: Mailer, invoice: Invoice, today: date) -> bool:
    """Close the invoice's booking once everything is paid; True if it closed now."""
    from marketplace.bookings.operations import fire  # operations imports billing

    booking = session.get(Booking, invoice.booking_id)
    assert booking is not None
    if booking.state != State.CONFIRMED or not is_settled(session, invoice):
        return False
    fire(session, None, booking, TransitionName.CLOSE.value, mailer, today)
    return True
