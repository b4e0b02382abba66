"""Demo accounts: an admin, labelled providers in every label state, and a few SMEs.

Who they are is content, in `data/providers.json` (with the story of each one's label) and
`data/companies.json`. Everything goes through the account and label services, so demo records
obey the same rules (identifiers, references, transitions, audit trail, mails) as real ones.
Records are recognised by email, SIRET or SIREN, and found ones are left alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Company, Provider, Role, User
from marketplace.accounts.service import (
    CompanyData,
    ProviderData,
    UserData,
    create_admin,
    find_user_by_email,
    register_company,
    register_provider,
)
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from marketplace.labels.models import LabelStatus
from marketplace.labels.operations import (
    ApplicationData,
    Decision,
    ReferenceData,
    apply_for_label,
    decide_on_label,
    expire_lapsed_labels,
)
from marketplace.mail import Mailer

DATA_DIR = Path(__file__).parent / "data"

DEMO_PASSWORD = "demo-password-2026"
DEMO_DOMAIN = "demo.croissance-connectee.fr"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
ADMIN_NAME = "Isabelle Fontaine"

# Expired labels: approved this long before `today`, valid until `EXPIRED_SINCE_DAYS` ago, so that
# the ordinary expiry sweep (not a hand-set status) turns them into expired labels.
EXPIRED_APPROVED_DAYS_AGO = 400
EXPIRED_SINCE_DAYS = 30
DEFAULT_VALID_DAYS = 365

COUNT_KEYS = (
    "admins",
    "providers",
    "companies",
    "labels",
    "diagnoses",
    "programmes",
    "bookings",
    "invoices",
    "payments",
)
EXPERT = "expert"


@dataclass(frozen=True)
class _Reference:
    client: str
    description: str
    years_ago: int


@dataclass(frozen=True)
class _DemoProvider:
    seed: int
    name: str
    kind: str
    department: str
    regions: tuple[str, ...]
    contact: str
    login: str
    bio: str
    categories: tuple[str, ...]
    label: LabelStatus
    turnover_cents: int
    references: tuple[_Reference, ...]
    certifications: str
    languages: tuple[str, ...]
    reason: str
    valid_days: int
    establishment: int

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"

    @property
    def siret(self) -> str:
        return make_siret(make_siren(self.seed), self.establishment)


@dataclass(frozen=True)
class _DemoCompany:
    seed: int
    name: str
    naf_code: str
    size_band: str
    department: str
    contact: str
    login: str

    @property
    def email(self) -> str:
        return f"{self.login}@{DEMO_DOMAIN}"

    @property
    def siren(self) -> str:
        return make_siren(self.seed)


def _read(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _provider(raw: dict[str, Any]) -> _DemoProvider:
    label = raw["label"]
    return _DemoProvider(
        seed=raw["seed"],
        name=raw["name"],
        kind=raw["kind"],
        department=raw["department"],
        regions=tuple(raw["regions"]),
        contact=raw["contact"],
        login=raw["login"],
        bio=raw["bio"],
        categories=tuple(label["categories"]),
        label=LabelStatus(label["status"]),
        turnover_cents=label.get("similar_projects_turnover_cents", 0),
        references=tuple(_Reference(**ref) for ref in label.get("references", ())),
        certifications=label.get("certifications", ""),
        languages=tuple(raw["languages"]),
        reason=label.get("reason", ""),
        valid_days=label.get("valid_days", DEFAULT_VALID_DAYS),
        establishment=raw.get("establishment", 1),
    )


_providers_file = _read("providers.json")
# The reason an admin gives when approving a label, per provider kind.
APPROVAL_REASONS: dict[str, str] = _providers_file["approval_reasons"]
PROVIDERS: tuple[_DemoProvider, ...] = tuple(_provider(p) for p in _providers_file["providers"])
COMPANIES: tuple[_DemoCompany, ...] = tuple(
    _DemoCompany(**company) for company in _read("companies.json")["companies"]
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    organisation: str = ""
    detail: str = ""


@dataclass
class DemoSummary:
    """What the seed did, so the CLI can tell someone how to log in and whether it was a re-run."""

    logins: list[DemoLogin] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    already_present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    password: str = DEMO_PASSWORD

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


def seed_accounts(session: Session, mailer: Mailer, today: date, summary: DemoSummary) -> None:
    """Create the missing admin, providers (with their label story) and companies; flush."""
    admin = _seed_admin(session, summary)
    expired_created = False
    for spec in PROVIDERS:
        expired_created |= _seed_provider(session, mailer, admin, spec, today, summary)
    if expired_created:
        # The daily sweep, run now, is what turns the back-dated approvals into expired labels.
        expire_lapsed_labels(session, mailer, today)
    for company in COMPANIES:
        _seed_company(session, company, summary)
    session.flush()


def _seed_admin(session: Session, summary: DemoSummary) -> User:
    admin = find_user_by_email(session, ADMIN_EMAIL)
    if admin is None:
        admin = create_admin(session, ADMIN_EMAIL, DEMO_PASSWORD, ADMIN_NAME)
        summary.created["admins"] += 1
    else:
        summary.already_present["admins"] += 1
    summary.logins.append(DemoLogin(Role.ADMIN.value, admin.email, "Croissance Connectée"))
    return admin


def _seed_provider(
    session: Session,
    mailer: Mailer,
    admin: User,
    spec: _DemoProvider,
    today: date,
    summary: DemoSummary,
) -> bool:
    """Register one provider and play its label story; True if it made a label to expire."""
    user = find_user_by_email(session, spec.email)
    provider = session.scalar(select(Provider).where(Provider.siret == spec.siret))
    if user is None and provider is None:
        user = register_provider(session, _provider_user(spec), _provider_data(spec))
        provider = user.provider
        summary.created["providers"] += 1
    else:
        summary.already_present["providers"] += 1
        provider = provider or (user.provider if user else None)
    made_expired = False
    if provider is not None and user is not None and user.provider is provider:
        if provider.labels:
            summary.already_present["labels"] += 1
        else:
            _play_label_story(session, mailer, admin, user, spec, today)
            summary.created["labels"] += 1
            made_expired = spec.label == LabelStatus.EXPIRED
    label = provider.current_label if provider is not None else None
    # After the expiry sweep the status will be "expired"; say so already.
    status = spec.label if made_expired else (label.status if label else None)
    detail = f"{spec.kind}, label {status.value}" if status else spec.kind
    summary.logins.append(
        DemoLogin(Role.PROVIDER.value, spec.email if user else "", spec.name, detail)
    )
    return made_expired


def _provider_user(spec: _DemoProvider) -> UserData:
    return UserData(email=spec.email, password=DEMO_PASSWORD, full_name=spec.contact)


def _provider_data(spec: _DemoProvider) -> ProviderData:
    siret = spec.siret
    return ProviderData(
        name=spec.name,
        siret=siret,
        kind=spec.kind,
        department_code=spec.department,
        vat_number=french_vat_number(siret[:9]) if spec.kind == EXPERT else "",
        regions=spec.regions,
        remote_ok=True,
        languages=spec.languages,
        bio=spec.bio,
    )


def _application(spec: _DemoProvider, applied_on: date) -> ApplicationData:
    return ApplicationData(
        categories=spec.categories,
        similar_projects_turnover_cents=spec.turnover_cents,
        certifications=spec.certifications,
        references=[
            ReferenceData(
                client_name=ref.client,
                description=ref.description,
                year=applied_on.year - ref.years_ago,
            )
            for ref in spec.references
        ],
        sworn_statement=True,
    )


def _play_label_story(
    session: Session, mailer: Mailer, admin: User, user: User, spec: _DemoProvider, today: date
) -> None:
    """Apply, then take the decisions that lead to the wanted status, as an admin would."""
    provider = user.provider
    assert provider is not None
    approval = APPROVAL_REASONS[spec.kind]
    if spec.label == LabelStatus.EXPIRED:
        # decide_on_label only accepts a future validity date, so approve "in the past".
        applied_on = today - timedelta(days=EXPIRED_APPROVED_DAYS_AGO)
        label = apply_for_label(session, user, provider, _application(spec, applied_on), applied_on)
        decide_on_label(
            session,
            admin,
            label,
            Decision.APPROVE,
            approval,
            mailer,
            applied_on,
            valid_until=today - timedelta(days=EXPIRED_SINCE_DAYS),
        )
        return
    label = apply_for_label(session, user, provider, _application(spec, today), today)
    if spec.label == LabelStatus.PENDING:
        return
    if spec.label == LabelStatus.REJECTED:
        decide_on_label(session, admin, label, Decision.REJECT, spec.reason, mailer, today)
        return
    decide_on_label(
        session,
        admin,
        label,
        Decision.APPROVE,
        approval,
        mailer,
        today,
        validity_days=spec.valid_days,
    )
    if spec.label == LabelStatus.SUSPENDED:
        decide_on_label(session, admin, label, Decision.SUSPEND, spec.reason, mailer, today)


def _seed_company(session: Session, spec: _DemoCompany, summary: DemoSummary) -> None:
    user = find_user_by_email(session, spec.email)
    exists = session.scalar(select(Company.id).where(Company.siren == spec.siren))
    if user is None and exists is None:
        user = register_company(
            session,
            UserData(email=spec.email, password=DEMO_PASSWORD, full_name=spec.contact),
            CompanyData(
                name=spec.name,
                siren=spec.siren,
                size_band=spec.size_band,
                naf_code=spec.naf_code,
                department_code=spec.department,
            ),
        )
        summary.created["companies"] += 1
    else:
        summary.already_present["companies"] += 1
    detail = f"NAF {spec.naf_code}, {spec.size_band} salariés, dépt {spec.department}"
    summary.logins.append(
        DemoLogin(Role.COMPANY.value, spec.email if user else "", spec.name, detail)
    )


def format_logins(summary: DemoSummary) -> str:
    """A plain-text table of the demo logins and the shared password, for the terminal."""
    rows = [("Role", "Email", "Organisation", "Details")]
    rows += [
        (login.role, login.email or "(account missing)", login.organisation, login.detail)
        for login in summary.logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]

    def line(row: tuple[str, str, str, str]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[3]]).rstrip()

    rule = "  ".join("-" * width for width in [*widths, len(rows[0][3])])
    created = ", ".join(f"{summary.created[key]} {key}" for key in COUNT_KEYS)
    present = ", ".join(f"{summary.already_present[key]} {key}" for key in COUNT_KEYS)
    return "\n".join(
        [
            f"Demo data: created {created}; already present {present}.",
            "",
            line(rows[0]),
            rule,
            *(line(row) for row in rows[1:]),
            "",
            f"Password for every demo account: {summary.password}",
        ]
    )
