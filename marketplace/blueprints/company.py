"""Company pages: requesting an offer, their bookings ("Mes demandes"), their invoices ("Mes
factures"), their de minimis aid; and the PDF downloads every party to a document shares."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import Select
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import company_required, current_actor, current_company, login_required
from marketplace.billing.claim_models import ClaimStatus
from marketplace.billing.claims import claims_of_invoice
from marketplace.billing.deminimis import declare_aid, ledger, withdraw_declared_aid
from marketplace.billing.invoice_models import Invoice, InvoiceStatus
from marketplace.billing.invoice_pdf import agreement_pdf as render_agreement
from marketplace.billing.invoice_pdf import credit_note_pdf as render_credit_note
from marketplace.billing.invoice_pdf import invoice_pdf as render_invoice
from marketplace.billing.invoice_pdf import share_statement_pdf as statement_pdf
from marketplace.billing.invoices import (
    credit_note_for,
    invoice_for,
    invoice_of_booking,
    invoices_of,
)
from marketplace.billing.payments import share_account, share_accounts
from marketplace.billing.quotes import quote
from marketplace.billing.split import Split
from marketplace.blueprints.booking_pages import (
    AID_ALIASES,
    AcceptForm,
    CancelForm,
    DeclareAidForm,
    MessageForm,
    ReasonForm,
    RequestForm,
    add_booking_filters,
    evidence_store,
    fire_from_page,
    render_booking_list,
    send_message_from_page,
)
from marketplace.blueprints.forms import apply_service_errors
from marketplace.blueprints.invoice_pages import (
    add_invoice_filters,
    payment_context,
    pdf_download,
    render_invoice_list,
    status_filter,
)
from marketplace.blueprints.review_pages import ReviewForm
from marketplace.bookings.lifecycle import State, transition
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    MAX_QUANTITY,
    SplitChanged,
    TransitionInput,
    available_transitions,
    booking_for,
    current_split,
    request_booking,
)
from marketplace.catalog.indexing import indexable
from marketplace.catalog.models import Offer
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.reviews.operations import can_review, review_of_booking

bp = Blueprint("company", __name__)
add_booking_filters(bp)
add_invoice_filters(bp)


# --- Requesting an offer --------------------------------------------------------------------


@bp.route("/offers/<int:offer_id>/request", methods=["GET", "POST"])
@company_required
def request_offer(offer_id: int) -> str | Response | tuple[str, int]:
    """Companies: ask a visible offer's provider for a quote, with their own split shown first."""
    today = clock.today()
    offer = db.session.get(Offer, offer_id)
    if offer is None or not indexable(offer, today):
        abort(404)
    per_unit = offer.is_per_unit
    form = RequestForm()
    if not per_unit:
        del form.quantity  # a fixed price is for one
    status = 200
    if request.method == "POST":
        valid = form.validate_on_submit()
        if valid and request.form.get("action") != "preview":
            try:
                booking = request_booking(
                    db.session(),
                    current_actor(),
                    offer,
                    form.to_data(per_unit),
                    current_app.extensions["mailer"],
                    today,
                )
            except ValidationFailed as error:
                db.session.rollback()
                apply_service_errors(form, error)
            else:
                db.session.commit()
                flash(_("Your request has been sent to the provider."), "success")
                return redirect(url_for("company.booking", booking_id=booking.id))
        status = 200 if valid and not form.errors else 422
    quantity = 1
    if per_unit and isinstance(form.quantity.data, int) and 1 <= form.quantity.data <= MAX_QUANTITY:
        quantity = form.quantity.data
    split = quote(db.session(), current_company(), offer, today, quantity=quantity)
    return render_template(
        "bookings/request.html",
        offer=offer,
        form=form,
        split=split,
        per_unit=per_unit,
        quantity=quantity,
    ), status


# --- Mes demandes ---------------------------------------------------------------------------


@bp.get("/bookings/")
@company_required
def bookings() -> str:
    """Companies: their requests and agreements, newest activity first, with whom each awaits."""
    return render_booking_list("bookings/company_list.html", Booking.provider)


def _render_booking(
    booking: Booking, status: int = 200, split: Split | None = None, **forms: Any
) -> tuple[str, int]:
    """The company's page of one booking; forms come back with their errors after a refusal."""
    allowed = {t.name.value for t in available_transitions(current_actor(), booking)}
    if split is None and booking.state == State.QUOTED:
        split = current_split(db.session(), booking, clock.today())
    accept_form = AcceptForm(formdata=None)
    if split is not None:
        accept_form.expected_company_share_cents.data = str(split.company_share_cents)
    cancel = transition(State(booking.state), "cancel")
    return render_template(
        "bookings/company_detail.html",
        booking=booking,
        allowed=allowed,
        split=split,
        accept_form=accept_form,
        cancel_needs_reason=bool(cancel and cancel.needs_reason),
        dispute_form=forms.get("dispute_form") or ReasonForm(formdata=None),
        message_form=forms.get("message_form") or MessageForm(formdata=None),
        split_changed=forms.get("split_changed", False),
        action_form=FlaskForm(),
        invoice=invoice_of_booking(db.session(), booking),
        review=review_of_booking(db.session(), booking.id),
        review_form=forms.get("review_form")
        or (
            ReviewForm(formdata=None)
            if can_review(db.session(), current_actor(), booking)
            else None
        ),
    ), status


render_company_booking = _render_booking  # the review page renders the booking again


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int) -> tuple[str, int] | Response:
    """Companies: one of their bookings: the request, the quote and their split, the agreement,
    the delivery, messages and history. Mails send both parties here: the booking's provider
    or an admin is taken to their own page of it."""
    actor = current_actor()
    if actor.provider is not None:
        return redirect(url_for("provider_bookings.booking", booking_id=booking_id))
    if actor.is_admin:
        return redirect(url_for("admin_bookings.booking", booking_id=booking_id))
    return _render_booking(booking_for(db.session(), actor, booking_id))


def _done(booking: Booking, refusal: str | None, message: str) -> Response:
    if refusal:
        flash(refusal, "error")
    else:
        flash(message, "success")
    return redirect(url_for("company.booking", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/accept")
@company_required
def accept(booking_id: int) -> Response | tuple[str, int]:
    """Companies: accept the quote at the split the page showed (a moved split is shown anew)."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    form = AcceptForm()
    expected = form.expected() if form.validate_on_submit() else None
    try:
        refusal = fire_from_page(
            booking, "accept", TransitionInput(expected_company_share_cents=expected)
        )
    except SplitChanged as error:
        return _render_booking(booking, 409, split=error.split, split_changed=True)
    except (ValidationFailed, Conflict) as error:
        refusal = error.message
    return _done(
        booking, refusal, _("Quote accepted: the service agreement is signed, subsidies reserved.")
    )


@bp.post("/bookings/<int:booking_id>/confirm")
@company_required
def confirm(booking_id: int) -> Response:
    """Companies: confirm the provider delivered what was agreed."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    return _done(booking, fire_from_page(booking, "confirm"), _("Delivery confirmed."))


@bp.post("/bookings/<int:booking_id>/dispute")
@company_required
def dispute(booking_id: int) -> Response | tuple[str, int]:
    """Companies: dispute the delivery, with a reason; an administrator settles it."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_booking(booking, 422, dispute_form=form)
    try:
        refusal = fire_from_page(booking, "dispute", TransitionInput(reason=form.reason.data or ""))
    except ValidationFailed as error:
        apply_service_errors(form, error)
        return _render_booking(booking, 422, dispute_form=form)
    return _done(booking, refusal, _("Delivery disputed: an administrator will settle it."))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@company_required
def cancel(booking_id: int) -> str | Response | tuple[str, int]:
    """Companies: confirm, then cancel a booking (with a reason once the agreement is signed)."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    step = transition(State(booking.state), "cancel")
    if "cancel" not in {t.name.value for t in available_transitions(current_actor(), booking)}:
        flash(_("This booking can no longer be cancelled."), "error")
        return redirect(url_for("company.booking", booking_id=booking.id))
    needs_reason = bool(step and step.needs_reason)
    form = ReasonForm() if needs_reason else CancelForm()
    status = 200
    if form.validate_on_submit():
        try:
            refusal = fire_from_page(
                booking, "cancel", TransitionInput(reason=form.reason.data or "")
            )
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            return _done(booking, refusal, _("The booking is cancelled."))
    if request.method == "POST":
        status = 422
    return render_template(
        "bookings/cancel.html",
        booking=booking,
        form=form,
        needs_reason=needs_reason,
        back=url_for("company.booking", booking_id=booking.id),
    ), status


@bp.post("/bookings/<int:booking_id>/messages")
@company_required
def message(booking_id: int) -> Response | tuple[str, int]:
    """Companies: write to the provider in the booking's thread."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    form = MessageForm()
    if send_message_from_page(booking, form):
        return redirect(url_for("company.booking", booking_id=booking.id, _anchor="messages"))
    return _render_booking(booking, 422, message_form=form)


@bp.get("/bookings/<int:booking_id>/evidence/<int:evidence_id>")
@login_required
def evidence(booking_id: int, evidence_id: int) -> Response:
    """Any logged-in user who is a party to the booking (or an admin): a delivery evidence file,
    as a download; anyone else gets a 404."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    found = next((e for e in booking.evidence if e.id == evidence_id), None)
    if found is None:
        abort(404)
    path = evidence_store().path(found.storage_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/bookings/<int:booking_id>/agreement.pdf")
@login_required
def agreement_pdf(booking_id: int) -> Response:
    """Any logged-in user who is a party to the booking (or an admin): the service agreement
    frozen at the quote's acceptance, as a PDF; anyone else gets a 404."""
    booking = booking_for(db.session(), current_actor(), booking_id)
    if booking.agreement is None:
        abort(404)
    return pdf_download(render_agreement(booking), f"accord-{booking.reference}")


# --- Mes factures ---------------------------------------------------------------------------


def owed_cents(query: Select[Invoice]) -> int:
    """What the company still owes on its invoices that are not cancelled: each share, plus
    any subsidy a funder refused, less what it has paid."""
    issued = db.session.scalars(query.where(Invoice.status == InvoiceStatus.ISSUED)).all()
    return sum(account.due_cents for account in share_accounts(db.session(), issued).values())


@bp.get("/invoices/")
@company_required
def invoices() -> str:
    """Companies: their invoices, filtered by status, and what they still owe on them."""
    status = status_filter()
    actor = current_actor()
    return render_invoice_list(
        "invoices/company_list.html",
        invoices_of(actor, status),
        status,
        owed_cents=owed_cents(invoices_of(actor)),
    )


@bp.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int) -> str | Response:
    """Companies: one of their invoices, its split and credit note. The invoice's provider or
    an admin is taken to their own page of it."""
    actor = current_actor()
    if actor.provider is not None:
        return redirect(url_for("provider_invoices.invoice", invoice_id=invoice_id))
    if actor.is_admin:
        return redirect(url_for("admin_invoices.invoice", invoice_id=invoice_id))
    found = invoice_for(db.session(), actor, invoice_id)
    return render_template(
        "invoices/detail.html",
        invoice=found,
        back=url_for("company.invoices"),
        booking_url=url_for("company.booking", booking_id=found.booking_id),
        credit_url=None,
        transfer_form=None,
        card_url=(
            url_for("card_payments.pay_by_card", invoice_id=found.id)
            if current_app.extensions.get("payments") is not None
            else None
        ),
        **payment_context(found),
    )


@bp.get("/invoices/<int:invoice_id>/pdf")
@login_required
def invoice_pdf(invoice_id: int) -> Response:
    """Any logged-in user of the invoice's company or provider (or an admin): the invoice as a
    PDF with its Factur-X XML; anyone else gets a 404."""
    found = invoice_for(db.session(), current_actor(), invoice_id)
    return pdf_download(render_invoice(found), found.number)


@bp.get("/invoices/<int:invoice_id>/statement.pdf")
@login_required
def share_statement_pdf(invoice_id: int) -> Response:
    """Any logged-in user of the invoice's company or provider (or an admin): the corrective
    statement of what the company owes once a funder refused a subsidy; 404 before that."""
    session = db.session()
    found = invoice_for(session, current_actor(), invoice_id)
    refused = [c for c in claims_of_invoice(session, found) if c.status == ClaimStatus.REJECTED]
    if not refused:
        abort(404)
    document = statement_pdf(found, share_account(session, found), refused, clock.today())
    return pdf_download(document, f"{found.number}-rectificatif")


@bp.get("/credit-notes/<int:credit_note_id>/pdf")
@login_required
def credit_note_pdf(credit_note_id: int) -> Response:
    """Any logged-in user of the credit note's company or provider (or an admin): the credit
    note as a PDF with its Factur-X XML; anyone else gets a 404."""
    note = credit_note_for(db.session(), current_actor(), credit_note_id)
    return pdf_download(render_credit_note(note), note.number)


# --- Mes aides de minimis -------------------------------------------------------------------


def _render_ledger(form: DeclareAidForm, status: int = 200) -> tuple[str, int]:
    book = ledger(db.session(), current_company(), clock.today())
    return render_template("bookings/ledger.html", ledger=book, form=form), status


@bp.get("/de-minimis")
@company_required
def aid_ledger() -> tuple[str, int]:
    """Companies: their de minimis aid over the rolling three years and the headroom left."""
    return _render_ledger(DeclareAidForm(formdata=None))


@bp.post("/de-minimis")
@company_required
def declare() -> Response | tuple[str, int]:
    """Companies: declare de minimis aid received outside the platform."""
    form = DeclareAidForm()
    if form.validate_on_submit():
        try:
            declare_aid(
                db.session(),
                current_actor(),
                current_company(),
                form.granted_on.data,
                form.amount_cents(),
                form.funder.data or "",
                clock.today(),
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error, AID_ALIASES)
        else:
            db.session.commit()
            flash(_("Aid declared: it now counts in your de minimis total."), "success")
            return redirect(url_for("company.aid_ledger"))
    return _render_ledger(form, 422)


@bp.route("/de-minimis/<int:aid_id>/withdraw", methods=["GET", "POST"])
@company_required
def withdraw(aid_id: int) -> str | Response:
    """Companies: confirm, then withdraw one of their declarations made by mistake."""
    book = ledger(db.session(), current_company(), clock.today())
    entry = next((e for e in book.entries if e.declared_aid_id == aid_id), None)
    if entry is None:
        abort(404)
    form = FlaskForm()
    if form.validate_on_submit():
        withdraw_declared_aid(db.session(), current_actor(), current_company(), aid_id)
        db.session.commit()
        flash(_("The declaration is withdrawn."), "info")
        return redirect(url_for("company.aid_ledger"))
    return render_template("bookings/withdraw.html", entry=entry, form=form)
