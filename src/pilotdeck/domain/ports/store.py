"""The metadata-store port: transactions ("units of work") and their repositories.

A write unit of work locks the audit log first and appends its audit events at
commit, so a change and its audit record land together or not at all. The
implementation is SQLAlchemy (SQLite or PostgreSQL, chosen by URL);
``tests/contract/test_store.py`` runs the same suite against both.

Repositories hand back records with the attributes of the stored row (id,
name, manifest, revision, ...). They are typed loosely here on purpose: the
records are the store's own objects and services only read and set their
fields inside the unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol


class AuditLog(Protocol):
    """The audit events of one unit of work (hashed and appended at commit)."""

    def record(self, actor: str, action: str, entity_type: str, entity_id: str,
               data: dict[str, Any] | None = None, at: Any = None) -> None: ...


class UnitOfWork(Protocol):
    # Read-only members: an implementation may hold more specific types.
    @property
    def pilots(self) -> Any: ...
    @property
    def assessments(self) -> Any: ...
    @property
    def tokens(self) -> Any: ...
    @property
    def models(self) -> Any: ...
    @property
    def alerts(self) -> Any: ...
    @property
    def risk(self) -> Any: ...
    @property
    def approvals(self) -> Any: ...
    @property
    def attestations(self) -> Any: ...
    @property
    def datasets(self) -> Any: ...
    @property
    def audit_events(self) -> Any: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def lineage(self) -> Any: ...
    @property
    def readiness(self) -> Any: ...
    @property
    def training(self) -> Any: ...
    @property
    def slas(self) -> Any: ...
    @property
    def teams(self) -> Any: ...

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` after this unit of work commits; never if it rolls back."""
        ...


class Store(Protocol):
    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        ...

    def write(self) -> AbstractContextManager[UnitOfWork, bool | None]:
        """A mutating transaction; audit events recorded in it commit with it."""
        ...

    def read(self) -> AbstractContextManager[UnitOfWork, bool | None]:
        """A read-only transaction (rolled back at the end)."""
        ...

    def ping(self) -> None:
        """Raise unless the database answers (health checks)."""
        ...

    def dispose(self) -> None: ...
