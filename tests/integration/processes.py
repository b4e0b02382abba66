"""Helpers for tests that run the app as real processes (gunicorn, `flask worker`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def start(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[str]:
    """A process of this checkout, its stdout and stderr written to `log` (read it afterwards:
    a pipe nobody reads would fill up and block the process)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def gunicorn(env: Mapping[str, str], port: int, log: Path) -> subprocess.Popen[str]:
    """The documented production command on this port."""
    return start(
        ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        log,
    )


def worker(env: Mapping[str, str], log: Path) -> subprocess.Popen[str]:
    return start(["flask", "--app", "wsgi", "worker"], env, log)


def wait_ready(base_url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until `/readyz` says 200 (AssertionError if the process dies or it takes too long)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{base_url} exited with {process.returncode}"
        with (
            suppress(OSError),  # not listening yet, or 503 (HTTPError) until it is ready
            urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"{base_url} was not ready within {timeout}s")


def stop(process: subprocess.Popen[str], timeout: float = 40) -> int:
    """SIGTERM, then its exit code (killed, and -9, if it does not stop in time)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -9
