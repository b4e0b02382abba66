"""Subsidy programmes reach the search index: each document holds the programmes that can
apply to its offer, the best rate and the price after subsidies, and a programme's change
re-indexes the offers it touches (through its outbox job)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.programmes import programme_data, update_programme
from marketplace.catalog.indexing import CatalogueLoader, programme_categories
from marketplace.extensions import db
from marketplace.search.query import SearchQuery
from marketplace.search.sync import check, process_outbox
from tests.factories import admin_user, programme, provider_user, published_offer

TODAY = date.today()
LOADER = CatalogueLoader()


def sync(app: Flask) -> None:
    process_outbox(db.session(), app.extensions["search"], TODAY, loader=LOADER)
    db.session.commit()


def facet(app: Flask) -> dict[str, int]:
    return app.extensions["search"].search(SearchQuery()).facets["programmes"]


def catalogue(app: Flask) -> dict[str, int]:
    """A 4,000 € website (20 % VAT) and a 1,000 € CRM set-up, indexed before any programme."""
    with app.app_context():
        admin = admin_user(db.session)
        web = provider_user(db.session, name="Studio Web")
        crm = provider_user(db.session, name="Relation Client")
        ids = {
            "website": published_offer(db.session, web, admin).id,
            "crm": published_offer(
                db.session,
                crm,
                admin,
                title="Mise en place d'un CRM",
                category="crm",
                needs=["crm"],
                price_excl_vat_cents=100_000,
            ).id,
            "admin": admin.id,
        }
        db.session.commit()
        sync(app)
        return ids


def test_a_new_programme_appears_in_the_facet_after_the_sync(app: Flask) -> None:
    ids = catalogue(app)
    assert facet(app) == {}
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        programme(db.session, admin, code="france-num", cap_per_booking_cents=150_000)
        db.session.commit()
        sync(app)
        documents = app.extensions["search"].documents()
        assert check(db.session, app.extensions["search"], TODAY, loader=LOADER).clean
    assert facet(app) == {"france-num": 2}
    website, crm = documents[ids["website"]], documents[ids["crm"]]
    # 50 % of 4,000 € capped at 1,500 €: 37.5 %; the company pays 4,800 € - 1,500 €.
    assert (website["best_rate_bp"], website["net_price_cents"]) == (3750, 330_000)
    assert (crm["best_rate_bp"], crm["net_price_cents"]) == (5000, 70_000)
    assert website["programmes"] == ["france-num"]
    found = app.extensions["search"].search(SearchQuery(programmes=("france-num",)))
    assert found.total == 2
    by_net = app.extensions["search"].search(SearchQuery(sort="net_price_asc"))
    assert [hit.id for hit in by_net.hits] == [ids["crm"], ids["website"]]


def test_a_programme_of_some_categories_touches_their_offers_only(app: Flask) -> None:
    ids = catalogue(app)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        crm_only = programme(db.session, admin, code="crm-pass", categories=["crm"])
        assert programme_categories(db.session, [crm_only.id]) == {"crm"}
        touched = LOADER.offers_of_programmes(db.session, [crm_only.id], TODAY)
        assert set(touched) == {ids["crm"]}
        db.session.commit()
        sync(app)
    assert facet(app) == {"crm-pass": 1}


def test_a_category_a_programme_drops_loses_its_code(app: Flask) -> None:
    """Narrowed from every category to the CRM, does the website lose the programme? (Its
    audit trail says it once covered everything.)"""
    ids = catalogue(app)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        every = programme(db.session, admin, code="large")
        db.session.commit()
        sync(app)
        assert facet(app) == {"large": 2}
        every = db.session.scalar(select(SubsidyProgramme).where(SubsidyProgramme.code == "large"))
        assert every is not None
        narrowed = replace(programme_data(every), categories=["crm"])
        update_programme(db.session, admin, every, narrowed)
        assert programme_categories(db.session, [every.id]) is None  # it once covered all
        db.session.commit()
        sync(app)
        documents = app.extensions["search"].documents()
    assert facet(app) == {"large": 1}
    assert documents[ids["website"]]["programmes"] == []
    assert documents[ids["website"]]["best_rate_bp"] == 0
    assert documents[ids["website"]]["net_price_cents"] == 480_000  # no subsidy: 4,000 € + VAT


def test_categories_kept_in_the_audit_trail_count(app: Flask) -> None:
    """Moved from the CRM to marketing, are CRM offers still touched (to lose the code)?"""
    ids = catalogue(app)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        moving = programme(db.session, admin, code="mobile", categories=["crm"])
        update_programme(
            db.session, admin, moving, replace(programme_data(moving), categories=["marketing"])
        )
        assert programme_categories(db.session, [moving.id]) == {"crm", "marketing"}
        assert set(LOADER.offers_of_programmes(db.session, [moving.id], TODAY)) == {ids["crm"]}
        assert programme_categories(db.session, []) == set()
        assert programme_categories(db.session, [moving.id + 1000]) is None  # unknown
        db.session.rollback()


def test_the_search_api_returns_each_hits_best_case(app: Flask) -> None:
    """Do API clients get the badge and the sort key the pages show?"""
    ids = catalogue(app)
    with app.app_context():
        admin = db.session.get(User, ids["admin"])
        programme(db.session, admin, code="france-num", cap_per_booking_cents=150_000)
        db.session.commit()
        sync(app)
    body = app.test_client().get("/api/v1/search?sort=net_price_asc").get_json()
    assert [(h["id"], h["best_rate_bp"], h["net_price_cents"]) for h in body["hits"]] == [
        (ids["crm"], 5000, 70_000),
        (ids["website"], 3750, 330_000),
    ]
    assert body["hits"][0]["programmes"] == ["france-num"]
