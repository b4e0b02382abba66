"""compose.yaml, the Dockerfile and deploy/nginx.conf agree with the app (no container daemon
runs here: they are read, not started)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_COMMAND = ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
WORKER_COMMAND = ["flask", "--app", "wsgi", "worker"]
APP_IMAGE = "croissance-connectee"
WEB_SERVICES = ("web1", "web2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services that run this app's image."""
    return {
        name: service
        for name, service in services.items()
        if "build" in service or str(service.get("image", "")).startswith(APP_IMAGE)
    }


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): str(value) for key, value in env.items()}


def settings_read() -> set[str]:
    """Every environment variable the app reads: config.py, gunicorn.conf.py, prometheus_client."""
    config = (ROOT / "marketplace" / "config.py").read_text()
    names = set(re.findall(r'env(?:\.get\(\s*|\[)"([A-Z_]+)"', config))
    names |= set(re.findall(r'_flag\(env, "([A-Z_]+)"', config))
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    names |= set(re.findall(r'(?:_env\(|os\.environ\.get\()"([A-Z_]+)"', gunicorn))
    return names | {"PROMETHEUS_MULTIPROC_DIR"}


def documented() -> set[str]:
    return set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))


def test_the_topology_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert {"proxy", *WEB_SERVICES, "worker", "postgres", "redis", "meilisearch"} <= set(services)
    assert set(app_services(services)) >= {*WEB_SERVICES, "worker"}
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


def test_app_services_set_only_settings_the_app_reads(services: dict[str, dict[str, Any]]) -> None:
    """Would a typo (or a setting since renamed) in compose.yaml go unnoticed? (No.)"""
    read, known = settings_read(), documented()
    assert read - known == set(), "every variable read is documented in .env.example"
    for name, service in app_services(services).items():
        unknown = set(environment(service)) - read
        assert unknown == set(), f"{name} sets variables the app never reads"


def test_the_web_services_run_the_documented_gunicorn_command(
    services: dict[str, dict[str, Any]],
) -> None:
    readme = (ROOT / "README.md").read_text()
    assert " ".join(GUNICORN_COMMAND) in readme
    for name in WEB_SERVICES:
        assert services[name]["command"] == GUNICORN_COMMAND, name
        assert "ports" not in services[name], f"{name}: only the proxy is reachable"
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = re.findall(r"^CMD (.+)$", dockerfile, re.M)[-1]
    assert yaml.safe_load(cmd) == GUNICORN_COMMAND


def test_the_worker_runs_the_documented_worker_command(
    services: dict[str, dict[str, Any]],
) -> None:
    assert " ".join(WORKER_COMMAND) in (ROOT / "README.md").read_text()
    workers = [s for s in app_services(services).values() if s.get("command") == WORKER_COMMAND]
    assert workers == [services["worker"]]
    assert "ports" not in services["worker"]


def test_several_servers_share_their_state(services: dict[str, dict[str, Any]]) -> None:
    """Two web servers: one database, Redis for rate limits, Meilisearch fed by the worker,
    one secret key, one evidence volume, and the proxy's client addresses."""
    for name in (*WEB_SERVICES, "worker"):
        env = environment(services[name])
        assert env["DATABASE_URL"].startswith("postgresql://"), name
        assert env["REDIS_URL"].startswith("redis://redis:"), name
        assert env["MEILI_URL"] == "http://meilisearch:7700", name
        assert env["SEARCH_SYNC"] == "worker", name
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), f"{name}: a shared, required key"
        assert "evidence:" + env["EVIDENCE_FOLDER"] in services[name]["volumes"], name
    for name in WEB_SERVICES:
        assert environment(services[name])["PROXY_COUNT"] == "1"
    assert set(services["proxy"]["depends_on"]) == set(WEB_SERVICES)


def test_the_proxy_balances_the_web_services_and_hides_the_metrics(
    services: dict[str, dict[str, Any]],
) -> None:
    mount = next(v for v in services["proxy"]["volumes"] if "nginx.conf" in v)
    nginx = (ROOT / mount.split(":")[0]).read_text()
    upstream = re.search(r"upstream \w+ \{(.*?)\}", nginx, re.S)
    assert upstream is not None
    servers = set(re.findall(r"^\s*server (\S+?)[\s;]", upstream.group(1), re.M))
    port = re.search(r"GUNICORN_BIND=0\.0\.0\.0:(\d+)", (ROOT / "Dockerfile").read_text())
    assert port is not None
    assert servers == {f"{name}:{port.group(1)}" for name in WEB_SERVICES}
    assert re.search(r"location = /metrics \{\s*return 404;", nginx)
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx
    assert "X-Request-ID" in nginx


def test_the_image_is_small_and_runs_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(stages) >= 2 and stages[-1].endswith("-slim"), "multi-stage, slim final image"
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    users = re.findall(r"^USER (\S+)", final, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "COPY migrations" in dockerfile  # `flask db upgrade` runs from the image
