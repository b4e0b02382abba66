"""The one list of needs/categories shared by diagnosis, offers, programmes and search."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class SizeBand(StrEnum):
    """Company headcount bands used by subsidy programmes."""

    MICRO = "0-2"
    VERY_SMALL = "3-9"
    SMALL = "10-49"
    MEDIUM = "50-249"


SIZE_BAND_LABELS = {
    SizeBand.MICRO: _l("0 to 2 employees"),
    SizeBand.VERY_SMALL: _l("3 to 9 employees"),
    SizeBand.SMALL: _l("10 to 49 employees"),
    SizeBand.MEDIUM: _l("50 to 249 employees"),
}

# Order matters: it is the display order everywhere.
CATEGORY_LABELS = {
    "online-presence": _l("Online presence (website)"),
    "ecommerce": _l("E-commerce and online payment"),
    "marketing": _l("Digital marketing (SEO, social media, advertising)"),
    "crm": _l("Customer relationship (CRM)"),
    "management": _l("Management (ERP, e-invoicing)"),
    "cybersecurity": _l("Cybersecurity"),
    "data-ai": _l("Data, GDPR and AI"),
    "export": _l("Selling abroad online"),
    "training": _l("Digital skills training"),
    "green": _l("Responsible digital"),
}
CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORY_LABELS)


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code))


# Languages a provider can work in (ISO 639-1), named in their own language.
LANGUAGE_NAMES = {
    "fr": "Français",
    "en": "English",
    "es": "Español",
    "de": "Deutsch",
    "it": "Italiano",
    "pt": "Português",
    "ar": "العربية",
}
