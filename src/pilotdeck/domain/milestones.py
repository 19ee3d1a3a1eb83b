"""A pilot's path through the audit log: created, first model, sign-off, live, 100 %.

Pure rules over audit events. The programme report (time to scale, the status
timeline its costs are prorated over) and the playbook (median time per phase)
both read a pilot's milestones here, so they can never disagree on when a pilot
was created or when it scaled.

- A pilot's life starts at its *latest* ``pilot.created``: a deleted and
  re-created name is a new pilot, and nothing logged before it counts.
- Each milestone is the first event of its kind since then.
- *100 % of traffic* is the first ``rollout.promoted``, or the first deployment
  change that leaves one version with all the live traffic. A rollback or an
  opened breaker may leave one version at 100 % too, but taking traffic away is
  not scaling up, so only ``deployment.updated`` counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CREATED = "created"
SCALED = "100 % of traffic"
# (milestone, audit action, entity type), in the order a pilot passes them.
MILESTONES: tuple[tuple[str, str, str], ...] = (
    (CREATED, "pilot.created", "pilot"),
    ("model registered", "model.registered", "model"),
    ("board sign-off", "approval.approved", "model"),
    ("live traffic", "deployment.updated", "deployment"),
    (SCALED, "rollout.promoted", "rollout"),
)
# What to read from the audit log: (entity type, action prefix).
SOURCES: tuple[tuple[str, str], ...] = (
    ("pilot", "pilot."), ("model", "model.registered"), ("model", "approval.approved"),
    ("deployment", "deployment.updated"), ("rollout", "rollout.promoted"))


@dataclass(frozen=True)
class AuditFact:
    """One audit event, as these rules need it (``entity_id`` may be ``pilot/version``)."""

    at: datetime
    action: str
    entity_id: str
    data: dict[str, Any]

    @property
    def pilot(self) -> str:
        return self.entity_id.split("/")[0]


@dataclass(frozen=True)
class PilotPath:
    """When a pilot first reached each milestone, and its status over time."""

    reached: dict[str, datetime] = field(default_factory=dict)
    statuses: tuple[tuple[datetime, str], ...] = ()  # (since, status), oldest first

    @property
    def created_at(self) -> datetime | None:
        return self.reached.get(CREATED)

    @property
    def scaled_at(self) -> datetime | None:
        return self.reached.get(SCALED)


def full_rollout(data: dict[str, Any]) -> bool:
    """A deployment whose live traffic all goes to one version."""
    after = data.get("after") or {}
    live = [v for v in after.get("variants", []) if float(v.get("weight", 0)) > 0]
    return len({v.get("version") for v in live}) == 1 and sum(
        float(v["weight"]) for v in live) >= 99.999


def _milestone(fact: AuditFact) -> str | None:
    if fact.action == "deployment.updated" and full_rollout(fact.data):
        return SCALED  # also "live traffic", handled by the caller
    return next((name for name, action, _ in MILESTONES if action == fact.action), None)


def pilot_paths(facts: Iterable[AuditFact]) -> dict[str, PilotPath]:
    """Every pilot's path from its audit events (any order)."""
    by_pilot: dict[str, list[AuditFact]] = {}
    for f in facts:
        by_pilot.setdefault(f.pilot, []).append(f)
    return {name: _path(sorted(events, key=lambda f: f.at))
            for name, events in by_pilot.items()}


def _path(events: list[AuditFact]) -> PilotPath:
    created = max((f.at for f in events if f.action == "pilot.created"), default=None)
    reached: dict[str, datetime] = {}
    statuses: list[tuple[datetime, str]] = []
    for f in events:  # oldest first
        if created is None or f.at < created:
            continue  # an earlier pilot of the same name
        if f.action in ("pilot.created", "pilot.updated"):
            status = ((f.data.get("after") or {}).get("spec") or {}).get("status", "pilot")
            if not statuses or statuses[-1][1] != status:
                statuses.append((f.at, status))
        if f.action == "deployment.updated":
            reached.setdefault("live traffic", f.at)
        name = _milestone(f)
        if name is not None:
            reached.setdefault(name, f.at)
    return PilotPath(reached, tuple(statuses))


def phase_days(paths: Iterable[PilotPath], start: str, end: str) -> list[float]:
    """Days from milestone ``start`` to ``end``, for the pilots that reached both
    (in that order)."""
    out = []
    for p in paths:
        a, b = p.reached.get(start), p.reached.get(end)
        if a is not None and b is not None and b >= a:
            out.append((b - a).total_seconds() / 86_400)
    return out
