"""The documented production command, run for real: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
HEALTHZ_CALLS = 24


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, timeout: float = 5) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.partition("{")[0] == name and all(
            f'{key}="{val}"' in metric for key, val in labels.items()
        ):
            return float(value)
    raise AssertionError(f"no sample {name} {labels} in\n{text}")


def test_gunicorn_serves_probes_metrics_and_json_logs_then_stops_cleanly(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "gunicorn-test",
        "SEARCH_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        "EVIDENCE_FOLDER": str(tmp_path / "evidence"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "METRICS_ENABLED": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "LOG_FORMAT": "json",
        "MAIL_SERVER": "",
    }
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's: wiped at start
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, up = time.monotonic() + 60, False
        while time.monotonic() < deadline and server.poll() is None:
            try:
                up = get(f"{base}/readyz", timeout=2)[0] == 200
            except OSError:
                up = False
            if up:
                break
            time.sleep(0.2)
        assert up, "gunicorn did not become ready"

        with ThreadPoolExecutor(max_workers=6) as pool:  # several connections: both workers
            answers = list(pool.map(lambda _: get(f"{base}/healthz"), range(HEALTHZ_CALLS)))
        assert {status for status, _, _ in answers} == {200}
        request_ids = {headers["X-Request-ID"] for _, headers, _ in answers}
        assert len(request_ids) == HEALTHZ_CALLS

        status, _, text = get(f"{base}/metrics")
        assert status == 200
        # Every process's count, added up (multiprocess mode), and none of the stale file's.
        assert sample(text, "http_requests_total", route="/healthz", status="200") == HEALTHZ_CALLS
        assert sample(text, "http_requests_total", route="/readyz", status="200") >= 1
        assert sample(text, "marketplace_search_outbox_pending_jobs") >= 0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            out, err = server.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()
    assert server.returncode == 0, err
    access = [json.loads(line) for line in out.splitlines() if line.strip()]
    healthz = [line for line in access if line.get("path") == "/healthz"]
    assert len(healthz) == HEALTHZ_CALLS
    assert {line["request_id"] for line in healthz} == request_ids
    assert {line["status"] for line in healthz} == {200}
    assert all(isinstance(line["duration_ms"], int) for line in healthz)
    errors = [json.loads(line) for line in err.splitlines() if line.strip()]  # JSON as well
    assert any("Booting worker" in line["message"] for line in errors)
    assert not (metrics_dir / "counter_1.db").exists()
