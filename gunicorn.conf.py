"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value comes from the environment, with the default written here (.env.example lists them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


bind = _env("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(_env("WEB_CONCURRENCY", "2"))
threads = int(_env("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Load the app once in the master, before forking: workers share its memory (the search
# fields, the templates' bytecode…) and start at once; a broken app stops the master at start.
preload_app = True
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
# Only the proxy may say a request came over HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = "-"  # stdout
errorlog = "-"  # stderr
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'

if _env("LOG_FORMAT", "text") == "json":
    # gunicorn's own lines as JSON too; the app's go through marketplace.logs (root logger).
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "formatters": {
            "json": {"()": "marketplace.logs.json_formatter"},
            "access": {"()": "marketplace.logs.GunicornAccessJsonFormatter"},
        },
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json"},
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        },
    }

# Prometheus: each worker process counts its own requests; in multiprocess mode they write them
# to files in one folder, which /metrics adds up. prometheus_client reads the variable when it
# is first imported, so it is set here, before the app loads.
_metrics_dir_made = ""
if _env("METRICS_ENABLED", "false").strip().lower() in TRUE_WORDS and not os.environ.get(
    "PROMETHEUS_MULTIPROC_DIR"
):
    _metrics_dir_made = tempfile.mkdtemp(prefix="croissance-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir_made


def on_starting(server: Any) -> None:
    """Counts from a previous run would add up with this one's: start from an empty folder."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and name.endswith(".db"):
                os.remove(path)


def child_exit(server: Any, worker: Any) -> None:
    """A worker gone (restarted, stopped): its live gauges must not be reported any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _metrics_dir_made:
        shutil.rmtree(_metrics_dir_made, ignore_errors=True)
