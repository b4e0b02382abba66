"""Label rules, called as services (no HTTP)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.audit import AuditEvent
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.labels.models import LabelStatus
from marketplace.labels.operations import (
    Decision,
    apply_for_label,
    can_apply,
    decide_on_label,
    expire_lapsed_labels,
    label_queue,
)
from marketplace.mail import LogMailer, OutboundEmail
from tests.factories import (
    admin_user,
    application,
    approved_label,
    company_user,
    pending_label,
    provider_user,
)

TODAY = date.today()


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_expert_application_needs_three_references_and_a_sworn_statement(
    session: Session,
) -> None:
    """Does an expert's thin application list every missing piece of evidence?"""
    provider = provider_user(session)
    thin = replace(
        application(), references=[], sworn_statement=False, similar_projects_turnover_cents=0
    )
    with pytest.raises(ValidationFailed) as error:
        apply_for_label(session, provider, provider.provider, thin, TODAY)
    assert set(error.value.errors) == {
        "references",
        "sworn_statement",
        "similar_projects_turnover_cents",
    }
    assert provider.provider.labels == []


def test_volunteer_needs_no_references(session: Session) -> None:
    """Do volunteer advisors go through the lighter validation?"""
    volunteer = provider_user(session, kind="volunteer")
    data = replace(application(), references=[], similar_projects_turnover_cents=0)
    label = apply_for_label(session, volunteer, volunteer.provider, data, TODAY)
    assert label.status == LabelStatus.PENDING


def test_unknown_category_and_old_reference_are_refused(session: Session) -> None:
    provider = provider_user(session)
    data = application(categories=("online-presence", "astrology"))
    data.references[2].year = TODAY.year - 10
    with pytest.raises(ValidationFailed) as error:
        apply_for_label(session, provider, provider.provider, data, TODAY)
    assert "categories" in error.value.errors and "references-2" in error.value.errors


def test_cannot_apply_for_another_provider(session: Session) -> None:
    """Can a provider file an application in another provider's name?"""
    mine, theirs = provider_user(session), provider_user(session)
    with pytest.raises(Forbidden):
        apply_for_label(session, mine, theirs.provider, application(), TODAY)


def test_one_application_at_a_time(session: Session) -> None:
    provider = provider_user(session)
    pending_label(session, provider)
    assert not can_apply(provider.provider, TODAY)
    with pytest.raises(Conflict):
        pending_label(session, provider)


def test_suspended_provider_cannot_apply_again(session: Session) -> None:
    """Can a provider dodge a suspension by filing a new application? (No: a Conflict.)"""
    provider, admin = provider_user(session), admin_user(session)
    label = approved_label(session, provider, admin)
    decide_on_label(session, admin, label, Decision.SUSPEND, "Plainte client", LogMailer(), TODAY)
    assert not can_apply(provider.provider, TODAY)
    with pytest.raises(Conflict) as error:
        apply_for_label(session, provider, provider.provider, application(), TODAY)
    assert "suspendu" in error.value.message and "administrateur doit" in error.value.message
    assert provider.provider.labels == [label]


def test_rejected_provider_may_apply_again(session: Session) -> None:
    """After a rejection, can the provider file a better application?"""
    provider, admin = provider_user(session), admin_user(session)
    label = pending_label(session, provider)
    decide_on_label(session, admin, label, Decision.REJECT, "Trop léger", LogMailer(), TODAY)
    assert can_apply(provider.provider, TODAY)
    assert pending_label(session, provider).status == LabelStatus.PENDING


def test_approval_activates_records_history_audit_and_mail(session: Session) -> None:
    provider, admin = provider_user(session), admin_user(session)
    label = pending_label(session, provider, ("cybersecurity", "data-ai"))
    decision = decide_on_label(
        session, admin, label, Decision.APPROVE, "Références vérifiées", LogMailer(), TODAY
    )
    assert label.is_active and provider.provider.has_active_label
    assert label.valid_until == TODAY + timedelta(days=365)
    assert (decision.from_status, decision.to_status) == (LabelStatus.PENDING, LabelStatus.APPROVED)
    assert decision.actor == admin and decision.reason == "Références vérifiées"
    assert actions(session)[-1] == "label.approved"
    mail = session.scalars(select(OutboundEmail)).one()
    assert mail.recipient == provider.email and "Références vérifiées" in mail.body


def test_decision_needs_a_reason_and_an_admin(session: Session) -> None:
    provider, admin = provider_user(session), admin_user(session)
    label = pending_label(session, provider)
    with pytest.raises(ValidationFailed) as error:
        decide_on_label(session, admin, label, Decision.REJECT, "  ", LogMailer(), TODAY)
    assert "reason" in error.value.errors
    with pytest.raises(Forbidden):
        decide_on_label(session, provider, label, Decision.APPROVE, "Moi-même", LogMailer(), TODAY)
    company = company_user(session)
    with pytest.raises(Forbidden):
        decide_on_label(
            session, company, label, Decision.APPROVE, "Pourquoi pas", LogMailer(), TODAY
        )
    assert label.status == LabelStatus.PENDING and label.decisions == []


def test_approval_date_must_be_in_the_future(session: Session) -> None:
    provider, admin = provider_user(session), admin_user(session)
    label = pending_label(session, provider)
    with pytest.raises(ValidationFailed) as error:
        decide_on_label(
            session, admin, label, Decision.APPROVE, "OK", LogMailer(), TODAY, valid_until=TODAY
        )
    assert "valid_until" in error.value.errors


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Decision.REJECT, Decision.APPROVE),
        (Decision.REJECT, Decision.SUSPEND),
        (Decision.APPROVE, Decision.REJECT),
        (Decision.APPROVE, Decision.APPROVE),
    ],
)
def test_impossible_transitions_are_conflicts(
    session: Session, first: Decision, second: Decision
) -> None:
    provider, admin = provider_user(session), admin_user(session)
    label = pending_label(session, provider)
    decide_on_label(session, admin, label, first, "Première décision", LogMailer(), TODAY)
    with pytest.raises(Conflict):
        decide_on_label(session, admin, label, second, "Seconde décision", LogMailer(), TODAY)
    assert len(label.decisions) == 1


def test_suspend_then_reinstate(session: Session) -> None:
    provider, admin = provider_user(session), admin_user(session)
    label = approved_label(session, provider, admin)
    decide_on_label(session, admin, label, Decision.SUSPEND, "Plainte client", LogMailer(), TODAY)
    assert not provider.provider.has_active_label
    decide_on_label(session, admin, label, Decision.APPROVE, "Plainte levée", LogMailer(), TODAY)
    assert label.is_active
    assert [d.to_status for d in label.decisions] == ["approved", "suspended", "approved"]


def test_expired_labels_lapse(session: Session) -> None:
    """Is a label past its date inactive at once, and expired by the sweep, with a trace?"""
    provider, admin = provider_user(session), admin_user(session)
    label = approved_label(session, provider, admin, valid_until=TODAY + timedelta(days=10))
    later = TODAY + timedelta(days=11)
    assert expire_lapsed_labels(session, LogMailer(), TODAY) == []
    assert expire_lapsed_labels(session, LogMailer(), later) == [label]
    assert label.status == LabelStatus.EXPIRED
    assert label.decisions[-1].actor is None
    assert actions(session)[-1] == "label.expired"
    assert can_apply(provider.provider, later)
    renewal = apply_for_label(session, provider, provider.provider, application(), later)
    assert renewal.status == LabelStatus.PENDING


def test_queue_filters(session: Session) -> None:
    admin = admin_user(session)
    breton = provider_user(session, department="35")
    lyonnais = provider_user(session, department="69")
    pending_label(session, breton, ("cybersecurity",))
    approved_label(session, lyonnais, admin, ("ecommerce",))

    def names(**filters: str) -> list[str]:
        labels = session.scalars(label_queue(**filters)).all()
        return [lbl.provider.siret for lbl in labels]

    assert names(status="pending") == [breton.provider.siret]
    assert names(region="84") == [lyonnais.provider.siret]
    assert names(category="cybersecurity") == [breton.provider.siret]
    assert names(status="approved", category="cybersecurity") == []
