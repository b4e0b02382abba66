"""One row locked until the transaction ends, the same way on PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session


def lock_row(session: Session, model: Any, row_id: int) -> None:
    """Lock one row of `model` (PostgreSQL: `SELECT … FOR UPDATE`).

    SQLite has no row locks: a write takes its database lock instead. Taking it *before* any
    savepoint matters there: the sqlite3 driver opens no transaction for a SAVEPOINT, which
    then becomes the transaction itself, and releasing it would commit at once.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(model).where(model.id == row_id).values(id=model.id))
    session.execute(select(model.id).where(model.id == row_id).with_for_update()).all()
