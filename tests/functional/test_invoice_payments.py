"""Recording a transfer on the invoice page, and what each party then sees of the money."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from marketplace.billing.claims import reject_claim
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.payments import payments_of, share_account
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario
from tests.factories import login
from tests.invoicing import MAILER


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_the_provider_records_transfers_and_the_company_sees_what_is_due(app: Flask) -> None:
    """Can a provider record a partial transfer, is an overpayment refused on the page with
    what is due, and does the company then see the rest due and the bank details?"""
    with app.app_context():
        s = Scenario(db.session())
        db.session.commit()
        invoice_id, issued_on = s.invoice.id, s.invoice.issue_date.isoformat()
        reference = s.invoice.payment_reference
        expert, company = s.expert.email, s.company.email
    provider = as_user(app, expert)
    page = provider.get(f"/provider/invoices/{invoice_id}")
    assert page.status_code == 200 and 'id="record-transfer"' in page.text

    done = provider.post(
        f"/provider/invoices/{invoice_id}/payments",
        data={"amount": "250,00", "received_on": issued_on, "payer_reference": "VIR SEPA ACME"},
    )
    assert done.status_code == 302
    refused = provider.post(
        f"/provider/invoices/{invoice_id}/payments",
        data={"amount": "400", "received_on": issued_on},
    )
    assert refused.status_code == 422
    assert "350,00" in refused.text and 'aria-invalid="true"' in refused.text
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None
        assert [p.amount_cents for p in payments_of(db.session(), invoice)] == [250_00]
        assert share_account(db.session(), invoice).due_cents == 350_00

    client = as_user(app, company)
    mine = client.get(f"/invoices/{invoice_id}")
    assert mine.status_code == 200
    assert 'id="bank-details"' in mine.text and reference in mine.text
    assert 'id="record-transfer"' not in mine.text
    assert "VIR SEPA ACME" in mine.text
    assert "350,00" in client.get("/invoices/").text
    # A company cannot record a transfer, even by posting to the provider's address.
    assert client.post(f"/provider/invoices/{invoice_id}/payments", data={}).status_code in (
        302,
        403,
    )
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None and len(payments_of(db.session(), invoice)) == 1


def test_without_a_card_service_the_invoice_offers_the_transfer_alone(app: Flask) -> None:
    """With no Stripe key configured there is no card button, and the card addresses do not
    exist: the company pays by transfer."""
    with app.app_context():
        s = Scenario(db.session())
        db.session.commit()
        invoice_id, company = s.invoice.id, s.company.email
    client = as_user(app, company)
    page = client.get(f"/invoices/{invoice_id}").text
    assert 'id="bank-details"' in page and 'id="pay-by-card"' not in page
    assert client.post(f"/invoices/{invoice_id}/card").status_code == 404
    assert client.get(f"/invoices/{invoice_id}/card/return?payment_intent=pi_1").status_code == 404


def test_a_refused_subsidy_brings_a_corrective_statement_of_what_is_now_due(app: Flask) -> None:
    """After a funder refuses its part, do the company and the provider get a statement that
    says the invoice stands, what was refused and why, and what is now due?"""
    with app.app_context():
        s = Scenario(db.session())
        s.pay(600_00)
        claim = s.claim(s.regional)
        reject_claim(
            db.session(), s.admin, claim.id, "Attestation URSSAF absente du dossier.", TODAY, MAILER
        )
        db.session.commit()
        invoice_id, number = s.invoice.id, s.invoice.number
        company, expert = s.company.email, s.expert.email
    client = as_user(app, company)
    assert 'id="statement-pdf"' in client.get(f"/invoices/{invoice_id}").text
    download = client.get(f"/invoices/{invoice_id}/statement.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(download.data)).pages)
    for expected in (
        "DÉCOMPTE RECTIFICATIF",
        number,
        "Aide refusée : Pass Numérique Nouvelle-Aquitaine",
        "240,00",  # the refused part, now the company's
        "Attestation URSSAF absente du dossier.",
        "Reste dû",
    ):
        assert expected in text, expected
    assert as_user(app, expert).get(f"/invoices/{invoice_id}/statement.pdf").status_code == 200


def test_no_corrective_statement_while_no_subsidy_was_refused(app: Flask) -> None:
    with app.app_context():
        s = Scenario(db.session())
        db.session.commit()
        invoice_id, company = s.invoice.id, s.company.email
    client = as_user(app, company)
    assert 'id="statement-pdf"' not in client.get(f"/invoices/{invoice_id}").text
    assert client.get(f"/invoices/{invoice_id}/statement.pdf").status_code == 404
