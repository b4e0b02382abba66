"""The search contract: what every backend must answer, per marketplace.search.query.

Each test runs against every available backend (see conftest.py). Expectations on filters,
facets and sorts are computed in Python from the raw documents; text expectations check their
own premises first (a synonym test fails if the document also contains the query's words).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from marketplace.search.backend import SearchBackend, SearchError
from marketplace.search.embedded import EmbeddedBackend
from marketplace.search.query import FACETS, HIGHLIGHT_POST, HIGHLIGHT_PRE, SearchQuery
from marketplace.search.settings import SEARCHABLE_ATTRIBUTES
from marketplace.search.text import tokens
from tests.contract.conftest import OFFERS

OFFERS_BY_ID = {document["id"]: document for document in OFFERS}

Documents = dict[int, dict[str, Any]]


def test_meilisearch_is_configured() -> None:
    """Says once why the Meilisearch half of the suite did not run."""
    if not os.environ.get("MEILI_URL"):
        pytest.skip("MEILI_URL is not set: the contract ran against the embedded backend only")


def search(backend: SearchBackend, text: str = "", **filters: Any) -> list[int]:
    """The ids of every hit, in order."""
    result = backend.search(SearchQuery(text=text, per_page=100, **filters))
    assert result.total == len(result.hits)
    return [hit.id for hit in result.hits]


def found(backend: SearchBackend, text: str = "", **filters: Any) -> set[int]:
    return set(search(backend, text, **filters))


def words_of(document: dict[str, Any]) -> list[str]:
    """The searchable words of a document, normalized."""
    words: list[str] = []
    for name in SEARCHABLE_ATTRIBUTES:
        value = document[name]
        for text in value if isinstance(value, list) else [value]:
            words += tokens(str(text))
    return words


def contains(document: dict[str, Any], phrase: str) -> bool:
    """Whether the document's searchable text holds these words next to each other."""
    words, wanted = words_of(document), tokens(phrase)
    return any(words[i : i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


def matching(offers: Documents, keep: Any) -> set[int]:
    return {id_ for id_, document in offers.items() if keep(document)}


# --- Text ---------------------------------------------------------------------------------------


def test_a_title_match_ranks_before_a_description_match(
    backend: SearchBackend, offers: Documents
) -> None:
    """Does an offer named after the query come before one that only mentions it?"""
    assert "hebergement" in tokens(offers[21]["title"])
    assert "hebergement" not in tokens(offers[2]["title"] + " " + offers[2]["summary"])
    assert "hebergement" in tokens(offers[2]["description"])
    ids = search(backend, "hébergement")
    assert set(ids) == {2, 21}
    assert ids.index(21) < ids.index(2)


def test_accents_and_case_are_ignored(backend: SearchBackend) -> None:
    plain = found(backend, "cybersecurite")
    assert 5 in plain
    assert found(backend, "CYBERSÉCURITÉ") == plain
    assert found(backend, "Cybersécurité") == plain


def test_one_typo_from_five_letters(backend: SearchBackend) -> None:
    """Does "comerce en ligne" (one letter missing) still find the e-commerce offers?"""
    assert {3, 4, 15} <= found(backend, "comerce en ligne")
    assert 5 in found(backend, "cybersecurte")


def test_no_typo_below_five_letters(backend: SearchBackend) -> None:
    assert {1, 2} <= found(backend, "site web")
    assert found(backend, "sote web") == set()


def test_two_typos_from_nine_letters_but_not_in_eight(backend: SearchBackend) -> None:
    assert {14, 15} <= found(backend, "fornatoon")  # "formation", 9 letters, 2 typos
    assert {3, 15} <= found(backend, "boutiqie en ligne")  # "boutique", 8 letters, 1 typo
    assert found(backend, "bontiqie en ligne") == set()  # 8 letters, 2 typos


def test_swapped_letters_are_one_typo(backend: SearchBackend) -> None:
    assert {3, 15} <= found(backend, "boutqiue en ligne")


def test_a_typo_on_the_first_letter_counts_twice(backend: SearchBackend) -> None:
    assert found(backend, "voutique en ligne") == set()  # 8 letters: one typo allowed
    assert 5 in found(backend, "vybersecurite")  # 13 letters: two allowed


def test_the_last_word_matches_as_a_prefix(backend: SearchBackend) -> None:
    assert {3, 15} <= found(backend, "boutiq")
    assert found(backend, "boutiq en ligne") == set()  # only the last word is a prefix


@pytest.mark.parametrize(
    ("query", "document_id", "says"),
    [
        ("site internet", 1, "site web"),
        ("site web", 2, "site internet"),
        ("rgpd", 10, "GDPR"),
        ("gdpr", 9, "RGPD"),
        ("cybersécurité", 6, "sécurité informatique"),
        ("seo", 11, "référencement"),
        ("référencement", 13, "SEO"),
        ("ecommerce", 15, "e-commerce"),
    ],
)
def test_synonyms_match_both_ways(
    backend: SearchBackend, offers: Documents, query: str, document_id: int, says: str
) -> None:
    """Is an offer found by a synonym of what it says, and only that?"""
    document = offers[document_id]
    assert contains(document, says)
    assert not set(tokens(query)) <= set(words_of(document))
    assert document_id in found(backend, query)


def test_offers_with_every_word_come_first_then_fewer_words_from_the_end(
    backend: SearchBackend,
) -> None:
    """Does "audit sauvegarde" put the one offer with both words first, then the other
    audits (Meilisearch's "last" strategy), and say nothing was ignored?"""
    assert found(backend, "audit") >= {2, 5}
    ids = search(backend, "audit sauvegarde")
    assert ids[0] == 5 and set(ids) == found(backend, "audit")
    assert backend.search(SearchQuery(text="audit sauvegarde")).ignored_words == ()


def test_words_rank_before_a_chosen_sort(backend: SearchBackend, offers: Documents) -> None:
    """The most expensive audit is 2, yet 5 (both words) comes first by price too."""
    assert offers[2]["price_cents"] > offers[5]["price_cents"]
    assert search(backend, "audit sauvegarde", sort="price_desc")[0] == 5


def test_partial_matches_say_which_words_were_ignored(backend: SearchBackend) -> None:
    """No offer has "audit sauvegarde licorne dragon": the audits with "sauvegarde" first, the
    page names the two words left out, as typed."""
    result = backend.search(SearchQuery(text="Audit sauvegarde Licorne dragon", per_page=100))
    assert result.ignored_words == ("Licorne", "dragon")
    assert result.hits[0].id == 5
    assert {hit.id for hit in result.hits} == found(backend, "audit")
    assert backend.search(SearchQuery(text="audit licorne")).ignored_words == ("licorne",)


def test_the_first_word_must_match(backend: SearchBackend) -> None:
    """Words are dropped from the end, never the first one."""
    assert found(backend, "licorne audit") == set()
    assert backend.search(SearchQuery(text="licorne audit")).ignored_words == ()


def test_stop_words_are_dropped(backend: SearchBackend, offers: Documents) -> None:
    """Does "sauvegarde des mots de passe" find what "sauvegarde mots passe" finds, though
    offer 18 (about backups) has no "des"?"""
    assert "des" not in words_of(offers[18])
    typed = backend.search(SearchQuery(text="la sauvegarde des mots de passe", per_page=100))
    assert typed.ignored_words == ()
    plain = search(backend, "sauvegarde mots passe")
    assert [hit.id for hit in typed.hits] == plain
    assert plain[0] == 5  # the one with every word


def test_stop_words_inside_a_synonym_phrase_still_count(backend: SearchBackend) -> None:
    """ "place de marché" is a phrase: its "de" is no stop word there."""
    assert 4 in found(backend, "marketplace")
    assert found(backend, "marketplace") == found(backend, "place de marché")


def test_synonyms_of_the_corrected_words(writable_backend: SearchBackend) -> None:
    """ "comerce en ligne" corrects to "commerce en ligne", whose synonym "vente en ligne" is
    all offer 60 says: is it found, with every word?"""
    sales = {
        **OFFERS_BY_ID[17],
        "id": 60,
        "title": "Vente en ligne pour producteurs",
        "summary": "Vos produits en vente directe.",
        "description": "Catalogue et livraison.",
    }
    writable_backend.upsert([sales])
    assert 60 not in found(writable_backend, "comerce")
    result = writable_backend.search(SearchQuery(text="comerce en ligne", per_page=100))
    assert 60 in {hit.id for hit in result.hits} and result.ignored_words == ()


def test_words_side_by_side_rank_first(writable_backend: SearchBackend) -> None:
    """Two titles with "site" and "web", the newer with the words apart: does the one with
    "site web" come first (proximity)?"""
    apart = {**OFFERS_BY_ID[17], "id": 61, "title": "Site pour vendre sur le web",
             "published_at": 1_900_000_000}  # fmt: skip
    together = {**OFFERS_BY_ID[17], "id": 62, "title": "Votre site web",
                "published_at": 1_800_000_000}  # fmt: skip
    writable_backend.upsert([apart, together])
    ids = search(writable_backend, "site web")
    assert ids.index(62) < ids.index(61)


def test_own_words_rank_before_synonyms(backend: SearchBackend, offers: Documents) -> None:
    """ "gdpr": offer 10 says GDPR, offer 9 (newer) says RGPD; both in the title."""
    assert offers[9]["published_at"] > offers[10]["published_at"]
    ids = search(backend, "gdpr")
    assert ids.index(10) < ids.index(9)


def test_an_attribute_opening_with_the_query_ranks_first(writable_backend: SearchBackend) -> None:
    """Offer 5's title opens with "Audit"; a newer offer has it further in."""
    later = {**OFFERS_BY_ID[17], "id": 64, "title": "Un premier audit informatique",
             "published_at": 1_900_000_000}  # fmt: skip
    writable_backend.upsert([later])
    ids = search(writable_backend, "audit")
    assert ids.index(5) < ids.index(64)


def test_ties_are_newest_first(backend: SearchBackend, offers: Documents) -> None:
    """Offers equal for every rule (here: the free ones, sorted by price) come newest first."""
    free = [i for i in search(backend, sort="price_asc") if offers[i]["price_cents"] == 0]
    assert len(free) == 2
    assert free == sorted(free, key=lambda i: offers[i]["published_at"], reverse=True)


def test_query_syntax_is_just_text(backend: SearchBackend) -> None:
    """Can no query text break the search (quotes, operators, brackets, stars)?"""
    for text in ['"', "site OR", "AND", "NEAR(site", "(", "*", "-web", "title:site", "^site", "'"]:
        backend.search(SearchQuery(text=text))
    assert {1, 2} <= found(backend, '"site" web')


def test_text_without_words_browses_everything(backend: SearchBackend) -> None:
    assert found(backend, " - ") == set(found(backend))


# --- Filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({"needs": ("ecommerce",)}, lambda d: "ecommerce" in d["needs"]),
        ({"needs": ("ecommerce", "export")}, lambda d: {"ecommerce", "export"} & set(d["needs"])),
        ({"categories": ("training",)}, lambda d: d["category"] == "training"),
        ({"regions": ("11", "84")}, lambda d: {"11", "84"} & set(d["regions"])),
        (
            {"regions": ("11",), "include_remote": True},
            lambda d: "11" in d["regions"] or d["remote"],
        ),
        ({"delivery_modes": ("on_site",)}, lambda d: d["delivery_mode"] == "on_site"),
        ({"delivery_modes": ("on_site", "hybrid")}, lambda d: d["delivery_mode"] != "remote"),
        ({"provider_kinds": ("volunteer",)}, lambda d: d["provider_kind"] == "volunteer"),
        ({"languages": ("en",)}, lambda d: "en" in d["languages"]),
        (
            {"programmes": ("france-num", "opco")},
            lambda d: {"france-num", "opco"} & set(d["programmes"]),
        ),
        (
            {"price_bands": ("free", "under_500")},
            lambda d: d["price_band"] in ("free", "under_500"),
        ),
        (
            {"rating_bands": ("4_plus", "unrated")},
            lambda d: d["rating"] >= 400 or d["rating"] == 0,
        ),
        ({"rating_bands": ("3_to_4",)}, lambda d: 300 <= d["rating"] < 400),
        (
            {"price_min_cents": 49_999, "price_max_cents": 200_000},  # both bounds inclusive
            lambda d: 49_999 <= d["price_cents"] <= 200_000,
        ),
        ({"price_max_cents": 0}, lambda d: d["price_cents"] == 0),
        (
            {
                "needs": ("training", "ecommerce"),
                "regions": ("84",),
                "include_remote": True,
                "price_max_cents": 100_000,
            },
            lambda d: (
                {"training", "ecommerce"} & set(d["needs"])
                and ("84" in d["regions"] or d["remote"])
                and d["price_cents"] <= 100_000
            ),
        ),
    ],
)
def test_filters(
    backend: SearchBackend, offers: Documents, filters: dict[str, Any], keep: Any
) -> None:
    """OR inside a filter, AND across filters."""
    expected = matching(offers, keep)
    assert expected and expected != set(offers), "the filter should keep some offers, not all"
    assert found(backend, **filters) == expected


def test_remote_alone_is_no_filter(backend: SearchBackend, offers: Documents) -> None:
    """`include_remote` widens a region filter; without regions there is nothing to widen."""
    assert found(backend, include_remote=True) == set(offers)


def test_offers_leave_the_results_the_day_after_their_last_visible_day(
    writable_backend: SearchBackend, offers: Documents
) -> None:
    """Offer 7's label ends on 30 June 2026 and offer 8's on 31 December; a document indexed
    before `visible_through` existed (offer 9 here) stays visible."""
    legacy = {key: value for key, value in offers[9].items() if key != "visible_through"}
    writable_backend.upsert([legacy])
    assert found(writable_backend, visible_on=20260630) == set(offers)
    assert found(writable_backend, visible_on=20260701) == set(offers) - {7}
    assert found(writable_backend, visible_on=20270101) == set(offers) - {7, 8}
    crm = found(writable_backend, "crm")
    assert {7, 8} <= crm
    assert found(writable_backend, "crm", visible_on=20270101) == crm - {7, 8}


def test_filters_apply_to_text_searches(backend: SearchBackend, offers: Documents) -> None:
    everywhere = found(backend, "formation")
    remote = found(backend, "formation", delivery_modes=("remote",))
    assert remote == {i for i in everywhere if offers[i]["delivery_mode"] == "remote"}
    assert remote and remote != everywhere


# --- Facets -------------------------------------------------------------------------------------


def expected_facets(offers: Documents, ids: set[int]) -> dict[str, dict[str, int]]:
    facets: dict[str, dict[str, int]] = {}
    for name in FACETS:
        counts: Counter[str] = Counter()
        for id_ in ids:
            value = offers[id_][name]
            counts.update(value if isinstance(value, list) else [value])
        facets[name] = dict(counts)
    return facets


@pytest.mark.parametrize(
    ("text", "filters"),
    [
        ("", {}),
        ("formation", {}),
        ("", {"regions": ("11",), "include_remote": True}),
        ("en ligne", {"price_max_cents": 300_000}),
    ],
)
def test_facet_counts_cover_every_hit(
    backend: SearchBackend, offers: Documents, text: str, filters: dict[str, Any]
) -> None:
    """Are facet counts over the whole result, not just the page shown?"""
    ids = found(backend, text, **filters)
    result = backend.search(SearchQuery(text=text, per_page=2, **filters))
    assert len(ids) > 2
    assert result.facets == expected_facets(offers, ids)


def test_only_the_facets_asked_are_counted(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(facets=("needs", "price_band")))
    assert set(result.facets) == {"needs", "price_band"}
    assert backend.search(SearchQuery(facets=())).facets == {}


# --- Sorting and pagination ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("price_asc", "price_cents", False),
        ("price_desc", "price_cents", True),
        ("rating_desc", "rating", True),
        ("newest", "published_at", True),
    ],
)
@pytest.mark.parametrize("text", ["", "formation"])
def test_sorts(
    backend: SearchBackend, offers: Documents, text: str, sort: str, key: str, descending: bool
) -> None:
    """Is a chosen sort strict, with text too (not merely a tie-break after relevance)?"""
    ids = search(backend, text, sort=sort)
    values = [offers[i][key] for i in ids]
    assert len(set(values)) > 2
    assert values == sorted(values, reverse=descending)
    assert set(ids) == found(backend, text)


@pytest.mark.parametrize("text", ["", "formation"])
def test_price_after_subsidies_sorts_unknown_prices_last(
    backend: SearchBackend, offers: Documents, text: str
) -> None:
    """Is the "price after subsidies" sort ascending, offers without that price last?"""
    ids = search(backend, text, sort="net_price_asc")
    known = [i for i in ids if "net_price_cents" in offers[i]]
    values = [offers[i]["net_price_cents"] for i in known]
    assert values == sorted(values)
    assert ids[len(known) :] == [i for i in ids if "net_price_cents" not in offers[i]]
    assert set(ids) == found(backend, text)
    if not text:
        assert ids[-1] == 21  # the one offer without it
        assert known != sorted(known, key=lambda i: offers[i]["price_cents"])  # not by price


def test_pages(backend: SearchBackend, offers: Documents) -> None:
    everything = search(backend, sort="price_asc")
    assert len(everything) == len(offers)
    pages = [
        backend.search(SearchQuery(sort="price_asc", page=n, per_page=5)) for n in (1, 2, 3, 4, 5)
    ]
    assert [page.total for page in pages] == [len(offers)] * 5
    assert [page.pages for page in pages] == [5] * 5
    assert [len(page.hits) for page in pages] == [5, 5, 5, 5, 1]
    assert [hit.id for page in pages for hit in page.hits] == everything
    beyond = backend.search(SearchQuery(sort="price_asc", page=6, per_page=5))
    assert (beyond.hits, beyond.total, beyond.page) == ([], len(offers), 6)


def test_no_hits(backend: SearchBackend) -> None:
    result = backend.search(SearchQuery(text="licorne"))
    assert (result.hits, result.total, result.pages) == ([], 0, 0)
    assert all(counts == {} for counts in result.facets.values())


# --- Hits ---------------------------------------------------------------------------------------


def test_hits_carry_their_document(backend: SearchBackend, offers: Documents) -> None:
    result = backend.search(SearchQuery(text="gdpr", per_page=100))
    assert result.hits
    for hit in result.hits:
        assert hit.document == offers[hit.id]


def test_highlights_mark_the_matched_words(backend: SearchBackend, offers: Documents) -> None:
    result = backend.search(SearchQuery(text="cybersécurité", per_page=100))
    hit = next(hit for hit in result.hits if hit.id == 5)
    assert f"{HIGHLIGHT_PRE}cybersécurité{HIGHLIGHT_POST}" in hit.highlights["title"]
    for hit in result.hits:
        for name, text in hit.highlights.items():
            assert name in ("title", "summary")
            assert HIGHLIGHT_PRE in text
            # Markers only: the text itself is unchanged.
            assert (
                text.replace(HIGHLIGHT_PRE, "").replace(HIGHLIGHT_POST, "") == offers[hit.id][name]
            )


def test_multi_search_answers_in_order(backend: SearchBackend) -> None:
    queries = [
        SearchQuery(text="formation", sort="rating_desc"),
        SearchQuery(needs=("crm",), facets=("regions",)),
        SearchQuery(text="licorne"),
        SearchQuery(regions=("11",), include_remote=True, per_page=3, page=2),
    ]
    results = backend.multi_search(queries)
    assert len(results) == len(queries)
    for query, result in zip(queries, results, strict=True):
        alone = backend.search(query)
        assert [hit.id for hit in result.hits] == [hit.id for hit in alone.hits]
        assert (result.total, result.page, result.facets) == (alone.total, alone.page, alone.facets)
    assert backend.multi_search([]) == []


# --- Writes -------------------------------------------------------------------------------------


def test_documents_round_trip(backend: SearchBackend, offers: Documents) -> None:
    assert backend.documents() == offers


def test_upsert_replaces_a_document(writable_backend: SearchBackend, offers: Documents) -> None:
    changed = {**offers[8], "title": "Fichier clients et licornes", "price_cents": 1_000}
    writable_backend.upsert([changed])
    assert found(writable_backend, "licorne") == {8}
    assert 8 not in found(writable_backend, "commerçants")
    assert found(writable_backend, price_min_cents=1, price_max_cents=1_000) == {8}
    assert writable_backend.documents() == {**offers, 8: changed}


def test_upsert_adds_documents(writable_backend: SearchBackend, offers: Documents) -> None:
    """Are new words searchable at once, typos included (no stale vocabulary)?"""
    assert found(writable_backend, "licornnes") == set()
    new = {**offers[3], "id": 99, "title": "Boutique de licornes"}
    writable_backend.upsert([new])
    assert found(writable_backend, "licornes") == {99}
    assert found(writable_backend, "licornnes") == {99}
    assert writable_backend.documents() == {**offers, 99: new}


def test_a_rejected_document_rejects_its_whole_batch(
    writable_backend: SearchBackend, offers: Documents
) -> None:
    changed = {**offers[8], "title": "Licornes"}
    with pytest.raises(SearchError):
        writable_backend.upsert([changed, {**offers[9], "id": "1 2"}])
    assert writable_backend.documents() == offers


def test_delete_removes_documents(writable_backend: SearchBackend, offers: Documents) -> None:
    writable_backend.delete([5, 18, 12345])  # an unknown id is ignored
    assert found(writable_backend, "cybersecurite").isdisjoint({5, 18})
    assert set(writable_backend.documents()) == set(offers) - {5, 18}
    facets = writable_backend.search(SearchQuery()).facets
    assert "cybersecurity" not in facets["category"]


def test_rebuild_replaces_everything(writable_backend: SearchBackend, offers: Documents) -> None:
    kept = [offers[i] for i in (1, 2, 3)]
    new = {**offers[4], "id": 50, "title": "Licornes en ligne"}
    assert writable_backend.rebuild(iter([*kept, new])) == 4
    assert writable_backend.documents() == {1: offers[1], 2: offers[2], 3: offers[3], 50: new}
    assert found(writable_backend) == {1, 2, 3, 50}
    assert found(writable_backend, "cybersecurite") == set()
    assert found(writable_backend, "licornes") == {50}
    assert found(writable_backend, "licornnes") == {50}  # typos over the new words
    assert writable_backend.rebuild([]) == 0
    assert found(writable_backend) == set()


def test_a_failed_rebuild_leaves_the_index_as_it_was(
    writable_backend: SearchBackend, offers: Documents
) -> None:
    def failing() -> Iterator[dict[str, Any]]:
        yield {**offers[1], "title": "Licornes"}
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        writable_backend.rebuild(failing())
    assert writable_backend.documents() == offers
    assert found(writable_backend, "licornes") == set()


# --- Embedded backend only ----------------------------------------------------------------------


@pytest.fixture
def embedded(tmp_path: Path, offers: Documents) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(tmp_path / "index.sqlite3")
    backend.upsert(offers.values())
    yield backend
    backend.close()


def test_embedded_browsing_lists_newest_first(embedded: EmbeddedBackend, offers: Documents) -> None:
    ids = search(embedded)
    assert ids == sorted(offers, key=lambda i: (offers[i]["published_at"], i), reverse=True)


def test_embedded_pages_stop_at_max_total_hits(tmp_path: Path, offers: Documents) -> None:
    backend = EmbeddedBackend(tmp_path / "index.sqlite3", max_total_hits=7)
    backend.upsert(offers.values())
    pages = [backend.search(SearchQuery(page=n, per_page=5)) for n in (1, 2, 3)]
    assert [len(page.hits) for page in pages] == [5, 2, 0]
    assert len(offers) > 7 and {page.total for page in pages} == {7}  # as Meilisearch counts
    assert pages[0].pages == 2
    backend.close()


def test_embedded_rebuild_is_seen_by_other_instances(
    embedded: EmbeddedBackend, tmp_path: Path, offers: Documents
) -> None:
    """Another process (here another instance on the same file) sees a rebuild at once."""
    other = EmbeddedBackend(tmp_path / "index.sqlite3")
    assert other.search(SearchQuery(text="licorne")).total == 0
    embedded.rebuild([{**offers[1], "title": "Licorne"}])
    assert [hit.id for hit in other.search(SearchQuery(text="licorne")).hits] == [1]
    assert other.search(SearchQuery()).total == 1
    other.close()


PROBES = [
    SearchQuery(per_page=100),
    SearchQuery(text="site", sort="price_asc", per_page=100),
    SearchQuery(text="licornes", per_page=100),
    SearchQuery(regions=("53",), include_remote=True, price_max_cents=200_000, per_page=100),
]


def answers(backend: EmbeddedBackend) -> list[tuple[Any, ...]]:
    return [
        ([hit.id for hit in r.hits], r.total, r.facets)
        for r in (backend.search(query) for query in PROBES)
    ]


@pytest.mark.parametrize("log_revisions", [1000, 1])
def test_embedded_writes_of_another_process_are_seen_at_once(
    embedded: EmbeddedBackend,
    tmp_path: Path,
    offers: Documents,
    monkeypatch: pytest.MonkeyPatch,
    log_revisions: int,
) -> None:
    """A process that searched before another one wrote patches its in-memory fields from the
    change log (or reads them again when the log was pruned) and answers like a fresh one."""
    import marketplace.search.embedded as module

    monkeypatch.setattr(module, "CHANGE_LOG_REVISIONS", log_revisions)
    monkeypatch.setattr(module, "PRUNE_EVERY", 1)
    writer = EmbeddedBackend(tmp_path / "index.sqlite3")
    answers(embedded)
    writer.upsert([{**offers[2], "title": "Site de licornes", "price_cents": 100, "remote": False}])
    writer.upsert([{**offers[1], "id": 77, "title": "Licornes", "regions": ["53"]}])
    writer.delete([3, 4])
    loads: list[int] = []
    load = module._load_fields
    monkeypatch.setattr(module, "_load_fields", lambda *a: loads.append(1) or load(*a))
    patched = answers(embedded)
    assert len(loads) == (0 if log_revisions > 3 else 1)
    fresh = EmbeddedBackend(tmp_path / "index.sqlite3")
    assert patched == answers(fresh)
    assert embedded.search(PROBES[2]).total == 2
    for backend in (writer, fresh):
        backend.close()


def test_embedded_searches_during_writes_see_whole_revisions(
    embedded: EmbeddedBackend, tmp_path: Path, offers: Documents
) -> None:
    """Another process renames offers one write at a time while this one searches: each
    answer counts the renamed offers of one revision, words and facets alike."""
    writer = EmbeddedBackend(tmp_path / "index.sqlite3")
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            result = embedded.search(SearchQuery(text="licornes", facets=("category",)))
            seen.append((result.total, sum(result.facets["category"].values())))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for id_ in sorted(offers):
            writer.upsert([{**offers[id_], "title": f"Licornes {id_}"}])
    finally:
        done.set()
        watcher.join()
        writer.close()
    totals = [total for total, _counted in seen]
    assert all(total == counted for total, counted in seen)
    assert totals == sorted(totals)  # never a step back
    assert embedded.search(SearchQuery(text="licornes")).total == len(offers)


def test_embedded_searches_never_see_a_half_built_index(
    embedded: EmbeddedBackend, offers: Documents
) -> None:
    """Searches during a rebuild count the old documents or the new ones, nothing between."""
    # More than a write batch (500), fewer than maxTotalHits (1,000), where totals stop.
    bigger = [{**offers[i % len(offers) + 1], "id": 1000 + i} for i in range(900)]
    totals: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            totals.add(embedded.search(SearchQuery(facets=())).total)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        embedded.rebuild(bigger)
    finally:
        done.set()
        watcher.join()
    assert totals <= {len(offers), len(bigger)}
    assert embedded.search(SearchQuery()).total == len(bigger)


def test_embedded_failed_rebuild_leaves_no_tables_behind(
    embedded: EmbeddedBackend, tmp_path: Path
) -> None:
    def tables() -> set[str]:
        with closing(sqlite3.connect(tmp_path / "index.sqlite3")) as conn:
            return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}

    before = tables()
    with pytest.raises(SearchError):
        embedded.rebuild([{"id": 1, "title": float("nan")}])
    assert tables() == before


def test_embedded_settings_change_rebuilds_from_the_stored_documents(
    embedded: EmbeddedBackend, tmp_path: Path, offers: Documents, monkeypatch: pytest.MonkeyPatch
) -> None:
    import marketplace.search.embedded as module

    monkeypatch.setattr(module, "FINGERPRINT", module.FINGERPRINT + " changed")
    reopened = EmbeddedBackend(tmp_path / "index.sqlite3")
    reopened.apply_settings()
    with closing(sqlite3.connect(tmp_path / "index.sqlite3")) as conn:
        (settings,) = conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
    assert settings == module.FINGERPRINT
    assert reopened.documents() == offers
    assert 5 in {hit.id for hit in reopened.search(SearchQuery(text="cybersecurite")).hits}
    reopened.close()
