"""Keep-alive connections for the official Meilisearch client.

meilisearch 0.43's HTTP layer calls `requests.get(…)`, `requests.post(…)` and so on, each of
which builds a throwaway Session: every search opened a new TCP connection (and, behind TLS, a
new handshake). We hand that layer a stand-in for the `requests` module whose calls go through
one Session per thread (a Session's pool is not guaranteed thread-safe), so a gunicorn thread
reuses its connection from one search to the next. Everything else (exceptions, Response) is the
real module's.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

import meilisearch._httprequests as client_http
import requests


class PooledRequests:
    """Looks like the `requests` module to the client; one keep-alive Session per thread."""

    def __init__(self, module: ModuleType = requests) -> None:
        self._module = module
        self._local = threading.local()

    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    # The client tells a GET from the other verbs by the function's __name__: keep the names.
    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session().get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session().post(url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session().patch(url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session().put(url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.session().delete(url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def install() -> PooledRequests:
    """Once per process (idempotent): the client's HTTP layer then pools its connections."""
    namespace = vars(client_http)  # the module's globals, where its functions find `requests`
    current = namespace["requests"]
    if isinstance(current, PooledRequests):
        return current
    pooled = namespace["requests"] = PooledRequests(current)
    return pooled
