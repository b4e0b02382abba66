"""Demo offers: about 300 realistic French offers from the demo providers with a live label.

Offers are generated from templates (what is sold, per category) crossed with the sectors they
are written for, so the catalogue reads as varied as a real one and search has the words SMEs
type ("site vitrine", "boutique en ligne", "cybersécurité", "RGPD", "facturation électronique"…);
volunteers offer free workshops. That content is in `data/offers.json`. Everything is
deterministic (orders are shuffled with fixed seeds) and goes through the catalogue services
(create, then publish), so demo offers obey the publishing rules. Idempotent by
(provider, title); it flushes and never commits.
"""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Membership, Provider, ProviderKind, User
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import OfferData, create_offer, publish_offer
from marketplace.directory import has_live_label
from marketplace.errors import Conflict
from marketplace.geo import REGION_BY_CODE
from marketplace.taxonomy import LANGUAGE_NAMES

DATA_DIR = Path(__file__).parent / "data"

TARGET_OFFERS = 300
VOLUNTEER_OFFERS = 15  # per volunteer advisor; experts share the rest
REMOTE, ON_SITE = "remote", "on_site"


@dataclass(frozen=True)
class _Sector:
    name: str  # "les restaurants et cafés": reads after "pour"
    client: str  # "votre restaurant": reads after "de" / "pour"
    price_percent: int  # price adjustment (bigger businesses, bigger projects)


@dataclass(frozen=True)
class _Template:
    category: str
    title: str  # "{sector}": "les restaurants et cafés"; "{who}": "restaurants et cafés"
    summary: str
    description: str  # "{client}", "{region}" and "{provider}" are replaced
    price_cents: int
    unit: str
    duration_days: int | None
    delivery: str
    needs: tuple[str, ...]
    vat_rate_bp: int


@dataclass(frozen=True)
class _Workshop:
    topic: str  # completes the workshop title: "Atelier découverte : {topic} ({audience})"
    need: str
    summary: str


@dataclass(frozen=True)
class _WorkshopText:
    title: str  # "{topic}", "{audience}"
    description: str  # "{provider}", "{audience}", "{summary}"
    in_person: str  # appended for on-site sessions; "{region}"


_content = json.loads((DATA_DIR / "offers.json").read_text(encoding="utf-8"))
SECTORS: tuple[_Sector, ...] = tuple(_Sector(**sector) for sector in _content["sectors"])
# What is sold, per category (a label's category code).
TEMPLATES: dict[str, tuple[_Template, ...]] = {
    category: tuple(
        _Template(**{**template, "category": category, "needs": tuple(template["needs"])})
        for template in templates
    )
    for category, templates in _content["templates"].items()
}
# Free sessions of volunteer advisors ("connecteurs"), for their audiences.
WORKSHOP_TEXT = _WorkshopText(**_content["workshop"])
WORKSHOPS: tuple[_Workshop, ...] = tuple(_Workshop(**w) for w in _content["workshops"])
AUDIENCES: tuple[str, ...] = tuple(_content["audiences"])


def seed_demo_offers(session: Session, today: date) -> tuple[int, int]:
    """Create the missing demo offers; return (created, already present)."""
    providers = list(
        session.scalars(select(Provider).where(has_live_label(today)).order_by(Provider.siret))
    )
    volunteers = [p for p in providers if p.kind == ProviderKind.VOLUNTEER]
    experts = [p for p in providers if p.kind != ProviderKind.VOLUNTEER]
    expert_budget = max(TARGET_OFFERS - VOLUNTEER_OFFERS * len(volunteers), 0)
    created = present = 0
    for provider in providers:
        actor = _member(session, provider)
        if actor is None:
            continue
        if provider.kind == ProviderKind.VOLUNTEER:
            wanted = _volunteer_offers(provider, VOLUNTEER_OFFERS)
        else:
            share, extra = divmod(expert_budget, len(experts))
            count = share + (1 if experts.index(provider) < extra else 0)
            wanted = _expert_offers(provider, count)
        existing = set(session.scalars(select(Offer.title).where(Offer.provider_id == provider.id)))
        for data in wanted:
            if data.title in existing:
                present += 1
                continue
            offer = create_offer(session, actor, provider, data)
            # A refusal (a rule the templates missed) leaves a draft rather than no demo at all.
            with suppress(Conflict):
                publish_offer(session, actor, offer, today)
            existing.add(data.title)
            created += 1
    session.flush()
    return created, present


def _member(session: Session, provider: Provider) -> User | None:
    return session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.provider_id == provider.id)
        .order_by(User.id)
        .limit(1)
    )


def _served_regions(provider: Provider) -> list[str]:
    return [r.code for r in provider.regions] or [provider.department.region_code]


def _region_name(codes: list[str]) -> str:
    return REGION_BY_CODE[codes[0]].name


def _expert_offers(provider: Provider, count: int) -> list[OfferData]:
    """`count` offers taking turns over the label's categories, each template for a sector."""
    label = provider.current_label
    categories = [c for c in (label.category_codes if label else []) if c in TEMPLATES]
    if not categories:
        return []
    # Every (template, sector) pair of a category, in an order of this provider's own: seeded
    # by its SIRET, so two agencies in the same trade do not list the same offers.
    queues = []
    for category in categories:
        pairs = [(t, s) for t in TEMPLATES[category] for s in SECTORS]
        Random(f"{provider.siret}-{category}").shuffle(pairs)
        queues.append(pairs)
    regions = _served_regions(provider)
    offers: list[OfferData] = []
    for n in range(min(count, sum(len(q) for q in queues))):
        queue = queues[n % len(queues)] or next(q for q in queues if q)
        template, sector = queue.pop(0)
        offers.append(_from_template(provider, template, sector, regions, n))
    return offers


def _title(template: _Template, sector: _Sector) -> str:
    return template.title.format(sector=sector.name, who=sector.name.split(" ", 1)[1])


def _from_template(
    provider: Provider, template: _Template, sector: _Sector, regions: list[str], n: int
) -> OfferData:
    factor = sector.price_percent + (n % 4) * 5  # the same offer is never priced quite the same
    step = 1000 if template.price_cents >= 100_000 else 100  # whole tens or whole euros
    price = template.price_cents * factor // 100 // step * step
    delivery = template.delivery
    languages = ["fr"]
    if template.category == "export" or n % 4 == 0:
        languages += [code for code in provider.languages if code != "fr"]
    return OfferData(
        title=_title(template, sector),
        summary=template.summary,
        description=template.description.format(
            client=sector.client, region=_region_name(regions), provider=provider.name
        ),
        category=template.category,
        needs=[template.category, *template.needs],
        price_excl_vat_cents=price,
        vat_rate_bp=template.vat_rate_bp,
        pricing_unit=template.unit,
        duration_days=template.duration_days,
        delivery_mode=delivery,
        regions=[] if delivery == REMOTE else regions,
        languages=[code for code in LANGUAGE_NAMES if code in languages],
    )


def _volunteer_offers(provider: Provider, count: int) -> list[OfferData]:
    """Free discovery workshops, each topic for one audience, in the advisor's regions."""
    regions = _served_regions(provider)
    label = provider.current_label
    home = "training" if label is None or "training" in label.category_codes else None
    offers = []
    pairs = [(w, a) for w in WORKSHOPS for a in AUDIENCES]
    Random(provider.siret).shuffle(pairs)
    for n, (workshop, audience) in enumerate(pairs[:count]):
        remote = n % 3 == 2
        category = home or workshop.need
        offers.append(
            OfferData(
                title=WORKSHOP_TEXT.title.format(topic=workshop.topic, audience=audience),
                summary=workshop.summary,
                description=WORKSHOP_TEXT.description.format(
                    provider=provider.name, audience=audience, summary=workshop.summary
                )
                + ("" if remote else WORKSHOP_TEXT.in_person.format(region=_region_name(regions))),
                category=category,
                needs=list(dict.fromkeys([category, workshop.need])),
                price_excl_vat_cents=0,
                vat_rate_bp=0,
                pricing_unit="per_session",
                duration_days=1,
                delivery_mode=REMOTE if remote else ON_SITE,
                regions=[] if remote else regions,
                languages=["fr"],
            )
        )
    return offers
