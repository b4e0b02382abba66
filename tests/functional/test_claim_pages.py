"""The subsidy claim pages: the admin's queue and decisions, the provider's view."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.payments import share_account
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario
from tests.factories import login, provider_user


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def paid_scenario(app: Flask) -> dict[str, object]:
    """A paid share: two claims (national 600 €, regional 240 €) wait for the admins."""
    with app.app_context():
        s = Scenario(db.session())
        s.pay(600_00)
        db.session.commit()
        assert s.national is not None and s.regional is not None
        return {
            "admin": s.admin.email,
            "expert": s.expert.email,
            "company": s.company.email,
            "invoice": s.invoice.id,
            "booking": s.booking.id,
            "national": s.claim(s.national).id,
            "regional": s.claim(s.regional).id,
        }


def test_only_admins_see_the_queue_and_providers_only_their_claims(app: Flask) -> None:
    w = paid_scenario(app)
    assert app.test_client().get("/admin/claims/").status_code == 302  # to the login page
    assert as_user(app, str(w["company"])).get("/admin/claims/").status_code == 403
    assert as_user(app, str(w["company"])).get("/provider/claims/").status_code == 403
    assert as_user(app, str(w["expert"])).get("/admin/claims/").status_code == 403
    with app.app_context():
        other = provider_user(db.session(), name="Autre Atelier").email
        db.session.commit()
    stranger = as_user(app, other)
    assert stranger.get(f"/provider/claims/{w['national']}").status_code == 404
    assert "Aucune demande d'aide" in stranger.get("/provider/claims/").text

    queue = as_user(app, str(w["admin"])).get("/admin/claims/")
    assert queue.status_code == 200
    assert queue.text.count('data-claim-status="submitted"') == 2
    mine = as_user(app, str(w["expert"])).get(f"/provider/claims/{w['national']}")
    assert mine.status_code == 200 and 'id="claim-decisions"' not in mine.text
    assert 'data-evidence="payment"' in mine.text and 'data-evidence="agreement"' in mine.text


def test_the_admin_approves_then_marks_paid_and_the_booking_closes(app: Flask) -> None:
    w = paid_scenario(app)
    admin = as_user(app, str(w["admin"]))
    for claim_id in (w["national"], w["regional"]):
        assert admin.post(f"/admin/claims/{claim_id}/approve").status_code == 302
        page = admin.get(f"/admin/claims/{claim_id}").text
        assert 'id="claim-paid-form"' in page and 'id="approve-claim"' not in page
    # A second approval is refused with a message, not an error page.
    again = admin.post(f"/admin/claims/{w['national']}/approve", follow_redirects=True)
    assert again.status_code == 200 and "flash-error" in again.text

    future = TODAY.replace(year=TODAY.year + 1).isoformat()
    refused = admin.post(
        f"/admin/claims/{w['national']}/pay",
        data={"paid_on": future, "funder_reference": "VIR-ETAT-1"},
    )
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    assert 'value="VIR-ETAT-1"' in refused.text  # what was typed stays
    for claim_id, reference in ((w["national"], "VIR-ETAT-1"), (w["regional"], "VIR-NA-7")):
        done = admin.post(
            f"/admin/claims/{claim_id}/pay",
            data={"paid_on": TODAY.isoformat(), "funder_reference": reference},
        )
        assert done.status_code == 302
    with app.app_context():
        claims = db.session.query(SubsidyClaim).all()
        assert {c.status for c in claims} == {ClaimStatus.PAID}
        booking = db.session.get(Booking, w["booking"])
        assert booking is not None and booking.state == State.CLOSED
    provider_view = as_user(app, str(w["expert"])).get("/provider/claims/").text
    assert provider_view.count('data-claim-status="paid"') == 2
    assert (
        "VIR-NA-7" in as_user(app, str(w["expert"])).get(f"/provider/claims/{w['regional']}").text
    )


def test_refusing_asks_for_a_reason_and_the_company_then_owes_the_amount(app: Flask) -> None:
    w = paid_scenario(app)
    admin = as_user(app, str(w["admin"]))
    confirm = admin.get(f"/admin/claims/{w['regional']}/reject")
    assert confirm.status_code == 200 and "240,00" in confirm.text  # the consequence, spelled out
    short = admin.post(f"/admin/claims/{w['regional']}/reject", data={"reason": "Non."})
    assert short.status_code == 422 and "Non." in short.text
    with app.app_context():
        claim = db.session.get(SubsidyClaim, w["regional"])
        assert claim is not None and claim.status == ClaimStatus.SUBMITTED
    done = admin.post(
        f"/admin/claims/{w['regional']}/reject",
        data={"reason": "Attestation URSSAF absente du dossier."},
    )
    assert done.status_code == 302
    with app.app_context():
        invoice = db.session.get(Invoice, w["invoice"])
        assert invoice is not None
        assert share_account(db.session(), invoice).due_cents == 240_00
    page = admin.get(f"/admin/claims/{w['regional']}").text
    assert "Attestation URSSAF absente du dossier." in page and 'id="claim-decisions"' not in page
    # A refused claim cannot be refused again.
    assert admin.get(f"/admin/claims/{w['regional']}/reject").status_code == 302


def test_the_queue_filters_by_status_and_programme(app: Flask) -> None:
    w = paid_scenario(app)
    admin = as_user(app, str(w["admin"]))
    admin.post(f"/admin/claims/{w['national']}/approve")
    approved = admin.get("/admin/claims/?status=approved").text
    assert (
        f'data-claim="{w["national"]}"' in approved
        and f'data-claim="{w["regional"]}"' not in approved
    )
    with app.app_context():
        regional = db.session.get(SubsidyClaim, w["regional"])
        assert regional is not None
        programme_id = regional.programme_id
    by_programme = admin.get(f"/admin/claims/?programme={programme_id}").text
    assert f'data-claim="{w["regional"]}"' in by_programme
    assert f'data-claim="{w["national"]}"' not in by_programme
    assert "Aucune demande ne correspond" in admin.get("/admin/claims/?status=paid").text
    assert admin.get("/admin/claims/?status=junk&page=999").status_code == 200
