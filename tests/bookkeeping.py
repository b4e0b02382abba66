"""Checks an accountant would make of the books and of the FEC (shared by the ledger tests)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from marketplace.billing.fec import FEC_COLUMNS
from marketplace.billing.ledger import trial_balance, unbalanced_entries


def assert_books_balance(session: Session) -> None:
    """After every scenario: Σ debits = Σ credits, account by account summing to zero."""
    balance = trial_balance(session)
    assert balance.balanced
    assert sum(account.balance_cents for account in balance.accounts) == 0
    assert unbalanced_entries(session) == []


def parse_fec(content: str) -> list[dict[str, str]]:
    """The FEC back as rows, checking its shape: the header, 18 columns everywhere."""
    lines = content.split("\r\n")
    assert lines[-1] == ""
    header, *rows = (line.split("|") for line in lines[:-1])
    assert tuple(header) == FEC_COLUMNS
    assert all(len(row) == 18 for row in rows)
    return [dict(zip(FEC_COLUMNS, row, strict=True)) for row in rows]


def fec_cents(amount: str) -> int:
    whole, cents = amount.split(",")
    assert len(cents) == 2
    return int(whole) * 100 + int(cents)


def assert_fec_balances(rows: list[dict[str, str]]) -> None:
    """Balanced per entry and overall, dates AAAAMMJJ, entry numbers 1, 2, 3…"""
    per_entry: dict[str, int] = {}
    for row in rows:
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            assert len(row[name]) == 8 and row[name].isdigit()
            date(int(row[name][:4]), int(row[name][4:6]), int(row[name][6:]))
        debit, credit = fec_cents(row["Debit"]), fec_cents(row["Credit"])
        assert (debit == 0) != (credit == 0)
        per_entry[row["EcritureNum"]] = per_entry.get(row["EcritureNum"], 0) + debit - credit
    assert all(total == 0 for total in per_entry.values())
    assert sorted(map(int, per_entry)) == list(range(1, len(per_entry) + 1))
