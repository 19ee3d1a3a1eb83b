"""Evidence providers: where maturity scores come from when not self-reported.

A provider looks at one part of the platform and returns :class:`Evidence`
for the keys it can prove or refute. Later features (registry, monitoring,
risk) register more providers; the assessment service just asks them all.
"""

from __future__ import annotations

from typing import Protocol

from pilotdeck.domain.evidence import manifest_evidence
from pilotdeck.domain.maturity import Evidence
from pilotdeck.domain.pilot import PilotManifest
from pilotdeck.domain.ports.store import UnitOfWork


class EvidenceProvider(Protocol):
    name: str

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]: ...


class ManifestEvidence:
    """Facts the pilot's inventory record proves (data sources, baselines, team)."""

    name = "inventory"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        return manifest_evidence(pilot)


class AuditEvidence:
    """Whether the pilot's changes are in the tamper-evident audit trail."""

    name = "audit"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        events = uow.audit_events.events(entity_type="pilot", entity_id=pilot.name, limit=1000)
        return [Evidence("audit.changes_recorded", bool(events),
                         f"{len(events)} audited change(s) to this pilot")]


class RiskEvidence:
    """Whether the pilot has a current (unexpired) risk assessment."""

    name = "risk"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        from pilotdeck.services.risk import is_expired

        row = uow.risk.latest(uow.pilots.get(pilot.name).id)
        if row is None:
            return [Evidence("risk.assessed", False, "no risk assessment")]
        if is_expired(row.expires_at):
            return [Evidence("risk.assessed", False,
                             f"the risk assessment ({row.tier}) expired; re-assess")]
        return [Evidence("risk.assessed", True, f"risk tier {row.tier}, score {row.score:g}")]


DEFAULT_PROVIDERS: tuple[EvidenceProvider, ...] = (ManifestEvidence(), AuditEvidence(),
                                                   RiskEvidence())
