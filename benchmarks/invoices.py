"""Invoices per second with concurrent issuers on PostgreSQL, and the time to render one PDF with
its Factur-X XML (issue 11 §5).

All workers issue for one provider, so they all queue on its counter row: the worst case, and
the one that proves the numbering. Each issue locks the booking, builds the invoice from the
agreement, commits the subsidies, takes the number and commits. Afterwards the numbers must be
1..N without gap or duplicate (the script exits non-zero otherwise). Workers are processes by
default, each with its own app and connection, like app servers (threads in one process mostly
measure the GIL). Run by hand:

    .venv/bin/python benchmarks/invoices.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
        [--workers 16] [--threads] [--bookings 480] [--renders 20]

It creates a throwaway database on the server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.billing.facturx import document_of, document_xml, embed
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.invoice_pdf import invoice_pdf, render_document
from marketplace.billing.invoices import issue_invoice
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from tests.factories import (
    admin_user,
    company_user,
    programme,
    provider_user,
    published_offer,
)
from tests.invoicing import confirmed_booking

TODAY = date.today()
COMPANIES = 16


def build(app, bookings: int) -> tuple[int, list[int]]:
    from argon2 import PasswordHasher

    from marketplace.accounts import passwords

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # setup only
    with app.app_context():
        session = db.session()
        admin = admin_user(session)
        expert = provider_user(session)
        programme(session, admin, budget_cents=10**12)
        offer = published_offer(session, expert, admin)
        companies = [
            company_user(session, department="33", name=f"Entreprise {n}") for n in range(COMPANIES)
        ]
        ids = []
        for n in range(bookings):
            booking = confirmed_booking(session, companies[n % COMPANIES], expert, offer, TODAY)
            ids.append(booking.id)
            if n % 100 == 99:
                session.commit()
        session.commit()
        return expert.id, ids


def make_app(url: str, pool: int):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": pool},
            "SERVER_NAME": "localhost",
        }
    )


def issue_all(app, user_id: int, ids: list[int], start, errors) -> None:
    try:
        with app.app_context():
            session = db.session()
            actor = session.get(User, user_id)
            session.commit()
            start.wait()
            for booking_id in ids:
                issue_invoice(session, actor, session.get(Booking, booking_id), TODAY)
                session.commit()
    except BaseException as exc:  # reported after the run
        errors.append(repr(exc))


def issue_in_process(url: str, user_id: int, ids: list[int], start, errors) -> None:
    issue_all(make_app(url, 2), user_id, ids, start, errors)


def run_workers(app, url: str, user_id: int, ids: list[int], workers: int, threads: bool):
    """Issue every booking's invoice from `workers` threads or processes; the wall time."""
    shares = [ids[i::workers] for i in range(workers)]
    if threads:
        start, errors = threading.Barrier(workers + 1), []
        runners = [
            threading.Thread(target=issue_all, args=(app, user_id, share, start, errors))
            for share in shares
        ]
    else:
        with app.app_context():
            db.engine.dispose()  # no connection crosses the fork
        context = multiprocessing.get_context("fork")
        manager = context.Manager()
        start, errors = context.Barrier(workers + 1), manager.list()
        runners = [
            context.Process(target=issue_in_process, args=(url, user_id, share, start, errors))
            for share in shares
        ]
    for runner in runners:
        runner.start()
    start.wait()  # every worker is connected and ready
    started = time.perf_counter()
    for runner in runners:
        runner.join()
    elapsed = time.perf_counter() - started
    if errors:
        sys.exit(f"{len(errors)} workers failed: {errors[0]}")
    return elapsed


def check_numbers(app, expected: int) -> None:
    with app.app_context():
        sequences = db.session.scalars(select_sequences()).all()
    if sequences != list(range(1, expected + 1)):
        missing = sorted(set(range(1, expected + 1)) - set(sequences))
        duplicates = len(sequences) - len(set(sequences))
        sys.exit(
            f"NUMBERING BROKEN: {len(sequences)} invoices, missing {missing[:10]}, "
            f"{duplicates} duplicates"
        )
    print(f"numbers: 1..{expected}, no gap, no duplicate")


def select_sequences():
    return sa.select(Invoice.sequence).order_by(Invoice.sequence)


def time_pdf(app, renders: int) -> None:
    with app.app_context():
        invoice = db.session.scalars(sa.select(Invoice).order_by(Invoice.id)).first()
        invoice_pdf(invoice)  # warm up: fonts, XSD, imports
        totals, pages, xmls, embeds = [], [], [], []
        size = 0
        for _ in range(renders):
            started = time.perf_counter()
            size = len(invoice_pdf(invoice))
            totals.append(time.perf_counter() - started)
            # The same work in its three steps, to see where the time goes
            document = document_of(invoice)
            t0 = time.perf_counter()
            page = render_document(document, invoice.issued_at)
            t1 = time.perf_counter()
            xml = document_xml(document)
            t2 = time.perf_counter()
            embed(page, xml, document)
            t3 = time.perf_counter()
            pages.append(t1 - t0)
            xmls.append(t2 - t1)
            embeds.append(t3 - t2)
    ms = lambda values: f"{1000 * statistics.median(values):.0f} ms"  # noqa: E731
    print(
        f"one invoice PDF with its Factur-X XML: {ms(totals)} median of {renders} "
        f"(min {1000 * min(totals):.0f} ms; {size // 1024} KiB): page {ms(pages)}, "
        f"XML + XSD check {ms(xmls)}, Factur-X embedding {ms(embeds)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--threads", action="store_true", help="threads instead of processes")
    parser.add_argument("--bookings", type=int, default=480)
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()

    server = make_url(args.server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        app = make_app(url, args.workers + 2)
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        started = time.perf_counter()
        user_id, ids = build(app, args.bookings)
        print(f"setup: {len(ids)} confirmed bookings in {time.perf_counter() - started:.1f} s")

        elapsed = run_workers(app, url, user_id, ids, args.workers, args.threads)
        kind = "threads" if args.threads else "processes"
        print(
            f"{len(ids)} invoices, {args.workers} concurrent workers ({kind}, "
            f"{multiprocessing.cpu_count()} CPUs), one provider: "
            f"{elapsed:.2f} s, {len(ids) / elapsed:.0f} invoices/s"
        )
        check_numbers(app, len(ids))
        time_pdf(app, args.renders)
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()


if __name__ == "__main__":
    main()
