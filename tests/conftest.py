"""Shared fixtures: one app and one fresh database per test session, emptied after each test.

The database is built by the Alembic migrations (not create_all), so every test also runs on the
migrated schema. SQLite by default; PostgreSQL when TEST_DATABASE_URL is set (a throwaway
database is created on that server and dropped at the end).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.extensions import db, limiter

# The app's days are Paris days (marketplace.clock); the tests' own date.today() must agree, or a
# run between 23:00 and midnight UTC would see a delivery dated a day after its invoice.
os.environ["TZ"] = "Europe/Paris"
time.tzset()

REFERENCE_TABLES = {"regions", "departments", "categories", "alembic_version"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def make_test_app(database_url: str, **overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "REGISTRATION_RATE_LIMIT": "1000 per minute",
        "SERVER_NAME": "localhost",
        "MAIL_SERVER": "",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def search_index_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The embedded search index of the test session (a file of its own)."""
    return str(tmp_path_factory.mktemp("search") / "index.sqlite3")


@pytest.fixture(scope="session")
def evidence_folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the test session's delivery evidence files go (never the instance folder)."""
    return str(tmp_path_factory.mktemp("evidence"))


@pytest.fixture(scope="session")
def app(database_url: str, search_index_path: str, evidence_folder: str) -> Iterator[Flask]:
    app = make_test_app(
        database_url, SEARCH_INDEX_PATH=search_index_path, EVIDENCE_FOLDER=evidence_folder
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def empty_tables(app: Flask) -> None:
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables (reference data kept) and fresh rate limits."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        empty_tables(app)
        with app.app_context():
            limiter.reset()
        search = app.extensions["search"]
        if search.documents():
            search.rebuild([])


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[sa.orm.Session]:
    """The database session inside an app context, for service tests (no HTTP)."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 at its weakest: tests check the flow, not the hash strength (it costs ~100 ms)."""
    from argon2 import PasswordHasher

    from marketplace.accounts import passwords

    strong = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._hasher = strong
