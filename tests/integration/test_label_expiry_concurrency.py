"""Two workers sweep lapsed labels at the same moment: each label expires once.

PostgreSQL only (SQLite has a single writer, so run one worker there): each thread has its own
connection and commits, like worker processes sharing one database.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.labels.models import LabelDecision, LabelStatus
from marketplace.labels.operations import expire_lapsed_labels
from marketplace.mail import LogMailer
from tests.factories import admin_user, approved_label, provider_user

TODAY = date.today()


def test_two_sweeps_at_once_expire_each_label_once(app: Flask) -> None:
    """While one sweep holds the lapsed labels, does a second one expire them too? (No.)"""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
        admin = admin_user(db.session)
        for n in range(3):
            label = approved_label(db.session, provider_user(db.session, name=f"P{n}"), admin)
            label.valid_until = TODAY - timedelta(days=1)  # time passes
        db.session.commit()
    first_swept, second_done = threading.Event(), threading.Event()
    expired: dict[str, int] = {}
    errors: list[BaseException] = []

    def sweep(name: str, before_commit: threading.Event | None) -> None:
        try:
            with app.app_context():
                expired[name] = len(expire_lapsed_labels(db.session(), LogMailer(), TODAY))
                if name == "first":
                    first_swept.set()
                if before_commit is not None:  # holds its locks until the second has run
                    before_commit.wait(timeout=10)
                db.session.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            if name == "second":
                second_done.set()

    first = threading.Thread(target=sweep, args=("first", second_done))
    first.start()
    assert first_swept.wait(timeout=10)
    second = threading.Thread(target=sweep, args=("second", None))
    second.start()
    second.join(timeout=20)
    first.join(timeout=20)
    assert errors == []
    assert expired == {"first": 3, "second": 0}
    with app.app_context():
        decisions = db.session.scalar(
            select(func.count())
            .select_from(LabelDecision)
            .where(LabelDecision.to_status == LabelStatus.EXPIRED)
        )
        assert decisions == 3
