"""Signed calls from outside services: Stripe's webhook.

Outside /api/v1 and exempt from CSRF (STYLE rule 6): Stripe's signature on the raw body is the
authentication. Each event is handled once (`payments.process_webhook`); a failure to re-read
the PaymentIntent answers 502 so that Stripe delivers the event again.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, make_response, request
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.billing.gateway import InvalidWebhook, PaymentGateway
from marketplace.billing.payments import process_webhook
from marketplace.extensions import csrf, db, limiter

bp = Blueprint("webhooks", __name__)


@bp.post("/stripe/webhook")
@csrf.exempt
@limiter.exempt
def stripe_webhook() -> Response:
    """Public (Stripe, signed): a payment event; 404 while card payments are off."""
    gateway: PaymentGateway | None = current_app.extensions.get("payments")
    if gateway is None:
        abort(404)
    try:
        event = gateway.verify_webhook(
            request.get_data(cache=False), request.headers.get("Stripe-Signature", "")
        )
    except InvalidWebhook as refused:  # Stripe reads the status; the body is for our logs
        return make_response(jsonify(received=False, message=refused.message), 400)
    outcome = process_webhook(
        db.session(), gateway, current_app.extensions["mailer"], event, clock.today()
    )
    db.session.commit()
    current_app.logger.info("stripe event %s (%s): %s", event.id, event.type, outcome)
    return jsonify(received=True, outcome=outcome)
