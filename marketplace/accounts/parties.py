"""Which rows a user may list as its own: its company's or its provider's (admins: all)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, false
from sqlalchemy.orm import QueryableAttribute

from marketplace.accounts.models import User

T = TypeVar("T")


def own_rows(
    query: Select[T],
    actor: User,
    company_column: QueryableAttribute[int],
    provider_column: QueryableAttribute[int],
) -> Select[T]:
    """`query` narrowed to the actor's own rows; a user of neither kind, not admin, gets none."""
    if actor.company is not None:
        return query.where(company_column == actor.company.id)
    if actor.provider is not None:
        return query.where(provider_column == actor.provider.id)
    return query if actor.is_admin else query.where(false())
