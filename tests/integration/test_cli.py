"""The command-line tasks an operator runs."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.billing.models import SubsidyProgramme
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import RequestData, request_booking
from marketplace.dbtypes import utcnow
from marketplace.demo.billing import BOOKINGS, PROGRAMMES
from marketplace.extensions import db
from marketplace.labels.models import Label, LabelStatus
from marketplace.mail import LogMailer
from tests.factories import (
    admin_user,
    approved_label,
    company_user,
    provider_user,
    published_offer,
)


def test_create_admin(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create-admin", "Chef@Example.fr", "--password", "a-long-admin-password"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert (user.email, user.role) == ("chef@example.fr", Role.ADMIN)


def test_create_admin_refuses_a_weak_password_and_stores_nothing(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "chef@example.fr", "--password", "short"]
    )
    assert result.exit_code != 0 and "10" in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_expire_command(app: Flask) -> None:
    with app.app_context():
        admin = admin_user(db.session)
        label = approved_label(
            db.session,
            provider_user(db.session),
            admin,
            valid_until=date.today() + timedelta(days=1),
        )
        label.valid_until = date.today() - timedelta(days=1)  # time passes
        db.session.commit()
        label_id = label.id
    result = app.test_cli_runner().invoke(args=["labels", "expire"])
    assert "1 label(s) expired" in result.output
    with app.app_context():
        assert db.session.get(Label, label_id).status == LabelStatus.EXPIRED


def test_bookings_tick_expires_unanswered_requests_once(app: Flask) -> None:
    with app.app_context():
        admin = admin_user(db.session)
        offer = published_offer(db.session, provider_user(db.session), admin)
        company = company_user(db.session)
        old, fresh = (
            request_booking(db.session, company, offer, RequestData(), LogMailer(), date.today())
            for _ in range(2)
        )
        old.state_changed_at = utcnow() - timedelta(days=8)  # a week without an answer
        db.session.commit()
        old_id, fresh_id, reference = old.id, fresh.id, old.reference

    result = app.test_cli_runner().invoke(args=["bookings", "tick"])

    assert result.exit_code == 0, result.output
    assert f"{reference}: expire" in result.output and "1 transition(s) fired" in result.output
    with app.app_context():
        assert db.session.get(Booking, old_id).state == State.EXPIRED  # committed
        assert db.session.get(Booking, fresh_id).state == State.REQUESTED
    again = app.test_cli_runner().invoke(args=["bookings", "tick"])
    assert "0 transition(s) fired" in again.output


def test_demo_seed_adds_the_subsidy_programmes_once(app: Flask) -> None:
    """Does `demo seed` create the demo programmes with the rest, and leave them on a re-run?"""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert f"{len(PROGRAMMES)} programmes" in first.output.split("already present")[0]
    with app.app_context():
        codes = set(db.session.scalars(select(SubsidyProgramme.code)))
        assert codes == {p.data.code for p in PROGRAMMES}
    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert "already present 1 admins" in again.output
    assert f"{len(PROGRAMMES)} programmes, {len(BOOKINGS)} bookings, 5 invoices, 5 payments." in (
        again.output
    )
