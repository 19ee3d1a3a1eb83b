"""Service-level agreements per pilot: stored with a revision, audited, and measured.

``get`` is what the staged rollout's gates read (cheap: one row, no lake);
``compliance`` measures every target over a window of the prediction log and
its feedback (see :mod:`pilotdeck.services.sla_compliance`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.revisions import ANY_REVISION, check_revision
from pilotdeck.domain.sla import SLA
from pilotdeck.domain.when import as_utc
from pilotdeck.views.sla import SLACompliance, SLARecord

__all__ = ["SLAService"]


class SLAService:
    def __init__(self, store: Store, lake: Lake) -> None:
        self.store, self.lake = store, lake

    def get(self, pilot: str) -> SLA | None:
        """The pilot's SLA, or None when it has none (NotFound for an unknown pilot)."""
        rec = self.record(pilot, missing_ok=True)
        return None if rec is None else rec.sla

    def record(self, pilot: str, *, missing_ok: bool = False) -> SLARecord | None:
        """The stored SLA with its revision; NotFound (or None) when there is none."""
        with self.store.read() as uow:
            p = uow.pilots.get(pilot)
            row = uow.slas.get(p.id)
            if row is None:
                if missing_ok:
                    return None
                raise NotFound("SLA of pilot", pilot)
            return _view(pilot, row)

    def set(self, pilot: str, sla: SLA, who: Principal, *,
            expected_revision: int | None = None) -> SLARecord:
        """Create or replace the SLA; with ``expected_revision``, only if unchanged."""
        _check(who, pilot)
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            before = uow.slas.get(p.id)
            check_revision("SLA of pilot", pilot, before.revision if before else None,
                           expected_revision)
            before_doc = dict(before.spec) if before else None
            row = uow.slas.save(
                p.id, sla.document(), utcnow(), who.user,
                expected=None if expected_revision in (None, ANY_REVISION)
                else expected_revision,
                # Revisions continue across a delete and re-create (ETags never repeat).
                first=uow.audit_events.changes("sla", pilot) + 1)
            uow.audit.record(who.user, "sla.set", "sla", pilot, {
                "before": before_doc, "after": sla.document(), "revision": row.revision})
            return _view(pilot, row)

    def delete(self, pilot: str, who: Principal, *,
               expected_revision: int | None = None) -> None:
        _check(who, pilot)
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            row = uow.slas.get(p.id)
            if row is None:
                raise NotFound("SLA of pilot", pilot)
            check_revision("SLA of pilot", pilot, row.revision, expected_revision)
            before, revision = dict(row.spec), row.revision
            uow.slas.delete(p.id, revision)
            uow.audit.record(who.user, "sla.deleted", "sla", pilot,
                             {"before": before, "revision": revision})

    def compliance(self, pilot: str, window: timedelta | None = None,
                   now: datetime | None = None) -> SLACompliance:
        """Every target of the SLA measured over ``window`` (default the SLA's own),
        ending ``now``; shadow traffic is not counted."""
        from pilotdeck.services.sla_compliance import measure

        rec = self.record(pilot)
        assert rec is not None
        until = as_utc(now) if now is not None else datetime.now(UTC)
        span = window if window is not None else timedelta(hours=rec.sla.window_hours)
        try:
            if span <= timedelta(0):
                raise OverflowError
            since = until - span
        except OverflowError:
            raise ValidationFailed("invalid window", [FieldError(
                "window", "must be longer than 0 and start after the year 1")]) from None
        return measure(self.lake, pilot, rec.sla, rec.revision, since, until)


def _check(who: Principal, pilot: str) -> None:
    # The pilot team owns its SLA (pilots:write, limited to its pilots), as it owns the
    # manifest the SLA belongs to; platform engineers and admins may set any.
    if not who.can(Permission.PILOTS_WRITE, pilot):
        raise Forbidden(f"{who.user} may not change the SLA of pilot {pilot!r}")


def _view(pilot: str, r: Any) -> SLARecord:
    return SLARecord(pilot=pilot, sla=SLA.parse(r.spec), revision=r.revision,
                     updated_at=iso(as_utc(r.updated_at)), updated_by=r.updated_by)
