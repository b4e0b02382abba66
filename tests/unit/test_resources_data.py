"""The curated learning resources file: well-formed, in French, and covering every need."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from marketplace.resources import Resource, ResourceKind, ResourceLevel, load_resource_data
from marketplace.taxonomy import CATEGORY_CODES

KEBAB_CASE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRENCH_WORDS = {"le", "la", "les", "de", "des", "du", "et", "pour", "vos", "votre", "un", "une"}
MIN_RESOURCES_PER_NEED = 3
REQUIRED_FIELDS = {"slug", "kind", "level", "title", "summary", "publisher", "url", "needs"}


@pytest.fixture(scope="module")
def resources() -> list[dict[str, Any]]:
    return load_resource_data()


def test_the_list_has_the_curated_size(resources: list[dict[str, Any]]) -> None:
    assert 35 <= len(resources) <= 45


def test_every_entry_has_the_required_fields(resources: list[dict[str, Any]]) -> None:
    missing = {r.get("slug", "?"): REQUIRED_FIELDS - r.keys() for r in resources}
    assert {slug: fields for slug, fields in missing.items() if fields} == {}


def test_slugs_are_unique_and_kebab_case(resources: list[dict[str, Any]]) -> None:
    slugs = [r["slug"] for r in resources]
    assert [s for s, n in Counter(slugs).items() if n > 1] == []
    assert [s for s in slugs if not KEBAB_CASE.match(s)] == []


def test_kind_and_level_are_allowed_values(resources: list[dict[str, Any]]) -> None:
    kinds = {k.value for k in ResourceKind}
    levels = {level.value for level in ResourceLevel}
    assert [r["slug"] for r in resources if r["kind"] not in kinds] == []
    assert [r["slug"] for r in resources if r["level"] not in levels] == []


def test_need_codes_are_valid_and_one_to_three(resources: list[dict[str, Any]]) -> None:
    for r in resources:
        assert 1 <= len(r["needs"]) <= 3, r["slug"]
        assert len(set(r["needs"])) == len(r["needs"]), r["slug"]
        assert set(r["needs"]) <= set(CATEGORY_CODES), r["slug"]


def test_every_need_is_covered_at_least_three_times(resources: list[dict[str, Any]]) -> None:
    coverage = Counter(code for r in resources for code in r["needs"])
    under = {c: coverage[c] for c in CATEGORY_CODES if coverage[c] < MIN_RESOURCES_PER_NEED}
    assert under == {}


def test_urls_use_https(resources: list[dict[str, Any]]) -> None:
    assert [r["slug"] for r in resources if not r["url"].startswith("https://")] == []
    assert [r["slug"] for r in resources if any(ch.isspace() for ch in r["url"])] == []


def test_summaries_and_titles_are_non_empty_french(resources: list[dict[str, Any]]) -> None:
    for r in resources:
        assert r["title"].strip(), r["slug"]
        summary = r["summary"].strip()
        assert summary, r["slug"]
        words = set(re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", summary.lower()))
        assert words & FRENCH_WORDS, f"{r['slug']}: summary does not look French"
        assert r.get("language", "fr") == "fr", r["slug"]


def test_duration_is_a_positive_integer_when_present(resources: list[dict[str, Any]]) -> None:
    for r in resources:
        if "duration_minutes" in r:
            duration = r["duration_minutes"]
            assert isinstance(duration, int) and not isinstance(duration, bool), r["slug"]
            assert duration > 0, r["slug"]


def test_is_free_is_a_boolean(resources: list[dict[str, Any]]) -> None:
    assert [r["slug"] for r in resources if not isinstance(r.get("is_free", True), bool)] == []


def test_values_fit_the_database_columns(resources: list[dict[str, Any]]) -> None:
    columns = Resource.__table__.columns
    for field in ("slug", "title", "publisher", "url", "language"):
        limit = columns[field].type.length
        too_long = [r["slug"] for r in resources if len(r.get(field, "")) > limit]
        assert too_long == [], f"{field} longer than {limit}"
