"""Split engine throughput: random (seeded) bookings split by `compute_split`.

Run by hand (it prints its figures, it asserts nothing; not part of CI):
    .venv/bin/python benchmarks/split_engine.py [--cases 1000000] [--seed 2831]

Cases are built in batches outside the timed section, so the figure is the engine's alone.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace.billing.split import (
    BookingLine,
    CompanyFacts,
    DeMinimisGrant,
    OfferFacts,
    ProgrammeFacts,
    compute_split,
)

CATEGORIES = ["online-presence", "ecommerce", "marketing", "crm", "management", "cybersecurity"]
REGIONS = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93"]
SIZE_BANDS = ["0-2", "3-9", "10-49", "50-249"]
VAT_RATES = [0, 550, 1000, 2000]
BOOKING_DAY = date(2026, 6, 15)

Case = tuple[BookingLine, OfferFacts, CompanyFacts, list[ProgrammeFacts], date]


def maybe(rng: random.Random, value: int) -> int | None:
    return value if rng.random() < 0.6 else None


def random_programme(rng: random.Random, code: str) -> ProgrammeFacts:
    return ProgrammeFacts(
        code=code,
        name=f"Programme {code}",
        funder=rng.choice(["État", "Région", "UE"]),
        rate_bp=rng.randrange(0, 10_001, 250),
        stacking_order=rng.randrange(4),
        cap_per_booking_cents=maybe(rng, rng.randrange(50_000, 1_000_000)),
        cap_per_company_cents=maybe(rng, rng.randrange(100_000, 5_000_000)),
        company_used_cents=rng.randrange(0, 2_000_000),
        remaining_budget_cents=maybe(rng, rng.randrange(0, 10**8)),
        de_minimis=rng.random() < 0.5,
        max_aid_intensity_bp=maybe(rng, rng.randrange(3000, 10_001, 500)),
        regions=frozenset(rng.sample(REGIONS, 3)) if rng.random() < 0.4 else None,
        size_bands=frozenset(rng.sample(SIZE_BANDS, 3)) if rng.random() < 0.3 else None,
        categories=frozenset(rng.sample(CATEGORIES, 4)) if rng.random() < 0.3 else None,
        valid_from=BOOKING_DAY - timedelta(days=rng.randrange(-30, 700)),
        valid_to=BOOKING_DAY + timedelta(days=rng.randrange(-30, 700)),
    )


def random_case(rng: random.Random) -> Case:
    line = BookingLine(
        unit_price_excl_vat_cents=rng.randrange(1, 2_000_000),
        quantity=rng.randrange(1, 11),
        vat_rate_bp=rng.choice(VAT_RATES),
    )
    offer = OfferFacts(
        category=rng.choice(CATEGORIES),
        price_excl_vat_cents=line.unit_price_excl_vat_cents,
        provider_kind="volunteer" if rng.random() < 0.05 else "expert",
    )
    grants = tuple(
        DeMinimisGrant(
            BOOKING_DAY - timedelta(days=rng.randrange(0, 1500)), rng.randrange(0, 15_000_000)
        )
        for _ in range(rng.randrange(4))
    )
    company = CompanyFacts(
        size_band=rng.choice(SIZE_BANDS),
        region=rng.choice(REGIONS),
        department="69",
        de_minimis_grants=grants,
    )
    programmes = [random_programme(rng, code) for code in "ABCD"[: rng.randrange(5)]]
    return line, offer, company, programmes, BOOKING_DAY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2831)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    started = time.perf_counter()
    engine = 0.0
    done = 0
    subsidised = 0
    while done < args.cases:
        batch = [random_case(rng) for _ in range(min(args.batch, args.cases - done))]
        tick = time.perf_counter()
        for line, offer, company, programmes, on in batch:
            subsidised += compute_split(line, offer, company, programmes, on).subsidies_cents > 0
        engine += time.perf_counter() - tick
        done += len(batch)
    total = time.perf_counter() - started

    print(f"cases:            {done:,}")
    print(f"with a subsidy:   {subsidised:,}")
    print(
        f"engine time:      {engine:.2f} s  ({done / engine:,.0f} cases/s, "
        f"{engine / done * 1e6:.1f} µs/case)"
    )
    print(f"total time:       {total:.2f} s  (including case generation)")


if __name__ == "__main__":
    main()
