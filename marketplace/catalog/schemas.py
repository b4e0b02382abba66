"""JSON API schemas of the offer catalogue and its search (offers as rows and as indexed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from marketplace.accounts.models import ProviderKind
from marketplace.billing.money import vat_amount
from marketplace.catalog import operations as offer_rules
from marketplace.catalog.models import DeliveryMode, OfferStatus, PricingUnit
from marketplace.dbtypes import MAX_ID, MAX_PAGE
from marketplace.schemas import (
    LANGUAGE_CODES,
    MAX_PAGE_SIZE,
    REGION_CODES,
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    WholeNumber,
    between,
    code_list,
    known_values,
    length,
    one_of,
)
from marketplace.search.params import (
    DELIVERY_MODES,
    PRICE_BAND_CODES,
    PROVIDER_KINDS,
    RATING_BAND_CODES,
)
from marketplace.search.query import SORTS
from marketplace.taxonomy import CATEGORY_CODES

# --- Offers --------------------------------------------------------------------------------


def _vat_cents(offer: Any) -> int:
    return vat_amount(offer.price_excl_vat_cents, offer.vat_rate_bp)


class OfferQuerySchema(PageArgsSchema):
    category = Text(validate=one_of(CATEGORY_CODES), metadata={"description": "Main category."})
    need = Text(
        validate=one_of(CATEGORY_CODES),
        metadata={"description": "A need the offer addresses (its category included)."},
    )
    region = Text(
        validate=one_of(REGION_CODES),
        metadata={"description": "Delivered in this region, or remotely."},
    )
    provider = fields.Integer(
        validate=between(1, MAX_ID),
        metadata={"description": "Only this provider's offers (its id)."},
    )


class OfferProviderSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(ProviderKind, by_value=True, required=True)


class OfferSchema(ApiSchema):
    id = fields.Integer(required=True)
    provider = fields.Nested(OfferProviderSchema, required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": "May be empty."})
    category = fields.String(
        required=True, attribute="category_code", metadata={"description": "Main category code."}
    )
    needs = fields.List(
        fields.String(),
        required=True,
        attribute="need_codes",
        metadata={"description": "Category included."},
    )
    price_excl_vat_cents = fields.Integer(
        required=True, metadata={"description": "EUR cents, 0 when free."}
    )
    vat_rate_bp = fields.Integer(
        required=True, metadata={"description": "Basis points: 2000 = 20 %."}
    )
    vat_cents = fields.Function(
        _vat_cents,
        required=True,
        metadata={"type": "integer", "description": "VAT in cents, rounded half-up."},
    )
    price_incl_vat_cents = fields.Function(
        lambda offer: offer.price_excl_vat_cents + _vat_cents(offer),
        required=True,
        metadata={"type": "integer", "description": "Price excl. VAT + VAT, in cents."},
    )
    pricing_unit = fields.String(required=True, validate=known_values(PricingUnit))
    duration_days = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null when not given."}
    )
    delivery_mode = fields.String(required=True, validate=known_values(DeliveryMode))
    regions = fields.List(
        fields.String(),
        required=True,
        attribute="region_codes",
        metadata={"description": "INSEE codes; may be empty when remote."},
    )
    languages = fields.List(
        fields.String(), required=True, metadata={"description": "ISO 639-1 codes."}
    )
    status = fields.String(required=True, validate=known_values(OfferStatus))
    published_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When last published; null for a draft."},
    )
    archived_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When archived; null otherwise."}
    )
    unpublished_reason = fields.String(
        required=True,
        metadata={"description": "Why an administrator unpublished it; empty otherwise."},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class OfferPageSchema(ApiSchema):
    items = fields.List(fields.Nested(OfferSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class OfferUpdateSchema(ApiSchema):
    """Every field optional: only the fields sent change (the rules apply to the result)."""

    title = Text(allow_empty=False, validate=length(offer_rules.TITLE_MAX, offer_rules.TITLE_MIN))
    summary = Text(allow_empty=False, validate=length(offer_rules.SUMMARY_MAX))
    description = Text(multiline=True, validate=length(offer_rules.DESCRIPTION_MAX))
    category = Text(validate=one_of(CATEGORY_CODES))
    needs = code_list(
        CATEGORY_CODES,
        metadata={"description": "Category codes addressed; the main category always is."},
    )
    price_excl_vat_cents = WholeNumber(
        validate=between(0, offer_rules.MAX_PRICE_CENTS),
        metadata={"description": "EUR cents excl. VAT; 0 for a free offer (volunteers: 0)."},
    )
    vat_rate_bp = WholeNumber(
        validate=validate.OneOf(offer_rules.VAT_RATES_BP, error=_l("Choose one of: {choices}.")),
        metadata={"description": "Basis points: 0, 5.5 %, 10 % or 20 %."},
    )
    pricing_unit = Text(validate=one_of([u.value for u in PricingUnit]))
    duration_days = WholeNumber(allow_none=True, validate=between(1, offer_rules.MAX_DURATION_DAYS))
    delivery_mode = Text(validate=one_of([m.value for m in DeliveryMode]))
    regions = code_list(
        REGION_CODES,
        metadata={
            "description": "INSEE region codes; empty: the regions the provider serves "
            "(none needed when remote)."
        },
    )
    languages = code_list(
        LANGUAGE_CODES,
        validate=validate.Length(min=1, error=_l("Choose at least one language.")),
        metadata={"description": "ISO 639-1 codes."},
    )


class OfferCreateSchema(OfferUpdateSchema):
    title = Text(required=True, validate=length(offer_rules.TITLE_MAX, offer_rules.TITLE_MIN))
    summary = Text(required=True, validate=length(offer_rules.SUMMARY_MAX))
    description = Text(
        load_default="", multiline=True, validate=length(offer_rules.DESCRIPTION_MAX)
    )
    category = Text(required=True, validate=one_of(CATEGORY_CODES))
    needs = code_list(
        CATEGORY_CODES,
        load_default=list,
        metadata={"description": "Other needs addressed besides the main category."},
    )
    price_excl_vat_cents = WholeNumber(
        required=True,
        validate=between(0, offer_rules.MAX_PRICE_CENTS),
        metadata={"description": "EUR cents excl. VAT; 0 for a free offer (volunteers: 0)."},
    )
    vat_rate_bp = WholeNumber(
        load_default=offer_rules.DEFAULT_VAT_RATE_BP,
        validate=validate.OneOf(offer_rules.VAT_RATES_BP, error=_l("Choose one of: {choices}.")),
        metadata={"description": "Basis points: 0, 5.5 %, 10 % or 20 %."},
    )
    pricing_unit = Text(required=True, validate=one_of([u.value for u in PricingUnit]))
    duration_days = WholeNumber(
        allow_none=True,
        load_default=None,
        validate=between(1, offer_rules.MAX_DURATION_DAYS),
    )
    delivery_mode = Text(required=True, validate=one_of([m.value for m in DeliveryMode]))
    regions = code_list(
        REGION_CODES,
        load_default=list,
        metadata={
            "description": "INSEE region codes; empty: the regions the provider serves "
            "(none needed when remote)."
        },
    )
    languages = code_list(
        LANGUAGE_CODES,
        load_default=lambda: ["fr"],
        validate=validate.Length(min=1, error=_l("Choose at least one language.")),
        metadata={"description": "ISO 639-1 codes."},
    )


# --- Search -------------------------------------------------------------------------------


class SearchArgsSchema(ApiSchema):
    """Query arguments of GET /api/v1/search."""

    q = Text(
        load_default="", validate=length(200), metadata={"description": "Words (typo tolerant)."}
    )
    need = code_list(CATEGORY_CODES, load_default=list)
    region = code_list(REGION_CODES, load_default=list)
    remote = fields.Boolean(
        load_default=True, metadata={"description": "With region: also remote offers."}
    )
    delivery = code_list(DELIVERY_MODES, load_default=list)
    kind = code_list(PROVIDER_KINDS, load_default=list)
    price = code_list(
        PRICE_BAND_CODES, load_default=list, metadata={"description": "Price bands excl. VAT."}
    )
    rating = code_list(
        RATING_BAND_CODES,
        load_default=list,
        metadata={"description": "Bands of the average rating of the visible reviews."},
    )
    programme = fields.List(
        Text(allow_empty=False, validate=length(40)),
        load_default=list,
        validate=validate.Length(max=20, error=_l("Give at most {max} values.")),
        metadata={"description": "Subsidy programme codes."},
    )
    sort = Text(load_default="relevance", validate=one_of(tuple(SORTS)))
    page = fields.Integer(
        load_default=1,
        validate=between(1, MAX_PAGE),
        metadata={"description": "From 1; results stop after the 1,000th hit."},
    )
    page_size = fields.Integer(load_default=20, validate=between(1, MAX_PAGE_SIZE))


class EpochDateTime(fields.DateTime):
    """A Unix timestamp (as search documents store dates) written as an ISO 8601 datetime."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | float | None:
        moment = datetime.fromtimestamp(value, UTC) if isinstance(value, int) else value
        return super()._serialize(moment, attr, obj, **kwargs)


class IndexedOfferProviderSchema(ApiSchema):
    id = fields.Integer(required=True, attribute="provider_id")
    name = fields.String(required=True, attribute="provider_name")
    kind = fields.String(
        required=True, attribute="provider_kind", validate=known_values(ProviderKind)
    )


class IndexedOfferSchema(ApiSchema):
    """A published offer as the search index holds it, with `OfferSchema`'s names for the same
    facts (search results and recommendations)."""

    id = fields.Integer(required=True)
    provider = fields.Nested(IndexedOfferProviderSchema, required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    category = fields.String(required=True, metadata={"description": "Main category code."})
    needs = fields.List(
        fields.String(), required=True, metadata={"description": "Category included."}
    )
    price_excl_vat_cents = fields.Integer(
        required=True, attribute="price_cents", metadata={"description": "EUR cents, 0 when free."}
    )
    vat_rate_bp = fields.Integer(
        required=True, metadata={"description": "Basis points: 2000 = 20 %."}
    )
    price_band = fields.String(required=True, validate=known_values(PRICE_BAND_CODES))
    pricing_unit = fields.String(required=True, validate=known_values(PricingUnit))
    duration_days = fields.Integer(required=True, allow_none=True)
    delivery_mode = fields.String(required=True, validate=known_values(DeliveryMode))
    regions = fields.List(fields.String(), required=True, metadata={"description": "INSEE codes."})
    languages = fields.List(fields.String(), required=True)
    programmes = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Codes of the subsidy programmes that can apply to it."},
    )
    best_rate_bp = fields.Integer(
        required=True,
        metadata={
            "description": "The most any eligible company gets today, over the price excl. VAT "
            "(basis points; 0: no subsidy). A logged-in company's own split: "
            "GET /offers/{id}/quote."
        },
    )
    net_price_cents = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "What that best-placed company pays, VAT included (the "
            "net_price_asc sort); null when not known yet."
        },
    )
    rating = fields.Integer(
        required=True,
        metadata={
            "description": "Average of the visible reviews × 100 (450 = 4.5 out of 5); "
            "0 without any."
        },
    )
    rating_band = fields.String(required=True, validate=known_values(RATING_BAND_CODES))
    published_at = EpochDateTime(required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "provider":  # the provider's fields sit in the document itself
            return obj
        if attr == "net_price_cents":  # the index leaves it out when unknown
            return super().get_attribute(obj, attr, None)
        return super().get_attribute(obj, attr, default)


class SearchHitSchema(IndexedOfferSchema):
    """One offer found, and where the query matched it."""

    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={
            "description": "Field → its text with the matched words in <mark>…</mark> "
            "(HTML-escaped)."
        },
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "highlights":
            return obj.highlights
        return super().get_attribute(obj.document, attr, default)


class SearchResultSchema(ApiSchema):
    hits = fields.List(fields.Nested(SearchHitSchema), required=True)
    total = fields.Integer(
        required=True,
        metadata={
            "description": "Over all pages, exact up to 1,000; 1,000 means that many or more "
            "(pages stop there too)."
        },
    )
    page = fields.Integer(required=True)
    page_size = fields.Integer(attribute="per_page", required=True)
    pages = fields.Integer(required=True)
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "Facet → value → number of hits with it."},
    )
    ignored_words = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "Query words the best hits do without: empty when some hit has them "
            "all; else no offer contains every word and these are the closest."
        },
    )
