"""The ledger as services (no HTTP): the entries invoices and credit notes post, the trial
balance, the exports, and the database refusing an unbalanced entry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.billing.fec import (
    fec_amount,
    fec_filename,
    fec_text,
    journal_csv,
)
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.ledger import (
    JournalFilters,
    Line,
    UnbalancedEntry,
    check_balanced,
    entry_of,
    journal,
    post_entry,
    trial_balance,
    unbalanced_entries,
)
from marketplace.billing.ledger_models import (
    EntrySource,
    Journal,
    JournalEntry,
    JournalLine,
    PostedEntry,
)
from marketplace.billing.models import SubsidyProgramme
from tests.bookkeeping import assert_books_balance, assert_fec_balances, parse_fec
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import confirmed_booking

TODAY = date.today()


def _lines(entry: JournalEntry) -> list[tuple[str, int, int, int | None]]:
    return [
        (
            line.account,
            line.debit_cents,
            line.credit_cents,
            line.company_id or line.provider_id or line.programme_id,
        )
        for line in entry.lines
    ]


@pytest.fixture
def scenario(session: Session) -> tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]:
    """An invoice with VAT, split between two stacked programmes and the company."""
    admin = admin_user(session)
    expert = provider_user(session)
    company = company_user(session, department="33", size_band="3-9")
    national = programme(session, admin, budget_cents=10**9)  # 50 % up to 2,500 €
    regional = programme(
        session,
        admin,
        code="pass-na",
        name="Pass Numérique Nouvelle-Aquitaine",
        funder="region",
        rate_bp=2000,
        stacking_order=5,
    )
    offer = published_offer(
        session, expert, admin, price_excl_vat_cents=1_234_56, pricing_unit="per_day"
    )
    booking = confirmed_booking(session, company, expert, offer, TODAY, quantity=3)
    invoice = issue_invoice(session, expert, booking, TODAY)
    return expert, invoice, national, regional


def test_an_invoice_posts_one_balanced_sales_entry(
    session: Session, scenario: tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]
) -> None:
    """Does the platform owe the provider the total, and the company and programmes owe it?"""
    _, invoice, national, regional = scenario
    (entry,) = journal(session)
    assert entry_of(session, EntrySource.INVOICE_ISSUED, invoice.id) is entry
    assert (entry.journal_code, entry.piece_ref, entry.entry_date) == (
        Journal.SALES,
        invoice.number,
        invoice.issue_date,
    )
    subsidies = {s.programme_id: s.amount_cents for s in invoice.subsidies}
    assert subsidies[national.id] == 185_184  # 50 % of 3,703.68 €
    assert subsidies[regional.id] == 74_073  # 20 % of 3,703.68 €, rounded down
    assert invoice.total_vat_cents == 74_074 and invoice.total_incl_vat_cents == 444_442
    assert _lines(entry) == [
        ("411", invoice.company_share_cents, 0, invoice.company_id),
        ("4687", 185_184, 0, national.id),
        ("4687", 74_073, 0, regional.id),
        ("467", 0, 444_442, invoice.provider_id),
    ]
    assert invoice.company_share_cents == 444_442 - 185_184 - 74_073
    assert entry.total_cents == 444_442 and entry.line_count == 4
    assert_books_balance(session)


def test_a_credit_note_posts_the_exact_reverse(
    session: Session, scenario: tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]
) -> None:
    expert, invoice, _, _ = scenario
    note = issue_credit_note(session, expert, invoice, "Prestation annulée", TODAY)
    sale, reversal = journal(session)
    assert entry_of(session, EntrySource.CREDIT_NOTE_ISSUED, note.id) is reversal
    assert reversal.piece_ref == note.number and reversal.journal_code == Journal.SALES
    assert _lines(reversal) == [
        (account, credit, debit, party) for account, debit, credit, party in _lines(sale)
    ]
    assert_books_balance(session)
    # Every account is back to zero: the sale is undone
    assert all(account.balance_cents == 0 for account in trial_balance(session).accounts)


def test_the_trial_balance_per_account_and_until_a_date(
    session: Session, scenario: tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]
) -> None:
    _, invoice, _, _ = scenario
    balance = {a.account: a for a in trial_balance(session).accounts}
    assert set(balance) == {"411", "4687", "467"}
    assert balance["467"].balance_cents == -invoice.total_incl_vat_cents
    assert balance["4687"].balance_cents == invoice.subsidies_cents
    assert balance["411"].name == "Clients"
    assert trial_balance(session, until=TODAY - timedelta(days=1)).accounts == ()
    assert trial_balance(session).debit_cents == invoice.total_incl_vat_cents


def test_the_journal_filters(
    session: Session, scenario: tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]
) -> None:
    expert, invoice, _, _ = scenario
    issue_credit_note(session, expert, invoice, "Prestation annulée", TODAY)
    assert len(journal(session, JournalFilters(account="467"))) == 2
    assert len(journal(session, JournalFilters(piece_ref=invoice.number))) == 1
    assert len(journal(session, JournalFilters(company_id=invoice.company_id))) == 2
    assert journal(session, JournalFilters(journal=Journal.BANK)) == []
    assert journal(session, JournalFilters(start=TODAY + timedelta(days=1))) == []


# --- Refusing unbalanced entries ----------------------------------------------------------


def _post(session: Session, lines: list[Line], source_id: int = 1) -> JournalEntry:
    return post_entry(
        session,
        journal=Journal.MISC,
        entry_date=TODAY,
        piece_ref="TEST-1",
        piece_date=TODAY,
        label="Test",
        source=EntrySource.SHARE_RECEIVED,
        source_id=source_id,
        lines=lines,
    )


@pytest.mark.parametrize(
    "lines",
    [
        [Line("512", "x", debit_cents=100), Line("411", "x", credit_cents=99)],
        [Line("512", "x", debit_cents=100)],
        [Line("512", "x", debit_cents=100, credit_cents=100), Line("411", "x", credit_cents=0)],
        [Line("512", "x", debit_cents=-5), Line("411", "x", credit_cents=-5)],
        [Line("999", "x", debit_cents=100), Line("411", "x", credit_cents=100)],
    ],
)
def test_the_service_refuses_an_unbalanced_or_malformed_entry(
    session: Session, lines: list[Line]
) -> None:
    with pytest.raises(UnbalancedEntry):
        _post(session, lines)
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 0


def test_a_balanced_entry_for_the_events_to_come(session: Session) -> None:
    """Share received: one call, bank debited, client credited."""
    entry = _post(session, [Line("512", "x", debit_cents=100), Line("411", "x", credit_cents=100)])
    assert check_balanced([Line("512", "x", debit_cents=1), Line("411", "x", credit_cents=1)]) == 1
    assert entry.total_cents == 100
    assert_books_balance(session)


def _check_deferred(session: Session) -> None:
    """Run PostgreSQL's deferred checks now (SQLite checks as each row comes)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))


def _raw_entry(session: Session, total: int, count: int) -> None:
    session.execute(
        text(
            "INSERT INTO journal_entries (id, entry_date, journal_code, piece_ref, piece_date,"
            " label, source, source_id, total_cents, line_count, created_at)"
            " VALUES (900, :day, 'OD', 'RAW', :day, 'raw', 'refund', 900, :total, :count, :now)"
        ),
        {"day": TODAY, "total": total, "count": count, "now": "2026-01-01 00:00:00+00:00"},
    )


def _raw_line(session: Session, position: int, account: str, debit: int, credit: int) -> None:
    session.execute(
        text(
            "INSERT INTO journal_lines (entry_id, position, account, label, debit_cents,"
            " credit_cents) VALUES (900, :position, :account, 'raw', :debit, :credit)"
        ),
        {"position": position, "account": account, "debit": debit, "credit": credit},
    )


def test_the_database_accepts_a_balanced_raw_entry(session: Session) -> None:
    _raw_entry(session, 100, 2)
    _raw_line(session, 1, "512", 100, 0)
    _raw_line(session, 2, "411", 0, 100)
    _check_deferred(session)
    assert_books_balance(session)
    assert unbalanced_entries(session) == []


def test_the_database_refuses_an_unbalanced_entry(session: Session) -> None:
    """Raw SQL, past the service: debits 100, credits 99."""
    with pytest.raises(DBAPIError):
        _raw_entry(session, 100, 2)
        _raw_line(session, 1, "512", 100, 0)
        _raw_line(session, 2, "411", 0, 99)
        _check_deferred(session)


def test_the_database_refuses_lines_beyond_the_entry_total(session: Session) -> None:
    with pytest.raises(DBAPIError):
        _raw_entry(session, 100, 3)
        _raw_line(session, 1, "512", 100, 0)
        _raw_line(session, 2, "411", 0, 100)
        _raw_line(session, 3, "411", 0, 50)
        _check_deferred(session)


def test_an_incomplete_entry_is_found_and_refused_at_commit_on_postgresql(
    session: Session,
) -> None:
    """SQLite checks lines as they come, so only the check finds an entry left short there."""
    _raw_entry(session, 100, 2)
    _raw_line(session, 1, "512", 100, 0)
    assert unbalanced_entries(session) == [900]
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            _check_deferred(session)


def test_the_database_refuses_a_line_with_both_sides(session: Session) -> None:
    with pytest.raises(DBAPIError):
        _raw_entry(session, 100, 2)
        _raw_line(session, 1, "512", 100, 100)


def test_journal_rows_never_change(session: Session) -> None:
    entry = _post(session, [Line("512", "x", debit_cents=100), Line("411", "x", credit_cents=100)])
    with pytest.raises(DBAPIError):
        session.execute(
            text("UPDATE journal_lines SET debit_cents = 1 WHERE entry_id = :id"), {"id": entry.id}
        )


# --- Exports ---------------------------------------------------------------------------------


def test_the_fec_parses_back_balanced(
    session: Session, scenario: tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]
) -> None:
    expert, invoice, national, _ = scenario
    note = issue_credit_note(session, expert, invoice, "Prestation annulée", TODAY)
    rows = parse_fec(fec_text(session, TODAY))
    assert len(rows) == 8
    assert_fec_balances(rows)
    first = rows[0]
    assert (first["JournalCode"], first["JournalLib"], first["EcritureNum"]) == (
        "VT",
        "Ventes",
        "1",
    )
    assert (first["CompteNum"], first["CompteLib"]) == ("411", "Clients")
    assert first["CompAuxNum"] == f"C{invoice.company_id:06d}"
    assert first["CompAuxLib"] == invoice.buyer_name
    assert first["PieceRef"] == invoice.number and first["EcritureDate"] == TODAY.strftime("%Y%m%d")
    assert first["Debit"] == fec_amount(invoice.company_share_cents) and first["Credit"] == "0,00"
    assert rows[1]["CompAuxNum"] == f"S{national.id:06d}"
    assert rows[3]["CompAuxNum"] == f"P{invoice.provider_id:06d}"
    assert rows[3]["Credit"] == "4444,42"
    assert {row["PieceRef"] for row in rows[4:]} == {note.number}
    assert parse_fec(fec_text(session, TODAY - timedelta(days=1))) == []


def test_the_fec_is_named_after_the_siren_and_the_closing_date() -> None:
    assert fec_filename("552100554", date(2026, 12, 31)) == "552100554FEC20261231.txt"
    assert fec_amount(123456) == "1234,56" and fec_amount(5) == "0,05"


def test_the_journal_csv(
    session: Session, scenario: tuple[User, Invoice, SubsidyProgramme, SubsidyProgramme]
) -> None:
    _, invoice, _, _ = scenario
    header, *rows = journal_csv(session).strip().split("\r\n")
    assert header.startswith("date;journal;entry;piece;account")
    assert len(rows) == 4 and all(invoice.number in row for row in rows)
    assert session.scalar(select(func.count()).select_from(JournalLine)) == 4


def test_the_orm_refuses_to_change_or_delete_a_posted_entry(session: Session) -> None:
    entry = _post(session, [Line("512", "x", debit_cents=100), Line("411", "x", credit_cents=100)])
    entry.lines[0].label = "autre"
    with pytest.raises(PostedEntry):
        session.flush()
    session.rollback()
    entry = _post(session, [Line("512", "x", debit_cents=100), Line("411", "x", credit_cents=100)])
    session.delete(entry)
    with pytest.raises(PostedEntry):
        session.flush()
