"""What the admin and provider claim pages share: the status filter, the list, one claim."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.blueprints.helpers import page_number
from marketplace.extensions import db

PER_PAGE = 20
STATUS_LABELS = {
    ClaimStatus.SUBMITTED: _l("Waiting for the check"),
    ClaimStatus.APPROVED: _l("Approved, waiting for the funder"),
    ClaimStatus.REJECTED: _l("Refused"),
    ClaimStatus.PAID: _l("Paid"),
}


def claim_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(ClaimStatus(status), status))


def status_choices() -> list[tuple[str, str]]:
    return [(status.value, str(label)) for status, label in STATUS_LABELS.items()]


def status_filter() -> ClaimStatus | None:
    """`?status=` of a list: a known status, or every status."""
    raw = request.args.get("status", "")
    return ClaimStatus(raw) if raw in {s.value for s in ClaimStatus} else None


def status_counts(query: Select[SubsidyClaim]) -> dict[str, tuple[int, int]]:
    """(claims, cents) per status among the claims `query` may show."""
    listed = query.order_by(None).subquery()
    rows = db.session.execute(
        select(
            listed.c.status, func.count(), func.coalesce(func.sum(listed.c.amount_cents), 0)
        ).group_by(listed.c.status)
    ).all()
    return {str(status): (int(count), int(cents)) for status, count, cents in rows}


def render_claim_list(template: str, query: Select[SubsidyClaim], **context: Any) -> str:
    """A page of `query`'s claims, filtered by `?status=`, with what each waits for."""
    counts = status_counts(query)
    status = status_filter()
    if status is not None:
        query = query.where(SubsidyClaim.status == status)
    query = query.options(
        selectinload(SubsidyClaim.programme),
        selectinload(SubsidyClaim.invoice),
        selectinload(SubsidyClaim.provider),
        selectinload(SubsidyClaim.company),
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        template,
        page=page,
        status=status.value if status else "",
        status_choices=status_choices(),
        counts=counts,
        **context,
    )
