"""Searching the demo catalogue as SMEs type (issue 13): sentences, typos, exact titles.

The demo offers are seeded once for the module, copied into an index of their own, and the
tables emptied again; each test points the app's search at that index and reads the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalog.indexing import CatalogueLoader
from marketplace.demo import seed_demo, seed_demo_offers
from marketplace.extensions import db
from marketplace.mail import LogMailer
from marketplace.search.embedded import EmbeddedBackend
from marketplace.search.recommend import recommendation_queries, recommendations
from marketplace.search.sync import reindex
from tests.conftest import empty_tables


@pytest.fixture(scope="module")
def demo_index(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(tmp_path_factory.mktemp("demo-search") / "index.sqlite3")
    with app.app_context():
        seed_demo(db.session, LogMailer(), date.today())
        seed_demo_offers(db.session, date.today())
        db.session.commit()
        reindex(db.session(), backend, date.today(), loader=CatalogueLoader())
        db.session.rollback()
    empty_tables(app)
    yield backend
    backend.close()


@pytest.fixture
def demo(app: Flask, demo_index: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "search", demo_index)


def page_of(client: FlaskClient, text: str) -> tuple[list[tuple[str, str]], str]:
    """The hits of the search page for `text` as (title, needs badges), and the notice."""
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    hits = []
    for item in re.findall(r'<li class="card offer-hit".*?</li>', body, re.S):
        title = re.search(r"<h3><a [^>]*>(.*?)</a></h3>", item, re.S)
        assert title is not None
        plain = html.unescape(re.sub(r"<[^>]+>", "", title[1])).strip()
        hits.append((plain, item))
    notice = re.search(r'<p class="flash flash-info search-partial">(.*?)</p>', body, re.S)
    return hits, " ".join(html.unescape(notice[1]).split()) if notice else ""


@pytest.mark.usefixtures("demo")
def test_formation_excel_salaries(client: FlaskClient) -> None:
    """No demo offer mentions Excel or employees: training offers, and the page says so."""
    hits, notice = page_of(client, "formation excel salariés")
    assert len(hits) >= 5
    assert all(title.startswith("Formation") for title, _ in hits[:5])
    assert "excel, salariés" in notice


@pytest.mark.usefixtures("demo")
def test_the_api_says_which_words_it_ignored(client: FlaskClient) -> None:
    partial = client.get("/api/v1/search", query_string={"q": "formation excel salariés"})
    assert partial.status_code == 200 and partial.get_json()["ignored_words"] == [
        "excel",
        "salariés",
    ]
    whole = client.get("/api/v1/search", query_string={"q": "formation"}).get_json()
    assert whole["ignored_words"] == [] and whole["total"] > 0


@pytest.mark.usefixtures("demo")
def test_vendre_sur_marketplace_amazon(client: FlaskClient) -> None:
    """ "marketplace" is "places de marché" in the offers; Amazon is in none of them."""
    hits, notice = page_of(client, "vendre sur marketplace amazon")
    assert len(hits) >= 3
    assert all(title.startswith("Vendre sur les places de marché") for title, _ in hits[:3])
    assert notice.endswith("amazon")


@pytest.mark.usefixtures("demo")
def test_logiciel_de_caisse_boulangerie(client: FlaskClient) -> None:
    """The bakery's own offers first, then other offers about a till software."""
    hits, notice = page_of(client, "logiciel de caisse boulangerie")
    assert "boulangeries" in hits[0][0] and len(hits) > 2
    assert notice == ""


@pytest.mark.usefixtures("demo")
def test_comerce_en_ligne(client: FlaskClient) -> None:
    """The typo is corrected, then its synonyms (boutique, vente en ligne, e-commerce) apply."""
    hits, notice = page_of(client, "comerce en ligne")
    assert len(hits) >= 10
    words = ("en ligne", "e-commerce", "boutique")
    assert all(any(w in title.lower() for w in words) for title, _ in hits[:5])
    assert notice == ""


@pytest.mark.usefixtures("demo")
def test_site_vitrine(client: FlaskClient) -> None:
    """The offers named "Site vitrine…" come before those found through "site web"."""
    hits, _notice = page_of(client, "site vitrine")
    assert hits[0][0].startswith("Site vitrine")
    firsts = [i for i, (title, _) in enumerate(hits) if title.startswith("Site vitrine")]
    others = [i for i, (title, _) in enumerate(hits) if "vitrine" not in title.lower()]
    assert firsts and others and max(firsts) < min(others)


def test_a_bakery_gets_the_bakery_offers_first(demo_index: EmbeddedBackend) -> None:
    """The Lyon bakery (NAF 10.71C) was offered an ERP "pour les transporteurs" for its
    management need while "Click & collect… pour les boulangeries-pâtisseries" exists."""
    needs = [{"need": "management"}, {"need": "ecommerce"}]
    queries = recommendation_queries(needs, "84", date.today(), naf_code="10.71C")
    merged = recommendations(demo_index.multi_search(queries), naf_code="10.71C")
    for result in merged:
        assert "boulangeries" in result.hits[0].document["title"]
        assert len(result.hits) == 3  # the need's other offers still fill the places
    plain = recommendations(
        demo_index.multi_search(recommendation_queries(needs, "84", date.today()))
    )
    assert [r.total for r in plain] == [r.total for r in merged]
