"""Pure text functions for the embedded search: words as SQLite FTS5 sees them, typo tolerance
and synonyms, following Meilisearch's rules so both backends answer alike.

- Words: FTS5's `unicode61 remove_diacritics 2` tokenizer — letters, digits and private-use
  characters make words, anything else separates them ("e-commerce" → "e", "commerce"); case is
  folded and diacritics are removed from Latin letters ("Sécurité" → "securite").
- Typos: Meilisearch's rules — none below ONE_TYPO_FROM letters, one from there, two from
  TWO_TYPOS_FROM; a swap of two neighbouring letters is one typo (Damerau), and a typo on the
  first letter counts as two.
- Synonyms: groups of words or phrases that mean the same thing, in both directions, looked up
  on the typed words and on the words typo tolerance corrects them to ("comerce en ligne" reaches
  the "commerce en ligne" group).
- Stop words: French function words ("de", "sur", "les"…) a query does without, unless they are
  part of a synonym phrase or the query has nothing else.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from marketplace.search.settings import ONE_TYPO_FROM, TWO_TYPOS_FROM, stop_words

MAX_TYPO_CANDIDATES = 50  # vocabulary words tried per query word, closest first
# The combining marks FTS5 keeps inside a word and then drops (sqlite3Fts5UnicodeIsdiacritic:
# U+0300–U+0331 minus a few); any other mark separates words, as it is not a letter.
_DIACRITICS = frozenset(0x300 + bit for bit in range(50) if (0x000361F8_08029FDF >> bit) & 1)
_WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No", "Co"})


@lru_cache(maxsize=4096)  # the characters seen: a few hundred in practice
def _fold(char: str) -> str | None:
    """How FTS5 folds one character: its lowercase form without diacritics, "" for a combining
    diacritic (dropped), None for a separator."""
    if ord(char) in _DIACRITICS:
        return ""
    if unicodedata.category(char) not in _WORD_CATEGORIES:
        return None
    # casefold() maps "µ" to "μ" and "ſ" to "s" like FTS5, but keep "ß" (not "ss").
    lower = folded if len(folded := char.casefold()) == 1 else char.lower()
    decomposed = unicodedata.normalize("NFD", lower)
    # Only Latin letters lose their diacritics ("é" → "e"); "й" or "ά" stay as they are.
    if decomposed[0].isascii() and all(ord(mark) in _DIACRITICS for mark in decomposed[1:]):
        return decomposed[0]
    return lower


def _spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) for each word of `text`, the word folded like FTS5 folds it."""
    start, current = -1, []
    for i, char in enumerate(text + " "):  # the trailing space ends the last word
        folded = _fold(char)
        if folded is not None:
            if start < 0:
                start = i
            current.append(folded)
        elif start >= 0:
            if word := "".join(current):
                yield start, i, word
            start, current = -1, []


def tokens(text: str) -> list[str]:
    """The words of `text` as FTS5 indexes them: folded case, no diacritics, split on
    anything that is not a letter or a digit."""
    return [word for _start, _end, word in _spans(text)]


def typed_words(text: str) -> list[tuple[str, str]]:
    """Each word of `text` folded (as `tokens` gives it) and as typed: ("salaries", "salariés")."""
    return [(word, text[start:end]) for start, end, word in _spans(text)]


def ignored_words(text: str, matched: int) -> tuple[str, ...]:
    """The words of a query, as typed, that hits matching only its first `matched` words (stop
    words aside) do without: Meilisearch's "last" strategy drops them from the end."""
    words = [typed for word, typed in typed_words(text) if word not in stop_words()]
    return tuple(words[max(matched, 0) :])


def highlight(
    text: str, words: Collection[str], prefixes: Collection[str], pre: str, post: str
) -> str:
    """`text` with each word that is one of `words` or starts with one of `prefixes` (compared
    folded, as the index compares them) between `pre` and `post`."""
    parts, done = [], 0
    for start, end, word in _spans(text):
        if word in words or any(word.startswith(prefix) for prefix in prefixes):
            parts += [text[done:start], pre, text[start:end], post]
            done = end
    parts.append(text[done:])
    return "".join(parts)


def normalize(text: str) -> str:
    """The words of `text` joined by single spaces: "E-commerce sûr" → "e commerce sur"."""
    return " ".join(tokens(text))


def allowed_typos(word: str) -> int:
    """How many typos a query word tolerates (Meilisearch's minWordSizeForTypos)."""
    if len(word) >= TWO_TYPOS_FROM:
        return 2
    if len(word) >= ONE_TYPO_FROM:
        return 1
    return 0


def typo_cost(word: str, candidate: str) -> int:
    """Typos between a query word and an indexed word, counted like Meilisearch: one per
    insertion, deletion, substitution or swap of neighbours, and a first letter that differs
    counts twice."""
    cost = OSA.distance(word, candidate)
    if word[:1] != candidate[:1]:
        cost += 1
    return cost


class Vocabulary:
    """The indexed words, grouped by length so typo lookups only compare plausible words."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words: set[str] = set()
        self._by_length: dict[int, list[str]] = defaultdict(list)
        self._add(words)

    def _add(self, words: Iterable[str]) -> None:
        for word in words:
            if word not in self._words:
                self._words.add(word)
                self._by_length[len(word)].append(word)

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def __iter__(self) -> Iterator[str]:
        for words in self._by_length.values():
            yield from words

    def extended(self, words: Iterable[str]) -> Vocabulary:
        """This vocabulary plus `words` (itself when it knows them all): a copy, as readers
        may be using this one."""
        new = [word for word in words if word not in self._words]
        if not new:
            return self
        copy = Vocabulary(())
        copy._words = set(self._words)
        copy._by_length.update({n: list(found) for n, found in self._by_length.items()})
        copy._add(new)
        return copy

    def of_lengths(self, low: int, high: int) -> list[str]:
        return [word for n in range(max(low, 0), high + 1) for word in self._by_length.get(n, ())]


def typo_candidates(
    word: str, vocabulary: Vocabulary, *, limit: int = MAX_TYPO_CANDIDATES
) -> list[str]:
    """Vocabulary words a query word matches within its allowed typos (itself included when
    indexed), fewest typos first."""
    typos = allowed_typos(word)
    if typos == 0:
        return [word] if word in vocabulary else []
    choices = vocabulary.of_lengths(len(word) - typos, len(word) + typos)
    close = process.extract(word, choices, scorer=OSA.distance, score_cutoff=typos, limit=None)
    costs = {candidate: typo_cost(word, candidate) for candidate, _distance, _index in close}
    found = sorted((c for c, cost in costs.items() if cost <= typos), key=lambda c: (costs[c], c))
    return found[:limit]


@dataclass(frozen=True)
class Segment:
    """A run of query words, with the phrases that mean the same thing (synonyms)."""

    words: tuple[str, ...]  # the query's own words, each matched on its own
    synonyms: tuple[tuple[str, ...], ...] = ()  # other phrases, each matched as a phrase


@cache
def _synonym_table(
    groups: tuple[tuple[str, ...], ...],
) -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for group in groups:
        phrases = [phrase for phrase in dict.fromkeys(tuple(tokens(t)) for t in group) if phrase]
        for phrase in phrases:
            others = table.setdefault(phrase, [])
            others.extend(o for o in phrases if o != phrase and o not in others)
    return {phrase: tuple(others) for phrase, others in table.items() if others}


def expand_synonyms(
    words: Sequence[str],
    groups: Iterable[Iterable[str]],
    corrected: Sequence[str] | None = None,
) -> list[Segment]:
    """Split normalized query words into segments: a synonym phrase found in the query (the
    longest one starting at each word) becomes one segment with its synonyms, any other word
    a segment of its own. `corrected` (the same words with their typos corrected, word for
    word) finds the phrases the typed words miss; the segment keeps the typed words."""
    table = _synonym_table(tuple(tuple(group) for group in groups))
    longest = max(map(len, table), default=0)
    corrected = list(words) if corrected is None else list(corrected)
    segments: list[Segment] = []
    start = 0
    while start < len(words):
        for size in range(min(longest, len(words) - start), 0, -1):
            typed = tuple(words[start : start + size])
            fixed = tuple(corrected[start : start + size])
            phrase = typed if typed in table else fixed
            if phrase in table:
                segments.append(Segment(typed, tuple(p for p in table[phrase] if p != typed)))
                start += size
                break
        else:
            segments.append(Segment((words[start],)))
            start += 1
    return segments


def without_stop_words(segments: Sequence[Segment], stop_words: Collection[str]) -> list[Segment]:
    """The segments a query must match: its one-word stop-word segments dropped, unless
    nothing else is left (a query of stop words only looks for them)."""
    kept = [s for s in segments if s.synonyms or len(s.words) > 1 or s.words[0] not in stop_words]
    return kept or list(segments)
