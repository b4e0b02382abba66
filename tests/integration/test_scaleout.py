"""The production topology as processes: two gunicorn servers and two workers on one PostgreSQL
and one Redis, driven by concurrent clients for a bounded time.

Providers publish and archive offers through the API, visitors search and read pages, users log
in (token and page) on one server and carry on on the other, and an attacker guesses passwords
across both. Afterwards: no 5xx, every outbox job applied exactly once, the index holds exactly
the visible offers (`flask search check`), the rate limits counted once for both servers (Redis),
and every process stops with 0 on SIGTERM.

PostgreSQL only (SQLite has a single writer: one server, one worker) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from marketplace.catalog.models import Offer, OfferStatus
from marketplace.extensions import db
from marketplace.search.embedded import EmbeddedBackend
from marketplace.search.outbox import SearchJob
from tests.factories import PASSWORD, admin_user, bearer_for, company_user, provider_user
from tests.factories import published_offer as make_published_offer
from tests.integration.processes import (
    ROOT,
    answers,
    free_port,
    gunicorn,
    stop,
    wait_ready,
    worker,
)

LOAD_SECONDS = 12.0
IP_LIMIT = 5  # login attempts per client IP (per hour: no window ends during the test)
ACCOUNT_LIMIT = 4  # failed logins per account, from any IP
PUBLISHERS, SEARCHERS, LOGINS = 3, 3, 2
QUERIES = ("site internet", "boutique en ligne", "référencement", "cybersécurité", "site")
_addresses = itertools.count(1)


def client_ip() -> str:
    """A new client address each call (sent as X-Forwarded-For: the servers trust one proxy)."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this run's own on the shared Redis, its keys deleted afterwards."""
    if not answers("127.0.0.1", 6379):
        pytest.skip("needs Redis on 127.0.0.1:6379 (shared rate limits)")
    import redis

    prefix = f"scaleout-{uuid.uuid4().hex[:12]}"
    client = redis.Redis(host="127.0.0.1", port=6379, db=0, socket_timeout=5)
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def postgresql(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL): several servers and workers")


@dataclass
class Traffic:
    """What the clients saw, shared by their threads."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    published: list[int] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, what: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[(what, response.status_code)] += 1
            if response.status_code >= 500:
                self.errors.append(f"{what}: {response.status_code} {response.text[:300]}")
        return response


def offer_body(n: int) -> dict[str, Any]:
    return {
        "title": f"Site internet vitrine numéro {n}",
        "summary": "Un site vitrine adapté au mobile, livré en un mois.",
        "category": "online-presence",
        "price_excl_vat_cents": 150_000 + n,
        "pricing_unit": "fixed",
        "delivery_mode": "remote",
    }


def publisher(servers: list[str], token: str, traffic: Traffic, until: float) -> None:
    """A provider creating and publishing offers, archiving one in three (alternate servers)."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for n in itertools.count():
            if time.monotonic() > until:
                return
            base = servers[n % 2]
            created = traffic.saw("create", http.post(f"{base}/api/v1/offers", json=offer_body(n)))
            if created.status_code != 201:
                continue
            offer_id = created.json()["id"]
            other = servers[(n + 1) % 2]
            done = traffic.saw("publish", http.post(f"{other}/api/v1/offers/{offer_id}/publish"))
            if done.status_code != 200:
                continue
            if n % 3 == 2:
                gone = traffic.saw("archive", http.post(f"{base}/api/v1/offers/{offer_id}/archive"))
                if gone.status_code == 200:
                    with traffic.lock:
                        traffic.archived.append(offer_id)
                    continue
            with traffic.lock:
                traffic.published.append(offer_id)


def searcher(servers: list[str], offer_ids: list[int], traffic: Traffic, until: float) -> None:
    """A visitor: home, API and page searches, offer pages."""
    with requests.Session() as http:
        for n in itertools.count():
            if time.monotonic() > until:
                return
            base, query = servers[n % 2], QUERIES[n % len(QUERIES)]
            traffic.saw("home", http.get(f"{base}/"))
            traffic.saw("api-search", http.get(f"{base}/api/v1/search", params={"q": query}))
            traffic.saw("search", http.get(f"{base}/search", params={"q": query}))
            traffic.saw("offer", http.get(f"{base}/offers/{offer_ids[n % len(offer_ids)]}"))


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found, "no CSRF token in the login page"
    return found.group(1)


def login_user(servers: list[str], email: str, traffic: Traffic, until: float) -> None:
    """Logs in on one server (token, then page) and carries on on the other."""
    for n in itertools.count():
        if time.monotonic() > until:
            return
        here, there = servers[n % 2], servers[(n + 1) % 2]
        with requests.Session() as http:
            http.headers["X-Forwarded-For"] = client_ip()  # a new visitor: under the IP limit
            body = {"email": email, "password": PASSWORD, "name": f"run {n}"}
            made = traffic.saw("token", http.post(f"{here}/api/v1/auth/tokens", json=body))
            if made.status_code == 201:
                bearer = {"Authorization": f"Bearer {made.json()['token']}"}
                me = traffic.saw("me", http.get(f"{there}/api/v1/me", headers=bearer))
                if me.status_code != 200 or me.json()["email"] != email:
                    traffic.errors.append(f"token from {here} not honoured by {there}")
            form = traffic.saw("login-page", http.get(f"{here}/login"))
            fields = {"email": email, "password": PASSWORD, "csrf_token": csrf_token(form.text)}
            logged = traffic.saw("login", http.post(f"{here}/login", data=fields))
            account = traffic.saw("account", http.get(f"{there}/account/"))
            if logged.status_code == 200 and account.url.rstrip("/").endswith("/login"):
                traffic.errors.append(f"session from {here} not honoured by {there}")


def guess_passwords(servers: list[str], victim: str, traffic: Traffic) -> dict[str, list[int]]:
    """An attacker across both servers: one address, then many addresses on one account."""
    seen: dict[str, list[int]] = {"one-ip": [], "one-account": []}
    address = client_ip()
    with requests.Session() as http:
        for n in range(IP_LIMIT + 4):
            body = {"email": f"nobody{n}@example.fr", "password": "guess", "name": "x"}
            response = http.post(
                f"{servers[n % 2]}/api/v1/auth/tokens",
                json=body,
                headers={"X-Forwarded-For": address},
            )
            seen["one-ip"].append(traffic.saw("guess-ip", response).status_code)
        for n in range(ACCOUNT_LIMIT + 4):
            body = {"email": victim, "password": f"guess-{n}", "name": "x"}
            response = http.post(
                f"{servers[n % 2]}/api/v1/auth/tokens",
                json=body,
                headers={"X-Forwarded-For": client_ip()},
            )
            seen["one-account"].append(traffic.saw("guess-account", response).status_code)
    return seen


def run_threads(targets: list[Callable[[], object]]) -> list[object]:
    results: list[object] = [None] * len(targets)
    failures: list[BaseException] = []

    def run(i: int, target: Callable[[], object]) -> None:
        try:
            results[i] = target()
        except BaseException as error:  # reported below, with the others'
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


def json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def synced_jobs(log: Path) -> int:
    """Outbox jobs this worker says it applied."""
    total = 0
    for line in json_lines(log):
        found = re.match(r"worker: search-sync: (\d+) job\(s\)", line.get("message", ""))
        total += int(found.group(1)) if found else 0
    return total


def test_two_servers_and_two_workers_share_one_database_and_one_redis(
    app: Flask, postgresql: None, database_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    """Under concurrent traffic on both servers: no 5xx, nothing indexed twice or lost, rate
    limits counted across servers, and a clean stop."""
    with app.app_context():
        admin = admin_user(db.session)
        providers = [provider_user(db.session, name=f"Agence {i}") for i in range(PUBLISHERS)]
        seed = [make_published_offer(db.session, p, admin) for p in providers for _ in range(3)]
        tokens = [bearer_for(p)["Authorization"].split(" ", 1)[1] for p in providers]
        members = [company_user(db.session).email for _ in range(LOGINS)]
        victim = company_user(db.session).email
        db.session.commit()
        seed_ids = [offer.id for offer in seed]

    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "scale-out-test",
        "SEARCH_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        "SEARCH_SYNC": "worker",  # the servers only write the outbox; the workers apply it
        "EVIDENCE_FOLDER": str(tmp_path / "evidence"),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "LOGIN_RATE_LIMIT": f"{IP_LIMIT} per hour",
        "LOGIN_ACCOUNT_RATE_LIMIT": f"{ACCOUNT_LIMIT} per hour",
        "PROXY_COUNT": "1",  # clients say who they are in X-Forwarded-For, as behind nginx
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "WORKER_SEARCH_SYNC_INTERVAL": "0.3",
        "LOG_FORMAT": "json",
        "METRICS_ENABLED": "false",
        "MAIL_SERVER": "",
    }
    ports = [free_port(), free_port()]
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    logs = {name: tmp_path / f"{name}.log" for name in ("web0", "web1", "worker0", "worker1")}
    processes = {
        "web0": gunicorn(env, ports[0], logs["web0"]),
        "web1": gunicorn(env, ports[1], logs["web1"]),
        "worker0": worker(env, logs["worker0"]),
        "worker1": worker(env, logs["worker1"]),
    }
    exit_codes: dict[str, int] = {}
    try:
        for base, name in zip(servers, ("web0", "web1"), strict=True):
            wait_ready(base, processes[name])
        traffic = Traffic()
        until = time.monotonic() + LOAD_SECONDS
        clients: list[Callable[[], object]] = [
            *(lambda t=t: publisher(servers, t, traffic, until) for t in tokens),
            *(lambda: searcher(servers, seed_ids, traffic, until) for _ in range(SEARCHERS)),
            *(lambda e=e: login_user(servers, e, traffic, until) for e in members),
            lambda: guess_passwords(servers, victim, traffic),
        ]
        guesses = run_threads(clients)[-1]
        assert isinstance(guesses, dict)

        # The workers drain what the servers queued.
        with app.app_context():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                pending = db.session.scalar(select(func.count()).where(SearchJob.done_at.is_(None)))
                db.session.rollback()
                if pending == 0:
                    break
                time.sleep(0.3)
            assert pending == 0, f"{pending} outbox job(s) still pending"
        for name in ("worker0", "worker1"):
            exit_codes[name] = stop(processes[name])
    finally:
        for name, process in processes.items():
            exit_codes.setdefault(name, stop(process))

    server_output = logs["web0"].read_text() + logs["web1"].read_text()
    assert not traffic.errors, "\n".join(traffic.errors[:10])
    assert "Traceback" not in server_output, server_output[-4000:]
    assert {status for (_, status) in traffic.statuses} <= {200, 201, 302, 401, 429}
    assert traffic.published and traffic.archived, traffic.statuses
    assert traffic.statuses[("api-search", 200)] and traffic.statuses[("me", 200)]

    # Rate limits: one count for both servers (and their four processes).
    assert guesses["one-ip"] == [401] * IP_LIMIT + [429] * 4
    assert guesses["one-account"] == [401] * ACCOUNT_LIMIT + [429] * 4

    # Every outbox job applied once: what the two workers report adds up to the outbox.
    with app.app_context():
        jobs = db.session.scalars(select(SearchJob)).all()
        assert all(job.done_at is not None and job.attempts == 0 for job in jobs)
        visible = set(
            db.session.scalars(select(Offer.id).where(Offer.status == OfferStatus.PUBLISHED))
        )
    assert synced_jobs(logs["worker0"]) + synced_jobs(logs["worker1"]) == len(jobs)
    assert visible == set(seed_ids) | set(traffic.published)
    index = EmbeddedBackend(env["SEARCH_INDEX_PATH"])
    try:
        assert set(index.documents()) == visible
    finally:
        index.close()
    check = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "search", "check"],
        cwd=ROOT,
        env={**os.environ, **env, "LOG_FORMAT": "text"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "missing: 0" in check.stdout and "stale: 0" in check.stdout

    # Clean stops: every process exits 0, each worker saying why.
    assert exit_codes == dict.fromkeys(processes, 0), exit_codes
    for name in ("worker0", "worker1"):
        assert json_lines(logs[name])[-1]["message"] == "worker: stopped (SIGTERM)"
