"""The Meilisearch adapter, checked request by request against a recording fake on 127.0.0.1.

No Meilisearch server can run here: the requests the official client sends are recorded at the
HTTP layer and compared exactly with what Meilisearch expects; the fake answers with the shapes
Meilisearch documents (task summaries, tasks, search responses, errors).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from marketplace.search.backend import SearchBackend, SearchError
from marketplace.search.meili import (
    MeiliBackend,
    build_filter,
    build_search_params,
    parse_search_response,
    quote,
)
from marketplace.search.query import FACETS, HIGHLIGHT_POST, HIGHLIGHT_PRE, SORTS, SearchQuery
from marketplace.search.settings import (
    FILTERABLE_ATTRIBUTES,
    SORTABLE_ATTRIBUTES,
    meilisearch_settings,
)
from tests.unit.meili_fake import FakeMeili, running, task_error

UID = "offers"
AUTH = "Bearer test-master-key"
SETTINGS_FAILED = task_error("invalid_settings_ranking_rules", "`foo` ranking rule is invalid.")
BAD_DOCUMENT = task_error(
    "invalid_document_id",
    'Document identifier `"1 2"` is invalid. A document identifier can be of type integer '
    "or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and "
    "underscores (_), and can not be more than 511 bytes.",
)


@pytest.fixture
def fake() -> Iterator[FakeMeili]:
    with running(FakeMeili()) as server:
        yield server
    assert not server.crashes, server.crashes[0]


@pytest.fixture
def backend(fake: FakeMeili) -> MeiliBackend:
    return MeiliBackend(fake.url, fake.key, UID, timeout=2.0, poll_interval=0.001)


def doc(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": i, "title": f"Offre {i}", "summary": "Résumé", "regions": ["53"], **fields}


def search_params(**params: Any) -> dict[str, Any]:
    """The parameters every search sends, with these ones added or replaced."""
    return {
        "q": "",
        "facets": list(FACETS),
        "page": 1,
        "hitsPerPage": 20,
        "matchingStrategy": "last",
        "showRankingScoreDetails": True,
        "attributesToHighlight": ["title", "summary"],
        "highlightPreTag": HIGHLIGHT_PRE,
        "highlightPostTag": HIGHLIGHT_POST,
        **params,
    }


CANNED_RESPONSE: dict[str, Any] = {
    "hits": [
        {
            "id": 7,
            "title": "Site vitrine",
            "summary": "Un site web pour votre commerce",
            "price_cents": 90000,
            "_formatted": {
                "id": "7",
                "title": f"{HIGHLIGHT_PRE}Site{HIGHLIGHT_POST} vitrine",
                "summary": "Un site web pour votre commerce",
                "price_cents": "90000",
            },
            "_rankingScore": 0.9,
        },
        {
            "id": 3,
            "title": "Audit SEO",
            "summary": f"Votre {HIGHLIGHT_PRE}site{HIGHLIGHT_POST} mieux classé",
            "_formatted": {
                "id": "3",
                "title": "Audit SEO",
                "summary": f"Votre {HIGHLIGHT_PRE}site{HIGHLIGHT_POST} mieux classé",
            },
        },
    ],
    "query": "site",
    "processingTimeMs": 1,
    "hitsPerPage": 10,
    "page": 2,
    "totalPages": 3,
    "totalHits": 22,
    "facetDistribution": {
        "needs": {"online-presence": 20, "seo": 5},
        "regions": {"53": 12, "52": 4},
        "category": {"digital": 22},  # not asked: left out
    },
    "facetStats": {},
}

REPRESENTATIVE = SearchQuery(
    text="site web",
    needs=("online-presence",),
    regions=("53", "52"),
    include_remote=True,
    facets=("needs", "regions", "programmes"),
    sort="price_asc",
    page=2,
    per_page=10,
)
REPRESENTATIVE_PARAMS = search_params(
    q="site web",
    filter=[
        ['needs = "online-presence"'],
        ['regions = "53"', 'regions = "52"', "remote = true"],
    ],
    facets=["needs", "regions", "programmes"],
    sort=["price_cents:asc"],
    page=2,
    hitsPerPage=10,
)


# --- Pure request building ---------------------------------------------------------------------


def test_representative_query_params() -> None:
    """Does a text + filters + facets + sort + page query become exactly this search body?"""
    assert build_search_params(REPRESENTATIVE) == REPRESENTATIVE_PARAMS


def test_empty_query_is_a_placeholder_search() -> None:
    """Does the default query send no filter and no sort, every facet and the first page?"""
    assert build_search_params(SearchQuery()) == search_params()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery(needs=("seo", "ads")), [['needs = "seo"', 'needs = "ads"']]),
        (SearchQuery(categories=("digital",)), [['category = "digital"']]),
        (SearchQuery(regions=("11",)), [['regions = "11"']]),
        (SearchQuery(regions=("11",), include_remote=True), [['regions = "11"', "remote = true"]]),
        (SearchQuery(include_remote=True), []),  # remote only widens a region filter
        (
            SearchQuery(delivery_modes=("onsite", "hybrid")),
            [['delivery_mode = "onsite"', 'delivery_mode = "hybrid"']],
        ),
        (SearchQuery(provider_kinds=("freelance",)), [['provider_kind = "freelance"']]),
        (SearchQuery(languages=("fr", "en")), [['languages = "fr"', 'languages = "en"']]),
        (SearchQuery(programmes=("france-num",)), [['programmes = "france-num"']]),
        (
            SearchQuery(price_bands=("free", "under_500")),
            [['price_band = "free"', 'price_band = "under_500"']],
        ),
        (SearchQuery(price_min_cents=10_000), ["price_cents >= 10000"]),
        (SearchQuery(price_max_cents=0), ["price_cents <= 0"]),
        (SearchQuery(needs=("seo", "seo")), [['needs = "seo"']]),
        # NOT keeps documents indexed before the attribute existed, like the embedded index.
        (SearchQuery(visible_on=20261127), ["NOT visible_through < 20261127"]),
    ],
)
def test_each_filter(query: SearchQuery, expected: list[Any]) -> None:
    """Does each filter become one OR-group (or a range condition) on the right attribute?"""
    assert build_filter(query) == expected
    params = build_search_params(query)
    assert params.get("filter", []) == expected


def test_different_filters_are_and_ed_in_a_stable_order() -> None:
    """Is every filter its own element of the outer (AND) array, in a fixed order?"""
    query = SearchQuery(
        price_max_cents=500_000,
        price_bands=("500_2000",),
        programmes=("p",),
        languages=("fr",),
        provider_kinds=("agency",),
        delivery_modes=("remote",),
        regions=("84",),
        categories=("digital",),
        needs=("seo",),
        price_min_cents=100,
    )
    assert build_filter(query) == [
        ['needs = "seo"'],
        ['category = "digital"'],
        ['regions = "84"'],
        ['delivery_mode = "remote"'],
        ['provider_kind = "agency"'],
        ['languages = "fr"'],
        ['programmes = "p"'],
        ['price_band = "500_2000"'],
        "price_cents >= 100",
        "price_cents <= 500000",
    ]


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("online-presence", '"online-presence"'),
        ("a b OR c", '"a b OR c"'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ('\\"', r'"\\\""'),
        ("l'équipe", '"l\'équipe"'),
    ],
)
def test_filter_values_are_quoted_and_escaped(value: str, quoted: str) -> None:
    """Can no value (spaces, keywords, quotes, backslashes) break out of its condition?"""
    assert quote(value) == quoted
    assert build_filter(SearchQuery(needs=(value,))) == [[f"needs = {quoted}"]]


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_sorts(sort: str) -> None:
    """Does each sort become `attribute:direction` (and relevance no sort at all)?"""
    params = build_search_params(SearchQuery(sort=sort))
    if SORTS[sort] is None:
        assert "sort" not in params
    else:
        attribute, direction = SORTS[sort]
        assert params["sort"] == [f"{attribute}:{direction}"]


def test_every_filter_and_sort_attribute_is_declared_in_the_settings() -> None:
    """Would Meilisearch refuse a filter or sort because the settings do not declare it?"""
    query = SearchQuery(
        needs=("a",),
        categories=("a",),
        regions=("a",),
        include_remote=True,
        delivery_modes=("a",),
        provider_kinds=("a",),
        languages=("a",),
        programmes=("a",),
        price_bands=("a",),
        price_min_cents=1,
        price_max_cents=2,
        visible_on=3,
    )
    conditions = [
        c for group in build_filter(query) for c in ([group] if isinstance(group, str) else group)
    ]
    attributes = {condition.removeprefix("NOT ").split(" ", 1)[0] for condition in conditions}
    assert attributes <= set(FILTERABLE_ATTRIBUTES)
    assert set(FACETS) <= set(FILTERABLE_ATTRIBUTES)  # facets need filterable attributes
    assert {s[0] for s in SORTS.values() if s} <= set(SORTABLE_ATTRIBUTES)


# --- Pure response parsing ---------------------------------------------------------------------


def test_parse_search_response() -> None:
    """Are hits, highlights (from `_formatted`), exact totals and the asked facets read?"""
    result = parse_search_response(REPRESENTATIVE, CANNED_RESPONSE)
    assert [hit.id for hit in result.hits] == [7, 3]
    assert result.hits[0].document == {
        "id": 7,
        "title": "Site vitrine",
        "summary": "Un site web pour votre commerce",
        "price_cents": 90000,
    }
    # Only fields with a match carry a highlight.
    assert result.hits[0].highlights == {"title": f"{HIGHLIGHT_PRE}Site{HIGHLIGHT_POST} vitrine"}
    assert result.hits[1].highlights == {
        "summary": f"Votre {HIGHLIGHT_PRE}site{HIGHLIGHT_POST} mieux classé"
    }
    assert (result.total, result.page, result.per_page, result.pages) == (22, 2, 10, 3)
    assert result.facets == {
        "needs": {"online-presence": 20, "seo": 5},
        "regions": {"53": 12, "52": 4},
        "programmes": {},  # asked, no value among the hits
    }


@pytest.mark.parametrize(
    ("text", "matched", "most", "ignored"),
    [
        ("formation excel salariés", 1, 3, ("excel", "salariés")),
        ("vendre sur marketplace amazon", 2, 3, ("amazon",)),  # "sur" is a stop word
        ("site web", 2, 2, ()),
        ('"site" -web licorne', 2, 3, ("licorne",)),
    ],
)
def test_ignored_words_come_from_the_best_hits_ranking_details(
    text: str, matched: int, most: int, ignored: tuple[str, ...]
) -> None:
    """Does a best hit matching fewer words than the query say which words, as typed?"""
    details = {"words": {"order": 0, "matchingWords": matched, "maxMatchingWords": most}}
    hit = {"id": 1, "_rankingScoreDetails": details}
    response = {"hits": [hit], "totalHits": 1, "page": 1, "hitsPerPage": 20}
    result = parse_search_response(SearchQuery(text=text), response)
    assert result.ignored_words == ignored
    assert result.hits[0].document == {"id": 1}


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ('"site web"', " site web "),
        ("-web site", "web site"),
        ("site -web", "site web"),
        ("e-commerce", "e-commerce"),  # inside a word, a hyphen is no operator
        ("site --web", "site web"),
    ],
)
def test_phrases_and_negations_are_sent_as_plain_words(text: str, sent: str) -> None:
    """On Meilisearch `"…"` is a phrase and a leading `-` excludes a word: neither is ours."""
    assert build_search_params(SearchQuery(text=text))["q"] == sent


def test_parse_response_without_hits_or_facets() -> None:
    """Does an empty answer give an empty result with every asked facet empty?"""
    response = {"hits": [], "totalHits": 0, "totalPages": 0, "page": 1, "hitsPerPage": 20}
    result = parse_search_response(SearchQuery(facets=("needs",)), response)
    assert (result.hits, result.total, result.pages, result.facets) == ([], 0, 0, {"needs": {}})


# --- Settings, writes and tasks ----------------------------------------------------------------


def test_is_a_search_backend(backend: MeiliBackend) -> None:
    """Does the adapter offer the port's methods under the name the app reports?"""
    port: SearchBackend = backend
    assert port.name == "meilisearch"


def test_apply_settings_creates_the_index_then_sends_the_settings(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    """Is a missing index created (primary key `id`), then the settings sent, each task checked?"""
    backend.apply_settings()
    assert fake.routes() == [
        "GET /indexes/offers",
        "POST /indexes",
        "GET /tasks/0",
        "PATCH /indexes/offers/settings",
        "GET /tasks/1",
    ]
    assert fake.requests[1].body == {"uid": UID, "primaryKey": "id"}
    assert fake.requests[3].body == meilisearch_settings()
    assert {r.authorization for r in fake.requests} == {AUTH}


def test_apply_settings_on_an_existing_index(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Is an existing index left in place and only its settings updated?"""
    fake.indexes[UID] = {1: doc(1)}
    backend.apply_settings()
    assert fake.routes() == [
        "GET /indexes/offers",
        "PATCH /indexes/offers/settings",
        "GET /tasks/0",
    ]
    assert fake.indexes[UID] == {1: doc(1)}


def test_apply_settings_tolerates_an_index_created_meanwhile(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    """If another process creates the index between the check and the creation, is that fine?"""
    fake.fail_uids[0] = task_error("index_already_exists", "Index `offers` already exists.")
    backend.apply_settings()
    assert fake.routes()[-2:] == ["PATCH /indexes/offers/settings", "GET /tasks/1"]


def test_failed_settings_task_raises(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Does a settings task that failed surface as SearchError with its code and message?"""
    fake.indexes[UID] = {}
    fake.fail_types["settingsUpdate"] = SETTINGS_FAILED
    with pytest.raises(SearchError) as raised:
        backend.apply_settings()
    message = str(raised.value)
    assert "task 0 (settingsUpdate)" in message and "failed" in message
    assert "invalid_settings_ranking_rules: `foo` ranking rule is invalid." in message


def test_tasks_are_polled_until_done(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Is a task still processing polled again until it has an outcome?"""
    fake.indexes[UID] = {}
    fake.processing_polls = 2
    backend.apply_settings()
    assert fake.polled() == [0, 0, 0]


def test_waiting_too_long_for_a_task_raises(fake: FakeMeili) -> None:
    """Does a task that never finishes end in SearchError after the task timeout?"""
    fake.indexes[UID] = {}
    fake.processing_polls = 10**9
    backend = MeiliBackend(fake.url, fake.key, UID, timeout=2.0, task_timeout=0.05)
    with pytest.raises(SearchError, match=r"waiting for task 0.*timed out"):
        backend.apply_settings()


def test_upsert_sends_batches_of_1000_and_checks_every_task(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    """Are 2 500 documents sent in three additions, each task then waited for?"""
    fake.indexes[UID] = {}
    documents = [doc(i) for i in range(1, 2501)]
    backend.upsert(iter(documents))
    assert fake.routes() == [
        "POST /indexes/offers/documents",
        "POST /indexes/offers/documents",
        "POST /indexes/offers/documents",
        "GET /tasks/0",
        "GET /tasks/1",
        "GET /tasks/2",
    ]
    adds = fake.requests[:3]
    assert {r.path for r in adds} == {"/indexes/offers/documents?primaryKey=id"}
    assert [r.body for r in adds] == [documents[:1000], documents[1000:2000], documents[2000:]]
    assert len(fake.indexes[UID]) == 2500


def test_upsert_nothing_sends_nothing(fake: FakeMeili, backend: MeiliBackend) -> None:
    backend.upsert([])
    assert fake.requests == []


def test_a_rejected_batch_raises_after_every_task_is_checked(fake: FakeMeili) -> None:
    """Does a failed addition raise SearchError with the task's error, all tasks waited for?"""
    fake.indexes[UID] = {}
    fake.fail_uids[1] = BAD_DOCUMENT
    backend = MeiliBackend(fake.url, fake.key, UID, timeout=2.0, batch_size=2)
    with pytest.raises(SearchError) as raised:
        backend.upsert(doc(i) for i in range(1, 6))
    assert fake.polled() == [0, 1, 2]
    message = str(raised.value)
    assert "task 1 (documentAdditionOrUpdate)" in message
    assert "invalid_document_id: Document identifier" in message


def test_delete_sends_the_ids_once_and_waits(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Are ids deleted through delete-batch, duplicates dropped, the task checked?"""
    fake.indexes[UID] = {1: doc(1), 2: doc(2), 3: doc(3)}
    backend.delete([3, 1, 3, 99])
    assert fake.routes() == ["POST /indexes/offers/documents/delete-batch", "GET /tasks/0"]
    assert fake.requests[0].body == [3, 1, 99]
    assert fake.indexes[UID] == {2: doc(2)}


def test_delete_nothing_sends_nothing(fake: FakeMeili, backend: MeiliBackend) -> None:
    backend.delete([])
    assert fake.requests == []


# --- Searching and reading ---------------------------------------------------------------------


def test_search_request_and_result(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Is the search body exactly the built params, and the answer parsed into a result?"""
    fake.indexes[UID] = {}
    fake.search_response = CANNED_RESPONSE
    result = backend.search(REPRESENTATIVE)
    assert fake.routes() == ["POST /indexes/offers/search"]
    assert fake.requests[0].body == REPRESENTATIVE_PARAMS
    assert fake.requests[0].authorization == AUTH
    assert result == parse_search_response(REPRESENTATIVE, CANNED_RESPONSE)
    assert result.total == 22 and [h.id for h in result.hits] == [7, 3]


def test_search_error_is_a_search_error(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Does a refused search (here: no index) raise SearchError with Meilisearch's code?"""
    with pytest.raises(SearchError, match=r"searching 'offers' failed: index_not_found: Index"):
        backend.search(SearchQuery(text="x"))


def test_multi_search(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Are several queries sent in one request, each with its index, results kept in order?"""
    fake.indexes[UID] = {}
    fake.search_response = CANNED_RESPONSE
    second = SearchQuery(text="comptabilité", facets=("needs",))
    results = backend.multi_search([REPRESENTATIVE, second])
    assert fake.routes() == ["POST /multi-search"]
    assert fake.requests[0].body == {
        "queries": [
            {"indexUid": UID, **REPRESENTATIVE_PARAMS},
            {"indexUid": UID, **search_params(q="comptabilité", facets=["needs"])},
        ],
        "federation": None,
    }
    assert results == [
        parse_search_response(REPRESENTATIVE, CANNED_RESPONSE),
        parse_search_response(second, CANNED_RESPONSE),
    ]
    assert results[1].facets == {"needs": {"online-presence": 20, "seo": 5}}


def test_multi_search_of_nothing_sends_nothing(fake: FakeMeili, backend: MeiliBackend) -> None:
    assert backend.multi_search([]) == []
    assert fake.requests == []


def test_documents_pages_through_the_index(fake: FakeMeili) -> None:
    """Are all documents read page by page and keyed by id?"""
    fake.indexes[UID] = {i: doc(i) for i in range(1, 6)}
    backend = MeiliBackend(fake.url, fake.key, UID, timeout=2.0, batch_size=2)
    assert backend.documents() == {i: doc(i) for i in range(1, 6)}
    assert fake.routes() == ["GET /indexes/offers"] + ["POST /indexes/offers/documents/fetch"] * 3
    assert [r.body for r in fake.requests[1:]] == [
        {"offset": 0, "limit": 2},
        {"offset": 2, "limit": 2},
        {"offset": 4, "limit": 2},
    ]


def test_documents_of_a_missing_index(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Does an index never built read as empty rather than fail?"""
    assert backend.documents() == {}


def test_drop_deletes_the_index(fake: FakeMeili, backend: MeiliBackend) -> None:
    fake.indexes[UID] = {1: doc(1)}
    backend.drop()
    assert fake.routes() == ["DELETE /indexes/offers", "GET /tasks/0"]
    assert UID not in fake.indexes
    backend.drop()  # a missing index is fine


# --- Transport failures ------------------------------------------------------------------------


def test_wrong_key_is_a_search_error(fake: FakeMeili) -> None:
    """Does the Authorization header carry the key, and a refused key raise SearchError?"""
    backend = MeiliBackend(fake.url, "wrong-key", UID, timeout=2.0)
    with pytest.raises(SearchError, match="invalid_api_key"):
        backend.search(SearchQuery())
    assert fake.requests[0].authorization == "Bearer wrong-key"


def test_no_key_sends_no_authorization_header() -> None:
    """A server without a master key refuses an empty "Bearer ": is no header sent at all?"""
    with running(FakeMeili(key=None)) as server:
        server.indexes[UID] = {}
        backend = MeiliBackend(server.url, None, UID, timeout=2.0)
        backend.search(SearchQuery())
        assert server.requests[0].authorization is None
        MeiliBackend(server.url, "", UID, timeout=2.0).search(SearchQuery())  # "" is no key
        assert server.requests[1].authorization is None
        wrong = MeiliBackend(server.url, "some-key", UID, timeout=2.0)
        with pytest.raises(SearchError, match="invalid_api_key"):
            wrong.search(SearchQuery())


def test_the_app_passes_no_key_when_none_is_configured() -> None:
    from marketplace.search.engine import build_search_backend

    built = build_search_backend({"MEILI_URL": "http://127.0.0.1:1", "MEILI_MASTER_KEY": ""}, "")
    assert isinstance(built, MeiliBackend) and built.api_key is None


def test_slow_server_times_out(fake: FakeMeili) -> None:
    """Does a server that does not answer raise SearchError after the HTTP timeout?"""
    fake.delay = 10.0
    backend = MeiliBackend(fake.url, fake.key, UID, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(SearchError, match="timed out"):
        backend.search(SearchQuery())
    assert time.monotonic() - started < 5


def test_connection_refused(fake: FakeMeili) -> None:
    """Does an unreachable server raise SearchError (and never hang)?"""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = MeiliBackend(f"http://127.0.0.1:{port}", fake.key, UID, timeout=1.0)
    with pytest.raises(SearchError, match="cannot reach the server"):
        backend.upsert([doc(1)])


# --- Zero-downtime rebuild ---------------------------------------------------------------------


def tmp_uid(fake: FakeMeili) -> str:
    created = [r.body["uid"] for r in fake.requests if r.route == "POST /indexes"]
    tmp = created[-1]
    assert re.fullmatch(r"offers_tmp_[0-9a-f]{8}", tmp)
    return tmp


def test_rebuild_sequence(fake: FakeMeili) -> None:
    """Create tmp → settings → additions → every task checked → count → swap → delete tmp?"""
    fake.indexes[UID] = {1: doc(1, title="Ancienne"), 9: doc(9)}
    backend = MeiliBackend(fake.url, fake.key, UID, timeout=2.0, poll_interval=0.001, batch_size=2)
    documents = [doc(1), doc(2), doc(3)]
    assert backend.rebuild(iter(documents)) == 3
    tmp = tmp_uid(fake)
    assert fake.routes() == [
        "GET /indexes/offers",
        "POST /indexes",
        "GET /tasks/0",
        f"PATCH /indexes/{tmp}/settings",
        "GET /tasks/1",
        f"POST /indexes/{tmp}/documents",
        f"POST /indexes/{tmp}/documents",
        "GET /tasks/2",
        "GET /tasks/3",
        f"GET /indexes/{tmp}/stats",
        "POST /swap-indexes",
        "GET /tasks/4",
        f"DELETE /indexes/{tmp}",
        "GET /tasks/5",
    ]
    bodies = [r.body for r in fake.requests]
    assert bodies[1] == {"uid": tmp, "primaryKey": "id"}
    assert bodies[3] == meilisearch_settings()
    assert bodies[5:7] == [documents[:2], documents[2:]]
    assert bodies[10] == [{"indexes": [UID, tmp]}]
    assert {r.authorization for r in fake.requests} == {AUTH}
    assert fake.indexes == {UID: {d["id"]: d for d in documents}}


def test_first_rebuild_creates_the_live_index(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Without a live index, is one created first so that the swap can happen?"""
    assert backend.rebuild([doc(1)]) == 1
    assert fake.requests[1].body == {"uid": UID, "primaryKey": "id"}
    assert fake.routes()[:3] == ["GET /indexes/offers", "POST /indexes", "GET /tasks/0"]
    assert fake.indexes == {UID: {1: doc(1)}}


def test_rebuild_of_nothing_empties_the_index(fake: FakeMeili, backend: MeiliBackend) -> None:
    fake.indexes[UID] = {1: doc(1)}
    assert backend.rebuild([]) == 0
    assert fake.indexes == {UID: {}}


def test_rebuild_counts_distinct_ids(fake: FakeMeili, backend: MeiliBackend) -> None:
    """Is a document sent twice counted once (Meilisearch keeps the last)?"""
    fake.indexes[UID] = {}
    assert backend.rebuild([doc(1), doc(2), doc(1, title="Encore")]) == 2
    assert fake.indexes[UID][1]["title"] == "Encore"


def assert_aborted(fake: FakeMeili, live: dict[int, Any]) -> None:
    """No swap happened, the temporary index was deleted, the live index is untouched."""
    tmp = tmp_uid(fake)
    routes = fake.routes()
    assert "POST /swap-indexes" not in routes
    assert routes[-2:] == [f"DELETE /indexes/{tmp}", f"GET /tasks/{len(fake.tasks) - 1}"]
    assert fake.indexes == {UID: live}


def test_rebuild_with_a_rejected_document_aborts_before_the_swap(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    """Does a failed addition abort the rebuild, keep the live index and delete the tmp one?"""
    live = {1: doc(1)}
    fake.indexes[UID] = dict(live)
    fake.fail_types["documentAdditionOrUpdate"] = BAD_DOCUMENT
    with pytest.raises(SearchError, match="invalid_document_id"):
        backend.rebuild([doc(1), doc(2)])
    assert f"GET /indexes/{tmp_uid(fake)}/stats" not in fake.routes()
    assert_aborted(fake, live)


def test_rebuild_with_a_count_mismatch_aborts_before_the_swap(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    """If the new index does not hold every document sent, is the swap skipped?"""
    live = {1: doc(1)}
    fake.indexes[UID] = dict(live)
    fake.stats_documents = 1
    with pytest.raises(SearchError, match="holds 1 documents, 2 were sent"):
        backend.rebuild([doc(1), doc(2)])
    assert_aborted(fake, live)


def test_rebuild_with_failed_settings_sends_no_document(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    live = {1: doc(1)}
    fake.indexes[UID] = dict(live)
    fake.fail_types["settingsUpdate"] = SETTINGS_FAILED
    with pytest.raises(SearchError, match="invalid_settings_ranking_rules"):
        backend.rebuild([doc(1)])
    assert not any(r.route.endswith("/documents") for r in fake.requests)
    assert_aborted(fake, live)


def test_rebuild_with_a_failed_swap_deletes_the_tmp_index(
    fake: FakeMeili, backend: MeiliBackend
) -> None:
    live = {1: doc(1)}
    fake.indexes[UID] = dict(live)
    fake.fail_types["indexSwap"] = task_error("index_not_found", "Index `offers` not found.")
    with pytest.raises(SearchError, match=r"\(indexSwap\).*index_not_found"):
        backend.rebuild([doc(1), doc(2)])
    tmp = tmp_uid(fake)
    assert fake.routes()[-2:] == [f"DELETE /indexes/{tmp}", f"GET /tasks/{len(fake.tasks) - 1}"]
    assert fake.indexes == {UID: live}


def test_rebuild_when_reading_the_documents_fails(fake: FakeMeili, backend: MeiliBackend) -> None:
    """If the documents cannot all be produced, is the tmp index dropped and the error kept?"""

    def documents() -> Iterator[dict[str, Any]]:
        yield doc(1)
        raise RuntimeError("database gone")

    fake.indexes[UID] = {}
    with pytest.raises(RuntimeError, match="database gone"):
        backend.rebuild(documents())
    assert_aborted(fake, {})


def test_searches_reuse_one_connection(fake: FakeMeili, backend: MeiliBackend) -> None:
    """The client alone opens a connection per request; through meili_http a thread keeps one."""
    fake.indexes[UID] = {}
    fake.search_response = CANNED_RESPONSE
    for _ in range(3):
        backend.search(SearchQuery(text="site"))
    searches = [r for r in fake.requests if r.route == f"POST /indexes/{UID}/search"]
    assert len(searches) == 3
    assert len({r.peer_port for r in searches}) == 1


def test_each_thread_has_its_own_connection(fake: FakeMeili, backend: MeiliBackend) -> None:
    import threading

    fake.indexes[UID] = {}
    fake.search_response = CANNED_RESPONSE
    backend.search(SearchQuery(text="site"))
    other = threading.Thread(target=lambda: backend.search(SearchQuery(text="site")))
    other.start()
    other.join()
    searches = [r for r in fake.requests if r.route == f"POST /indexes/{UID}/search"]
    assert len({r.peer_port for r in searches}) == 2
