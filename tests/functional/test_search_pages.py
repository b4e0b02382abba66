"""Searching offers: the page, the recommendations from a diagnosis, the comparison, the API."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalog.indexing import CatalogueLoader
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import create_offer, publish_offer
from marketplace.diagnosis.operations import submit_diagnosis
from marketplace.extensions import db
from marketplace.search.query import MAX_TOTAL_HITS, SearchQuery, SearchResult
from marketplace.search.sync import process_outbox, reindex
from tests.factories import (
    admin_user,
    approved_label,
    company_user,
    login,
    provider_user,
    published_offer,
)
from tests.functional.test_diagnosis_pages import answers
from tests.unit.test_catalog_operations import offer_input

TODAY = date.today()


@pytest.fixture
def catalogue(app: Flask) -> dict[str, int]:
    """Three published offers, indexed: a Breton on-site website, a remote shop, a Lyon audit."""
    with app.app_context():
        admin = admin_user(db.session)
        breton = provider_user(db.session, regions=("53",), name="Atelier Breton")
        approved_label(db.session, breton, admin, ("online-presence", "ecommerce"))
        lyon = provider_user(db.session, department="69", regions=("84",), name="Cyber Lyon")
        approved_label(db.session, lyon, admin, ("cybersecurity",))
        specs = {
            "website": (
                breton,
                offer_input(title="Site vitrine pour artisans", delivery_mode="on_site"),
            ),
            "shop": (
                breton,
                offer_input(
                    title="Boutique en ligne clé en main",
                    description="Boutique e-commerce avec paiement en ligne et livraison.",
                    category="ecommerce",
                    needs=["ecommerce"],
                    delivery_mode="remote",
                    regions=[],
                    price_excl_vat_cents=450_000,
                ),
            ),
            "audit": (
                lyon,
                offer_input(
                    title="Audit de cybersécurité",
                    summary="Sauvegardes, mots de passe, double authentification.",
                    category="cybersecurity",
                    needs=["cybersecurity"],
                    delivery_mode="on_site",
                    regions=["84"],
                    price_excl_vat_cents=90_000,
                ),
            ),
        }
        ids = {}
        for key, (user, data) in specs.items():
            offer = create_offer(db.session, user, user.provider, data)
            publish_offer(db.session, user, offer, TODAY)
            ids[key] = offer.id
        db.session.commit()
        process_outbox(db.session(), app.extensions["search"], TODAY, loader=CatalogueLoader())
        db.session.commit()
        return ids


def text_of(client: FlaskClient, url: str) -> str:
    """The page without the highlight tags around matched words."""
    return client.get(url).get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")


def test_typo_tolerant_search(client: FlaskClient, catalogue: dict[str, int]) -> None:
    """Accents, a typo and a synonym: do "cybersecurite", "comerce en ligne", "site internet"
    find the audit, the shop and the "site vitrine" offer?"""
    page = text_of(client, "/search?q=cybersecurite")
    assert "Audit de cybersécurité" in page and "Boutique en ligne" not in page
    assert "Boutique en ligne clé en main" in text_of(client, "/search?q=comerce+en+ligne")
    assert "Site vitrine pour artisans" in text_of(client, "/search?q=site+internet")


def test_filters_and_empty_state(client: FlaskClient, catalogue: dict[str, int]) -> None:
    page = client.get("/search?region=84&remote=0").get_data(as_text=True)
    assert "Audit de" in page and "Boutique en ligne" not in page
    page = client.get("/search?region=84").get_data(as_text=True)  # remote offers included
    assert "Audit de" in page and "Boutique en ligne" in page
    empty = client.get("/search?q=astrologie")
    assert empty.status_code == 200
    assert 'class="empty-state"' in empty.get_data(as_text=True)


def test_compare_two_offers(client: FlaskClient, catalogue: dict[str, int]) -> None:
    response = client.get(f"/compare?id={catalogue['website']}&id={catalogue['audit']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Site vitrine pour artisans" in page and "Audit de cybersécurité" in page
    assert "080,00" in page  # 900 € + 20 % VAT = 1 080,00 € (with a narrow space)


def test_comparing_one_offer_keeps_it_ticked_and_asks_for_another(
    client: FlaskClient, catalogue: dict[str, int]
) -> None:
    response = client.get(f"/compare?id={catalogue['website']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choisissez deux ou trois offres à comparer." in page
    assert re.search(rf'name="id" value="{catalogue["website"]}" checked', page)
    assert "Site vitrine pour artisans" in page
    assert "Ajouter des offres depuis la recherche" in page
    assert "Comparer côte à côte" not in page  # one offer: nothing to compare yet


def test_comparing_four_offers_lists_them_to_untick_one(
    app: Flask, client: FlaskClient, catalogue: dict[str, int]
) -> None:
    with app.app_context():
        admin = admin_user(db.session)
        fourth = published_offer(db.session, provider_user(db.session, name="Quatrième"), admin)
        db.session.commit()
        ids = [catalogue["website"], catalogue["shop"], catalogue["audit"], fourth.id]
    response = client.get("/compare?" + "&".join(f"id={i}" for i in ids))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vous avez choisi 4 offres\N{NO-BREAK SPACE}: décochez-en" in page
    assert [int(i) for i in re.findall(r'name="id" value="(\d+)" checked', page)] == ids
    assert "Comparer côte à côte" in page  # untick one, then compare from here
    kept = client.get("/compare?" + "&".join(f"id={i}" for i in ids[1:]))
    assert kept.status_code == 200 and "Boutique en ligne clé en main" in kept.get_data(True)


def test_recommended_offers_follow_the_diagnosis(
    app: Flask, client: FlaskClient, catalogue: dict[str, int]
) -> None:
    """A Lyon company with every need gets the Lyon audit and the remote shop, not Brittany."""
    with app.app_context():
        user = company_user(db.session, department="69")
        submit_diagnosis(db.session, user, user.company, answers("worst"))
        db.session.commit()
        email = user.email
    login(client, email)
    page = client.get("/recommended").get_data(as_text=True)
    assert "Audit de cybersécurité" in page and "Boutique en ligne clé en main" in page
    assert "Site vitrine pour artisans" not in page


def test_recommended_is_for_companies(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        email = provider_user(db.session).email
        db.session.commit()
    assert client.get("/recommended").status_code == 302
    login(client, email)
    assert client.get("/recommended").status_code == 403


def test_search_api(client: FlaskClient, catalogue: dict[str, int]) -> None:
    body = client.get("/api/v1/search?q=boutiq&sort=price_asc").get_json()
    assert body["total"] == 1 and body["hits"][0]["id"] == catalogue["shop"]
    assert "<mark>" in body["hits"][0]["highlights"]["title"]
    assert body["facets"]["needs"] == {"ecommerce": 1}
    assert client.get("/api/v1/search?page_size=500").status_code == 422


def test_search_hits_use_the_offer_names_and_hide_index_internals(
    client: FlaskClient, catalogue: dict[str, int]
) -> None:
    """Does a hit read like GET /offers/{id} (price_excl_vat_cents, ISO dates, provider)?"""
    hit = client.get("/api/v1/search?q=boutiq").get_json()["hits"][0]
    offer = client.get(f"/api/v1/offers/{hit['id']}").get_json()
    for name in ("title", "price_excl_vat_cents", "vat_rate_bp", "provider"):
        assert hit[name] == offer[name], name
    published = datetime.fromisoformat(offer["published_at"]).replace(microsecond=0)
    assert datetime.fromisoformat(hit["published_at"]) == published  # the index keeps seconds
    assert not {"visible_through", "price_cents", "provider_id", "document"} & set(hit)


def test_an_offer_leaves_search_the_day_its_label_lapses(
    app: Flask, client: FlaskClient, catalogue: dict[str, int]
) -> None:
    """The Lyon label ended yesterday; the index was last updated the day before and no expiry
    sweep has run: do the search page and the API still leave the audit out?"""
    yesterday = TODAY - timedelta(days=1)
    with app.app_context():
        offer = db.session.get(Offer, catalogue["audit"])
        offer.provider.current_label.valid_until = yesterday
        # Indexed while still live:
        reindex(db.session(), app.extensions["search"], yesterday, loader=CatalogueLoader())
        db.session.commit()
    assert "Audit de" not in text_of(client, "/search?q=audit")
    assert "Boutique en ligne" in text_of(client, "/search")
    body = client.get("/api/v1/search?q=cybersecurite").get_json()
    assert body["total"] == 0
    assert client.get("/api/v1/search").get_json()["total"] == 2


def test_a_page_past_the_last_goes_to_the_last(client: FlaskClient, catalogue: dict[str, int]):
    """`?page=999` used to say "3 offers", show none and "page 999 of 1"."""
    response = client.get("/search?q=site&page=999&need=online-presence")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/search?q=site&page=1&need=online-presence")


def test_a_total_that_stopped_counting_says_or_more(
    app: Flask, client: FlaskClient, catalogue: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 1,000 hits both backends stop counting: the page must not claim exactly 1,000."""
    real = app.extensions["search"]

    class StoppedCounting:
        def search(self, query: SearchQuery) -> SearchResult:
            return replace(real.search(query), total=MAX_TOTAL_HITS)

    monkeypatch.setitem(app.extensions, "search", StoppedCounting())
    text = client.get("/search").get_data(as_text=True)
    assert "1\u202f000 offres ou plus\xa0: ajoutez des mots ou des filtres pour affiner." in text
    assert "Page 1 sur 50" in text


def test_facet_values_come_in_their_natural_order(client: FlaskClient, catalogue: dict[str, int]):
    """Price bands low to high, not in count order; no "best rated" sort before any rating."""
    text = client.get("/search").get_data(as_text=True)
    bands = re.findall(r'id="f-price-([a-z0-9_]+)"', text)
    order = ["free", "under_500", "500_2000", "2000_5000", "over_5000"]
    assert bands == [band for band in order if band in bands] and len(bands) >= 2
    assert 'value="rating_desc"' not in text


def test_headings_do_not_skip_a_level(client: FlaskClient, catalogue: dict[str, int]) -> None:
    """Screen-reader users move by headings: h1, then h2, then each hit's h3."""
    levels = [
        int(n) for n in re.findall(r"<h([1-6])", client.get("/search").get_data(as_text=True))
    ]
    assert levels[:3] == [1, 2, 3]
    assert all(b - a <= 1 for a, b in pairwise(levels))
