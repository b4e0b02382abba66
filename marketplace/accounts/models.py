"""Who uses the marketplace: users and the organisation (company or provider) they act for."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model, db
from marketplace.reference import Department, Region
from marketplace.taxonomy import SizeBand

if TYPE_CHECKING:
    from marketplace.labels.models import Label


def enum_column(enum_cls: type[StrEnum], length: int = 16, name: str | None = None) -> Enum:
    """Enums stored as plain checked strings: portable and easy to migrate.

    `name` names the CHECK constraint; give one when a table has two columns of the same enum.
    """
    return Enum(
        enum_cls,
        name=name or enum_cls.__name__.lower(),
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        create_constraint=True,
    )


class Role(StrEnum):
    COMPANY = "company"
    PROVIDER = "provider"
    ADMIN = "admin"


class ProviderKind(StrEnum):
    EXPERT = "expert"
    VOLUNTEER = "volunteer"


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    membership: Mapped[Membership | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def company(self) -> Company | None:
        return self.membership.company if self.membership else None

    @property
    def provider(self) -> Provider | None:
        return self.membership.provider if self.membership else None

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Company(Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    siren: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    size_band: Mapped[SizeBand] = mapped_column(enum_column(SizeBand, 8))
    naf_code: Mapped[str] = mapped_column(String(6))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    @property
    def region(self) -> Region:
        return self.department.region


provider_regions = Table(
    "provider_regions",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("regions.code"), primary_key=True),
)


class Provider(Model):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    vat_number: Mapped[str | None] = mapped_column(String(13))
    kind: Mapped[ProviderKind] = mapped_column(enum_column(ProviderKind))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    remote_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["fr"])
    bio: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(255), default="")
    # Issue the invoice as soon as the company confirms delivery (billing.invoices.auto_invoice)
    auto_invoice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=provider_regions, order_by="Region.name")
    labels: Mapped[list[Label]] = relationship(
        back_populates="provider", order_by="Label.id", cascade="all, delete-orphan"
    )

    @property
    def current_label(self) -> Label | None:
        """The latest application: it says whether the provider is labelled now."""
        return self.labels[-1] if self.labels else None

    @property
    def has_active_label(self) -> bool:
        label = self.current_label
        return label is not None and label.is_active


class Membership(Model):
    """A user acting for one company or one provider."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="membership")
    company: Mapped[Company | None] = relationship()
    provider: Mapped[Provider | None] = relationship()

    __table_args__ = (
        CheckConstraint("(company_id IS NULL) <> (provider_id IS NULL)", name="one_organisation"),
    )


class ApiToken(Model):
    """A personal access token; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
