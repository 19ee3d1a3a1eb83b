"""Collect audit events during a unit of work and append them at commit.

Each event is canonical JSON with its own sequence number inside, so editing,
deleting, reordering or inserting rows changes a leaf hash or leaves a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from pilotdeck.audit.merkle import Frontier, leaf_hash
from pilotdeck.domain.canonical import canonical_json


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class PendingEvent:
    actor: str
    action: str
    entity_type: str
    entity_id: str
    data: dict[str, Any]
    at: datetime


class AuditEventStore(Protocol):
    """Where events go: the store's audit repository implements this."""

    def lock_frontier(self) -> Frontier:
        """Take the global writer lock and return the tree's current frontier."""
        ...

    def write(self, events: list[dict[str, Any]], nodes: list[dict[str, Any]],
              frontier: Frontier) -> None: ...


class AuditWriter:
    """Buffers the events of one transaction; ``flush`` hashes and stores them."""

    def __init__(self, repo: AuditEventStore) -> None:
        self.repo = repo
        self._frontier: Frontier | None = None
        self._pending: list[PendingEvent] = []

    def lock(self) -> None:
        """Take the global writer lock; call first in every mutating transaction."""
        if self._frontier is None:
            self._frontier = self.repo.lock_frontier()

    def record(
        self,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        # Stored in UTC: verify checks the ``at`` column against the body's time.
        self._pending.append(PendingEvent(actor, action, entity_type, entity_id, data or {},
                                          (at or utcnow()).astimezone(UTC)))

    def flush(self) -> int:
        """Append everything recorded; return the new tree size."""
        self.lock()
        frontier = self._frontier
        assert frontier is not None
        if not self._pending:
            return frontier.size
        events: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for ev in self._pending:
            seq = frontier.size + 1
            body = canonical_json(
                {
                    "seq": seq,
                    "at": iso(ev.at),
                    "actor": ev.actor,
                    "action": ev.action,
                    "entity": {"type": ev.entity_type, "id": ev.entity_id},
                    "data": ev.data,
                }
            )
            h = leaf_hash(body)
            for level, idx, nh in frontier.append(h):
                nodes.append({"level": level, "idx": idx, "hash": nh})
            events.append(
                {
                    "seq": seq,
                    "at": ev.at,
                    "actor": ev.actor,
                    "action": ev.action,
                    "entity_type": ev.entity_type,
                    "entity_id": ev.entity_id,
                    "body": body,
                    "leaf_hash": h,
                }
            )
        self.repo.write(events, nodes, frontier)
        self._pending.clear()
        return frontier.size
