"""Account operations: registration, authentication, password changes and resets.

Functions flush and never commit: the caller (view, CLI, test) owns the transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import (
    Company,
    Membership,
    Provider,
    ProviderKind,
    Role,
    User,
)
from marketplace.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from marketplace.audit import record_event
from marketplace.dbtypes import utcnow
from marketplace.errors import AlreadyExists, ValidationFailed
from marketplace.geo import DEPARTMENT_BY_CODE, REGION_BY_CODE, normalize_department_code
from marketplace.identifiers import (
    is_valid_french_vat,
    is_valid_naf_code,
    is_valid_siren,
    is_valid_siret,
    normalize_digits,
    normalize_naf_code,
)
from marketplace.mail import Mailer
from marketplace.reference import Region
from marketplace.taxonomy import LANGUAGE_NAMES, SizeBand

RESET_SALT = "password-reset"
LANGUAGES = ("fr", "en")


@dataclass
class UserData:
    email: str
    password: str
    full_name: str
    locale: str = "fr"


@dataclass
class CompanyData:
    name: str
    siren: str
    size_band: str
    naf_code: str
    department_code: str


@dataclass
class ProviderData:
    name: str
    siret: str
    kind: str
    department_code: str
    vat_number: str = ""
    regions: Sequence[str] = field(default_factory=tuple)
    remote_ok: bool = True
    languages: Sequence[str] = ("fr",)
    bio: str = ""
    website: str = ""


class _Errors:
    """Collects every field error before raising, so the user fixes them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}
        self.only_conflicts = True

    def add(self, name: str, message: object, *, conflict: bool = False) -> None:
        """`conflict`: the value is fine but already taken (then alone it is a 409)."""
        self.errors.setdefault(name, []).append(str(message))
        self.only_conflicts = self.only_conflicts and conflict

    def raise_if_any(self) -> None:
        if self.errors:
            raise (AlreadyExists if self.only_conflicts else ValidationFailed)(self.errors)


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def _check_user(session: Session, data: UserData, errors: _Errors) -> str:
    email = normalize_email(data.email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        errors.add("email", _l("Enter a valid email address."))
    else:
        if find_user_by_email(session, email):
            errors.add(
                "email", _l("An account already exists with this email address."), conflict=True
            )
    for problem in password_problems(data.password, email):
        errors.add("password", problem)
    if not data.full_name.strip():
        errors.add("full_name", _l("Enter your name."))
    if data.locale not in LANGUAGES:
        errors.add("locale", _l("Choose French or English."))
    return email


def _check_department(raw: str, errors: _Errors) -> str:
    code = normalize_department_code(raw or "")
    if code not in DEPARTMENT_BY_CODE:
        errors.add("department_code", _l("Choose a French department."))
    return code


def _new_user(data: UserData, email: str, role: Role) -> User:
    return User(
        email=email,
        full_name=data.full_name.strip(),
        password_hash=hash_password(data.password),
        role=role,
        locale=data.locale,
    )


def register_company(session: Session, user_data: UserData, company_data: CompanyData) -> User:
    """Create a company and its first user, or raise ValidationFailed with every field error."""
    errors = _Errors()
    email = _check_user(session, user_data, errors)
    siren = normalize_digits(company_data.siren)
    if not is_valid_siren(siren):
        errors.add("siren", _l("A SIREN has 9 digits and a valid check digit."))
    elif session.scalar(select(Company.id).where(Company.siren == siren)):
        errors.add(
            "siren",
            _l("This company is already registered; ask its owner to invite you."),
            conflict=True,
        )
    if not company_data.name.strip():
        errors.add("company_name", _l("Enter the company name."))
    if company_data.size_band not in {b.value for b in SizeBand}:
        errors.add("size_band", _l("Choose a size band."))
    naf = normalize_naf_code(company_data.naf_code or "")
    if not is_valid_naf_code(naf):
        errors.add("naf_code", _l("A NAF code looks like 62.01Z."))
    department = _check_department(company_data.department_code, errors)
    errors.raise_if_any()

    company = Company(
        siren=siren,
        name=company_data.name.strip(),
        size_band=SizeBand(company_data.size_band),
        naf_code=naf,
        department_code=department,
    )
    user = _new_user(user_data, email, Role.COMPANY)
    session.add_all([company, user, Membership(user=user, company=company)])
    session.flush()
    record_event(session, user, "company.registered", "company", company.id, siren=siren)
    return user


def register_provider(session: Session, user_data: UserData, provider_data: ProviderData) -> User:
    """Create a provider and its first user, or raise ValidationFailed with every field error."""
    errors = _Errors()
    email = _check_user(session, user_data, errors)
    siret = normalize_digits(provider_data.siret)
    if not is_valid_siret(siret):
        errors.add("siret", _l("A SIRET has 14 digits and a valid check digit."))
    elif session.scalar(select(Provider.id).where(Provider.siret == siret)):
        errors.add("siret", _l("This establishment is already registered."), conflict=True)
    if not provider_data.name.strip():
        errors.add("provider_name", _l("Enter the business name."))
    if provider_data.kind not in {k.value for k in ProviderKind}:
        errors.add("kind", _l("Choose expert or volunteer advisor."))
    vat = provider_data.vat_number.replace(" ", "").upper()
    if vat and not is_valid_french_vat(vat, siret[:9] if len(siret) == 14 else None):
        errors.add(
            "vat_number",
            _l("This French VAT number is not valid for this SIRET (FR + 2-digit key + SIREN)."),
        )
    elif not vat and provider_data.kind == ProviderKind.EXPERT:
        errors.add("vat_number", _l("Labelled experts must give their VAT number."))
    department = _check_department(provider_data.department_code, errors)
    unknown = [code for code in provider_data.regions if code not in REGION_BY_CODE]
    if unknown:
        errors.add("regions", _l("Unknown region codes: %(codes)s", codes=", ".join(unknown)))
    bad_languages = [code for code in provider_data.languages if code not in LANGUAGE_NAMES]
    if bad_languages:
        errors.add("languages", _l("Unknown languages: %(codes)s", codes=", ".join(bad_languages)))
    errors.raise_if_any()

    region_codes = set(provider_data.regions) or {DEPARTMENT_BY_CODE[department].region_code}
    provider = Provider(
        siret=siret,
        name=provider_data.name.strip(),
        vat_number=vat or None,
        kind=ProviderKind(provider_data.kind),
        department_code=department,
        remote_ok=provider_data.remote_ok,
        languages=list(dict.fromkeys(provider_data.languages)) or ["fr"],
        bio=provider_data.bio.strip(),
        website=provider_data.website.strip(),
        regions=list(session.scalars(select(Region).where(Region.code.in_(region_codes)))),
    )
    user = _new_user(user_data, email, Role.PROVIDER)
    session.add_all([provider, user, Membership(user=user, provider=provider)])
    session.flush()
    record_event(session, user, "provider.registered", "provider", provider.id, siret=siret)
    return user


def create_admin(session: Session, email: str, password: str, full_name: str = "") -> User:
    errors = _Errors()
    data = UserData(email=email, password=password, full_name=full_name or email)
    email = _check_user(session, data, errors)
    errors.raise_if_any()
    user = _new_user(data, email, Role.ADMIN)
    session.add(user)
    session.flush()
    record_event(session, None, "admin.created", "user", user.id, email=email)
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user with these credentials, or None; upgrades old hashes on the way."""
    user = find_user_by_email(session, email)
    if user is None:
        # Same work as a real check, so response time does not reveal which emails exist.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_enabled:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-real-password-used-for-timing")


def change_password(session: Session, user: User, current: str, new: str) -> None:
    errors = _Errors()
    if not verify_password(user.password_hash, current):
        errors.add("current_password", _l("Your current password is not this one."))
    for problem in password_problems(new, user.email):
        errors.add("new_password", problem)
    errors.raise_if_any()
    _set_password(session, user, new)
    record_event(session, user, "user.password_changed", "user", user.id)


def _set_password(session: Session, user: User, new: str) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    session.flush()


def _reset_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT)


def make_reset_token(user: User, secret_key: str) -> str:
    """A signed token that dies when the password changes (it carries a piece of the hash)."""
    return _reset_serializer(secret_key).dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset_token(session: Session, token: str, secret_key: str, max_age: int) -> User:
    """The user a reset token was made for, or ValidationFailed if it is wrong, used or old."""
    try:
        payload = _reset_serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ValidationFailed(
            {"token": [_l("This link has expired; ask for a new one.")]}
        ) from exc
    except BadSignature as exc:
        raise ValidationFailed({"token": [_l("This link is not valid.")]}) from exc
    user = session.get(User, payload.get("uid"))
    if user is None or user.password_hash[-16:] != payload.get("ph"):
        raise ValidationFailed({"token": [_l("This link has already been used.")]})
    return user


def reset_password(session: Session, token: str, new: str, secret_key: str, max_age: int) -> User:
    user = user_for_reset_token(session, token, secret_key, max_age)
    problems = password_problems(new, user.email)
    if problems:
        raise ValidationFailed({"password": problems})
    _set_password(session, user, new)
    record_event(session, user, "user.password_reset", "user", user.id)
    return user


def request_password_reset(
    session: Session,
    email: str,
    mailer: Mailer,
    secret_key: str,
    link_for: Callable[[str], str],
) -> None:
    """Mail a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_enabled:
        return
    link = link_for(make_reset_token(user, secret_key))
    with force_locale(user.locale):
        subject = gettext("Reset your Croissance Connectée password")
        body = gettext(
            "Hello %(name)s,\n\nTo choose a new password, open this link within the hour:\n"
            "%(link)s\n\nIf you did not ask for it, ignore this message: your password "
            "stays the same.\n",
            name=user.full_name,
            link=link,
        )
    mailer.send(session, user.email, subject, body)
    record_event(session, None, "user.password_reset_requested", "user", user.id)
