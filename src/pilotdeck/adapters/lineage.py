"""OpenLineage transports behind the ``LineageTransport`` port.

``http(s)://…`` uses the OpenLineage client's own HTTP transport (it posts to
``/api/v1/lineage`` under the URL, as Marquez expects). Retries are off and the
timeout short: lineage is sent after the job's commit, in the job's process,
and a collector that is down must cost the job a warning, not minutes.
"""

from __future__ import annotations

from typing import Any

from pilotdeck.adapters.schemes import SchemeRegistry
from pilotdeck.domain.ports.lineage import LineageTransport

__all__ = ["OpenLineageHttp", "lineage_transports", "make_lineage_transport"]


class OpenLineageHttp:
    """Posts each event with ``openlineage.client.transport.http.HttpTransport``."""

    name = "http"

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        config = HttpConfig.from_dict({"type": "http", "url": url, "timeout": timeout,
                                       "retry": {"total": 0}})
        self._transport = HttpTransport(config)

    def emit(self, event: dict[str, Any]) -> None:
        # The event is already OpenLineage JSON (built with the client's classes, plus
        # pilotdeck's run facet); the transport serialises it with Serde.to_json,
        # which takes a dict as it is.
        self._transport.emit(event)  # type: ignore[arg-type]


def _http(url: str) -> LineageTransport:
    return OpenLineageHttp(url)


lineage_transports: SchemeRegistry[LineageTransport] = SchemeRegistry(
    "OpenLineage URL", "PILOTDECK_OPENLINEAGE_URL", group="pilotdeck.lineage_transports")
lineage_transports.register("http", _http)
lineage_transports.register("https", _http)


def make_lineage_transport(url: str) -> LineageTransport:
    """The transport ``url`` names (``http://host:5000`` for Marquez)."""
    return lineage_transports.build(url)
