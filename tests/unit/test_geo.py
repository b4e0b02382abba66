"""Tests for marketplace.geo: the 2016 map of French regions and departments."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.geo import (
    DEPARTMENT_BY_CODE,
    DEPARTMENTS,
    REGION_BY_CODE,
    REGIONS,
    Department,
    Region,
    departments_in_region,
    normalize_department_code,
    region_of_department,
)


def test_there_are_18_regions() -> None:
    """Are all 13 metropolitan and 5 overseas regions listed?"""
    assert len(REGIONS) == 18
    assert {r.code for r in REGIONS} >= {"01", "02", "03", "04", "06"}


def test_there_are_101_departments() -> None:
    """Are all 96 metropolitan and 5 overseas departments listed?"""
    assert len(DEPARTMENTS) == 101
    assert sum(1 for d in DEPARTMENTS if len(d.code) == 3) == 5


def test_codes_and_names_are_unique() -> None:
    """Could a lookup by code or a select list silently hit a duplicate?"""
    assert len({r.code for r in REGIONS}) == len(REGIONS)
    assert len({r.name for r in REGIONS}) == len(REGIONS)
    assert len({d.code for d in DEPARTMENTS}) == len(DEPARTMENTS)
    assert len({d.name for d in DEPARTMENTS}) == len(DEPARTMENTS)


def test_department_codes_are_exactly_the_insee_list() -> None:
    """Is the set of codes 01..95 without 20, plus 2A, 2B and the overseas codes?"""
    expected = {f"{n:02d}" for n in range(1, 96) if n != 20}
    expected |= {"2A", "2B", "971", "972", "973", "974", "976"}
    assert {d.code for d in DEPARTMENTS} == expected


def test_every_department_region_exists() -> None:
    """Does each department point at a listed region?"""
    for dept in DEPARTMENTS:
        assert dept.region_code in REGION_BY_CODE, dept


def test_every_region_has_a_department() -> None:
    """Is there a region no department belongs to?"""
    used = {d.region_code for d in DEPARTMENTS}
    assert {r.code for r in REGIONS} == used


@pytest.mark.parametrize(
    ("region_code", "count"),
    [
        ("11", 8),
        ("24", 6),
        ("27", 8),
        ("28", 5),
        ("32", 5),
        ("44", 10),
        ("52", 5),
        ("53", 4),
        ("75", 12),
        ("76", 13),
        ("84", 12),
        ("93", 6),
        ("94", 2),
        ("01", 1),
        ("02", 1),
        ("03", 1),
        ("04", 1),
        ("06", 1),
    ],
)
def test_departments_per_region(region_code: str, count: int) -> None:
    """Does each region hold the number of departments the 2016 reform gave it?"""
    assert Counter(d.region_code for d in DEPARTMENTS)[region_code] == count


@pytest.mark.parametrize(
    ("dept_code", "dept_name", "region_code"),
    [
        ("69", "Rhône", "84"),
        ("976", "Mayotte", "06"),
        ("2A", "Corse-du-Sud", "94"),
        ("2B", "Haute-Corse", "94"),
        ("75", "Paris", "11"),
        ("08", "Ardennes", "44"),
        ("01", "Ain", "84"),
        ("21", "Côte-d'Or", "27"),
        ("29", "Finistère", "53"),
        ("44", "Loire-Atlantique", "52"),
        ("64", "Pyrénées-Atlantiques", "75"),
        ("90", "Territoire de Belfort", "27"),
        ("974", "La Réunion", "04"),
    ],
)
def test_department_spot_checks(dept_code: str, dept_name: str, region_code: str) -> None:
    """Do well-known departments carry their official name and region?"""
    dept = DEPARTMENT_BY_CODE[dept_code]
    assert dept.name == dept_name
    assert dept.region_code == region_code


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("11", "Île-de-France"),
        ("27", "Bourgogne-Franche-Comté"),
        ("84", "Auvergne-Rhône-Alpes"),
        ("93", "Provence-Alpes-Côte d'Azur"),
        ("04", "La Réunion"),
    ],
)
def test_region_names_keep_their_accents(code: str, name: str) -> None:
    """Are accented official names spelled exactly?"""
    assert REGION_BY_CODE[code].name == name


def test_region_of_department() -> None:
    """Does a department resolve to its Region object?"""
    assert region_of_department("69") == Region("84", "Auvergne-Rhône-Alpes")
    assert region_of_department("2B").name == "Corse"


@pytest.mark.parametrize("code", ["20", "975", "1", "", "2a"])
def test_region_of_unknown_department_raises(code: str) -> None:
    """Does an unknown or unnormalised code raise KeyError rather than guess?"""
    with pytest.raises(KeyError):
        region_of_department(code)


def test_departments_in_region() -> None:
    """Does a region list exactly its departments, in the canonical order?"""
    assert [d.code for d in departments_in_region("94")] == ["2A", "2B"]
    assert [d.code for d in departments_in_region("53")] == ["22", "29", "35", "56"]
    assert departments_in_region("99") == ()


def test_departments_in_region_partition_the_map() -> None:
    """Does every department appear in exactly one region's list?"""
    listed = [d for r in REGIONS for d in departments_in_region(r.code)]
    assert sorted(listed, key=lambda d: d.code) == sorted(DEPARTMENTS, key=lambda d: d.code)


def test_reference_data_is_immutable() -> None:
    """Can a caller accidentally rename a department shared by the whole app?"""
    dept = DEPARTMENT_BY_CODE["75"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        dept.name = "Lutèce"  # type: ignore[misc]
    assert isinstance(dept, Department)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", "01"),
        (" 9 ", "09"),
        ("01", "01"),
        ("2a", "2A"),
        (" 2b", "2B"),
        ("971", "971"),
        ("75", "75"),
        ("99", "99"),
        ("", ""),
    ],
)
def test_normalize_department_code(raw: str, expected: str) -> None:
    """Does user input become the INSEE form, without validating it?"""
    assert normalize_department_code(raw) == expected


@given(st.sampled_from(DEPARTMENTS))
def test_normalize_is_idempotent_on_real_codes(dept: Department) -> None:
    """Does normalising a canonical code, or its lowercase, give it back unchanged?"""
    assert normalize_department_code(dept.code) == dept.code
    assert normalize_department_code(dept.code.lower()) == dept.code
