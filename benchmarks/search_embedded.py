"""Embedded search backend: index build time and query latency at 10,000 and 100,000 offers.

Run by hand (it prints its figures, it asserts nothing):
    .venv/bin/python benchmarks/search_embedded.py [--sizes 10000 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace.geo import REGIONS
from marketplace.search.documents import OfferFacts, offer_document
from marketplace.search.embedded import EmbeddedBackend
from marketplace.search.query import SearchQuery
from marketplace.taxonomy import CATEGORY_CODES

SUBJECTS = {
    "online-presence": [
        "site web",
        "site vitrine",
        "site internet",
        "refonte de site",
        "fiche Google",
    ],
    "ecommerce": [
        "boutique en ligne",
        "e-commerce",
        "paiement en ligne",
        "click and collect",
        "marketplace",
    ],
    "marketing": [
        "référencement naturel",
        "réseaux sociaux",
        "campagne publicitaire",
        "newsletter",
        "SEO local",
    ],
    "crm": ["CRM", "gestion client", "fichier clients", "relances automatiques", "fidélisation"],
    "management": [
        "facturation électronique",
        "ERP",
        "gestion des stocks",
        "logiciel de caisse",
        "devis en ligne",
    ],
    "cybersecurity": [
        "cybersécurité",
        "sauvegarde",
        "double authentification",
        "antivirus",
        "audit de sécurité",
    ],
    "data-ai": [
        "RGPD",
        "tableaux de bord",
        "intelligence artificielle",
        "données clients",
        "automatisation",
    ],
    "export": [
        "export",
        "vente à l'international",
        "site multilingue",
        "marketplaces européennes",
        "TVA OSS",
    ],
    "training": [
        "formation",
        "atelier numérique",
        "accompagnement",
        "initiation",
        "montée en compétences",
    ],
    "green": [
        "numérique responsable",
        "sobriété numérique",
        "matériel reconditionné",
        "éco-conception",
        "bilan carbone",
    ],
}
SECTORS = [
    "boulangeries",
    "artisans",
    "commerçants",
    "restaurants",
    "cabinets",
    "TPE industrielles",
    "agriculteurs",
    "hôtels",
    "professions libérales",
    "associations",
]
PROVIDERS = [
    f"{a} {b}"
    for a in ("Atelier", "Agence", "Studio", "Cabinet", "Collectif")
    for b in ("Numérique", "Digital", "Web", "Connecté", "Pixel", "Data", "Cyber", "Conseil")
]


def documents(n: int, seed: int = 7) -> Iterator[dict]:
    rng = random.Random(seed)
    regions = [r.code for r in REGIONS]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(1, n + 1):
        category = rng.choice(CATEGORY_CODES)
        subject = rng.choice(SUBJECTS[category])
        sector = rng.choice(SECTORS)
        extra = rng.sample([c for c in CATEGORY_CODES if c != category], rng.randint(0, 2))
        yield offer_document(
            OfferFacts(
                id=i,
                title=f"{subject.capitalize()} pour {sector}",
                summary=f"Pour les {sector} : {subject}, {rng.choice(SUBJECTS[category])}.",
                description=" ".join(
                    rng.choice(SUBJECTS[rng.choice(CATEGORY_CODES)]) for _ in range(30)
                ),
                category=category,
                needs=tuple(extra),
                provider_id=rng.randint(1, 2000),
                provider_name=f"{rng.choice(PROVIDERS)} {rng.randint(1, 500)}",
                provider_kind="volunteer" if rng.random() < 0.1 else "expert",
                regions=tuple(rng.sample(regions, rng.randint(1, 3))),
                delivery_mode=rng.choice(("remote", "on_site", "hybrid")),
                price_cents=0 if rng.random() < 0.08 else rng.randrange(20_000, 1_200_000, 500),
                vat_rate_bp=2000,
                pricing_unit="fixed",
                duration_days=rng.randint(1, 60),
                languages=("fr",) if rng.random() < 0.8 else ("fr", "en"),
                published_at=start + timedelta(minutes=i),
                rating=rng.choice((0, 350, 400, 450, 480, 500)),
            )
        )


def query_mix(rng: random.Random) -> dict[str, Callable[[], SearchQuery]]:
    words = [
        "site web",
        "boutique en ligne",
        "cybersecurite",
        "comerce en ligne",
        "site internet",
        "référencement",
        "sauvegarde",
        "facturation électronique",
        "crm",
        "formation",
        # Sentences, as SMEs type them (stop words, words no offer has, "last" strategy).
        "formation excel salariés",
        "vendre sur marketplace amazon",
        "logiciel de caisse boulangerie",
        "site vitrine pour mon restaurant",
        "audit de sécurité informatique pour TPE industrielles",
    ]
    regions = [r.code for r in REGIONS]
    return {
        "text": lambda: SearchQuery(text=rng.choice(words), facets=()),
        "text, pages 2-10": lambda: SearchQuery(
            text=rng.choice(words), page=rng.randint(2, 10), facets=()
        ),
        "filters": lambda: SearchQuery(
            needs=(rng.choice(CATEGORY_CODES),),
            regions=(rng.choice(regions),),
            include_remote=True,
            sort=rng.choice(("relevance", "price_asc", "rating_desc")),
            facets=(),
        ),
        "text+filters+facets": lambda: SearchQuery(
            text=rng.choice(words),
            regions=(rng.choice(regions),),
            include_remote=True,
            price_bands=(rng.choice(("under_500", "500_2000", "2000_5000")),),
        ),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(backend: EmbeddedBackend, query: SearchQuery) -> float:
    started = time.perf_counter()
    backend.search(query)
    return (time.perf_counter() - started) * 1000


def report(name: str, timings: list[float]) -> None:
    print(
        f"  {name:<30} p50 {statistics.median(timings):6.1f} ms   "
        f"p95 {percentile(timings, 95):6.1f} ms   max {max(timings):6.1f} ms"
    )


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(size: int, queries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.sqlite3"
        # No match cache: every query pays for its FTS5 matching, as a first search does.
        backend = EmbeddedBackend(path, match_cache_size=0)
        backend.apply_settings()
        started = time.perf_counter()
        count = backend.rebuild(documents(size))
        build = time.perf_counter() - started
        print(f"\n{size:,} offers: index built in {build:.1f} s ({count:,} documents)")
        before = peak_memory_mb()
        first = timed(backend, SearchQuery())
        grown = peak_memory_mb() - before
        print(f"  first search {first:.0f} ms (reads the fields: peak memory +{grown:.0f} MB)")
        rng = random.Random(size)
        for name, make in query_mix(rng).items():
            backend.search(make())
            report(name, [timed(backend, make()) for _ in range(queries)])
        cached = EmbeddedBackend(path)
        cached.search(SearchQuery())  # reads the fields
        make = query_mix(rng)["text+filters+facets"]
        report("the same, match cache on", [timed(cached, make()) for _ in range(queries)])
        writes = []
        for seed in range(1, 21):
            backend.upsert([next(documents(1, seed=seed))])
            writes.append(timed(backend, SearchQuery(facets=())))
        report("first search after a write", writes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    for size in args.sizes:
        run(size, args.queries)


if __name__ == "__main__":
    main()
