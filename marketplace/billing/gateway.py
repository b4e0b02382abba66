"""The card-payment port (STYLE rule 5) and its Stripe adapter.

Bank transfer, the default, needs no gateway: someone records the money arriving. Card payments
need one, built by the factory only when `STRIPE_SECRET_KEY` is set (`app.extensions["payments"]`).
The adapter talks to Stripe through the official `stripe` package's `StripeClient` with a timeout,
hands back plain facts (no Stripe objects past this module) and turns Stripe's failures into
`PaymentGatewayError`. Parameters are built in one place: localstripe, which the tests run
against, refuses any it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import stripe

from marketplace.errors import DomainError

# Stripe's smallest charge in euros; a smaller share is paid by bank transfer.
STRIPE_MINIMUM_CENTS = 50


class PaymentGatewayError(DomainError):
    """The payment service refused or did not answer; nothing was charged by this call."""

    status_code = 502


class InvalidWebhook(DomainError):
    """A webhook whose signature does not verify (or that is not JSON): refused, never read."""

    status_code = 400


@dataclass(frozen=True)
class IntentFacts:
    id: str
    status: str  # Stripe's: requires_payment_method, processing, succeeded, canceled…
    amount_cents: int
    currency: str
    client_secret: str
    failure_message: str = ""


@dataclass(frozen=True)
class RefundFacts:
    id: str
    status: str  # succeeded, pending, failed
    amount_cents: int


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    payment_intent_id: str | None


class PaymentGateway(Protocol):
    publishable_key: str

    def create_intent(
        self, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> IntentFacts: ...

    def retrieve_intent(self, intent_id: str) -> IntentFacts: ...

    def refund(self, intent_id: str, amount_cents: int, idempotency_key: str) -> RefundFacts: ...

    def verify_webhook(self, payload: bytes, signature: str) -> WebhookEvent: ...


def _intent_facts(intent: Any) -> IntentFacts:
    error = getattr(intent, "last_payment_error", None)
    return IntentFacts(
        id=intent.id,
        status=intent.status,
        amount_cents=int(intent.amount),
        currency=intent.currency,
        client_secret=intent.client_secret or "",
        failure_message=(getattr(error, "message", "") or "") if error else "",
    )


class StripeGateway:
    """Stripe through `StripeClient`; `api_base` points it elsewhere (localstripe in tests)."""

    def __init__(
        self,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        api_base: str = "",
        timeout_seconds: float = 10.0,
    ) -> None:
        self._http = stripe.RequestsClient(timeout=timeout_seconds)
        options: dict[str, Any] = {
            "http_client": self._http,
            "max_network_retries": 2,  # safe: every write carries an idempotency key
        }
        if api_base:
            options["base_addresses"] = {"api": api_base}
        self._client = stripe.StripeClient(secret_key, **options)
        self._webhook_secret = webhook_secret
        self.publishable_key = publishable_key

    def close(self) -> None:
        """Close the kept-alive connections (tests; a server keeps its gateway for life)."""
        self._http.close()  # type: ignore[no-untyped-call]

    def create_intent(
        self, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> IntentFacts:
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": "eur",
            "payment_method_types": ["card"],
            "metadata": dict(metadata),
        }
        try:
            intent = self._client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise PaymentGatewayError(_message(error)) from error
        return _intent_facts(intent)

    def retrieve_intent(self, intent_id: str) -> IntentFacts:
        try:
            return _intent_facts(self._client.v1.payment_intents.retrieve(intent_id))
        except stripe.StripeError as error:
            raise PaymentGatewayError(_message(error)) from error

    def refund(self, intent_id: str, amount_cents: int, idempotency_key: str) -> RefundFacts:
        try:
            refund = self._client.v1.refunds.create(
                params={"payment_intent": intent_id, "amount": amount_cents},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise PaymentGatewayError(_message(error)) from error
        return RefundFacts(refund.id, refund.status or "pending", int(refund.amount))

    def verify_webhook(self, payload: bytes, signature: str) -> WebhookEvent:
        """The event, if Stripe signed this exact body with our endpoint's secret, recently."""
        try:
            event = self._client.construct_event(payload, signature, self._webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            raise InvalidWebhook("The webhook signature does not verify.") from error
        obj = event.data.object
        intent_id = None
        if getattr(obj, "object", None) == "payment_intent":
            intent_id = obj.id
        elif isinstance(getattr(obj, "payment_intent", None), str):
            intent_id = obj.payment_intent
        return WebhookEvent(event.id, event.type, intent_id)


def _message(error: stripe.StripeError) -> str:
    return error.user_message or str(error) or type(error).__name__


def build_payment_gateway(config: Mapping[str, Any]) -> PaymentGateway | None:
    """Stripe when a secret key is configured; None means bank transfer only."""
    if not config.get("STRIPE_SECRET_KEY"):
        return None
    return StripeGateway(
        config["STRIPE_SECRET_KEY"],
        config.get("STRIPE_PUBLISHABLE_KEY", ""),
        config.get("STRIPE_WEBHOOK_SECRET", ""),
        api_base=config.get("STRIPE_API_BASE", ""),
    )
