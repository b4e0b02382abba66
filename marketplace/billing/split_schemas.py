"""JSON API schemas of a split (`billing.split`) and of an offer's quote: the same split the
pages show, dumped from the `Split` itself with the names of `split_as_dict`."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from marketplace.billing.money import BASIS_POINTS
from marketplace.billing.split import Cap, Ineligibility, explain
from marketplace.catalog.models import PricingUnit
from marketplace.schemas import ApiSchema, between, known_values

MAX_QUANTITY = 999  # units of a per-unit offer in one quote
COMPANY, BEST_CASE = "company", "best-case"


class QuoteArgsSchema(ApiSchema):
    """Query arguments of GET /api/v1/offers/{offer_id}/quote."""

    quantity = fields.Integer(
        load_default=1,
        validate=between(1, MAX_QUANTITY),
        metadata={
            "description": f"Units of a per-unit offer (per day, hour…), 1 to {MAX_QUANTITY}; "
            "a fixed-price offer is quoted for 1 only (another quantity is a 409)."
        },
    )


class SplitLineSchema(ApiSchema):
    """One programme's part of the split; `amount_cents` is 0 when it gives nothing."""

    programme_code = fields.String(required=True)
    programme_name = fields.String(required=True)
    funder = fields.String(required=True)
    rate_bp = fields.Integer(required=True, metadata={"description": "The programme's rate."})
    applied_rate_bp = fields.Integer(
        required=True,
        metadata={"description": "The rate once capped: amount over the price excl. VAT."},
    )
    base_cents = fields.Integer(
        required=True, metadata={"description": "The rate of the price excl. VAT, before caps."}
    )
    amount_cents = fields.Integer(required=True)
    de_minimis = fields.Boolean(required=True)
    capped_by = fields.String(
        required=True,
        allow_none=True,
        validate=known_values(Cap),
        metadata={"description": "The last cap that reduced the amount; null when none did."},
    )
    ineligible = fields.List(
        fields.String(validate=known_values(Ineligibility)),
        required=True,
        metadata={"description": "Why the programme does not apply; empty when it does."},
    )
    explanation_fr = fields.Function(
        lambda line: explain(line, "fr"), required=True, metadata={"type": "string"}
    )
    explanation_en = fields.Function(
        lambda line: explain(line, "en"), required=True, metadata={"type": "string"}
    )


class SplitSchema(ApiSchema):
    """Who pays what: `company_share_cents + subsidies_cents == incl_vat_cents`, exactly."""

    booking_date = fields.Date(required=True)
    excl_vat_cents = fields.Integer(required=True)
    vat_rate_bp = fields.Integer(required=True)
    vat_cents = fields.Integer(required=True, metadata={"description": "Rounded half-up."})
    incl_vat_cents = fields.Integer(required=True)
    subsidies_cents = fields.Integer(required=True)
    company_share_cents = fields.Integer(
        required=True, metadata={"description": "What the company pays, VAT included."}
    )
    de_minimis_received_cents = fields.Integer(
        required=True,
        metadata={"description": "De minimis aid counted in the three years before."},
    )
    de_minimis_awarded_cents = fields.Integer(required=True)
    lines = fields.List(
        fields.Nested(SplitLineSchema),
        required=True,
        metadata={"description": "Every open programme, in stacking order."},
    )


def _covered_rate(quote: dict[str, Any]) -> int:
    split = quote["split"]
    excl = split.excl_vat_cents
    return split.subsidies_cents * BASIS_POINTS // excl if excl else 0


class OfferQuoteSchema(ApiSchema):
    """An offer's split at a quantity: the caller's company's own, or the best case."""

    basis = fields.String(
        required=True,
        validate=known_values([COMPANY, BEST_CASE]),
        metadata={
            "description": "`company`: the calling company's own split (its region, size, "
            "what it already used, its de minimis aid). `best-case`: anyone else (anonymous, "
            "providers, admins) gets what the most favoured eligible company would."
        },
    )
    offer_id = fields.Integer(required=True)
    pricing_unit = fields.String(required=True, validate=known_values(PricingUnit))
    quantity = fields.Integer(required=True)
    covered_rate_bp = fields.Function(
        _covered_rate,
        required=True,
        metadata={
            "type": "integer",
            "description": "Subsidies over the price excl. VAT, rounded down (the best case: "
            '"up to N % covered").',
        },
    )
    split = fields.Nested(SplitSchema, required=True)
