"""The demo's data files hold together: every code they use exists, every story has its company."""

from __future__ import annotations

from marketplace.billing.models import Funder
from marketplace.billing.programmes import CODE_PATTERN
from marketplace.catalog.models import DeliveryMode, PricingUnit
from marketplace.demo.accounts import COMPANIES, PROVIDERS
from marketplace.demo.billing import PROGRAMMES
from marketplace.demo.diagnoses import STORIES
from marketplace.demo.offers import AUDIENCES, SECTORS, TEMPLATES, WORKSHOP_TEXT, WORKSHOPS
from marketplace.geo import REGION_BY_CODE
from marketplace.taxonomy import CATEGORY_CODES, LANGUAGE_NAMES, SizeBand


def test_demo_accounts_are_unique_and_use_known_codes() -> None:
    """Does every provider and company have its own login and seed, and real codes?"""
    logins = [p.login for p in PROVIDERS] + [c.login for c in COMPANIES]
    assert len(set(logins)) == len(logins)
    assert len({p.siret for p in PROVIDERS}) == len(PROVIDERS)
    assert len({c.siren for c in COMPANIES}) == len(COMPANIES)
    for provider in PROVIDERS:
        assert set(provider.categories) <= set(CATEGORY_CODES), provider.name
        assert set(provider.regions) <= set(REGION_BY_CODE), provider.name
        assert set(provider.languages) <= set(LANGUAGE_NAMES), provider.name


def test_every_diagnosis_story_belongs_to_a_demo_company() -> None:
    assert set(STORIES) <= {c.login for c in COMPANIES}
    assert all(0 <= take.level <= 1 for takes in STORIES.values() for take in takes)


def test_offer_templates_use_known_values_and_placeholders() -> None:
    """Can every template be filled in, with categories, units and modes the catalogue knows?"""
    assert set(TEMPLATES) <= set(CATEGORY_CODES)
    for category, templates in TEMPLATES.items():
        for template in templates:
            assert template.category == category
            assert set(template.needs) <= set(CATEGORY_CODES), template.title
            PricingUnit(template.unit)
            DeliveryMode(template.delivery)
            template.title.format(sector=SECTORS[0].name, who="who")
            template.description.format(client="c", region="r", provider="p")
    assert {w.need for w in WORKSHOPS} <= set(CATEGORY_CODES)
    assert AUDIENCES
    WORKSHOP_TEXT.title.format(topic="t", audience="a")
    WORKSHOP_TEXT.description.format(provider="p", audience="a", summary="s")
    WORKSHOP_TEXT.in_person.format(region="r")


def test_demo_programmes_use_known_codes_and_stay_open_around_the_seed_day() -> None:
    """Are the programmes' codes unique and well formed, their codes known, their dates open?"""
    codes = [p.data.code for p in PROGRAMMES]
    assert len(set(codes)) == len(codes) == 3
    for programme in PROGRAMMES:
        data = programme.data
        assert CODE_PATTERN.fullmatch(data.code), data.code
        Funder(data.funder)
        assert set(data.regions) <= set(REGION_BY_CODE), data.code
        assert set(data.categories) <= set(CATEGORY_CODES), data.code
        assert set(data.size_bands) <= {band.value for band in SizeBand}, data.code
        assert programme.opened_days_ago >= 0 and programme.closes_in_days > 0, data.code
        assert data.description and data.valid_from is None and data.valid_to is None
