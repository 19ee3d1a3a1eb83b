"""Telling a plan's webhooks about rollout decisions, without letting them hurt.

A webhook URL comes from whoever wrote the plan, and the API server calls it.
So a call (1) never runs on the controller's thread: a slow or trickling
receiver must not delay another rollout's safety rollback; at most a few calls
are in flight and the rest are dropped with a warning (the audit log has every
decision anyway); and (2) by default never reaches a loopback, private,
link-local or otherwise internal address (the cloud metadata service at
169.254.169.254, the database next door), checked on the resolved addresses.
``Settings.rollout_webhooks_internal`` allows them (a receiver on the same
host or network), as the tests do.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Webhooks"]

log = logging.getLogger("pilotdeck.rollouts")
IN_FLIGHT = 8


def _internal(host: str) -> str | None:
    """The first internal address ``host`` resolves to (None: all public)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve: {exc}"
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
                or ip.is_multicast or ip.is_unspecified):
            return str(ip)
    return None


class Webhooks:
    def __init__(self, allow_internal: bool = False, timeout_s: float = 5.0) -> None:
        self.allow_internal = allow_internal
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rollout-webhook")
        self._slots = threading.BoundedSemaphore(IN_FLIGHT)

    def send(self, urls: list[str], body: dict[str, Any]) -> None:
        """Queue one POST per URL; returns at once."""
        for url in urls:
            if not self._slots.acquire(blocking=False):
                log.warning("rollout webhook %s dropped: %d calls already in flight", url,
                            IN_FLIGHT)
                continue
            self._pool.submit(self._post, url, body)

    def _post(self, url: str, body: dict[str, Any]) -> None:
        import httpx

        try:
            host = urlsplit(url).hostname or ""
            internal = None if self.allow_internal else _internal(host)
            if internal is not None:
                log.warning("rollout webhook %s refused: %s is internal (set "
                            "PILOTDECK_ROLLOUT_WEBHOOKS_INTERNAL to allow)", url, internal)
                return
            r = httpx.post(url, json=body, timeout=self.timeout_s, follow_redirects=False)
            if r.status_code >= 400:
                log.warning("rollout webhook %s answered HTTP %s", url, r.status_code)
        except Exception as exc:  # noqa: BLE001 - a webhook never changes a decision
            log.warning("rollout webhook %s failed: %s", url, exc)
        finally:
            self._slots.release()

    def wait(self) -> None:
        """Block until the queued calls are done (tests, and a clean shutdown)."""
        self._pool.shutdown(wait=True)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="rollout-webhook")
