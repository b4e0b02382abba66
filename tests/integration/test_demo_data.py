"""The demo's data files hold together: every code they use exists, every story has its company."""

from __future__ import annotations

from marketplace.catalog.models import DeliveryMode, PricingUnit
from marketplace.demo.accounts import COMPANIES, PROVIDERS
from marketplace.demo.diagnoses import STORIES
from marketplace.demo.offers import AUDIENCES, SECTORS, TEMPLATES, WORKSHOP_TEXT, WORKSHOPS
from marketplace.geo import REGION_BY_CODE
from marketplace.taxonomy import CATEGORY_CODES, LANGUAGE_NAMES


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
