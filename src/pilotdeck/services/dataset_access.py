"""Who may read and write catalogued datasets: grants, and the check every path makes.

The rules are :func:`pilotdeck.domain.datasets.decide`; this module gathers the
grants that can cover a dataset, records a refusal in the audit log
(``dataset.read-denied`` / ``dataset.write-denied``) and manages the grants
themselves. The refusal is recorded in a transaction of its own once the
caller's transaction is over (:meth:`DatasetAccess.recording`): it must be on
record although nothing else changes, and a second transaction opened inside
the first would wait for it forever on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.domain.datasets import (
    Access,
    Caller,
    Decision,
    Grant,
    Grantee,
    decide,
    parse_grantee,
    parse_target,
)
from pilotdeck.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.views.datasets import DatasetGrant

__all__ = ["DatasetAccess", "DatasetDenied", "caller_of", "parse_access"]


class DatasetDenied(Forbidden):
    """A refused read or write, with what the audit record needs."""

    def __init__(self, who: Principal, name: str, access: Access, reason: str, via: str,
                 for_pilot: str | None) -> None:
        super().__init__(f"{access.value} of dataset {name!r} denied: {reason}")
        self.who, self.name, self.access, self.reason = who, name, access, reason
        self.via, self.for_pilot = via, for_pilot
        self.recorded = False  # nested use cases record it once


def caller_of(who: Principal) -> Caller:
    return Caller(role=who.role.value, team=who.team, pilots=who.pilots,
                  admin=who.role is Role.ADMIN)


def parse_access(value: str, field: str = "access") -> Access:
    try:
        return Access(value)
    except ValueError:
        raise ValidationFailed("invalid access", [FieldError(
            field, "read or write")]) from None


def _grant(row: Any) -> Grant:
    return Grant(dataset=row.dataset, tag=row.tag, grantee=Grantee(row.grantee),
                 principal=row.principal, access=Access(row.access))


def _view(row: Any) -> DatasetGrant:
    g = _grant(row)
    return DatasetGrant(id=row.id, target=g.target, to=f"{row.grantee}:{row.principal}",
                        access=row.access, created_by=row.created_by,
                        created_at=iso(row.created_at))


class DatasetAccess:
    def __init__(self, store: Store) -> None:
        self.store = store

    def decision(self, uow: Any, row: Any, who: Principal | Caller, access: Access,
                 for_pilot: str | None = None) -> Decision:
        tags = list(row.tags or [])
        grants = [_grant(g) for g in uow.datasets.grants(row.name, tags)]
        caller = who if isinstance(who, Caller) else caller_of(who)
        return decide(caller, row.name, row.owner, frozenset(tags), grants, access,
                      for_pilot=for_pilot)

    def require(self, uow: Any, row: Any, who: Principal, access: Access,
                for_pilot: str | None = None, via: str = "api") -> None:
        """Raise :class:`DatasetDenied` unless ``who`` may ``access`` ``row`` (run the
        use case inside :meth:`recording` so the refusal is audited).

        ``via`` says which path asked (query, batch input, drift, ...): the audit
        record tells a reviewer where the attempt came from."""
        needed = Permission.DATASETS_READ if access is Access.READ else Permission.DATASETS_WRITE
        if not who.can(needed):
            d = Decision(False, f"{who.user} ({who.role.value}) lacks {needed.value}")
        else:
            d = self.decision(uow, row, who, access, for_pilot)
        if not d.allowed:
            raise DatasetDenied(who, row.name, access, d.reason, via, for_pilot)

    @contextmanager
    def recording(self) -> Iterator[None]:
        """Around a use case that checks access: a refusal raised inside is recorded
        in the audit log once the use case's own transactions have ended."""
        try:
            yield
        except DatasetDenied as e:
            if e.recorded:
                raise
            e.recorded = True
            with self.store.write() as uow:
                uow.audit.record(e.who.user, f"dataset.{e.access.value}-denied", "dataset",
                                 e.name, {"reason": e.reason, "via": e.via,
                                          **({"forPilot": e.for_pilot} if e.for_pilot
                                             else {})})
            raise

    def pilot_may_read(self, name: str, pilot: str) -> bool:
        """Whether jobs of ``pilot`` may read ``name``: a token limited to the pilot,
        with no role of its own to lean on (how the gateway reads online features)."""
        with self.store.read() as uow:
            row = uow.datasets.get(name)
            if row is None:
                return False
            return self.decision(uow, row, Caller("client", None, frozenset({pilot})),
                                 Access.READ).allowed

    # -- grants --------------------------------------------------------------
    def _may_grant(self, uow: Any, who: Principal, dataset: str | None) -> None:
        if who.can(Permission.DATASETS_GRANT):
            return
        if dataset is not None and who.team is not None:
            row = uow.datasets.get(dataset)
            if row is not None and row.owner == who.team and who.can(
                    Permission.DATASETS_WRITE):
                return
        raise Forbidden(f"{who.user} may not grant access to "
                        f"{dataset or 'every dataset with a tag'} (administrators, the "
                        "governance board and the dataset's owner team may)")

    def grant(self, target: str, to: str, access: str, who: Principal) -> DatasetGrant:
        dataset, tag = parse_target(target)
        grantee, principal = parse_grantee(to)
        acc = parse_access(access)
        if grantee is Grantee.ROLE and principal not in {r.value for r in Role}:
            raise ValidationFailed("invalid grantee", [FieldError(
                "to", "role must be one of " + ", ".join(r.value for r in Role))])
        with self.store.write() as uow:
            if dataset is not None and uow.datasets.get(dataset) is None:
                raise NotFound("dataset", dataset)
            self._may_grant(uow, who, dataset)
            if grantee is Grantee.PILOT and not uow.pilots.by_names([principal]):
                raise ValidationFailed("invalid grantee", [FieldError(
                    "to", f"unknown pilot {principal!r}")])
            found = uow.datasets.find_grant(dataset=dataset, tag=tag, grantee=grantee.value,
                                            principal=principal, access=acc.value)
            if found is not None:
                return _view(found)  # granting twice changes nothing
            row = uow.datasets.add_grant(dataset=dataset, tag=tag, grantee=grantee.value,
                                         principal=principal, access=acc.value,
                                         created_by=who.user, now=utcnow())
            view = _view(row)
            uow.audit.record(who.user, "dataset.granted", "dataset", view.target,
                             {"to": view.to, "access": acc.value, "grant": row.id})
        return view

    def revoke(self, target: str, to: str, access: str, who: Principal) -> DatasetGrant:
        dataset, tag = parse_target(target)
        grantee, principal = parse_grantee(to)
        acc = parse_access(access)
        with self.store.write() as uow:
            if dataset is not None and uow.datasets.get(dataset) is None:
                raise NotFound("dataset", dataset)
            self._may_grant(uow, who, dataset)
            row = uow.datasets.find_grant(dataset=dataset, tag=tag, grantee=grantee.value,
                                          principal=principal, access=acc.value)
            if row is None:
                raise NotFound(f"{acc.value} grant on {target} to", to)
            view = _view(row)
            uow.datasets.remove_grant(row)
            uow.audit.record(who.user, "dataset.grant-revoked", "dataset", view.target,
                             {"to": view.to, "access": acc.value, "grant": view.id})
        return view

    def grants(self, who: Principal, dataset: str | None = None) -> list[DatasetGrant]:
        if not who.can(Permission.DATASETS_READ):
            raise Forbidden(f"{who.user} may not read the dataset catalogue")
        with self.store.read() as uow:
            if dataset is None:
                return [_view(r) for r in uow.datasets.grants()]
            row = uow.datasets.get(dataset)
            if row is None:
                raise NotFound("dataset", dataset)
            return [_view(r) for r in uow.datasets.grants(dataset, list(row.tags or []))]
