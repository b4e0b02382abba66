"""Many issuers at once for one provider: invoice and credit note numbers are 1..N, no gap, no
duplicate, even when some issuing transactions roll back.

PostgreSQL only (SQLite serialises every writer, so there is no race to lose): each thread has
its own connection and commits, like concurrent requests on several app servers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.billing.invoice_models import CreditNote, Invoice, InvoiceCounter
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.bookings.models import Booking
from marketplace.errors import Conflict
from marketplace.extensions import db
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import confirmed_booking

BOOKINGS = 16
TODAY = date.today()


def _needs_postgres(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")


def _scenario(app: Flask, bookings: int) -> tuple[int, int, list[int]]:
    with app.app_context():
        session = db.session()
        admin = admin_user(session)
        expert = provider_user(session)
        programme(session, admin, budget_cents=10**9)
        offer = published_offer(session, expert, admin)
        ids = []
        for n in range(bookings):
            company = company_user(session, department="33", name=f"Entreprise {n}")
            ids.append(confirmed_booking(session, company, expert, offer, TODAY).id)
        session.commit()
        assert expert.provider is not None
        return expert.id, expert.provider.id, ids


def _run_together(work: Callable[[int], None], items: list[int]) -> list[BaseException]:
    """Start one thread per item at the same instant; return what they raised."""
    start = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def run(item: int) -> None:
        try:
            start.wait()
            work(item)
        except BaseException as exc:  # reported by the caller, with the thread's context
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_invoices_and_credit_notes_are_numbered_without_gaps(app: Flask) -> None:
    _needs_postgres(app)
    user_id, provider_id, booking_ids = _scenario(app, BOOKINGS)
    rolled_back = set(booking_ids[::5])  # these requests fail after issuing: their numbers return

    def issue(booking_id: int) -> None:
        with app.app_context():
            session = db.session()
            actor = session.get(User, user_id)
            booking = session.get(Booking, booking_id)
            issue_invoice(session, actor, booking, TODAY)
            if booking_id in rolled_back:
                session.rollback()
            else:
                session.commit()

    assert _run_together(issue, booking_ids) == []

    with app.app_context():
        session = db.session()
        invoices = session.scalars(select(Invoice).order_by(Invoice.sequence)).all()
        issued = len(booking_ids) - len(rolled_back)
        assert [i.sequence for i in invoices] == list(range(1, issued + 1))
        assert len({i.number for i in invoices}) == len({i.booking_id for i in invoices}) == issued
        assert {i.booking_id for i in invoices} == set(booking_ids) - rolled_back
        assert (
            session.scalar(select(InvoiceCounter.last_number).where(InvoiceCounter.series == "F"))
            == issued
        )
        invoice_ids = [i.id for i in invoices]

    def cancel(invoice_id: int) -> None:
        with app.app_context():
            session = db.session()
            invoice = session.get(Invoice, invoice_id)
            issue_credit_note(session, session.get(User, user_id), invoice, "Annulation", TODAY)
            session.commit()

    to_cancel = invoice_ids[::2]
    assert _run_together(cancel, to_cancel) == []
    with app.app_context():
        session = db.session()
        notes = session.scalars(select(CreditNote).order_by(CreditNote.sequence)).all()
        assert [n.sequence for n in notes] == list(range(1, len(to_cancel) + 1))
        assert {n.invoice_id for n in notes} == set(to_cancel)
        assert all(n.provider_id == provider_id for n in notes)


def test_two_issuers_of_one_booking_make_one_invoice(app: Flask) -> None:
    """The provider clicks twice (or two members click at once): one invoice, one number."""
    _needs_postgres(app)
    user_id, _provider_id, (booking_id,) = _scenario(app, 1)
    outcomes: list[str] = []

    def issue(_n: int) -> None:
        with app.app_context():
            session = db.session()
            try:
                issue_invoice(
                    session, session.get(User, user_id), session.get(Booking, booking_id), TODAY
                )
                session.commit()
                outcomes.append("issued")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    assert _run_together(issue, list(range(6))) == []
    assert sorted(outcomes) == ["conflict"] * 5 + ["issued"]
    with app.app_context():
        session = db.session()
        assert session.scalars(select(Invoice.sequence)).all() == [1]
        assert session.scalar(select(InvoiceCounter.last_number)) == 1
