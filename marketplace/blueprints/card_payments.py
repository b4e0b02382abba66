"""Companies pay their share by card: Stripe's Payment Element, then the page Stripe returns to.

Only when a payment gateway is configured (`STRIPE_SECRET_KEY`); without one these addresses
do not exist and invoices show bank details alone. The payment and its idempotency key are
committed before Stripe is called (see `billing.payments`), so a reload, a double click or a
retry after a timeout reuses the same PaymentIntent. The outcome is read back from Stripe on
return and by the webhook, whichever comes first.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import company_required, current_actor
from marketplace.billing.gateway import PaymentGateway, PaymentGatewayError
from marketplace.billing.invoices import invoice_for
from marketplace.billing.payment_models import Payment, PaymentStatus
from marketplace.billing.payments import apply_intent, open_card_payment, prepare_card_payment
from marketplace.errors import DomainError
from marketplace.extensions import db

bp = Blueprint("card_payments", __name__, url_prefix="/invoices")
INTENT_ID_MAX = 255


def _gateway() -> PaymentGateway:
    gateway: PaymentGateway | None = current_app.extensions.get("payments")
    if gateway is None:
        abort(404)
    return gateway


def card_page_policy(stripe_js_url: str) -> str:
    """The card page alone loads Stripe.js, which draws the card fields in Stripe's frames and
    talks to Stripe's API; every other page keeps the strict default policy."""
    parts = urlsplit(stripe_js_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return (  # Stripe's documented needs: its scripts, its frames (3-D Secure too), its API
        f"default-src 'self'; script-src 'self' {origin} https://*.js.stripe.com; "
        f"frame-src {origin} https://*.js.stripe.com https://hooks.stripe.com; "
        f"connect-src 'self' {origin} https://api.stripe.com; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def _back_to_invoice(invoice_id: int) -> Response:
    return redirect(url_for("company.invoice", invoice_id=invoice_id))


@bp.post("/<int:invoice_id>/card")
@company_required
def pay_by_card(invoice_id: int) -> Response:
    """Companies: the card form for what is still due on one of their invoices."""
    gateway = _gateway()
    session = db.session()
    invoice = invoice_for(session, current_actor(), invoice_id)
    try:
        payment = prepare_card_payment(session, current_actor(), invoice)
        session.commit()  # the idempotency key exists before Stripe hears of it
        facts = open_card_payment(
            session, gateway, current_app.extensions["mailer"], payment, clock.today()
        )
        session.commit()
    except PaymentGatewayError:
        session.rollback()
        flash(
            gettext(
                "The card payment service does not answer: nothing was charged. "
                "Try again in a few minutes, or pay by bank transfer."
            ),
            "error",
        )
        return _back_to_invoice(invoice_id)
    except DomainError as error:
        session.rollback()
        flash(error.message, "error")
        return _back_to_invoice(invoice_id)
    if facts.status == "succeeded":
        flash(gettext("This payment has already gone through."), "success")
        return _back_to_invoice(invoice_id)
    stripe_js_url = current_app.config["STRIPE_JS_URL"]
    response = make_response(
        render_template(
            "invoices/card_payment.html",
            invoice=invoice,
            payment=payment,
            client_secret=facts.client_secret,
            publishable_key=gateway.publishable_key,
            stripe_js_url=stripe_js_url,
            locale=str(get_locale() or "fr"),
            return_url=url_for(".card_return", invoice_id=invoice_id, _external=True),
        )
    )
    response.headers["Content-Security-Policy"] = card_page_policy(stripe_js_url)
    response.headers["Cache-Control"] = "no-store"  # the client secret stays out of caches
    return response


@bp.get("/<int:invoice_id>/card/return")
@company_required
def card_return(invoice_id: int) -> Response:
    """Companies: where Stripe sends the browser back after the card step; the outcome is read
    from Stripe itself, never from the address."""
    gateway = _gateway()
    session = db.session()
    invoice = invoice_for(session, current_actor(), invoice_id)
    intent_id = request.args.get("payment_intent", "")[:INTENT_ID_MAX]
    payment = session.scalar(
        select(Payment).where(
            Payment.invoice_id == invoice.id, Payment.stripe_payment_intent_id == intent_id
        )
    )
    if not intent_id or payment is None:
        abort(404)
    try:
        facts = gateway.retrieve_intent(intent_id)
        apply_intent(session, current_app.extensions["mailer"], facts, clock.today())
        session.commit()
    except PaymentGatewayError:
        session.rollback()
        flash(
            gettext(
                "We could not check the payment with the card service yet: this page will "
                "show it as soon as it is confirmed."
            ),
            "info",
        )
        return _back_to_invoice(invoice_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        flash(gettext("Payment received: thank you."), "success")
    elif payment.status == PaymentStatus.FAILED:
        flash(
            gettext(
                "The payment did not go through: %(reason)s You can try again.",
                reason=payment.failure_message,
            ),
            "error",
        )
    else:
        flash(
            gettext("The payment is being processed: this page will show it once confirmed."),
            "info",
        )
    return _back_to_invoice(invoice_id)
