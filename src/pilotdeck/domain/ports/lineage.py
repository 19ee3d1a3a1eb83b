"""The lineage transport port: where OpenLineage run events are sent.

The store keeps every event; a transport forwards it to an OpenLineage
collector (Marquez or any HTTP endpoint). ``emit`` may raise on any failure:
the lineage service catches, logs and counts, and never fails the job.
"""

from __future__ import annotations

from typing import Any, Protocol


class LineageTransport(Protocol):
    name: str

    def emit(self, event: dict[str, Any]) -> None:
        """Send one OpenLineage ``RunEvent`` (its JSON); raise if it was not accepted."""
        ...
