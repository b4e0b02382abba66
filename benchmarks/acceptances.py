"""Quote acceptances per second with concurrent clients on PostgreSQL (issue 9 §5).

Every acceptance locks the company and the programme rows that pay, recomputes the split,
reserves the subsidies and commits: with one national programme all clients queue on its row,
which is the worst case this measures. Run by hand (prints its figures, asserts nothing):

    .venv/bin/python benchmarks/acceptances.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
        [--clients 8] [--bookings 800]

It creates a throwaway database on the server and drops it afterwards.
"""

from __future__ import annotations

import argparse
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
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    SplitChanged,
    TransitionInput,
    current_split,
    fire,
    request_booking,
)
from marketplace.extensions import db
from marketplace.mail import LogMailer
from tests.factories import (
    admin_user,
    company_user,
    programme,
    provider_user,
    published_offer,
)

TODAY = date.today()


def build(app, bookings: int) -> list[int]:
    from argon2 import PasswordHasher

    from marketplace.accounts import passwords

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # setup only
    with app.app_context():
        session = db.session()
        admin = admin_user(session)
        expert = provider_user(session)
        offer = published_offer(session, expert, admin)
        programme(session, admin, budget_cents=10**12)
        ids = []
        for n in range(bookings):
            company = company_user(session, department="33", name=f"Entreprise {n}")
            booking = request_booking(session, company, offer, RequestData(), LogMailer(), TODAY)
            fire(
                session,
                expert,
                booking,
                "propose_quote",
                LogMailer(),
                TODAY,
                TransitionInput(quote=QuoteData(quantity=1)),
            )
            ids.append(booking.id)
        session.commit()
        return ids


def accept_all(app, ids: list[int], retries: list[int]) -> None:
    with app.app_context():
        session = db.session()
        for booking_id in ids:
            while True:
                booking = session.get(Booking, booking_id)
                seen = current_split(session, booking, TODAY)
                given = TransitionInput(expected_company_share_cents=seen.company_share_cents)
                try:
                    fire(
                        session, booking.requested_by, booking, "accept", LogMailer(), TODAY, given
                    )
                    session.commit()
                    break
                except SplitChanged:
                    session.rollback()
                    retries.append(booking_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bookings", type=int, default=800)
    args = parser.parse_args()

    server = make_url(args.server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.clients + 2},
                "SERVER_NAME": "localhost",
            }
        )
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        started = time.perf_counter()
        ids = build(app, args.bookings)
        print(f"setup: {len(ids)} quoted bookings in {time.perf_counter() - started:.1f} s")

        shares = [ids[i :: args.clients] for i in range(args.clients)]
        retries: list[int] = []
        threads = [threading.Thread(target=accept_all, args=(app, s, retries)) for s in shares]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        print(
            f"{len(ids)} acceptances, {args.clients} concurrent clients, one shared programme: "
            f"{elapsed:.2f} s, {len(ids) / elapsed:.0f} acceptances/s "
            f"({len(retries)} re-accepted after the split changed)"
        )
        with app.app_context():
            db.engine.dispose()
    finally:
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_engine.dispose()


if __name__ == "__main__":
    main()
