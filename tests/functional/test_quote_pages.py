"""Quotes wherever a price is shown: a company sees its own split (offer page, search,
comparison, recommendations), anyone else the best case and the way to the eligibility page;
per-unit offers are quoted at the quantity asked; "am I eligible?" needs no account.

Pages are read through stable markers (classes, data attributes, amounts), never through
translated wording, except `explain`'s sentences (billing writes them in French itself).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from marketplace.accounts.models import User
from marketplace.billing.deminimis import declare_aid
from marketplace.catalog.indexing import CatalogueLoader
from marketplace.catalog.models import Offer
from marketplace.diagnosis.operations import submit_diagnosis
from marketplace.extensions import db
from marketplace.search.sync import process_outbox
from tests.factories import (
    admin_user,
    company_user,
    login,
    programme,
    provider_user,
    published_offer,
)
from tests.functional.test_diagnosis_pages import answers

TODAY = date.today()


@dataclass(frozen=True)
class World:
    website: int  # 4,000 € excl. VAT, fixed price
    coaching: int  # 800 € a day
    company: str  # a firm of 3-9 in the Rhône (region 84)
    provider: str
    admin: str


def index(app: Flask) -> None:
    process_outbox(db.session(), app.extensions["search"], TODAY, loader=CatalogueLoader())
    db.session.commit()


@pytest.fixture
def world(app: Flask) -> World:
    """A national programme (50 %, 1,500 € per booking), a regional one for Auvergne-Rhône-
    Alpes (30 %, 500 € per company), one for Bretagne; two offers, indexed."""
    with app.app_context():
        admin = admin_user(db.session)
        programme(db.session, admin, code="france-num", name="France Num",
                  cap_per_booking_cents=150_000)  # fmt: skip
        programme(db.session, admin, code="pass-aura", name="Pass AURA", funder="region",
                  regions=["84"], rate_bp=3000, cap_per_booking_cents=None,
                  cap_per_company_cents=50_000, stacking_order=1)  # fmt: skip
        programme(db.session, admin, code="pass-bzh", name="Pass Bretagne", funder="region",
                  regions=["53"], stacking_order=1)  # fmt: skip
        provider = provider_user(db.session, name="Studio Lyonnais")
        website = published_offer(db.session, provider, admin)
        coaching = published_offer(
            db.session,
            provider,
            admin,
            title="Accompagnement numérique à la journée",
            pricing_unit="per_day",
            price_excl_vat_cents=80_000,
        )
        company = company_user(db.session, department="69", size_band="3-9")
        db.session.commit()
        index(app)
        return World(website.id, coaching.id, company.email, provider.email, admin.email)


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    """The page, its amounts with plain spaces ("4 000,00 €" has a narrow no-break space)."""
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def cents(text: str, marker: str) -> list[int]:
    """The data-cents of every split line with this programme."""
    return [int(c) for c in re.findall(rf'data-programme="{marker}" data-cents="(\d+)"', text)]


def share(text: str) -> list[int]:
    return [int(c) for c in re.findall(r'data-company-share="(\d+)"', text)]


# --- The offer page --------------------------------------------------------------------------


def test_a_company_sees_its_own_split_on_the_offer_page(client: FlaskClient, world: World) -> None:
    """4,000 € + 20 % VAT: France Num 1,500 € (capped per booking), Pass AURA 500 € (capped
    by what remains per company); the company pays 4,800 € - 2,000 €; Bretagne's is absent."""
    login(client, world.company)
    text = page(client, f"/offers/{world.website}")
    assert 'data-basis="company"' in text and 'data-basis="best-case"' not in text
    assert cents(text, "france-num") == [150_000]
    assert cents(text, "pass-aura") == [50_000]
    assert "pass-bzh" not in text
    assert share(text) == [280_000]
    assert "4 000,00" in text and "800,00" in text and "2 800,00" in text  # HT, TVA, you pay
    assert "plafonné par votre reste de droits au titre de Pass AURA" in text
    assert "plafonné par le plafond par prestation de France Num" in text


@pytest.mark.parametrize("who", ["anonymous", "provider", "admin"])
def test_anyone_else_sees_the_best_case_and_the_eligibility_link(
    client: FlaskClient, world: World, who: str
) -> None:
    if who != "anonymous":
        login(client, getattr(world, who))
    text = page(client, f"/offers/{world.website}")
    assert 'data-basis="company"' not in text
    # The best company (in 84 or 53): 1,500 € + 30 % or 50 % of 4,000 €, bounded at 100 %.
    assert 'data-basis="best-case" data-best-rate="8750"' in text
    assert f'href="/aides/eligibilite?offer={world.website}"' in text
    assert "4 800,00" in text  # the total incl. VAT is still shown


def test_the_quote_scales_with_the_quantity_of_a_per_unit_offer(
    client: FlaskClient, world: World
) -> None:
    """3 days at 800 €: France Num 1,200 € (under its cap), Pass AURA 500 € (its cap per
    company); the company pays 2,880 € - 1,700 €."""
    login(client, world.company)
    one = page(client, f"/offers/{world.coaching}")
    assert 'name="quantity"' in one and share(one) == [96_000 - 40_000 - 24_000]
    three = page(client, f"/offers/{world.coaching}?quantity=3")
    assert cents(three, "france-num") == [120_000]
    assert cents(three, "pass-aura") == [50_000]
    assert share(three) == [288_000 - 170_000]
    assert 'value="3"' in three


@pytest.mark.parametrize("raw", ["0", "1000", "abc", "-2", "1.5", "9" * 40, "%D9%A3%D9%A3" * 2])
def test_a_bad_quantity_is_a_form_error(client: FlaskClient, world: World, raw: str) -> None:
    login(client, world.company)
    text = page(client, f"/offers/{world.coaching}?quantity={raw}", status=400)
    assert 'id="quantity-error"' in text and 'aria-invalid="true"' in text
    assert share(text) == [96_000 - 40_000 - 24_000]  # quoted for one meanwhile


def test_a_control_character_is_refused_before_the_form(client: FlaskClient, world: World) -> None:
    page(client, f"/offers/{world.coaching}?quantity=%00", status=400)


def test_a_fixed_price_is_for_one_whatever_the_link_says(client: FlaskClient, world: World) -> None:
    login(client, world.company)
    text = page(client, f"/offers/{world.website}?quantity=5")
    assert 'name="quantity"' not in text and share(text) == [280_000]


def test_an_empty_quantity_means_one(client: FlaskClient, world: World) -> None:
    text = page(client, f"/offers/{world.coaching}?quantity=")
    assert 'id="quantity-error"' not in text and "960,00" in text


def test_a_de_minimis_refusal_shows_as_a_warning(app: Flask, client: FlaskClient) -> None:
    """A company 1,000 € under its de minimis ceiling asks for a 1,500 € de minimis aid: the
    programme gives nothing, and the page says why."""
    with app.app_context():
        admin = admin_user(db.session)
        programme(db.session, admin, code="dm", name="Aide de minimis", de_minimis=True)
        offer = published_offer(db.session, provider_user(db.session), admin,
                                price_excl_vat_cents=300_000)  # fmt: skip
        user = company_user(db.session)
        assert user.company is not None
        declare_aid(db.session, user, user.company, TODAY, 299_000_00, "Région", TODAY)
        db.session.commit()
        email, offer_id = user.email, offer.id
    login(client, email)
    text = page(client, f"/offers/{offer_id}")
    assert 'class="flash flash-warning split-de-minimis"' in text
    assert "votre plafond de minimis" in text
    assert share(text) == [360_000]


def test_a_free_offer_has_no_split(app: Flask, client: FlaskClient, world: World) -> None:
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.email == world.admin))
        volunteer = provider_user(db.session, kind="volunteer")
        free = published_offer(db.session, volunteer, admin, price_excl_vat_cents=0,
                               vat_rate_bp=0)  # fmt: skip
        db.session.commit()
        free_id = free.id
    login(client, world.company)
    assert "split-box" not in page(client, f"/offers/{free_id}")


# --- Search, comparison, recommendations ------------------------------------------------------


def test_search_hits_show_the_companys_own_net_price(client: FlaskClient, world: World) -> None:
    login(client, world.company)
    text = page(client, "/search")
    assert sorted(share(text)) == [32_000, 280_000]
    assert sorted(cents(text, "pass-aura")) == [24_000, 50_000]
    assert "split-best-rate" not in text


def test_search_hits_show_the_best_rate_to_anyone_else(client: FlaskClient, world: World) -> None:
    text = page(client, "/search")
    rates = re.findall(r'split-best-rate" data-best-rate="(\d+)"', text)
    assert sorted(rates) == ["10000", "8750"]
    assert "data-company-share" not in text
    # The facet names each programme that can apply.
    assert 'name="programme" value="france-num"' in text and "Pass AURA" in text


def test_price_after_subsidies_sort(client: FlaskClient, world: World) -> None:
    """Best case incl. VAT: 960 € - 800 € for a day, 4,800 € - 3,500 € for the website."""
    text = page(client, "/search?sort=net_price_asc")
    order = [int(i) for i in re.findall(r'<li class="card offer-hit" data-offer="(\d+)"', text)]
    assert order == [world.coaching, world.website]
    assert 'value="net_price_asc" selected' in text


@contextmanager
def counting_queries(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs meanwhile."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_search_page_costs_the_same_queries_for_2_or_12_hits(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Are the hits' splits computed in one batch (quotes_for), not one query per hit?"""
    login(client, world.company)
    client.get("/search")  # warm: the user's session, the index's first read
    with counting_queries(app) as few:
        text = page(client, "/search")
    assert len(share(text)) == 2
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.email == world.admin))
        provider = db.session.scalar(db.select(User).where(User.email == world.provider))
        for n in range(10):
            published_offer(db.session, provider, admin, title=f"Site vitrine numéro {n + 1}",
                            price_excl_vat_cents=100_000 + n)  # fmt: skip
        db.session.commit()
        index(app)
    with counting_queries(app) as many:
        text = page(client, "/search")
    assert len(share(text)) == 12
    assert len(many) == len(few), (len(few), len(many))


def test_the_comparison_shows_each_split(client: FlaskClient, world: World) -> None:
    url = f"/compare?id={world.website}&id={world.coaching}"
    anonymous = page(client, url)
    assert anonymous.count('data-basis="best-case"') == 2 and "compare-you-pay" not in anonymous
    login(client, world.company)
    text = page(client, url)
    assert share(text) == [280_000, 32_000]
    assert cents(text, "france-num") == [150_000, 40_000]
    assert re.search(r"compare-you-pay.*2 800,00.*320,00", text, re.S)


def test_recommendations_show_each_split(app: Flask, client: FlaskClient, world: World) -> None:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == world.company))
        submit_diagnosis(db.session, user, user.company, answers("worst"))
        db.session.commit()
    login(client, world.company)
    text = page(client, "/recommended")
    assert set(share(text)) == {32_000, 280_000}


# --- Am I eligible? ----------------------------------------------------------------------------


def programmes_listed(text: str) -> list[str]:
    return re.findall(r'<li class="card" data-programme="([^"]+)"', text)


def test_the_eligibility_page_lists_the_programmes_of_a_department(
    client: FlaskClient, world: World
) -> None:
    rennes = page(client, "/aides/eligibilite?size_band=10-49&department=35")
    assert programmes_listed(rennes) == ["france-num", "pass-bzh"]
    lyon = page(client, "/aides/eligibilite?size_band=3-9&department=69")
    assert programmes_listed(lyon) == ["france-num", "pass-aura"]
    assert "500,00" in lyon  # Pass AURA's cap per company
    overseas = page(client, "/aides/eligibilite?size_band=0-2&department=974")
    assert programmes_listed(overseas) == ["france-num"]


def test_the_eligibility_page_gives_an_example_split(client: FlaskClient, world: World) -> None:
    """From the offer page's link: the offer is chosen already; the split is the one a Lyon
    firm that used nothing yet would get."""
    arriving = page(client, f"/aides/eligibilite?offer={world.website}")
    assert f'<option selected value="{world.website}">' in arriving
    assert "error-summary" not in arriving and "eligibility-result" not in arriving
    text = page(client, f"/aides/eligibilite?size_band=3-9&department=69&offer={world.website}")
    assert 'id="eligibility-example"' in text
    assert share(text) == [280_000]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("size_band=&department=", {"size_band", "department"}),
        ("size_band=1-5&department=00", {"size_band", "department"}),
        ("siren=552100554", {"size_band", "department"}),
        ("siren=123456789&size_band=3-9&department=69", {"siren"}),
        ("size_band=3-9&department=69&offer=999999", {"offer"}),
        ("size_band=3-9&department=69&offer=abc", {"offer"}),
    ],
)
def test_eligibility_answers_are_checked(
    client: FlaskClient, world: World, query: str, fields: set[str]
) -> None:
    text = page(client, f"/aides/eligibilite?{query}", status=400)
    assert set(re.findall(r'id="([a-z_]+)-error"', text)) == fields
    assert "eligibility-result" not in text


def test_a_siren_alone_asks_for_the_department(client: FlaskClient, world: World) -> None:
    text = page(client, "/aides/eligibilite?siren=552 100 554&size_band=3-9", status=400)
    assert set(re.findall(r'id="([a-z_]+)-error"', text)) == {"department"}
    assert 'value="552100554"' in text


def test_the_home_page_links_to_the_eligibility_page(client: FlaskClient) -> None:
    assert 'href="/aides/eligibilite"' in page(client, "/")


# --- The provider's profile ------------------------------------------------------------------


def test_the_provider_profile_shows_each_offers_price_after_subsidies(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Anyone: "jusqu'à N %" per offer; a company: what it would pay (one batch for the list)."""
    with app.app_context():
        provider_id = db.session.get(Offer, world.website).provider_id
    url = f"/providers/{provider_id}"
    anonymous = page(client, url)
    assert anonymous.count('class="badge badge-approved split-best-rate"') == 2
    assert 'data-best-rate="8750"' in anonymous
    login(client, world.company)
    mine = page(client, url)
    assert "split-best-rate" not in mine
    # The website: 4,800 € - 2,000 €; a day of coaching: 960 € - 400 € (France Num, 50 %)
    # - 240 € (Pass AURA, 30 %).
    net = re.findall(r'provider-offer-net">([^<]*)<', mine)
    assert net == ["vous payez 320,00 € TTC", "vous payez 2 800,00 € TTC"]
