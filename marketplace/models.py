"""Imports every model so that metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import ApiToken, Company, Membership, Provider, User
from marketplace.audit import AuditEvent
from marketplace.billing.models import SubsidyProgramme
from marketplace.catalog.models import Offer
from marketplace.diagnosis.models import Diagnosis, DiagnosisDraft
from marketplace.labels.models import Label, LabelDecision, LabelReference
from marketplace.mail import OutboundEmail
from marketplace.reference import Category, Department, Region
from marketplace.resources import Resource
from marketplace.search.outbox import SearchJob

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Category",
    "Company",
    "Department",
    "Diagnosis",
    "DiagnosisDraft",
    "Label",
    "LabelDecision",
    "LabelReference",
    "Membership",
    "Offer",
    "OutboundEmail",
    "Provider",
    "Region",
    "Resource",
    "SearchJob",
    "SubsidyProgramme",
    "User",
]
