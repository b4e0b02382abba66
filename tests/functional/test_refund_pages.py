"""An admin records the bank transfer that gives a company back what a credit note owes it."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from marketplace.billing.invoices import issue_credit_note
from marketplace.billing.ledger import trial_balance
from marketplace.billing.payment_models import Refund, RefundStatus
from marketplace.billing.payments import refunds_of
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario, assert_budgets_add_up
from tests.factories import login


def test_an_admin_records_a_refund_sent_by_transfer(app: Flask) -> None:
    with app.app_context():
        s = Scenario(db.session())
        s.pay(150_00)
        issue_credit_note(
            db.session(), s.expert, s.invoice, "Prestation annulée d'un commun accord.", TODAY
        )
        db.session.commit()
        (refund,) = refunds_of(db.session(), s.invoice)
        invoice_id, refund_id = s.invoice.id, refund.id
        admin, expert = s.admin.email, s.expert.email
    url = f"/admin/invoices/{invoice_id}/refunds/{refund_id}"
    field = f"refund-{refund_id}-sent_on"

    provider = app.test_client()
    assert login(provider, expert).status_code == 302
    assert "record-refund" not in provider.get(f"/provider/invoices/{invoice_id}").text
    assert provider.post(url, data={field: TODAY.isoformat()}).status_code == 403

    client = app.test_client()
    assert login(client, admin).status_code == 302
    page = client.get(f"/admin/invoices/{invoice_id}").text
    assert f'id="record-refund-{refund_id}"' in page and f'id="{field}"' in page
    assert "150,00" in page and "à rembourser" in page

    future = (TODAY + timedelta(days=1)).isoformat()
    refused = client.post(url, data={field: future})
    assert refused.status_code == 422
    assert "Un remboursement ne peut pas être envoyé dans le futur." in refused.text
    assert f'value="{future}"' in refused.text  # the day typed stays
    assert client.post(url, data={field: ""}).status_code == 422
    assert (
        client.post(
            f"/admin/invoices/{invoice_id}/refunds/{refund_id + 99}",
            data={field: TODAY.isoformat()},
        ).status_code
        == 404
    )

    done = client.post(url, data={field: TODAY.isoformat()})
    assert done.status_code == 302 and done.location.endswith("#refunds")
    page = client.get(f"/admin/invoices/{invoice_id}").text
    assert "record-refund" not in page and "remboursé le" in page
    again = client.post(url, data={field: TODAY.isoformat()}, follow_redirects=True)
    assert "Ce remboursement est déjà enregistré." in again.text

    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        assert refund is not None and refund.status == RefundStatus.SUCCEEDED
        assert refund.sent_on == TODAY
        balance = {a.account: a.balance_cents for a in trial_balance(db.session()).accounts}
        assert balance["411"] == 0 and balance["512"] == 0  # paid in, paid back
        assert_budgets_add_up(db.session())
