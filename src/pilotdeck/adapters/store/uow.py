"""The unit of work: one transaction, its repositories and its audit events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pilotdeck.adapters.store.alerts import AlertRepository
from pilotdeck.adapters.store.approvals import ApprovalRepository, AttestationRepository
from pilotdeck.adapters.store.assessments import AssessmentRepository
from pilotdeck.adapters.store.audit import AuditRepository
from pilotdeck.adapters.store.datasets import DatasetRepository
from pilotdeck.adapters.store.models_repo import ModelRepository
from pilotdeck.adapters.store.pilots import PilotRepository
from pilotdeck.adapters.store.risk import RiskRepository
from pilotdeck.adapters.store.tokens import TokenRepository
from pilotdeck.audit.log import AuditWriter


class UnitOfWork:
    """One transaction's repositories and its audit writer."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pilots = PilotRepository(session)
        self.assessments = AssessmentRepository(session)
        self.tokens = TokenRepository(session)
        self.models = ModelRepository(session)
        self.alerts = AlertRepository(session)
        self.risk = RiskRepository(session)
        self.approvals = ApprovalRepository(session)
        self.attestations = AttestationRepository(session)
        self.datasets = DatasetRepository(session)
        self.audit_events = AuditRepository(session)
        self.audit = AuditWriter(self.audit_events)
