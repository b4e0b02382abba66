"""Imports every model so that metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import ApiToken, Company, Membership, Provider, User
from marketplace.audit import AuditEvent
from marketplace.labels.models import Label, LabelDecision, LabelReference
from marketplace.mail import OutboundEmail
from marketplace.reference import Category, Department, Region

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Category",
    "Company",
    "Department",
    "Label",
    "LabelDecision",
    "LabelReference",
    "Membership",
    "OutboundEmail",
    "Provider",
    "Region",
    "User",
]
