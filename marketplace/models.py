"""Imports every model so that metadata (and Alembic) sees the whole schema."""

from marketplace.accounts.models import ApiToken, Company, Membership, Provider, User
from marketplace.audit import AuditEvent
from marketplace.billing.claim_models import SubsidyClaim
from marketplace.billing.invoice_models import (
    CreditNote,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceSubsidy,
    InvoiceTax,
)
from marketplace.billing.ledger_models import JournalEntry, JournalLine
from marketplace.billing.models import DeclaredAid, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.payment_models import Payment, Refund, StripeEvent
from marketplace.bookings.models import Booking, BookingEvent, BookingEvidence, BookingMessage
from marketplace.catalog.models import Offer
from marketplace.diagnosis.models import Diagnosis, DiagnosisDraft
from marketplace.labels.models import Label, LabelDecision, LabelReference
from marketplace.mail import OutboundEmail
from marketplace.reference import Category, Department, Region
from marketplace.resources import Resource
from marketplace.reviews.models import Review
from marketplace.search.outbox import SearchJob

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Booking",
    "BookingEvent",
    "BookingEvidence",
    "BookingMessage",
    "Category",
    "Company",
    "CreditNote",
    "DeclaredAid",
    "Department",
    "Diagnosis",
    "DiagnosisDraft",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "InvoiceSubsidy",
    "InvoiceTax",
    "JournalEntry",
    "JournalLine",
    "Label",
    "LabelDecision",
    "LabelReference",
    "Membership",
    "Offer",
    "OutboundEmail",
    "Payment",
    "Provider",
    "Refund",
    "Region",
    "Resource",
    "Review",
    "SearchJob",
    "StripeEvent",
    "SubsidyAllocation",
    "SubsidyClaim",
    "SubsidyProgramme",
    "User",
]
