"""Demo offers: about 300, through the services, realistic, deterministic and idempotent."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import ProviderKind
from marketplace.catalog.indexing import indexable, offers_to_index
from marketplace.catalog.models import Offer, OfferStatus
from marketplace.demo import seed_demo, seed_demo_offers
from marketplace.demo.offers import TARGET_OFFERS
from marketplace.extensions import db
from marketplace.mail import LogMailer
from marketplace.search.outbox import OFFER, SearchJob

SEARCHED_WORDS = (
    "site web",
    "site vitrine",
    "boutique en ligne",
    "e-commerce",
    "commerce en ligne",
    "cybersécurité",
    "sauvegarde",
    "rgpd",
    "crm",
    "référencement",
    "facturation électronique",
    "export",
)


def test_demo_offers_are_published_varied_and_idempotent(app: Flask) -> None:
    today = date.today()
    with app.app_context():
        seed_demo(db.session, LogMailer(), today)
        assert seed_demo_offers(db.session, today) == (TARGET_OFFERS, 0)
        db.session.commit()
        assert seed_demo_offers(db.session, today) == (0, TARGET_OFFERS)

        offers = db.session.scalars(select(Offer)).all()
        assert len(offers) == TARGET_OFFERS
        assert {o.status for o in offers} == {OfferStatus.PUBLISHED}
        assert all(indexable(o, today) for o in offers)
        assert len(list(offers_to_index(db.session, today))) == TARGET_OFFERS
        jobs = db.session.scalars(select(SearchJob).where(SearchJob.kind == OFFER)).all()
        assert {j.entity_id for j in jobs} == {o.id for o in offers}  # every one is queued

        per_provider = Counter((o.provider_id, o.title) for o in offers)
        assert max(per_provider.values()) == 1  # titles are unique per provider
        assert len({o.title for o in offers}) > 200  # and varied across providers
        assert len({o.provider_id for o in offers}) >= 10
        assert len({o.category_code for o in offers}) == 10
        assert len({o.price_excl_vat_cents for o in offers}) > 100
        for o in offers:
            if o.provider.kind == ProviderKind.VOLUNTEER:
                assert o.price_excl_vat_cents == 0 and o.title.startswith("Atelier découverte")
            else:
                assert o.price_excl_vat_cents > 0
                assert o.category_code in o.provider.current_label.category_codes  # type: ignore[union-attr]
        texts = [f"{o.title} {o.summary} {o.description}".lower() for o in offers]
        for word in SEARCHED_WORDS:
            assert sum(word in text for text in texts) >= 5, word
        db.session.rollback()


def test_demo_offers_are_deterministic(app: Flask) -> None:
    today = date.today()
    with app.app_context():
        seed_demo(db.session, LogMailer(), today)
        seed_demo_offers(db.session, today)
        first = [
            (o.title, o.price_excl_vat_cents, o.region_codes)
            for o in db.session.scalars(select(Offer).order_by(Offer.id))
        ]
        db.session.rollback()
        seed_demo(db.session, LogMailer(), today)
        seed_demo_offers(db.session, today)
        second = [
            (o.title, o.price_excl_vat_cents, o.region_codes)
            for o in db.session.scalars(select(Offer).order_by(Offer.id))
        ]
        assert first == second
        db.session.rollback()
