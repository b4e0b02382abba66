"""Am I eligible? The programmes open to a visitor's size band and department, whatever the
offer, and the example split on an offer (marketplace.billing.eligibility)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from marketplace.billing.eligibility import (
    applicable_programmes,
    check_eligibility,
    company_reasons,
    eligibility,
    programme_names,
    visitor_company,
)
from marketplace.billing.split import (
    BookingLine,
    Ineligibility,
    OfferFacts,
    ProgrammeFacts,
)
from marketplace.extensions import db
from tests.factories import admin_user, programme, provider_user, published_offer

TODAY = date(2026, 6, 15)
LYON = visitor_company("3-9", "69")  # Auvergne-Rhône-Alpes (84)
RENNES = visitor_company("50-249", "35")  # Bretagne (53)
SHOP = OfferFacts(category="ecommerce", price_excl_vat_cents=400_000, provider_kind="expert")


def facts(code: str, **changes: object) -> ProgrammeFacts:
    values: dict[str, object] = {
        "code": code,
        "name": f"Programme {code}",
        "funder": "region",
        "rate_bp": 5000,
        "stacking_order": 1,
    }
    values.update(changes)
    return ProgrammeFacts(**values)  # type: ignore[arg-type]


NATIONAL = facts("france-num", funder="state", stacking_order=0, cap_per_booking_cents=150_000)
AURA = facts("aura", regions=frozenset({"84"}), rate_bp=3000)
SMALL_ONLY = facts("tpe", size_bands=frozenset({"0-2", "3-9"}))
CRM_ONLY = facts("crm", categories=frozenset({"crm"}))
LATER = facts("later", valid_from=TODAY + timedelta(days=1))
OVER = facts("over", valid_to=TODAY - timedelta(days=1))
EVERY = (LATER, SMALL_ONLY, CRM_ONLY, AURA, NATIONAL, OVER)


def test_the_region_comes_from_the_department() -> None:
    assert (LYON.region, LYON.department, LYON.size_band) == ("84", "69", "3-9")
    assert LYON.de_minimis_grants == ()  # a visitor declares none


@pytest.mark.parametrize(("band", "department"), [("1-5", "69"), ("3-9", "00"), ("3-9", "")])
def test_unknown_answers_are_refused(band: str, department: str) -> None:
    with pytest.raises(ValueError):
        visitor_company(band, department)


def test_programmes_open_to_the_company_in_stacking_order() -> None:
    """Are region, size band and dates checked, the category left for the offer?"""
    assert [p.code for p in applicable_programmes(EVERY, LYON, TODAY)] == [
        "france-num",
        "aura",
        "crm",
        "tpe",
    ]
    assert [p.code for p in applicable_programmes(EVERY, RENNES, TODAY)] == ["france-num", "crm"]


def test_every_company_reason_is_reported() -> None:
    closed_elsewhere = facts("x", regions=frozenset({"53"}), size_bands=frozenset({"0-2"}))
    assert company_reasons(closed_elsewhere, LYON, TODAY) == (
        Ineligibility.REGION,
        Ineligibility.SIZE_BAND,
    )
    assert company_reasons(LATER, LYON, TODAY) == (Ineligibility.NOT_YET_OPEN,)
    assert company_reasons(OVER, LYON, TODAY) == (Ineligibility.CLOSED,)
    assert company_reasons(CRM_ONLY, LYON, TODAY) == ()


def test_validity_dates_are_inclusive() -> None:
    one_day = facts("day", valid_from=TODAY, valid_to=TODAY)
    assert applicable_programmes([one_day], LYON, TODAY) == (one_day,)


def test_the_example_split_is_the_engines_with_nothing_used() -> None:
    """A 4,000 € shop for a Lyon firm of 3-9: national 50 % capped at 1,500 €, then the
    region's 30 % (1,200 €); the small-firm programme's 50 % is bounded at 100 % excl. VAT."""
    answer = eligibility(LYON, EVERY, TODAY, SHOP, BookingLine(400_000, 1, 2000))
    assert answer.example is not None
    amounts = {line.programme_code: line.amount_cents for line in answer.example.lines}
    assert amounts == {
        "france-num": 150_000,
        "aura": 120_000,
        "crm": 0,  # not its category
        "tpe": 130_000,  # what is left under 100 % of 4,000 €
        "later": 0,
        "over": 0,
    }
    assert answer.example.incl_vat_cents == 480_000
    assert answer.example.company_share_cents == 480_000 - 400_000


def test_without_an_offer_there_is_no_example() -> None:
    assert eligibility(LYON, EVERY, TODAY).example is None


def test_from_the_database(app: Flask) -> None:
    """Are the open programmes read with what remains of their budget, and the offer at its
    listed price?"""
    with app.app_context():
        admin = admin_user(db.session)
        programme(db.session, admin, code="national", name="Chèque national")
        programme(db.session, admin, code="bretagne", name="Pass Bretagne", regions=["53"])
        programme(
            db.session,
            admin,
            code="ferme",
            name="Clos",
            valid_from=date.today() - timedelta(days=30),
            valid_to=date.today() - timedelta(days=1),
        )
        programme(db.session, admin, code="vide", name="Épuisé", budget_cents=0)
        offer = published_offer(db.session, provider_user(db.session), admin)
        answer = check_eligibility(db.session, visitor_company("3-9", "69"), date.today(), offer)
        assert [p.code for p in answer.programmes] == ["national", "vide"]
        assert answer.programmes[1].remaining_budget_cents == 0
        assert answer.example is not None
        # 50 % of 4,000 € capped at 2,500 € per booking; the empty budget gives nothing.
        assert answer.example.subsidies_cents == 200_000
        assert check_eligibility(db.session, RENNES, date.today()).example is None
        assert programme_names(db.session)["bretagne"] == "Pass Bretagne"
        db.session.rollback()
