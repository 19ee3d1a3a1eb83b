"""Reads every pilot's milestones from the audit log (the rules are in
:mod:`pilotdeck.domain.milestones`), for the programme report and the playbook."""

from __future__ import annotations

from typing import Any

from pilotdeck.domain.canonical import loads
from pilotdeck.domain.milestones import SOURCES, AuditFact, PilotPath, pilot_paths
from pilotdeck.domain.when import as_utc

EVENTS = 10_000_000  # every event of a kind: the log is read once per report


def read_paths(uow: Any) -> dict[str, PilotPath]:
    """Every pilot's path, from one read of the events that mark it."""
    facts = [AuditFact(as_utc(e.at), e.action, e.entity_id, loads(e.body)["data"])
             for kind, action in SOURCES
             for e in uow.audit_events.events(entity_type=kind, action=action, limit=EVENTS)]
    return pilot_paths(facts)
