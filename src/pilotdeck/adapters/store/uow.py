"""The unit of work: one transaction, its repositories and its audit events."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from pilotdeck.adapters.store.alerts import AlertRepository
from pilotdeck.adapters.store.approvals import ApprovalRepository, AttestationRepository
from pilotdeck.adapters.store.assessments import AssessmentRepository
from pilotdeck.adapters.store.audit import AuditRepository
from pilotdeck.adapters.store.datasets import DatasetRepository
from pilotdeck.adapters.store.lineage import LineageRepository
from pilotdeck.adapters.store.models_repo import ModelRepository
from pilotdeck.adapters.store.pilots import PilotRepository
from pilotdeck.adapters.store.readiness import (
    ReadinessAttestationRepository,
    TrainingRepository,
)
from pilotdeck.adapters.store.risk import RiskRepository
from pilotdeck.adapters.store.rollouts import LeaseRepository, RolloutRepository
from pilotdeck.adapters.store.slas import SLARepository
from pilotdeck.adapters.store.teams import TeamRepository
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
        self.lineage = LineageRepository(session)
        self.rollouts = RolloutRepository(session)
        self.leases = LeaseRepository(session)
        self.readiness = ReadinessAttestationRepository(session)
        self.training = TrainingRepository(session)
        self.slas = SLARepository(session)
        self.teams = TeamRepository(session)
        self.audit_events = AuditRepository(session)
        self.audit = AuditWriter(self.audit_events)
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this transaction has committed (never if it rolls
        back): for side effects outside the database, such as sending lineage."""
        self._after_commit.append(action)

    def committed(self) -> None:
        """Called by the store once the transaction is committed."""
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()
