"""Exports for accountants: the journal as CSV, and the FEC (art. A47 A-1 du LPF).

The FEC ("fichier des écritures comptables") is a flat file, one line per journal line, with
the 18 columns of the decree in their order, `|` between them, dates as AAAAMMJJ and amounts
with a decimal comma; its first line names the columns. It is named `<SIREN>FEC<AAAAMMJJ>.txt`,
the date being the closing date of the period. Decisions where the text leaves a choice:
- EcritureNum numbers the entries 1, 2, 3… in book order (date, then posting order);
- ValidDate is the entry's date: entries are posted final, never drafted;
- CompAuxNum is the third party of the line: C<company id>, P<provider id>, S<programme id>;
- encoding ISO 8859-15 (one the administration names), characters it lacks become "?";
  a `|`, tab or line break inside a text becomes a space.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from marketplace.billing.ledger import JournalFilters, journal
from marketplace.billing.ledger_models import CHART, JOURNAL_NAMES, JournalEntry, JournalLine

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
FEC_SEPARATOR = "|"
FEC_ENCODING = "iso-8859-15"


def fec_amount(cents: int) -> str:
    """1234,56: cents with a decimal comma, no thousands separator."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def fec_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def fec_filename(siren: str, until: date) -> str:
    """<SIREN>FEC<AAAAMMJJ>.txt, the date being the end of the exported period."""
    return f"{siren}FEC{fec_date(until)}.txt"


def _text(value: str) -> str:
    return " ".join(value.replace(FEC_SEPARATOR, " ").split())


def third_party(line: JournalLine) -> tuple[str, str]:
    """The auxiliary account of a line (number, name), empty when it has none."""
    if line.company is not None:
        return f"C{line.company.id:06d}", line.company.name
    if line.provider is not None:
        return f"P{line.provider.id:06d}", line.provider.name
    if line.programme is not None:
        return f"S{line.programme.id:06d}", line.programme.name
    return "", ""


@dataclass(frozen=True)
class ExportLine:
    """One journal line with what every export prints beside it."""

    number: int  # the entry's number in this export (the FEC's EcritureNum)
    entry: JournalEntry
    line: JournalLine


def export_lines(session: Session, filters: JournalFilters | None = None) -> Iterator[ExportLine]:
    """Every journal line in book order, each with its entry's number."""
    for number, entry in enumerate(journal(session, filters), start=1):
        for line in entry.lines:
            yield ExportLine(number, entry, line)


def fec_rows(session: Session, until: date, start: date | None = None) -> Iterator[tuple[str, ...]]:
    """The FEC's rows (the column names first), of every entry up to `until` (from `start`,
    say the first day of the fiscal year, when given)."""
    yield FEC_COLUMNS
    for item in export_lines(session, JournalFilters(start=start, until=until)):
        entry, line = item.entry, item.line
        aux_number, aux_name = third_party(line)
        yield tuple(
            _text(value)
            for value in (
                entry.journal_code.value,
                JOURNAL_NAMES[entry.journal_code],
                str(item.number),
                fec_date(entry.entry_date),
                line.account,
                CHART[line.account],
                aux_number,
                aux_name,
                entry.piece_ref,
                fec_date(entry.piece_date),
                line.label,
                fec_amount(line.debit_cents),
                fec_amount(line.credit_cents),
                "",
                "",
                fec_date(entry.entry_date),
                "",
                "",
            )
        )


def fec_text(session: Session, until: date, start: date | None = None) -> str:
    """The FEC as text, lines ended by CRLF."""
    return "".join(FEC_SEPARATOR.join(row) + "\r\n" for row in fec_rows(session, until, start))


def write_fec(session: Session, siren: str, until: date, folder: Path) -> Path:
    """Write the FEC of the entries up to `until` into `folder`; its path."""
    path = folder / fec_filename(siren, until)
    path.write_bytes(fec_text(session, until).encode(FEC_ENCODING, errors="replace"))
    return path


CSV_COLUMNS = (
    "date",
    "journal",
    "entry",
    "piece",
    "account",
    "account_name",
    "third_party",
    "third_party_name",
    "label",
    "debit",
    "credit",
)


def journal_csv(session: Session, filters: JournalFilters | None = None) -> str:
    """The journal as CSV for a spreadsheet: `;` between columns, decimal commas (French)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in export_lines(session, filters):
        entry, line = item.entry, item.line
        writer.writerow(
            (
                entry.entry_date.isoformat(),
                entry.journal_code.value,
                item.number,
                entry.piece_ref,
                line.account,
                CHART[line.account],
                *third_party(line),
                line.label,
                fec_amount(line.debit_cents),
                fec_amount(line.credit_cents),
            )
        )
    return out.getvalue()
