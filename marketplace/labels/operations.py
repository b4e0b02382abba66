"""Label applications and decisions. Every change is a LabelDecision and an audit event.

Functions flush and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from flask_babel import force_locale, format_date, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Provider, ProviderKind, User
from marketplace.audit import record_event
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.labels.models import Label, LabelDecision, LabelReference, LabelStatus
from marketplace.mail import Mailer
from marketplace.reference import Category, Department
from marketplace.taxonomy import CATEGORY_CODES

REQUIRED_REFERENCES = 3
OLDEST_REFERENCE_YEARS = 5
# EUR 10 billion: beyond any real turnover, and within every database's BIGINT.
MAX_TURNOVER_CENTS = 10**12
MIN_REASON_LENGTH = 3


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"


# Which decision may be taken from which status, and where it leads.
TRANSITIONS: dict[Decision, tuple[frozenset[LabelStatus], LabelStatus]] = {
    Decision.APPROVE: (
        frozenset({LabelStatus.PENDING, LabelStatus.SUSPENDED}),
        LabelStatus.APPROVED,
    ),
    Decision.REJECT: (frozenset({LabelStatus.PENDING}), LabelStatus.REJECTED),
    Decision.SUSPEND: (frozenset({LabelStatus.APPROVED}), LabelStatus.SUSPENDED),
}


@dataclass
class ReferenceData:
    client_name: str
    description: str
    year: int
    contact_email: str = ""


@dataclass
class ApplicationData:
    categories: Sequence[str]
    similar_projects_turnover_cents: int
    certifications: str = ""
    references: Sequence[ReferenceData] = field(default_factory=tuple)
    sworn_statement: bool = False


def _require_member(actor: User, provider: Provider) -> None:
    if actor.provider is None or actor.provider.id != provider.id:
        raise Forbidden(str(_l("You can only act for your own organisation.")))


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(str(_l("Only administrators can decide on labels.")))


def application_refusal(provider: Provider, today: date) -> str | None:
    """Why the provider cannot apply for a label now, or None when it can.

    A new application is refused while one is under review, while the label is live, and while
    it is suspended (only an administrator lifts a suspension: a fresh application must not).
    After a rejection or an expiry the provider may apply again.
    """
    label = provider.current_label
    if label is None:
        return None
    if label.status == LabelStatus.SUSPENDED:
        return str(
            _l(
                "Your label is suspended: an administrator must reinstate it. "
                "You cannot apply for a new label in the meantime."
            )
        )
    if label.status == LabelStatus.PENDING or is_live(label, today):
        return str(_l("An application is already under review or your label is active."))
    return None


def can_apply(provider: Provider, today: date) -> bool:
    """A provider may apply when nothing is under review, live or suspended."""
    return application_refusal(provider, today) is None


def is_live(label: Label, today: date) -> bool:
    """Approved and not past its validity date (even before the expiry sweep has run)."""
    return label.status == LabelStatus.APPROVED and (
        label.valid_until is None or label.valid_until >= today
    )


def _check_application(provider: Provider, data: ApplicationData, today: date) -> None:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        errors.setdefault(name, []).append(str(message))

    if not data.categories:
        add("categories", _l("Choose at least one category."))
    unknown = sorted(set(data.categories) - set(CATEGORY_CODES))
    if unknown:
        add("categories", _l("Unknown categories: %(codes)s", codes=", ".join(unknown)))
    is_expert = provider.kind == ProviderKind.EXPERT
    if data.similar_projects_turnover_cents < 0:
        add("similar_projects_turnover_cents", _l("The turnover cannot be negative."))
    elif data.similar_projects_turnover_cents > MAX_TURNOVER_CENTS:
        add("similar_projects_turnover_cents", _l("This turnover is too high to be right."))
    elif is_expert and data.similar_projects_turnover_cents == 0:
        add(
            "similar_projects_turnover_cents",
            _l("Give the turnover from similar projects over the last two years."),
        )
    # Volunteers go through a lighter validation: references are welcome, not required.
    wanted = REQUIRED_REFERENCES if is_expert else 0
    if len(data.references) < wanted:
        add("references", _l("Give %(n)d client references.", n=REQUIRED_REFERENCES))
    if len(data.references) > REQUIRED_REFERENCES:
        add("references", _l("Give at most %(n)d references.", n=REQUIRED_REFERENCES))
    for index, ref in enumerate(data.references):
        if not ref.client_name.strip() or not ref.description.strip():
            add(f"references-{index}", _l("Give the client's name and what you did."))
        if not today.year - OLDEST_REFERENCE_YEARS <= ref.year <= today.year:
            add(
                f"references-{index}",
                _l(
                    "The year must be between %(first)d and %(last)d.",
                    first=today.year - OLDEST_REFERENCE_YEARS,
                    last=today.year,
                ),
            )
    if not data.sworn_statement:
        add("sworn_statement", _l("You must certify that the information is accurate."))
    if errors:
        raise ValidationFailed(errors)


def apply_for_label(
    session: Session, actor: User, provider: Provider, data: ApplicationData, today: date
) -> Label:
    """Submit a label application with its evidence; it waits for an administrator."""
    _require_member(actor, provider)
    refusal = application_refusal(provider, today)
    if refusal:
        raise Conflict(refusal)
    _check_application(provider, data, today)
    categories = session.scalars(
        select(Category).where(Category.code.in_(data.categories)).order_by(Category.position)
    ).all()
    label = Label(
        provider=provider,
        status=LabelStatus.PENDING,
        similar_projects_turnover_cents=data.similar_projects_turnover_cents,
        certifications=data.certifications.strip(),
        sworn_statement_at=utcnow(),
        submitted_by=actor,
        categories=list(categories),
        references=[
            LabelReference(
                position=i,
                client_name=ref.client_name.strip(),
                description=ref.description.strip(),
                year=ref.year,
                contact_email=ref.contact_email.strip(),
            )
            for i, ref in enumerate(data.references)
        ],
    )
    session.add(label)
    session.flush()
    record_event(
        session,
        actor,
        "label.applied",
        "label",
        label.id,
        provider_id=provider.id,
        categories=label.category_codes,
    )
    return label


def decide_on_label(
    session: Session,
    actor: User,
    label: Label,
    decision: Decision | str,
    reason: str,
    mailer: Mailer,
    today: date,
    valid_until: date | None = None,
    validity_days: int = 365,
) -> LabelDecision:
    """Approve, reject or suspend a label; the reason is mandatory and mailed to the provider."""
    _require_admin(actor)
    try:
        decision = Decision(decision)
    except ValueError as exc:
        raise ValidationFailed({"decision": [_l("Unknown decision.")]}) from exc
    allowed_from, to_status = TRANSITIONS[decision]
    if label.status not in allowed_from:
        raise Conflict(
            str(
                _l(
                    "This decision is not possible on a label that is %(status)s.",
                    status=status_label(label.status),
                )
            )
        )
    errors: dict[str, list[str]] = {}
    if len(reason.strip()) < MIN_REASON_LENGTH:
        errors["reason"] = [str(_l("Give the reason for this decision."))]
    if decision == Decision.APPROVE:
        valid_until = valid_until or today + timedelta(days=validity_days)
        if valid_until <= today:
            errors["valid_until"] = [str(_l("The validity date must be in the future."))]
    else:
        valid_until = label.valid_until
    if errors:
        raise ValidationFailed(errors)
    return _change_status(session, actor, label, to_status, reason.strip(), valid_until, mailer)


def _change_status(
    session: Session,
    actor: User | None,
    label: Label,
    to_status: LabelStatus,
    reason: str,
    valid_until: date | None,
    mailer: Mailer,
) -> LabelDecision:
    entry = LabelDecision(
        label=label,
        actor=actor,
        from_status=label.status,
        to_status=to_status,
        reason=reason,
        valid_until=valid_until,
    )
    label.status, label.valid_until, label.decided_at = to_status, valid_until, utcnow()
    session.add(entry)
    session.flush()
    # Imported here: the catalogue itself reads labels (is_live).
    from marketplace.catalog.operations import provider_label_changed

    provider_label_changed(session, label.provider_id)
    record_event(
        session,
        actor,
        f"label.{to_status.value}",
        "label",
        label.id,
        provider_id=label.provider_id,
        from_status=entry.from_status.value,
        reason=reason,
        valid_until=valid_until.isoformat() if valid_until else None,
    )
    _notify_provider(session, label, entry, mailer)
    return entry


def _notify_provider(session: Session, label: Label, entry: LabelDecision, mailer: Mailer) -> None:
    members = session.scalars(
        select(User).join(Membership).where(Membership.provider_id == label.provider_id)
    )
    for user in members:
        with force_locale(user.locale):
            subject = gettext(
                "Your label application: %(status)s", status=status_label(entry.to_status)
            )
            body = gettext(
                "Hello %(name)s,\n\nLabel status for %(provider)s: %(status)s.\n"
                "Reason: %(reason)s\n",
                name=user.full_name,
                provider=label.provider.name,
                status=status_label(entry.to_status),
                reason=entry.reason,
            )
            if entry.valid_until and entry.to_status == LabelStatus.APPROVED:
                day = format_date(entry.valid_until, "long")  # "2 décembre 2027", not ISO
                body += gettext("Valid until: %(date)s\n", date=day)
        mailer.send(session, user.email, subject, body)


def expire_lapsed_labels(session: Session, mailer: Mailer, today: date) -> list[Label]:
    """Turn approved labels past their validity date into expired ones (the system decides).

    Safe on several workers at once: each label is locked by the one expiring it, which the
    others skip (PostgreSQL `SKIP LOCKED`; on SQLite, run one worker).
    """
    lapsed = session.scalars(
        select(Label)
        .where(Label.status == LabelStatus.APPROVED, Label.valid_until < today)
        .with_for_update(skip_locked=True)
    ).all()
    for label in lapsed:
        _change_status(
            session,
            None,
            label,
            LabelStatus.EXPIRED,
            str(_l("Validity date passed")),
            label.valid_until,
            mailer,
        )
    return list(lapsed)


def label_queue(
    status: str | None = None, region: str | None = None, category: str | None = None
) -> Select[Label]:
    """Applications for the admin queue, oldest first, filtered by status, region and category."""
    query = select(Label).join(Label.provider)
    if status:
        query = query.where(Label.status == status)
    if region:
        query = query.join(Department, Provider.department_code == Department.code).where(
            Department.region_code == region
        )
    if category:
        query = query.where(Label.categories.any(Category.code == category))
    return query.order_by(Label.submitted_at, Label.id)


STATUS_LABELS = {
    LabelStatus.PENDING: _l("under review"),
    LabelStatus.APPROVED: _l("approved"),
    LabelStatus.REJECTED: _l("rejected"),
    LabelStatus.SUSPENDED: _l("suspended"),
    LabelStatus.EXPIRED: _l("expired"),
}


def status_label(status: LabelStatus | str) -> str:
    return str(STATUS_LABELS[LabelStatus(status)])
