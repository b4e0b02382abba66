"""The one list of needs/categories shared by diagnosis, offers, programmes and search."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
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


def N_(message: str) -> str:
    """Marks a message for extraction without translating it here."""
    return message


# Order matters: it is the display order everywhere.
CATEGORY_TEXTS = {
    "online-presence": N_("Online presence (website)"),
    "ecommerce": N_("E-commerce and online payment"),
    "marketing": N_("Digital marketing (SEO, social media, advertising)"),
    "crm": N_("Customer relationship (CRM)"),
    "management": N_("Management (ERP, e-invoicing)"),
    "cybersecurity": N_("Cybersecurity"),
    "data-ai": N_("Data, GDPR and AI"),
    "export": N_("Selling abroad online"),
    "training": N_("Digital skills training"),
    "green": N_("Responsible digital"),
}
CATEGORY_LABELS = {code: _l(text) for code, text in CATEGORY_TEXTS.items()}
CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORY_TEXTS)
TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@cache
def _french() -> NullTranslations:  # NullTranslations when the catalogue is not compiled
    return Translations.load(str(TRANSLATIONS_DIR), ["fr"])


def french_category_label(code: str) -> str:
    """The French label, whatever the request's language (search documents are French)."""
    return _french().gettext(CATEGORY_TEXTS[code])


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
