"""Served routes as a share of a bare Flask app under the same gunicorn settings (issue 14 §6).

Absolute req/s vary 2-3x on a shared machine, so each route is reported as a ratio to a bare
Flask "hello" app served by gunicorn with the same workers and threads, measured in the same run.
The load generator is wrk (Debian's `wrk`); without it, a small threaded Python client (its own
cost then weighs on both sides). Run by hand (prints its figures, asserts nothing):

    .venv/bin/python benchmarks/http_load.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
        [--offers 300] [--seconds 5] [--connections 16] [--workers 2] [--threads 4]

It creates a throwaway PostgreSQL database, seeds offers, and drops it afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from tests.factories import admin_user, bearer_for, provider_user, published_offer  # noqa: E402
from tests.integration.processes import free_port, gunicorn, stop, wait_ready  # noqa: E402

BARE_APP = """
from flask import Flask
app = Flask(__name__)

@app.get("/")
def hello():
    return "Hello, World!"

@app.get("/readyz")
def ready():
    return "ok"
"""
TITLES = (
    "Site internet vitrine",
    "Boutique en ligne",
    "Référencement local",
    "Audit cybersécurité",
    "CRM pour PME",
    "Formation réseaux sociaux",
)


def seed(database_url: str, offers: int, index_path: str) -> tuple[int, str]:
    """Offers spread over providers, indexed; returns one offer id and a bearer token."""
    from argon2 import PasswordHasher

    from marketplace.accounts import passwords
    from marketplace.search.sync import LOADER_EXTENSION, reindex

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # setup only
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SEARCH_INDEX_PATH": index_path, "TESTING": True}
    )
    with app.app_context():
        upgrade()
        admin = admin_user(db.session)
        providers = [provider_user(db.session, name=f"Agence {i}") for i in range(10)]
        first = None
        for n in range(offers):
            offer = published_offer(
                db.session,
                providers[n % len(providers)],
                admin,
                title=f"{TITLES[n % len(TITLES)]} {n}",
                price_excl_vat_cents=100_000 + 1000 * n,
            )
            first = first or offer
        token = bearer_for(providers[0])["Authorization"]
        db.session.commit()
        backend = app.extensions["search"]
        backend.apply_settings()
        reindex(db.session(), backend, date.today(), loader=app.extensions[LOADER_EXTENSION])
        db.session.commit()
        assert first is not None
        offer_id = first.id
        db.engine.dispose()
    return offer_id, token


def wrk(url: str, seconds: float, connections: int, header: str | None) -> float:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    if header:
        args[1:1] = ["-H", header]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        print(f"    ! {non2xx.group(1)} non-2xx answers from {url}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found, out
    return float(found.group(1))


def threaded(url: str, seconds: float, connections: int, header: str | None) -> float:
    """Keep-alive GETs from `connections` threads; requests per second."""
    target = http.client.urlsplit(url)  # type: ignore[attr-defined]
    path = target.path + (f"?{target.query}" if target.query else "")
    headers = dict([header.split(": ", 1)]) if header else {}
    until = time.monotonic() + seconds
    counts = [0] * connections

    def run(i: int) -> None:
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        while time.monotonic() < until:
            conn.request("GET", path, headers=headers)
            conn.getresponse().read()
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--offers", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    load = wrk if shutil.which("wrk") else threaded
    print(f"load generator: {'wrk' if load is wrk else 'threaded Python client'}")

    url = make_url(args.server.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    folder = Path(tempfile.mkdtemp(prefix="cc-http-load-"))
    processes = []
    try:
        database_url = url.set(database=name).render_as_string(hide_password=False)
        index_path = str(folder / "index.sqlite3")
        offer_id, token = seed(database_url, args.offers, index_path)
        (folder / "bare.py").write_text(BARE_APP)
        common = {
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "LOG_FORMAT": "text",
            "METRICS_ENABLED": "false",
        }
        env = {
            **common,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "http-load",
            "SEARCH_INDEX_PATH": index_path,
            "EVIDENCE_FOLDER": str(folder / "evidence"),
            "MAIL_SERVER": "",
            "RATELIMIT_ENABLED": "false",  # measuring the pages, not the 429s
        }
        app_port, bare_port = free_port(), free_port()
        app = gunicorn(env, app_port, folder / "app.log")
        processes.append(app)
        bare_env = {**common, "PYTHONPATH": str(folder)}
        bare = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "bare:app"],
            cwd=folder,
            env={**os.environ, **bare_env, "GUNICORN_BIND": f"127.0.0.1:{bare_port}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(bare)  # type: ignore[arg-type]
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        wait_ready(app_base, app)
        wait_ready(bare_base, bare)  # type: ignore[arg-type]

        routes = [
            ("home /", "/", None),
            ("GET /api/v1/search?q=site+internet", "/api/v1/search?q=site+internet", None),
            ("HTML /search?q=site+internet", "/search?q=site+internet", None),
            ("offer page", f"/offers/{offer_id}", None),
            ("GET /api/v1/me (bearer token)", "/api/v1/me", f"Authorization: {token}"),
        ]
        for _, path, header in routes:  # warm every worker's caches
            load(app_base + path, 1, args.connections, header)
        print(
            f"{args.offers} offers, PostgreSQL, gunicorn {args.workers} workers x "
            f"{args.threads} threads, {args.connections} connections, {args.seconds:g}s a route"
        )
        print(f"{'route':40} {'req/s':>8} {'bare':>8} {'share':>7}")
        for label, path, header in routes:
            bare_rps = load(bare_base + "/", args.seconds, args.connections, None)
            rps = load(app_base + path, args.seconds, args.connections, header)
            print(f"{label:40} {rps:8.0f} {bare_rps:8.0f} {rps / bare_rps:7.1%}")
    finally:
        for process in processes:
            stop(process)  # type: ignore[arg-type]
        shutil.rmtree(folder, ignore_errors=True)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
