"""Which rows a user may list as its own (its company's or its provider's; admins: all), and
who an organisation's mail goes to."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import QueryableAttribute, Session

from marketplace.accounts.models import Membership, User

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


def enabled_members(
    session: Session, *, company_id: int | None = None, provider_id: int | None = None
) -> list[User]:
    """The enabled users of one company or one provider, oldest member first."""
    column, owner = (
        (Membership.company_id, company_id)
        if company_id is not None
        else (Membership.provider_id, provider_id)
    )
    return list(
        session.scalars(
            select(User)
            .join(Membership)
            .where(column == owner, User.is_enabled.is_(True))
            .order_by(User.id)
        )
    )
