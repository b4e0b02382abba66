"""Contract suite fixtures: each search backend available here, loaded with the same offers.

The embedded backend always runs (on a temporary file); Meilisearch only when MEILI_URL points
at a server (MEILI_MASTER_KEY if it needs one), on a throwaway index deleted afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from marketplace.search.backend import SearchBackend
from marketplace.search.documents import OfferFacts, offer_document
from marketplace.search.embedded import EmbeddedBackend

PUBLISHED_FROM = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def offer(
    id: int,
    title: str,
    summary: str,
    description: str,
    category: str,
    *,
    regions: tuple[str, ...],
    mode: str,
    price: int,
    needs: tuple[str, ...] = (),
    kind: str = "expert",
    provider: str = "Studio Lumière",
    rating: int = 0,
    programmes: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("fr",),
    visible_through: date | None = None,
    net_known: bool = True,
) -> dict[str, Any]:
    # Subsidised offers: half the price excl. VAT off the price incl. VAT, so the order after
    # subsidies differs from the order by price.
    rate = 5000 if programmes else 0
    net = price * 12 // 10 - price * rate // 10_000
    return offer_document(
        OfferFacts(
            id=id,
            title=title,
            summary=summary,
            description=description,
            category=category,
            needs=needs,
            provider_id=100 + id % 7,
            provider_name=provider,
            provider_kind=kind,
            regions=regions,
            delivery_mode=mode,
            price_cents=price,
            vat_rate_bp=2000,
            pricing_unit="fixed",
            duration_days=None if id % 4 == 0 else id % 9 + 1,
            languages=languages,
            # Publication order differs from id order, so "newest" is not "highest id".
            published_at=PUBLISHED_FROM + timedelta(days=id * 7 % 23),
            programmes=programmes,
            best_rate_bp=rate,
            net_price_cents=net if net_known else None,
            rating=rating,
            visible_through=visible_through,
        )
    )


OFFERS = [
    offer(1, "Création de site web pour artisans",
          "Un site web clair, rapide et facile à mettre à jour.",
          "Maquette, rédaction des pages, mise en ligne et prise en main de l'outil d'édition.",
          "marketing", regions=("53",), mode="on_site", price=180_000, rating=450,
          programmes=("france-num",), provider="Martin & Associés"),
    offer(2, "Refonte de site internet",
          "Votre site internet modernisé, adapté au mobile.",
          "Audit de l'existant, nouvelle charte graphique et hébergement.",
          "online-presence", regions=("11",), mode="remote", price=350_000, rating=480),
    offer(3, "Boutique en ligne clé en main",
          "Lancez votre e-commerce avec un paiement sécurisé.",
          "Catalogue, livraison et suivi des commandes.",
          "ecommerce", regions=("84", "76"), mode="hybrid", price=420_000, rating=400,
          programmes=("cheque-numerique",), provider="Collectif Ouest"),
    offer(4, "E-commerce : vendre sur les places de marché",
          "Amazon, Cdiscount et autres marketplaces pour élargir vos ventes.",
          "Choix des places de marché, fiches produits et logistique.",
          "ecommerce", needs=("export",), regions=("75",), mode="remote", price=90_000,
          kind="volunteer"),
    offer(5, "Audit de cybersécurité pour TPE",
          "Un diagnostic de vos risques informatiques en une journée.",
          "Mots de passe, sauvegardes, mises à jour et sensibilisation des équipes.",
          "cybersecurity", regions=("11", "24"), mode="on_site", price=150_000, rating=500,
          programmes=("france-num", "cybermalveillance"), provider="Cabinet Roche"),
    offer(6, "Sensibilisation à la sécurité informatique",
          "Atelier de deux heures sur le hameçonnage et les mots de passe.",
          "Exercices pratiques, bonnes habitudes et affiches pour vos locaux.",
          "training", regions=("28",), mode="on_site", price=0, kind="volunteer", rating=470),
    offer(7, "Mise en place d'un CRM",
          "Centralisez vos contacts et suivez vos devis.",
          "Choix de l'outil, import des fichiers clients et formation des équipes.",
          "crm", regions=("52",), mode="remote", price=240_000, rating=420,
          visible_through=date(2026, 6, 30)),
    offer(8, "Gestion de la relation client pour commerçants",
          "Fidélisez vos clients avec des relances automatiques.",
          "Programme de fidélité, emailing et tableau de bord.",
          "crm", regions=("44",), mode="hybrid", price=60_000, rating=380,
          provider="Les Ateliers Bleus", visible_through=date(2026, 12, 31)),
    offer(9, "Mise en conformité RGPD",
          "Registre des traitements, mentions légales et consentement.",
          "Accompagnement par un juriste spécialisé en protection des données.",
          "data-ai", regions=("11",), mode="remote", price=200_000, rating=460,
          programmes=("france-num",), provider="Cabinet Roche"),
    offer(10, "GDPR awareness training",
          "Half-day workshop for teams handling customer data.",
          "Personal data, consent and breach notification explained in English.",
          "training", regions=("93",), mode="remote", price=45_000, kind="volunteer",
          languages=("en",)),
    offer(11, "Référencement naturel local",
          "Soyez visible sur Google dans votre ville.",
          "Mots-clés, fiche d'établissement et contenus optimisés.",
          "marketing", regions=("76",), mode="remote", price=120_000, rating=430),
    offer(12, "Campagnes sur les réseaux sociaux",
          "Publicité ciblée sur Facebook, Instagram et LinkedIn.",
          "Stratégie éditoriale, création des visuels et rapports mensuels.",
          "marketing", regions=("32",), mode="hybrid", price=300_000, rating=410,
          provider="Agence Horizon"),
    offer(13, "Vendre à l'international en ligne",
          "Traduction du catalogue et marketplaces européennes.",
          "TVA OSS, SEO multilingue et paiement multidevise.",
          "export", regions=("53", "52"), mode="remote", price=500_000, rating=440,
          languages=("en", "fr")),
    offer(14, "Formation aux outils numériques",
          "Prise en main des outils bureautiques et collaboratifs.",
          "Messagerie, agenda partagé, stockage en ligne et visioconférence.",
          "training", regions=("27",), mode="on_site", price=80_000, rating=490,
          programmes=("opco",)),
    offer(15, "Formation e-commerce pour débutants",
          "Apprenez à gérer votre boutique en ligne.",
          "Catalogue, photos produits, paiements et expédition.",
          "training", needs=("ecommerce",), regions=("84",), mode="hybrid", price=49_999,
          rating=350, programmes=("opco",), provider="Collectif Ouest"),
    offer(16, "Numérique responsable : diagnostic",
          "Mesurez l'empreinte de votre parc informatique.",
          "Inventaire, allongement de la durée de vie du matériel et achats reconditionnés.",
          "green", regions=("75", "76"), mode="remote", price=110_000, rating=470,
          programmes=("ademe",)),
    offer(17, "Sobriété numérique au bureau",
          "Des gestes simples pour réduire votre consommation.",
          "Atelier collectif, affiches et plan d'action.",
          "green", regions=("01",), mode="on_site", price=0, kind="volunteer"),
    offer(18, "Sauvegarde et reprise d'activité",
          "Ne perdez plus jamais vos fichiers.",
          "Copies automatiques chiffrées, tests de restauration et plan de continuité.",
          "cybersecurity", regions=("44", "32"), mode="remote", price=75_000, rating=455),
    offer(19, "Logiciel de facturation électronique",
          "Préparez-vous à la facture électronique obligatoire.",
          "Paramétrage, reprise des clients et formation.",
          "management", regions=("24",), mode="hybrid", price=130_000, rating=440),
    offer(20, "Tableau de bord et intelligence artificielle",
          "Exploitez vos données de vente.",
          "Connexion à la caisse, indicateurs clés et prévisions.",
          "data-ai", regions=("11", "84"), mode="on_site", price=650_000, rating=400,
          provider="Agence Horizon"),
    offer(21, "Hébergement et nom de domaine",
          "Un hébergement sécurisé pour votre site.",
          "Nom de domaine, certificats et adresses électroniques.",
          "online-presence", regions=("94",), mode="remote", price=30_000, net_known=False),
]  # fmt: skip


# Meilisearch is not even generated without a server; test_meilisearch_is_configured says so once.
BACKENDS = ["embedded", *(["meilisearch"] if os.environ.get("MEILI_URL") else [])]


@contextmanager
def _new_backend(kind: str, folder: Path) -> Iterator[SearchBackend]:
    if kind == "embedded":
        embedded = EmbeddedBackend(folder / "search-index.sqlite3")
        try:
            yield embedded
        finally:
            embedded.close()
        return
    from marketplace.search.meili import MeiliBackend

    meili = MeiliBackend(
        url=os.environ["MEILI_URL"],
        api_key=os.environ.get("MEILI_MASTER_KEY") or None,
        index_uid=f"test_offers_{uuid.uuid4().hex[:12]}",
        timeout=5.0,
    )
    try:
        yield meili
    finally:
        meili.drop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchBackend]:
    """A backend holding OFFERS, shared by the read-only tests of a module."""
    with _new_backend(request.param, tmp_path_factory.mktemp("search")) as loaded:
        loaded.apply_settings()
        loaded.upsert(OFFERS)
        yield loaded


@pytest.fixture(params=BACKENDS)
def writable_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchBackend]:
    """A backend holding OFFERS, for one test that changes it."""
    with _new_backend(request.param, tmp_path) as loaded:
        loaded.apply_settings()
        loaded.upsert(OFFERS)
        yield loaded


@pytest.fixture(scope="session")
def offers() -> dict[int, dict[str, Any]]:
    """The documents the backends hold, by id."""
    return {document["id"]: document for document in OFFERS}
