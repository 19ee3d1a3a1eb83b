"""The governance board's word on readiness items: attest, waive, revoke.

An item the platform cannot see (or any item) may be ``attested`` (in place)
or ``waived`` (knowingly not needed) by a board member, with a reason and an
expiry, for the pilot or for one version. One record per pilot, item and
version: a new word rewrites it with compare-and-set, a revocation marks it,
and every step is audited in the same transaction. Evidence still wins: the
report shows ``pass`` whenever the platform can see the item in place.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.readiness import (
    DEFAULT_DAYS,
    ITEM_IDS,
    Attestation,
    Kind,
    expiry_problem,
)
from pilotdeck.domain.revisions import check_revision
from pilotdeck.domain.when import as_utc
from pilotdeck.views.readiness import ReadinessAttestation

__all__ = ["ReadinessAttestations"]

REASON_MAX = 2000
ALL_VERSIONS = 0  # the stored version of a pilot-wide attestation


def _label(pilot: str, item: str, version: int | None) -> str:
    return f"{pilot}/{item}" + (f"@{version}" if version else "")


class ReadinessAttestations:
    def __init__(self, store: Store) -> None:
        self.store = store

    def attest(self, pilot: str, item: str, kind: Kind | str, reason: str, who: Principal, *,
               version: int | None = None, expires_at: datetime | None = None,
               expected_revision: int | None = None) -> ReadinessAttestation:
        """Record (or rewrite) the board's ``kind`` on ``item``; expires after
        ``DEFAULT_DAYS`` unless ``expires_at`` says otherwise (at most a year)."""
        _board(who, "attest or waive readiness items")
        now = utcnow()
        errors = []
        if item not in ITEM_IDS:
            errors.append(FieldError("item", f"unknown item; one of {', '.join(ITEM_IDS)}"))
        if kind not in tuple(Kind):
            errors.append(FieldError("kind", "attested or waived"))
        if not reason.strip() or len(reason) > REASON_MAX or "\x00" in reason:
            errors.append(FieldError("reason", "say why (1..2000 characters, no NUL): it is "
                                               "kept in the audit log"))
        until = as_utc(expires_at) if expires_at is not None else now + timedelta(
            days=DEFAULT_DAYS)
        if (problem := expiry_problem(until, now)) is not None:
            errors.append(FieldError("expires", problem))
        if errors:
            raise ValidationFailed("invalid readiness attestation", errors)
        kind = Kind(kind)
        name = _label(pilot, item, version)
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            if version is not None and uow.models.version(p.id, version) is None:
                raise NotFound("model version", f"{pilot}/{version}")
            row = uow.readiness.get(p.id, item, version or ALL_VERSIONS)
            check_revision("readiness attestation", name, row.revision if row else None,
                           expected_revision)
            fields = {"kind": kind.value, "reason": reason, "by": who.user, "at": now,
                      "expires_at": until}
            if row is None:
                row = uow.readiness.add(pilot_id=p.id, item=item,
                                        version=version or ALL_VERSIONS, **fields)
            else:
                row = uow.readiness.save(row, name, revoked_at=None, revoked_by=None, **fields)
            uow.audit.record(who.user, f"readiness.{kind.value}", "pilot", pilot, {
                "item": item, "version": version, "reason": reason,
                "expiresAt": iso(until), "revision": row.revision}, now)
            return view(pilot, row, now)

    def revoke(self, pilot: str, item: str, who: Principal, *, version: int | None = None,
               expected_revision: int | None = None) -> ReadinessAttestation:
        """Withdraw the board's word: the item answers from evidence alone again."""
        _board(who, "revoke readiness attestations")
        if item not in ITEM_IDS:
            raise ValidationFailed("invalid readiness item", [FieldError(
                "item", f"unknown item; one of {', '.join(ITEM_IDS)}")])
        name = _label(pilot, item, version)
        now = utcnow()
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            row = uow.readiness.get(p.id, item, version or ALL_VERSIONS)
            if row is None or row.revoked_at is not None:
                raise NotFound("readiness attestation", name)
            check_revision("readiness attestation", name, row.revision, expected_revision)
            row = uow.readiness.save(row, name, revoked_at=now, revoked_by=who.user)
            uow.audit.record(who.user, "readiness.revoked", "pilot", pilot, {
                "item": item, "version": version, "kind": row.kind,
                "revision": row.revision}, now)
            return view(pilot, row, now)

    def list(self, pilot: str, version: int | None = None) -> list[ReadinessAttestation]:
        """Those not revoked (expired ones included); with ``version``: those that
        apply to it."""
        now = utcnow()
        with self.store.read() as uow:
            p = uow.pilots.get(pilot)
            return [view(pilot, r, now) for r in uow.readiness.for_pilot(p.id, version)]

    def applying(self, pilot: str, version: int
                 ) -> dict[str, tuple[Attestation, ReadinessAttestation]]:
        """Per item, the word that applies to ``version``: a current one before an
        expired one, one for this version before one for every version."""
        out: dict[str, tuple[Attestation, ReadinessAttestation]] = {}
        for v in sorted(self.list(pilot, version),
                        key=lambda v: (not v.expired, v.version is not None)):
            out[v.item] = (Attestation(
                v.item, Kind(v.kind), v.by, v.reason, datetime.fromisoformat(v.at),
                datetime.fromisoformat(v.expires_at), v.version), v)
        return out


def _board(who: Principal, what: str) -> None:
    if not who.can(Permission.APPROVALS_DECIDE):
        raise Forbidden(f"{who.user} is not on the governance board; only its members "
                        f"{what}")


def view(pilot: str, row: Any, now: datetime) -> ReadinessAttestation:
    expires = as_utc(row.expires_at)
    return ReadinessAttestation(
        pilot=pilot, item=row.item, version=row.version or None, kind=row.kind,
        reason=row.reason, by=row.by, at=iso(as_utc(row.at)), expires_at=iso(expires),
        expired=expires <= now, revision=row.revision,
        revoked_at=iso(as_utc(row.revoked_at)) if row.revoked_at else None,
        revoked_by=row.revoked_by)
