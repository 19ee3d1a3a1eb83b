"""The unit of work: one transaction, its repositories and its audit events."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.orm import Session

from pilotdeck.adapters.store.alerts import AlertRepository
from pilotdeck.adapters.store.assessments import AssessmentRepository
from pilotdeck.adapters.store.audit import AuditRepository
from pilotdeck.adapters.store.db import Database
from pilotdeck.adapters.store.models_repo import ModelRepository
from pilotdeck.adapters.store.pilots import PilotRepository
from pilotdeck.adapters.store.tokens import TokenRepository
from pilotdeck.audit.log import AuditWriter


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.pilots = PilotRepository(session)
        self.assessments = AssessmentRepository(session)
        self.tokens = TokenRepository(session)
        self.models = ModelRepository(session)
        self.alerts = AlertRepository(session)
        self.audit_events = AuditRepository(session)
        self.audit = AuditWriter(self.audit_events)


@contextlib.contextmanager
def write(db: Database) -> Iterator[UnitOfWork]:
    """A mutating transaction: locks the audit log first, appends events at commit."""
    with db.session() as session, session.begin():
        uow = UnitOfWork(session)
        uow.audit.lock()
        yield uow
        uow.audit.flush()


@contextlib.contextmanager
def read(db: Database) -> Iterator[UnitOfWork]:
    """A read-only transaction (rolled back at the end)."""
    with db.read_session() as session, session.begin():
        yield UnitOfWork(session)
        session.rollback()
