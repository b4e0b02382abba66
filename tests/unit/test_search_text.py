"""Words, typos and synonyms for the embedded search (marketplace.search.text)."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.search.embedded import fts5_match, text_match
from marketplace.search.settings import ONE_TYPO_FROM, TWO_TYPOS_FROM, synonym_groups
from marketplace.search.text import (
    Segment,
    Vocabulary,
    allowed_typos,
    expand_synonyms,
    highlight,
    ignored_words,
    normalize,
    tokens,
    typo_candidates,
    typo_cost,
)

# The characters French text uses (and then some): ASCII, Latin-1, Latin Extended-A, the
# combining accents of decomposed (NFD) input, typographic punctuation.
LATIN = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "S", "Z", "Mn"),
    max_codepoint=0x17F,
) | st.sampled_from("\u0301\u0300\u0302\u0308\u0327’«»–—…\u00a0\u202f")
WORD = st.text(alphabet="abcdeilmnorstuéè", min_size=1, max_size=12).map(normalize).filter(bool)


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    yield conn
    conn.close()


def fts5_tokens(conn: sqlite3.Connection, text: str) -> list[str]:
    conn.execute("DELETE FROM t")
    conn.execute("INSERT INTO t (rowid, a) VALUES (1, ?)", (text,))
    return [term for (term,) in conn.execute("SELECT term FROM v ORDER BY offset")]


# --- Words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E-commerce", ["e", "commerce"]),
        ("site-web", ["site", "web"]),
        ("Cybersécurité", ["cybersecurite"]),
        ("L'été à Besançon", ["l", "ete", "a", "besancon"]),
        (unicodedata.normalize("NFD", "Référencement"), ["referencement"]),
        ("ŒUVRE NAÏVE", ["œuvre", "naive"]),
        ("3,5 € HT/jour", ["3", "5", "ht", "jour"]),
        ("  —  ", []),
    ],
)
def test_tokens(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


def test_normalize_joins_the_words() -> None:
    assert normalize("Boutique  E-commerce, clé en main !") == "boutique e commerce cle en main"


@given(st.text(LATIN))
def test_tokens_are_the_words_fts5_indexes(fts5: sqlite3.Connection, text: str) -> None:
    assert tokens(text) == fts5_tokens(fts5, text)


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert tokens(once) == tokens(text)


# --- Typos ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "typos"),
    [
        ("site", 0),
        ("crm", 0),
        ("ligne", 1),
        ("commerce", 1),
        ("formation", 2),
        ("cybersecurite", 2),
    ],
)
def test_allowed_typos(word: str, typos: int) -> None:
    assert allowed_typos(word) == typos


@given(st.text(min_size=1, max_size=30))
def test_longer_words_never_allow_fewer_typos(word: str) -> None:
    assert allowed_typos(word) <= allowed_typos(word + "x")
    expected = 2 if len(word) >= TWO_TYPOS_FROM else 1 if len(word) >= ONE_TYPO_FROM else 0
    assert allowed_typos(word) == expected


@pytest.mark.parametrize(
    ("word", "other", "cost"),
    [
        ("commerce", "commerce", 0),
        ("comerce", "commerce", 1),  # a missing letter
        ("boutqiue", "boutique", 1),  # two neighbours swapped: one typo
        ("voutique", "boutique", 2),  # the first letter counts twice
        ("fornatoon", "formation", 2),
    ],
)
def test_typo_cost(word: str, other: str, cost: int) -> None:
    assert typo_cost(word, other) == cost


VOCABULARY = Vocabulary(
    ["site", "web", "commerce", "boutique", "formation", "cybersecurite", "en", "ligne", "sites"]
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("site", ["site"]),  # 4 letters: the word itself, nothing else
        ("sote", []),
        ("comerce", ["commerce"]),
        ("boutiqie", ["boutique"]),
        ("bontiqie", []),  # 8 letters, 2 typos
        ("voutique", []),  # a first-letter typo costs two
        ("fornatoon", ["formation"]),  # 9 letters, 2 typos
        ("vybersecurite", ["cybersecurite"]),
        ("sitess", ["sites"]),
    ],
)
def test_typo_candidates(word: str, expected: list[str]) -> None:
    assert typo_candidates(word, VOCABULARY) == expected


def osa(a: str, b: str) -> int:
    """Reference edit distance with swaps of neighbours (optimal string alignment)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@given(WORD, st.lists(WORD, max_size=40))
def test_typo_candidates_are_exactly_the_words_within_the_allowed_typos(
    word: str, words: list[str]
) -> None:
    found = typo_candidates(word, Vocabulary(words), limit=1000)
    allowed = allowed_typos(word)
    cost = {w: osa(word, w) + (w[0] != word[0]) for w in set(words)}
    assert set(found) == {w for w in set(words) if cost[w] <= allowed}
    assert [cost[w] for w in found] == sorted(cost[w] for w in found)  # fewest typos first


@given(WORD, st.lists(WORD, max_size=20))
def test_a_word_always_matches_itself(word: str, words: list[str]) -> None:
    assert word in typo_candidates(word, Vocabulary([*words, word]))


def test_typo_candidates_stop_at_the_limit() -> None:
    vocabulary = Vocabulary(f"formation{c}" for c in "abcdefghij")
    assert len(typo_candidates("formation", vocabulary, limit=3)) == 3


def test_vocabulary() -> None:
    vocabulary = Vocabulary(["site", "web", "site"])
    assert len(vocabulary) == 2
    assert "web" in vocabulary and "webs" not in vocabulary
    assert sorted(vocabulary) == ["site", "web"]
    assert vocabulary.of_lengths(3, 3) == ["web"]


# --- Synonyms -------------------------------------------------------------------------------------

GROUPS = (
    ("site web", "site internet", "site vitrine"),
    ("commerce en ligne", "e-commerce"),
    ("commerce", "négoce"),
    ("rgpd", "gdpr"),
)


def test_a_phrase_becomes_one_segment_with_its_synonyms() -> None:
    assert expand_synonyms(["refonte", "site", "internet"], GROUPS) == [
        Segment(("refonte",)),
        Segment(("site", "internet"), (("site", "web"), ("site", "vitrine"))),
    ]


def test_the_longest_phrase_wins() -> None:
    assert expand_synonyms(tokens("commerce en ligne"), GROUPS) == [
        Segment(("commerce", "en", "ligne"), (("e", "commerce"),)),
    ]
    assert expand_synonyms(["commerce", "local"], GROUPS) == [
        Segment(("commerce",), (("negoce",),)),
        Segment(("local",)),
    ]


def test_synonyms_are_normalized_and_work_both_ways() -> None:
    assert expand_synonyms(["e", "commerce"], GROUPS) == [
        Segment(("e", "commerce"), (("commerce", "en", "ligne"),))
    ]
    assert expand_synonyms(["negoce"], GROUPS) == [Segment(("negoce",), (("commerce",),))]


def test_every_term_of_the_synonyms_file_expands_to_the_others() -> None:
    for group in synonym_groups():
        phrases = {tuple(tokens(term)) for term in group}
        for phrase in phrases:
            segments = expand_synonyms(list(phrase), synonym_groups())
            assert segments[0].words == phrase
            assert set(segments[0].synonyms) >= phrases - {phrase}


@given(st.lists(st.sampled_from(["site", "web", "internet", "commerce", "en", "ligne", "e", "x"])))
def test_segments_keep_every_query_word_in_order(words: list[str]) -> None:
    segments = expand_synonyms(words, GROUPS)
    assert [w for segment in segments for w in segment.words] == words


# --- FTS5 expressions -----------------------------------------------------------------------------


def test_fts5_match_ors_typos_synonyms_and_a_last_prefix() -> None:
    segments = expand_synonyms(["comerce", "site", "internet"], GROUPS)
    assert fts5_match(segments, {"comerce": ["commerce"]}) == (
        '("comerce" OR "commerce") AND (("site" AND "internet"*) OR "site web" OR "site vitrine")'
    )
    assert fts5_match(segments, {}) == (
        '"comerce" AND (("site" AND "internet"*) OR "site web" OR "site vitrine")'
    )


def test_fts5_match_quotes_everything() -> None:
    assert fts5_match([Segment(('a"b', "or"))], {}) == '("a""b" AND "or"*)'


def test_text_match_collects_the_words_to_highlight() -> None:
    found = text_match(["comerce", "site", "web"], VOCABULARY)
    assert found.match() == (
        '("comerce" OR "commerce") AND (("site" AND "web"*) OR "site internet" OR "site vitrine")'
    )
    assert found.exact() == (
        '"comerce" AND (("site" AND "web"*) OR "site internet" OR "site vitrine")'
    )
    assert found.words == {"comerce", "commerce", "site", "web", "internet", "vitrine"}
    assert found.prefix == "web"


def test_text_match_levels_drop_segments_from_the_end() -> None:
    found = text_match(["comerce", "site", "web"], VOCABULARY, ["comerce", "Site", "Web"])
    assert found.levels == 2
    assert found.match(1) == '("comerce" OR "commerce")'
    assert found.ignored(1) == ("Site", "Web")
    assert found.ignored(0) == ()
    assert found.proximity(0) == ['"commerce site web"*', 'NEAR("commerce" "site" "web"*, 6)']
    assert found.proximity(1) == []  # one word: nothing to bring together
    assert found.exactness(1) == ['^"comerce"', '"comerce"']


def test_text_match_drops_stop_words_but_not_inside_a_phrase() -> None:
    found = text_match(tokens("le site de la commerce en ligne"), VOCABULARY)
    assert [s.words for s in found.segments] == [("site",), ("commerce", "en", "ligne")]
    only = text_match(["de", "la"], VOCABULARY)
    assert [s.words for s in only.segments] == [("de",), ("la",)]


def test_synonyms_of_the_corrected_words() -> None:
    """ "comerce en ligne" is no phrase of the groups; corrected, it is."""
    words = tokens("comerce en ligne")
    assert expand_synonyms(words, GROUPS) == [Segment((w,)) for w in words]
    assert expand_synonyms(words, GROUPS, ["commerce", "en", "ligne"]) == [
        Segment(("comerce", "en", "ligne"), (("e", "commerce"),))
    ]


def test_ignored_words_are_the_last_ones_as_typed() -> None:
    assert ignored_words("Formation à Excel des salariés", 1) == ("Excel", "salariés")
    assert ignored_words("site web", 2) == ()


# --- Highlights -----------------------------------------------------------------------------------


def test_highlight_marks_words_as_the_index_compares_them() -> None:
    text = "Audit de Cybersécurité, e-commerce et sites web."
    assert highlight(text, {"cybersecurite", "e"}, ["sit"], "[", "]") == (
        "Audit de [Cybersécurité], [e]-commerce et [sites] web."
    )
    assert highlight(text, set(), [], "[", "]") == text


@given(st.text(LATIN), st.sets(WORD, max_size=5), st.lists(WORD, max_size=2))
def test_highlight_only_adds_markers(text: str, words: set[str], prefixes: list[str]) -> None:
    marked = highlight(text, words, prefixes, "\x02", "\x03")
    assert marked.replace("\x02", "").replace("\x03", "") == text
    assert marked.count("\x02") == sum(
        1 for w in tokens(text) if w in words or any(w.startswith(p) for p in prefixes)
    )
