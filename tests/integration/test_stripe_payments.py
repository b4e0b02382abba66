"""Card payments against localstripe, a stateful fake Stripe server started on a free loopback
port: create → confirm with a test card → the signed webhook → the share paid; a declined card;
a replayed and a late event; a refund after a credit note. The browser's part (Stripe.js
confirming the card) is played by calling localstripe as Stripe.js would."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import stripe
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.billing.claims import claims_of_invoice
from marketplace.billing.gateway import StripeGateway
from marketplace.billing.invoices import issue_credit_note
from marketplace.billing.ledger_models import JournalEntry
from marketplace.billing.payment_models import PaymentStatus, RefundStatus, StripeEvent
from marketplace.billing.payments import (
    ShareStatus,
    apply_intent,
    open_card_payment,
    prepare_card_payment,
    refunds_of,
    send_card_refund,
    share_account,
)
from marketplace.errors import Conflict
from marketplace.worker import jobs_from_config, send_card_refunds
from tests.billing_scenario import Scenario, assert_budgets_add_up
from tests.bookkeeping import assert_books_balance
from tests.factories import login
from tests.integration.processes import answers, free_port
from tests.invoicing import MAILER

TODAY = date.today()
SECRET = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_localstripe_test"


@dataclass(frozen=True)
class Delivery:
    body: bytes
    signature: str


class WebhookInbox:
    """Where localstripe delivers its webhooks; the test hands each one to the app."""

    def __init__(self) -> None:
        self.deliveries: queue.Queue[Delivery] = queue.Queue()
        inbox = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                inbox.deliveries.put(Delivery(body, self.headers.get("Stripe-Signature", "")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet: the test's assertions say what arrived."""

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, event_type: str, timeout: float = 10.0) -> Delivery:
        deadline = time.monotonic() + timeout
        while True:
            delivery = self.deliveries.get(timeout=max(0.1, deadline - time.monotonic()))
            if f'"type": "{event_type}"'.encode() in delivery.body or (
                f'"type":"{event_type}"'.encode() in delivery.body
            ):
                return delivery


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    executable = Path(sys.executable).with_name("localstripe")  # the test extras' script
    if not executable.exists():
        pytest.skip("localstripe is not installed (pip install -e '.[test]')")
    port = free_port()
    process = subprocess.Popen(
        [str(executable), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while not answers("127.0.0.1", port):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("localstripe did not start")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def inbox(localstripe: str) -> Iterator[WebhookInbox]:
    inbox = WebhookInbox()
    data = urllib.parse.urlencode(
        [
            ("url", inbox.url),
            ("secret", WEBHOOK_SECRET),
            ("events[]", "payment_intent.succeeded"),
            ("events[]", "payment_intent.payment_failed"),
        ]
    ).encode()
    urllib.request.urlopen(
        urllib.request.Request(f"{localstripe}/_config/webhooks/cc", data=data, method="POST")
    ).close()
    yield inbox
    inbox.server.shutdown()
    inbox.server.server_close()


@pytest.fixture
def gateway(
    app: Flask, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StripeGateway]:
    gateway = StripeGateway(SECRET, "pk_test_localstripe", WEBHOOK_SECRET, api_base=localstripe)
    monkeypatch.setitem(app.extensions, "payments", gateway)
    yield gateway
    gateway.close()


def card_entered(localstripe: str, intent_id: str, card: str) -> None:
    """What Stripe.js does in the browser: attach the card, confirm the intent."""
    http = stripe.RequestsClient()
    client = stripe.StripeClient(SECRET, base_addresses={"api": localstripe}, http_client=http)
    try:
        client.v1.payment_intents.update(intent_id, params={"payment_method": card})
        with suppress(stripe.CardError):  # the page shows Stripe's message; the webhook tells us
            client.v1.payment_intents.confirm(intent_id)
    finally:
        http.close()


def signed(body: bytes) -> str:
    """Stripe's signature scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    timestamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def deliver(app: Flask, delivery: Delivery, signature: str | None = None) -> tuple[int, dict]:
    response = app.test_client().post(
        "/stripe/webhook",
        data=delivery.body,
        headers={
            "Stripe-Signature": delivery.signature if signature is None else signature,
            "Content-Type": "application/json",
        },
    )
    return response.status_code, response.get_json(silent=True) or {}


def counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(StripeEvent)) or 0,
        session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
    )


def start_paying(session: Session, gateway: StripeGateway, s: Scenario) -> str:
    payment = prepare_card_payment(session, s.company, s.invoice)
    key = payment.idempotency_key
    session.commit()  # the key is stored before Stripe is called
    facts = open_card_payment(session, gateway, MAILER, payment, TODAY)
    session.commit()
    assert key and facts.client_secret and facts.amount_cents == payment.amount_cents
    assert facts.status == "requires_payment_method"
    # Coming back to the page reuses the same payment and intent, never a second one.
    again = prepare_card_payment(session, s.company, s.invoice)
    assert again.id == payment.id
    assert open_card_payment(session, gateway, MAILER, again, TODAY).id == facts.id
    session.commit()
    return facts.id


def test_a_card_payment_succeeds_through_the_webhook_once(
    app: Flask, session: Session, gateway: StripeGateway, inbox: WebhookInbox, localstripe: str
) -> None:
    s = Scenario(session)
    session.commit()
    intent_id = start_paying(session, gateway, s)

    card_entered(localstripe, intent_id, "pm_card_visa")
    delivery = inbox.next("payment_intent.succeeded")
    assert deliver(app, delivery) == (200, {"received": True, "outcome": "payment succeeded"})
    session.expire_all()
    account = share_account(session, s.invoice)
    assert (account.status, account.paid_cents) == (ShareStatus.PAID, 600_00)
    assert len(claims_of_invoice(session, s.invoice)) == 2  # the subsidies are claimed
    after = counts(session)

    # The same event again: stored once, nothing moves.
    assert deliver(app, delivery) == (200, {"received": True, "outcome": "duplicate"})
    session.expire_all()
    assert counts(session) == after
    assert share_account(session, s.invoice).paid_cents == 600_00
    assert_books_balance(session)
    assert_budgets_add_up(session)


def test_a_bad_signature_is_refused_and_stores_nothing(
    app: Flask, session: Session, gateway: StripeGateway, inbox: WebhookInbox, localstripe: str
) -> None:
    s = Scenario(session)
    session.commit()
    intent_id = start_paying(session, gateway, s)
    card_entered(localstripe, intent_id, "pm_card_visa")
    delivery = inbox.next("payment_intent.succeeded")
    forged = "t=1700000000,v1=" + "0" * 64
    status, body = deliver(app, delivery, signature=forged)
    assert status == 400 and "signature" in body["message"]
    tampered = Delivery(delivery.body.replace(b"succeeded", b"succeedeD", 1), delivery.signature)
    assert deliver(app, tampered)[0] == 400
    session.expire_all()
    assert counts(session)[0] == 0
    assert share_account(session, s.invoice).status == ShareStatus.UNPAID


def test_a_declined_card_then_a_good_one_and_a_late_failure_event(
    app: Flask, session: Session, gateway: StripeGateway, inbox: WebhookInbox, localstripe: str
) -> None:
    s = Scenario(session)
    session.commit()
    intent_id = start_paying(session, gateway, s)

    card_entered(localstripe, intent_id, "pm_card_chargeCustomerFail")
    failed = inbox.next("payment_intent.payment_failed")
    assert deliver(app, failed) == (200, {"received": True, "outcome": "payment failed"})
    session.expire_all()
    account = share_account(session, s.invoice)
    assert (account.status, account.due_cents) == (ShareStatus.UNPAID, 600_00)

    # The company tries another card: a new payment and intent (localstripe, unlike Stripe,
    # cannot retry a declined intent), with the next idempotency key.
    second = start_paying(session, gateway, s)
    assert second != intent_id
    card_entered(localstripe, second, "pm_card_visa")
    succeeded = inbox.next("payment_intent.succeeded")
    assert deliver(app, succeeded)[1]["outcome"] == "payment succeeded"
    # The first intent's failure delivered again, late, as another event signed like Stripe's:
    # its intent is read back from Stripe, and nothing changes.
    late_body = failed.body.replace(b'"evt_', b'"evt_late', 1)
    before = counts(session)
    assert deliver(app, Delivery(late_body, signed(late_body)))[1]["outcome"] == ("payment failed")
    session.expire_all()
    assert counts(session) == (before[0] + 1, before[1])  # one more event, no entry
    account = share_account(session, s.invoice)
    assert (account.status, account.paid_cents) == (ShareStatus.PAID, 600_00)
    assert_books_balance(session)


def test_a_credit_note_refunds_the_card(
    app: Flask, session: Session, gateway: StripeGateway, inbox: WebhookInbox, localstripe: str
) -> None:
    s = Scenario(session, with_programmes=False)
    session.commit()
    assert s.invoice.company_share_cents == 1_440_00
    intent_id = start_paying(session, gateway, s)
    card_entered(localstripe, intent_id, "pm_card_visa")
    assert deliver(app, inbox.next("payment_intent.succeeded"))[0] == 200
    session.expire_all()
    with pytest.raises(Conflict):  # paid in full: nothing left to pay by card
        prepare_card_payment(session, s.company, s.invoice)

    issue_credit_note(session, s.expert, s.invoice, "Prestation annulée, client remboursé.", TODAY)
    session.commit()
    (refund,) = refunds_of(session, s.invoice)
    assert (refund.status, refund.amount_cents) == (RefundStatus.PENDING, 1_440_00)
    send_card_refund(session, gateway, refund, TODAY)
    session.commit()
    assert refund.status == RefundStatus.SUCCEEDED and refund.stripe_refund_id
    # Sending again does nothing (and Stripe would get the same idempotency key anyway).
    send_card_refund(session, gateway, refund, TODAY)
    assert refund.payment.status == PaymentStatus.SUCCEEDED
    balance_411 = sum(
        line.debit_cents - line.credit_cents
        for entry in session.scalars(select(JournalEntry))
        for line in entry.lines
        if line.account == "411"
    )
    assert balance_411 == 0
    assert_books_balance(session)


def _client_secret(page_text: str) -> str:
    found = re.search(r'data-client-secret="([^"]+)"', page_text)
    assert found, "the card page carries the intent's client secret for Stripe.js"
    return found.group(1)


def test_the_company_pays_by_card_from_its_invoice_page(
    app: Flask, session: Session, gateway: StripeGateway, localstripe: str
) -> None:
    """The invoice offers the card, the card page loads Stripe.js under a policy that lets
    it run, a reload reuses the intent, and the return page reads the outcome from Stripe."""
    s = Scenario(session)
    session.commit()
    invoice_id, email = s.invoice.id, s.company.email
    client = app.test_client()
    assert login(client, email).status_code == 302
    assert 'id="pay-by-card"' in client.get(f"/invoices/{invoice_id}").text

    page = client.post(f"/invoices/{invoice_id}/card")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "frame-src https://js.stripe.com" in policy
    assert '<script src="https://js.stripe.com/v3/"></script>' in page.text
    secret = _client_secret(page.text)
    intent_id = secret.split("_secret_")[0]
    assert _client_secret(client.post(f"/invoices/{invoice_id}/card").text) == secret
    # Any other page keeps the strict policy: no third-party script anywhere else.
    assert "stripe" not in client.get(f"/invoices/{invoice_id}").headers["Content-Security-Policy"]

    card_entered(localstripe, intent_id, "pm_card_visa")
    back = client.get(f"/invoices/{invoice_id}/card/return?payment_intent={intent_id}")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/invoices/{invoice_id}")
    shown = client.get(f"/invoices/{invoice_id}").text
    assert "flash-success" in shown and 'id="pay-by-card"' not in shown
    session.expire_all()
    assert share_account(session, s.invoice).status == ShareStatus.PAID
    assert len(claims_of_invoice(session, s.invoice)) == 2
    # Coming back again, or with an intent that is not this invoice's, changes nothing.
    assert (
        client.get(f"/invoices/{invoice_id}/card/return?payment_intent={intent_id}").status_code
        == 302
    )
    assert (
        client.get(f"/invoices/{invoice_id}/card/return?payment_intent=pi_other").status_code == 404
    )
    assert client.post(f"/invoices/{invoice_id}/card").status_code == 302  # paid: back to it
    assert_books_balance(session)


def test_a_declined_card_on_the_page_says_so_and_the_company_can_try_again(
    app: Flask, session: Session, gateway: StripeGateway, localstripe: str
) -> None:
    s = Scenario(session)
    session.commit()
    invoice_id, email = s.invoice.id, s.company.email
    client = app.test_client()
    assert login(client, email).status_code == 302
    intent_id = _client_secret(client.post(f"/invoices/{invoice_id}/card").text).split("_secret_")[
        0
    ]

    card_entered(localstripe, intent_id, "pm_card_chargeCustomerFail")
    client.get(f"/invoices/{invoice_id}/card/return?payment_intent={intent_id}")
    shown = client.get(f"/invoices/{invoice_id}").text
    assert "flash-error" in shown and 'id="pay-by-card"' in shown
    session.expire_all()
    assert share_account(session, s.invoice).paid_cents == 0
    retry = _client_secret(client.post(f"/invoices/{invoice_id}/card").text).split("_secret_")[0]
    assert retry != intent_id  # a fresh attempt, the failed one stays on record
    card_entered(localstripe, retry, "pm_card_visa")
    client.get(f"/invoices/{invoice_id}/card/return?payment_intent={retry}")
    session.expire_all()
    assert share_account(session, s.invoice).status == ShareStatus.PAID


def _paid_by_card(session: Session, gateway: StripeGateway, localstripe: str) -> Scenario:
    s = Scenario(session, with_programmes=False)
    session.commit()
    intent_id = start_paying(session, gateway, s)
    card_entered(localstripe, intent_id, "pm_card_visa")
    apply_intent(session, MAILER, gateway.retrieve_intent(intent_id), TODAY)
    session.commit()
    assert share_account(session, s.invoice).status == ShareStatus.PAID
    return s


def test_the_credit_note_page_refunds_the_card_at_once(
    app: Flask, session: Session, gateway: StripeGateway, localstripe: str
) -> None:
    s = _paid_by_card(session, gateway, localstripe)
    provider = app.test_client()
    assert login(provider, s.expert.email).status_code == 302
    done = provider.post(
        f"/provider/invoices/{s.invoice.id}/credit-note",
        data={"reason": "Prestation annulée d'un commun accord."},
    )
    assert done.status_code == 302
    session.expire_all()
    (refund,) = refunds_of(session, s.invoice)
    assert refund.status == RefundStatus.SUCCEEDED and refund.stripe_refund_id
    assert_books_balance(session)


def test_the_worker_sends_again_a_refund_stripe_did_not_take(
    app: Flask,
    session: Session,
    gateway: StripeGateway,
    localstripe: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stripe unreachable when the credit note is issued: the refund stays pending, the page
    says it will be sent again, and the worker's next run sends it, once."""
    s = _paid_by_card(session, gateway, localstripe)
    dead = StripeGateway(SECRET, "pk", WEBHOOK_SECRET, api_base=f"http://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.extensions, "payments", dead)
    provider = app.test_client()
    assert login(provider, s.expert.email).status_code == 302
    provider.post(
        f"/provider/invoices/{s.invoice.id}/credit-note",
        data={"reason": "Prestation annulée d'un commun accord."},
    )
    assert "flash-info" in provider.get(f"/provider/invoices/{s.invoice.id}").text
    session.expire_all()
    (refund,) = refunds_of(session, s.invoice)
    assert refund.status == RefundStatus.PENDING
    with pytest.raises(RuntimeError, match="1 left"):  # the worker logs it and runs again
        send_card_refunds(app, lambda: False)
    dead.close()

    monkeypatch.setitem(app.extensions, "payments", gateway)
    assert "card-refunds" in [job.name for job in jobs_from_config(app)]
    assert send_card_refunds(app, lambda: False) == "1 card refund(s) sent"
    assert send_card_refunds(app, lambda: False) == ""
    session.expire_all()
    assert refunds_of(session, s.invoice)[0].status == RefundStatus.SUCCEEDED
    assert_books_balance(session)
