"""Test data built through the real services, so it obeys the same rules as user input."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from marketplace.accounts import service
from marketplace.accounts.models import User
from marketplace.billing.models import SubsidyProgramme
from marketplace.catalog.models import Offer
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from marketplace.labels.models import Label
from marketplace.labels.operations import (
    ApplicationData,
    Decision,
    ReferenceData,
    apply_for_label,
    decide_on_label,
)
from marketplace.mail import LogMailer

PASSWORD = "correct-horse-battery"
_numbers = itertools.count(1000)


def company_user(
    session: Session,
    email: str | None = None,
    department: str = "69",
    size_band: str = "3-9",
    name: str = "Boulangerie Martin",
) -> User:
    n = next(_numbers)
    return service.register_company(
        session,
        service.UserData(
            email=email or f"company{n}@example.fr", password=PASSWORD, full_name="Anne Martin"
        ),
        service.CompanyData(
            name=name,
            siren=make_siren(n),
            size_band=size_band,
            naf_code="10.71C",
            department_code=department,
        ),
    )


def provider_user(
    session: Session,
    email: str | None = None,
    kind: str = "expert",
    department: str = "35",
    name: str = "Atelier Numérique",
    regions: tuple[str, ...] = (),
) -> User:
    n = next(_numbers)
    siren = make_siren(n)
    return service.register_provider(
        session,
        service.UserData(
            email=email or f"provider{n}@example.fr", password=PASSWORD, full_name="Paul Le Gall"
        ),
        service.ProviderData(
            name=name,
            siret=make_siret(siren, 1),
            kind=kind,
            department_code=department,
            vat_number=french_vat_number(siren) if kind == "expert" else "",
            regions=regions,
        ),
    )


def admin_user(session: Session, email: str | None = None) -> User:
    return service.create_admin(
        session, email or f"admin{next(_numbers)}@example.fr", PASSWORD, "Alice Admin"
    )


def application(
    categories: tuple[str, ...] = ("online-presence",), today: date | None = None
) -> ApplicationData:
    year = (today or date.today()).year
    return ApplicationData(
        categories=list(categories),
        similar_projects_turnover_cents=4_500_000,
        certifications="Qualiopi",
        references=[
            ReferenceData(
                client_name=f"Client {i}", description="Site vitrine et SEO", year=year - i
            )
            for i in range(3)
        ],
        sworn_statement=True,
    )


def pending_label(
    session: Session, provider: User, categories: tuple[str, ...] = ("online-presence",)
) -> Label:
    assert provider.provider is not None
    return apply_for_label(
        session, provider, provider.provider, application(categories), date.today()
    )


def approved_label(
    session: Session,
    provider: User,
    admin: User,
    categories: tuple[str, ...] = ("online-presence",),
    valid_until: date | None = None,
) -> Label:
    label = pending_label(session, provider, categories)
    decide_on_label(
        session,
        admin,
        label,
        Decision.APPROVE,
        "Dossier complet",
        LogMailer(),
        date.today(),
        valid_until=valid_until or date.today() + timedelta(days=365),
    )
    return label


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post("/login", data={"email": email, "password": password})


def bearer_for(user: User) -> dict[str, str]:
    """A bearer header for this user (call inside an app context, then commit)."""
    from marketplace.accounts.tokens import create_token

    _token, raw = create_token(session_of(user), user, "tests")
    return {"Authorization": f"Bearer {raw}"}


def session_of(user: User) -> Session:
    from sqlalchemy.orm import object_session

    session = object_session(user)
    assert session is not None, "the user must belong to a session"
    return session


def published_offer(session: Session, provider: User, admin: User, **overrides: object) -> Offer:
    """A visible offer of a freshly labelled provider (the label covers its category)."""
    from marketplace.catalog.operations import OfferData, create_offer, publish_offer

    values: dict[str, object] = {
        "title": "Site vitrine clé en main",
        "summary": "Un site vitrine rapide, adapté au mobile, livré en un mois.",
        "description": "Maquette, rédaction, référencement local et formation.",
        "category": "online-presence",
        "needs": ["online-presence"],
        "price_excl_vat_cents": 400_000,
        "vat_rate_bp": 2000,
        "pricing_unit": "fixed",
        "duration_days": 30,
        "delivery_mode": "remote",
        "languages": ["fr"],
    }
    values.update(overrides)
    assert provider.provider is not None
    if provider.provider.current_label is None:
        approved_label(session, provider, admin, (str(values["category"]),))
    offer = create_offer(session, provider, provider.provider, OfferData(**values))  # type: ignore[arg-type]
    return publish_offer(session, provider, offer, date.today())


def programme(session: Session, admin: User, **overrides: object) -> SubsidyProgramme:
    """A national programme, 50 % up to EUR 2,500 per booking (override anything)."""
    from marketplace.billing.programmes import ProgrammeData, create_programme

    values: dict[str, object] = {
        "funder": "state",
        "code": f"cheque-{next(_numbers)}",
        "name": "Chèque numérique",
        "rate_bp": 5000,
        "cap_per_booking_cents": 250_000,
    }
    values.update(overrides)
    return create_programme(session, admin, ProgrammeData(**values))  # type: ignore[arg-type]
