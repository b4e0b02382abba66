"""Tests for marketplace.identifiers: check digits of French business numbers.

Known-good values: 732829320 / 73282932000074 / FR44732829320 are the examples
python-stdnum documents (Google France); 35600000000048 is La Poste's head
office; the VAT key of 303265045 is 40.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.identifiers import (
    LA_POSTE_SIREN,
    french_vat_number,
    is_valid_french_vat,
    is_valid_naf_code,
    is_valid_siren,
    is_valid_siret,
    luhn_checksum_ok,
    make_siren,
    make_siret,
    normalize_digits,
    normalize_naf_code,
)

seeds = st.integers(min_value=0, max_value=10**12)
establishments = st.integers(min_value=0, max_value=9999)


# --- normalize_digits ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("552 100 554", "552100554"),
        ("552.100.554", "552100554"),
        ("552-100-554", "552100554"),
        ("  732 829 320 00074 ", "73282932000074"),
        ("552\u00a0100\u202f554", "552100554"),
        ("", ""),
    ],
)
def test_normalize_digits_strips_separators(raw: str, expected: str) -> None:
    """Does pasted, grouped input come back as bare digits?"""
    assert normalize_digits(raw) == expected


def test_normalize_digits_keeps_letters() -> None:
    """Does normalisation leave letters alone, so the validator can reject them?"""
    assert normalize_digits("55A 100 554") == "55A100554"


# --- Luhn ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("0", True),
        ("18", True),
        ("79927398713", True),
        ("79927398710", False),
        ("", False),
        ("12a4", False),
        ("١٢", False),
    ],
)
def test_luhn_checksum_ok(digits: str, expected: bool) -> None:
    """Does the Luhn check match textbook vectors and reject non-digits?"""
    assert luhn_checksum_ok(digits) is expected


# --- SIREN --------------------------------------------------------------------


@pytest.mark.parametrize("siren", ["552100554", "732829320", "303265045", LA_POSTE_SIREN])
def test_known_sirens_are_valid(siren: str) -> None:
    """Are real, published SIRENs accepted?"""
    assert is_valid_siren(siren)


@pytest.mark.parametrize(
    "value",
    [
        "732829321",  # last digit changed
        "732829302",  # two digits swapped
        "73282932",  # 8 digits
        "7328293200",  # 10 digits
        "73282932O",  # letter O instead of zero
        "732 829 320",  # not normalised
        "",
    ],
)
def test_bad_sirens_are_rejected(value: str) -> None:
    """Are wrong keys, wrong lengths, letters and separators rejected?"""
    assert not is_valid_siren(value)


def test_siren_rejects_non_ascii_digits() -> None:
    """Do Arabic-Indic digits, which str.isdigit accepts, fail the SIREN check?"""
    assert not is_valid_siren("٧٣٢٨٢٩٣٢٠")


def test_siren_rejects_non_strings() -> None:
    """Does an integer (which would lose leading zeros) fail rather than crash?"""
    assert not is_valid_siren(732829320)  # type: ignore[arg-type]


@given(seeds)
def test_make_siren_is_always_valid(seed: int) -> None:
    """Is every generated demo SIREN valid?"""
    assert is_valid_siren(make_siren(seed))


def test_make_siren_is_deterministic_and_distinct() -> None:
    """Do the same seeds give the same SIRENs, and different seeds different ones?"""
    first = [make_siren(seed) for seed in range(1000)]
    assert first == [make_siren(seed) for seed in range(1000)]
    assert len(set(first)) == 1000


@given(seeds, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_breaks_a_siren(seed: int, position: int, delta: int) -> None:
    """Does a SIREN with one digit changed fail?"""
    siren = make_siren(seed)
    digit = (int(siren[position]) + delta) % 10
    mutated = siren[:position] + str(digit) + siren[position + 1 :]
    assert mutated != siren
    assert not is_valid_siren(mutated)


# --- SIRET --------------------------------------------------------------------


@pytest.mark.parametrize("siret", ["73282932000074", "35600000000048"])
def test_known_sirets_are_valid(siret: str) -> None:
    """Are Google France's SIRET and La Poste's head office accepted?"""
    assert is_valid_siret(siret)


@pytest.mark.parametrize(
    "value",
    [
        "73282932000079",  # wrong key
        "7328293200007",  # 13 digits
        "732829320000740",  # 15 digits
        "7328293200007A",
        "732 829 320 00074",
        "",
    ],
)
def test_bad_sirets_are_rejected(value: str) -> None:
    """Are wrong keys, wrong lengths, letters and separators rejected?"""
    assert not is_valid_siret(value)


def test_siret_needs_a_valid_siren_prefix() -> None:
    """Is a Luhn-valid SIRET refused when its first nine digits are not a valid SIREN?"""
    # 100000000 is not Luhn-valid, yet 10000000000008 is as a 14-digit number.
    value = "10000000000008"
    assert luhn_checksum_ok(value)
    assert not is_valid_siren(value[:9])
    assert not is_valid_siret(value)


def test_la_poste_establishment_uses_digit_sum() -> None:
    """Is a La Poste SIRET accepted on its digit sum even though Luhn fails?"""
    value = "35600000000001"  # digit sum 15
    assert not luhn_checksum_ok(value)
    assert is_valid_siret(value)


def test_la_poste_establishment_with_bad_digit_sum_is_rejected() -> None:
    """Is a La Poste establishment refused when its digit sum is off, even if Luhn passes?"""
    value = "35600000000014"  # Luhn-valid, digit sum 19
    assert luhn_checksum_ok(value)
    assert not is_valid_siret(value)


def test_digit_sum_rule_is_only_for_la_poste() -> None:
    """Does the La Poste exception stay out of other companies' SIRETs?"""
    value = "73282932000004"  # digit sum 40, Luhn-invalid
    assert sum(int(c) for c in value) % 5 == 0
    assert not is_valid_siret(value)


@given(seeds, establishments)
def test_make_siret_is_always_valid(seed: int, establishment: int) -> None:
    """Is every generated demo SIRET valid and built on its SIREN?"""
    siren = make_siren(seed)
    siret = make_siret(siren, establishment)
    assert is_valid_siret(siret)
    assert siret.startswith(siren)
    assert siret[9:13] == f"{establishment:04d}"


@given(establishments)
def test_make_siret_handles_la_poste(establishment: int) -> None:
    """Are generated La Poste SIRETs valid under the digit-sum rule?"""
    assert is_valid_siret(make_siret(LA_POSTE_SIREN, establishment))


@pytest.mark.parametrize(("siren", "establishment"), [("732829321", 1), ("732829320", 10000)])
def test_make_siret_rejects_bad_input(siren: str, establishment: int) -> None:
    """Does make_siret refuse an invalid SIREN or an out-of-range establishment?"""
    with pytest.raises(ValueError):
        make_siret(siren, establishment)


# --- VAT ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("siren", "vat"),
    [("303265045", "FR40303265045"), ("732829320", "FR44732829320")],
)
def test_french_vat_number_known_values(siren: str, vat: str) -> None:
    """Does the computed key match published VAT numbers?"""
    assert french_vat_number(siren) == vat


def test_french_vat_number_pads_the_key() -> None:
    """Is a key below 10 written with two digits?"""
    # 10055433612 % 97 == 4: the key of 100554336 is "04".
    assert french_vat_number("100554336") == "FR04100554336"
    assert is_valid_french_vat("FR04100554336")
    assert not is_valid_french_vat("FR4100554336")


def test_french_vat_number_rejects_bad_siren() -> None:
    """Does deriving a VAT number from a mistyped SIREN raise instead of inventing one?"""
    with pytest.raises(ValueError):
        french_vat_number("732829321")


@pytest.mark.parametrize(
    "value",
    ["FR40303265045", "fr40303265045", "FR 40 303 265 045", " fr44 732829320 "],
)
def test_valid_vat_numbers_are_accepted(value: str) -> None:
    """Are VAT numbers accepted whatever their case and spacing?"""
    assert is_valid_french_vat(value)


@pytest.mark.parametrize(
    "value",
    [
        "FR41303265045",  # wrong key
        "FR40303265046",  # SIREN part fails Luhn
        "DE40303265045",  # not French
        "FR4303265045",  # one-digit key
        "FR403032650450",  # 10-digit SIREN part
        "FRAB303265045",  # letter key (non-SIREN entities), not supported
        "40303265045",  # no prefix
        "",
    ],
)
def test_bad_vat_numbers_are_rejected(value: str) -> None:
    """Are wrong keys, foreign prefixes and malformed numbers rejected?"""
    assert not is_valid_french_vat(value)


def test_vat_must_match_given_siren() -> None:
    """Is a valid VAT number refused when it belongs to another company?"""
    assert is_valid_french_vat("FR40303265045", siren="303265045")
    assert is_valid_french_vat("FR40303265045", siren="303 265 045")
    assert not is_valid_french_vat("FR40303265045", siren="732829320")


@given(seeds)
def test_french_vat_number_always_validates(seed: int) -> None:
    """Does every derived VAT number pass the VAT check for its own SIREN?"""
    siren = make_siren(seed)
    assert is_valid_french_vat(french_vat_number(siren), siren=siren)


@given(seeds)
def test_vat_key_matches_the_concatenation_formula(seed: int) -> None:
    """Does the key agree with the other published formula, (SIREN followed by "12") mod 97?"""
    siren = make_siren(seed)
    assert french_vat_number(siren)[2:4] == f"{int(siren + '12') % 97:02d}"


@given(seeds, st.integers(min_value=1, max_value=96))
def test_wrong_vat_key_is_rejected(seed: int, offset: int) -> None:
    """Does any other key than the computed one fail?"""
    siren = make_siren(seed)
    good = int(french_vat_number(siren)[2:4])
    assert not is_valid_french_vat(f"FR{(good + offset) % 97:02d}{siren}")


# --- NAF ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["62.01Z", "01.11Z", "47.91A", "70.22Z"])
def test_valid_naf_codes(value: str) -> None:
    """Are well-formed NAF rév. 2 codes accepted?"""
    assert is_valid_naf_code(value)


@pytest.mark.parametrize(
    "value", ["6201Z", "62.01z", "62.01", "62.1Z", "62.012", "62-01Z", " 62.01Z", "62.01ZZ", ""]
)
def test_malformed_naf_codes_are_rejected(value: str) -> None:
    """Are codes without the dot, lowercase, or with stray characters rejected?"""
    assert not is_valid_naf_code(value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6201Z", "62.01Z"),
        ("62.01z", "62.01Z"),
        (" 62 01 z ", "62.01Z"),
        ("62.01Z", "62.01Z"),
        ("hello", "HELLO"),
    ],
)
def test_normalize_naf_code(raw: str, expected: str) -> None:
    """Does normalisation produce the stored form, and leave garbage for the validator?"""
    assert normalize_naf_code(raw) == expected


@given(st.from_regex(r"[0-9]{2}\.?[0-9]{2}[A-Za-z]", fullmatch=True))
def test_normalized_naf_codes_validate(raw: str) -> None:
    """Is every loosely written NAF code valid once normalised?"""
    assert is_valid_naf_code(normalize_naf_code(raw))
