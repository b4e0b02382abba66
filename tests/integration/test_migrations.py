"""The migrations build exactly the models' schema, on whichever database the suite runs."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.geo import DEPARTMENTS, REGIONS
from marketplace.reference import Category, Department, Region, sync_reference_data
from marketplace.taxonomy import CATEGORY_CODES


def test_upgrade_matches_the_models(app: Flask) -> None:
    """Is there any difference between the migrated database and the models (drift)?"""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        assert compare_metadata(context, db.metadata) == []


def test_reference_data_is_complete_and_sync_is_idempotent(app: Flask) -> None:
    with app.app_context():
        sync_reference_data(db.session)
        sync_reference_data(db.session)
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Region) == len(REGIONS) == 18
        assert count(Department) == len(DEPARTMENTS) == 101
        assert count(Category) == len(CATEGORY_CODES)
        db.session.rollback()
