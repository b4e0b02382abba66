"""Offline checks for French business identifiers (SIREN, SIRET, VAT, NAF).

Businesses type or paste these numbers when they sign up. Checking the
check digits locally catches typos at once, before any call to the INSEE
or VIES services, and the same helpers build valid-looking numbers for demo
data. Everything here is pure and framework-free so forms, the API and
tests share one implementation.

Validators are strict about format: pass user input through
`normalize_digits` (or `normalize_naf_code`) first.
"""

from __future__ import annotations

import re

SIREN_LENGTH = 9
SIRET_LENGTH = 14

# La Poste's establishments do not follow the Luhn rule: their SIRETs are
# built so that the digit sum is a multiple of 5. Its head office keeps a
# Luhn-valid SIRET (the rule used by python-stdnum).
LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE_SIRET = "35600000000048"

_SIREN_RE = re.compile(r"[0-9]{9}")
_SIRET_RE = re.compile(r"[0-9]{14}")
_VAT_RE = re.compile(r"FR([0-9]{2})([0-9]{9})")
_NAF_RE = re.compile(r"[0-9]{2}\.[0-9]{2}[A-Z]")
_NAF_LOOSE_RE = re.compile(r"([0-9]{2})\.?([0-9]{2})([A-Z])")
_SEPARATORS = str.maketrans("", "", ".-")


def normalize_digits(raw: str) -> str:
    """Drop spaces, dots and dashes because users paste numbers as "552 100 554"."""
    # str.split() with no argument also removes no-break spaces used in French formatting.
    return "".join(raw.split()).translate(_SEPARATORS)


def luhn_checksum_ok(digits: str) -> bool:
    """Check the Luhn key, the check-digit scheme INSEE uses for SIREN and SIRET."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_siren(value: str) -> bool:
    """Tell whether a company number is well formed, to catch typos before calling INSEE."""
    return isinstance(value, str) and bool(_SIREN_RE.fullmatch(value)) and luhn_checksum_ok(value)


def is_valid_siret(value: str) -> bool:
    """Tell whether an establishment number is well formed, honouring La Poste's exception."""
    if not isinstance(value, str) or not _SIRET_RE.fullmatch(value):
        return False
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_HEAD_OFFICE_SIRET:
        return sum(int(char) for char in value) % 5 == 0
    return luhn_checksum_ok(value) and is_valid_siren(value[:SIREN_LENGTH])


def _vat_key(siren: str) -> str:
    """Compute the two-digit key that the tax office prefixes to a SIREN."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def french_vat_number(siren: str) -> str:
    """Derive the intra-EU VAT number from a SIREN so users need not type it."""
    if not is_valid_siren(siren):
        raise ValueError(f"not a valid SIREN: {siren!r}")
    return f"FR{_vat_key(siren)}{siren}"


def is_valid_french_vat(value: str, siren: str | None = None) -> bool:
    """Check a French VAT number's key, and that it belongs to the given SIREN if any."""
    if not isinstance(value, str):
        return False
    match = _VAT_RE.fullmatch("".join(value.split()).upper())
    if match is None:
        return False
    key, vat_siren = match.groups()
    if not is_valid_siren(vat_siren) or key != _vat_key(vat_siren):
        return False
    return siren is None or normalize_digits(siren) == vat_siren


def is_valid_naf_code(value: str) -> bool:
    """Tell whether an activity code has the NAF rév. 2 shape "62.01Z" we store."""
    return isinstance(value, str) and bool(_NAF_RE.fullmatch(value))


def normalize_naf_code(raw: str) -> str:
    """Turn "6201Z" or "62.01z" into the stored form "62.01Z"; does not validate."""
    cleaned = "".join(raw.split()).upper()
    match = _NAF_LOOSE_RE.fullmatch(cleaned)
    if match is None:
        return cleaned
    division, rest, letter = match.groups()
    return f"{division}.{rest}{letter}"


def _with_luhn_digit(body: str) -> str:
    """Append the one check digit that makes the number Luhn-valid."""
    for check in "0123456789":
        if luhn_checksum_ok(body + check):
            return body + check
    raise AssertionError("unreachable: one of ten digits always satisfies Luhn")


def make_siren(seed: int) -> str:
    """Build a deterministic, valid SIREN for demo data and tests."""
    # 7919 is prime and coprime with 90_000_000, so seeds 0..89_999_999 map to
    # distinct 8-digit bodies that never start with 0.
    body = 10_000_000 + (seed * 7919) % 90_000_000
    return _with_luhn_digit(f"{body:08d}")


def make_siret(siren: str, establishment: int) -> str:
    """Build a deterministic, valid SIRET for an establishment (0..9999) of a demo company."""
    if not is_valid_siren(siren):
        raise ValueError(f"not a valid SIREN: {siren!r}")
    if not 0 <= establishment <= 9999:
        raise ValueError(f"establishment must be within 0..9999, got {establishment}")
    body = f"{siren}{establishment:04d}"
    if siren == LA_POSTE_SIREN:
        for check in "0123456789":
            if is_valid_siret(body + check):
                return body + check
    return _with_luhn_digit(body)
