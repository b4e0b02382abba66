"""Recommendations per need: which resources and which volunteer advisors a company is shown."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.diagnosis.recommendations import advisors_for_needs, resources_for_needs
from marketplace.labels.models import LabelStatus
from marketplace.resources import sync_resources
from tests.factories import admin_user, approved_label, company_user, pending_label, provider_user


def resource(slug: str, needs: list[str], level: str = "beginner", **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "kind": "guide",
        "level": level,
        "title": extra.pop("title", slug.replace("-", " ").title()),
        "summary": "Un guide pratique.",
        "publisher": "France Num",
        "url": f"https://www.francenum.gouv.fr/{slug}",
        "needs": needs,
        **extra,
    }


def volunteer(
    session: Session,
    admin: User,
    name: str,
    categories: tuple[str, ...] = ("crm",),
    regions: tuple[str, ...] = (),
    department: str = "69",
    remote_ok: bool = True,
) -> User:
    user = provider_user(
        session, kind="volunteer", name=name, department=department, regions=regions
    )
    assert user.provider is not None
    user.provider.remote_ok = remote_ok
    approved_label(session, user, admin, categories)
    return user


def test_resources_come_per_need_beginner_first_then_by_title(session: Session) -> None:
    sync_resources(
        session,
        [
            resource("z-advanced", ["crm"], "advanced", title="A advanced"),
            resource("crm-intermediate", ["crm"], "intermediate", title="B intermediate"),
            resource("crm-beginner-b", ["crm"], title="D beginner"),
            resource("crm-beginner-a", ["crm", "marketing"], title="C beginner"),
            resource("seo", ["marketing"], "advanced", title="SEO"),
        ],
    )
    found = resources_for_needs(session, ["crm", "marketing", "green"])
    assert [r.slug for r in found["crm"]] == [
        "crm-beginner-a",
        "crm-beginner-b",
        "crm-intermediate",
    ]
    assert [r.slug for r in found["marketing"]] == ["crm-beginner-a", "seo"]
    assert found["green"] == []
    assert list(found) == ["crm", "marketing", "green"]


def test_resources_per_need_limit(session: Session) -> None:
    sync_resources(session, [resource(f"crm-{i}", ["crm"]) for i in range(5)])
    assert len(resources_for_needs(session, ["crm"], per_need=2)["crm"]) == 2


def test_advisors_are_live_volunteers_covering_the_need(session: Session) -> None:
    """Are experts, unlabelled, suspended or expired volunteers, and other needs left out?"""
    admin = admin_user(session)
    company = company_user(session, department="69").company
    good = volunteer(session, admin, "Bénévole CRM")
    volunteer(session, admin, "Bénévole Vert", categories=("green",))
    expert = provider_user(session, kind="expert", name="Expert CRM", department="69")
    approved_label(session, expert, admin, ("crm",))
    pending = provider_user(session, kind="volunteer", name="En attente", department="69")
    pending_label(session, pending, ("crm",))
    suspended = volunteer(session, admin, "Suspendu")
    suspended.provider.current_label.status = LabelStatus.SUSPENDED
    volunteer(session, admin, "Expiré")
    found = advisors_for_needs(
        session, company, ["crm", "green"], date.today() + timedelta(days=400)
    )
    assert found == {"crm": [], "green": []}, "every label here expires within a year"
    expired = volunteer(session, admin, "Expiré pour de bon")
    expired.provider.current_label.valid_until = date.today() - timedelta(days=1)
    session.flush()
    found = advisors_for_needs(session, company, ["crm"], date.today())
    assert [p.name for p in found["crm"]] == ["Bénévole CRM", "Expiré"]
    assert found["crm"][0].id == good.provider.id


def test_advisors_serve_the_region_or_work_remotely_region_first(session: Session) -> None:
    admin = admin_user(session)
    company = company_user(session, department="69").company  # Auvergne-Rhône-Alpes (84)
    volunteer(session, admin, "A distance en Bretagne", department="35", remote_ok=True)
    volunteer(session, admin, "Bretagne sur place", department="35", remote_ok=False)
    volunteer(session, admin, "Lyon sur place", department="69", remote_ok=False)
    volunteer(session, admin, "Rennes sert aussi Lyon", department="35", regions=("53", "84"))
    found = advisors_for_needs(session, company, ["crm"], date.today())
    assert [p.name for p in found["crm"]] == [
        "Lyon sur place",
        "Rennes sert aussi Lyon",
        "A distance en Bretagne",
    ]
    assert advisors_for_needs(session, company, ["crm"], date.today(), per_need=1)["crm"][
        0
    ].name == ("Lyon sur place")


def test_advisors_take_one_query_per_need(session: Session) -> None:
    """Is the cost independent of how many volunteers there are (no query per provider)?"""
    admin = admin_user(session)
    company = company_user(session).company
    for i in range(6):
        volunteer(session, admin, f"Bénévole {i}", categories=("crm", "marketing"))
    session.flush()
    assert company.department.region_code  # loaded before counting
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        found = advisors_for_needs(session, company, ["crm", "marketing"], date.today())
        names = [p.department.name for ps in found.values() for p in ps]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(names) == 6
    assert len(statements) <= 4  # per need: the providers, then their departments
