"""An invoiced booking split between two programmes and the company, and the budget check
(shared by the payment and claim tests)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.billing.claim_models import SubsidyClaim
from marketplace.billing.claims import claims_of_invoice
from marketplace.billing.invoices import issue_invoice
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.payments import record_transfer
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import MAILER, confirmed_booking

TODAY = date.today()


class Scenario:
    """An invoice of 1,200 € excl. VAT (1,440 € incl.) split between two programmes — national
    50 % (600 €), regional 20 % (240 €) — and the company (600 €)."""

    def __init__(self, session: Session, with_programmes: bool = True) -> None:
        self.session = session
        self.admin = admin_user(session)
        self.expert = provider_user(session)
        self.company = company_user(session, department="33", size_band="3-9")
        self.national: SubsidyProgramme | None = None
        self.regional: SubsidyProgramme | None = None
        if with_programmes:  # else the company pays it all
            self._programmes(session)
        offer = published_offer(session, self.expert, self.admin, price_excl_vat_cents=1_200_00)
        self.booking = confirmed_booking(session, self.company, self.expert, offer, TODAY)
        self.invoice = issue_invoice(session, self.expert, self.booking, TODAY)

    def _programmes(self, session: Session) -> None:
        self.national = programme(session, self.admin, budget_cents=10_000_00)
        self.regional = programme(
            session,
            self.admin,
            code="pass-na",
            name="Pass Numérique Nouvelle-Aquitaine",
            funder="region",
            rate_bp=2000,
            stacking_order=5,
            budget_cents=5_000_00,
        )

    def pay(self, cents: int) -> None:
        record_transfer(
            self.session, self.expert, self.invoice, cents, TODAY, "VIR SEPA", TODAY, MAILER
        )

    def claim(self, programme: SubsidyProgramme | None) -> SubsidyClaim:
        assert programme is not None
        (claim,) = [
            c
            for c in claims_of_invoice(self.session, self.invoice)
            if c.programme_id == programme.id
        ]
        return claim


def assert_budgets_add_up(session: Session) -> None:
    """budget = remaining + reserved + committed + claimed + paid, for every programme."""
    for prog in session.scalars(select(SubsidyProgramme)):
        session.refresh(prog)
        live = session.scalar(
            select(func.coalesce(func.sum(SubsidyAllocation.amount_cents), 0))
            .where(SubsidyAllocation.programme_id == prog.id)
            .where(SubsidyAllocation.status != AllocationStatus.RELEASED)
        )
        assert prog.allocated_cents == live
        if prog.budget_cents is not None:
            assert prog.budget_cents == prog.remaining_budget_cents + live


def closed_scenario(session: Session, s: Scenario | None = None) -> Scenario:
    """The scenario played to the end: share paid, both claims approved and paid, closed."""
    from marketplace.billing.claims import approve_claim, mark_claim_paid

    s = s or Scenario(session)
    s.pay(600_00)
    for prog in (s.national, s.regional):
        claim = s.claim(prog)
        approve_claim(session, s.admin, claim.id)
        mark_claim_paid(session, s.admin, claim.id, TODAY, f"VIR-{claim.id}", TODAY, MAILER)
    session.refresh(s.booking)
    return s
