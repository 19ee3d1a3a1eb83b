"""Pilot inventory: import/export manifests, create, update, delete, list."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Conflict, FieldError, Forbidden, ValidationFailed
from pilotdeck.domain.pilot import PilotManifest, PilotStatus, parse_manifest
from pilotdeck.domain.ports.manifests import ManifestFiles, RawManifest
from pilotdeck.domain.ports.store import Store, UnitOfWork
from pilotdeck.domain.prioritization import Rubric
from pilotdeck.domain.query import PilotFilter
from pilotdeck.domain.revisions import ANY_REVISION, check_revision
from pilotdeck.views.pilots import ImportResult, Outcome, Pilot, PilotRecord, PilotWriteResult


def pilot_view(row: Any) -> Pilot:
    """The API/CLI shape of a pilot: its manifest plus the record's bookkeeping."""
    return Pilot.model_validate({**row.manifest, "record": PilotRecord(
        revision=row.revision, digest=row.digest, created_at=iso(row.created_at),
        updated_at=iso(row.updated_at))})


def manifest_of(row: Any) -> PilotManifest:
    return PilotManifest.model_validate(row.manifest)


class PortfolioService:
    def __init__(self, store: Store, rubric: Rubric, files: ManifestFiles) -> None:
        self.store = store
        self.rubric = rubric
        self.files = files

    # -- validation ----------------------------------------------------------
    def validate(self, raws: list[RawManifest]) -> list[PilotManifest]:
        """Parse every manifest and report *all* problems at once, or return them all."""
        manifests: list[PilotManifest] = []
        errors: list[FieldError] = []
        seen: dict[str, str] = {}
        for raw in raws:
            try:
                m = parse_manifest(raw.data, raw.source)
            except ValidationFailed as exc:
                errors.extend(exc.errors)
                continue
            errors.extend(
                FieldError(e.field, e.problem, raw.source) for e in self.rubric.check_scores(m)
            )
            if m.name in seen:
                errors.append(
                    FieldError("metadata.name", f"duplicate pilot {m.name!r} (also in "
                               f"{seen[m.name]})", raw.source)
                )
            seen[m.name] = raw.source or "request"
            manifests.append(m)
        if errors:
            raise ValidationFailed("invalid pilot manifest", errors)
        return manifests

    def validate_one(self, data: Any, source: str | None = None) -> PilotManifest:
        return self.validate([RawManifest(source or "body", data)])[0]

    # -- writing -------------------------------------------------------------
    def import_path(self, path: Path, who: Principal) -> ImportResult:
        """Import a file or a directory tree of manifests, all or nothing."""
        return self.apply(self.validate(self.files.read(path)), who)

    @staticmethod
    def _allowed(who: Principal, manifests: list[PilotManifest]) -> None:
        for m in manifests:
            if not who.can(Permission.PILOTS_WRITE, m.name):
                raise Forbidden(f"{who.user} may not change pilot {m.name!r}")

    def apply(self, manifests: list[PilotManifest], who: Principal,
              *, must_exist: bool | None = None) -> ImportResult:
        """Create or update pilots in one transaction; unchanged ones are no-ops."""
        self._allowed(who, manifests)
        outcomes: dict[Outcome, builtins.list[str]] = {
            "created": [], "updated": [], "unchanged": []}
        with self.store.write() as uow:
            for m in manifests:
                outcomes[self._upsert(uow, m, who, must_exist, None)].append(m.name)
        return ImportResult(created=outcomes["created"], updated=outcomes["updated"],
                            unchanged=outcomes["unchanged"])

    def put(self, m: PilotManifest, who: Principal, *, must_exist: bool | None = None,
            expected_revision: int | None = None) -> PilotWriteResult:
        """Create or replace one pilot; return what happened and the pilot as written.

        ``expected_revision`` makes it conditional: PreconditionFailed unless the
        pilot is still at that revision (``ANY_REVISION``: exists at all), so a
        read-modify-write cycle never overwrites a change it did not see."""
        self._allowed(who, [m])
        with self.store.write() as uow:
            outcome = self._upsert(uow, m, who, must_exist, expected_revision)
            return PilotWriteResult(result=outcome, pilot=pilot_view(uow.pilots.get(m.name)))

    def _upsert(self, uow: UnitOfWork, m: PilotManifest, who: Principal,
                must_exist: bool | None, expected: int | None) -> Outcome:
        now = utcnow()
        doc, digest = m.document(), m.digest()
        row = uow.pilots.find(m.name)
        check_revision("pilot", m.name, row.revision if row else None, expected)
        if row is None:
            if must_exist:
                raise ValidationFailed(
                    "pilot does not exist", [FieldError("metadata.name", f"no pilot {m.name!r}")]
                )
            # Revisions continue across a delete and re-create of the same name.
            revision = uow.audit_events.changes("pilot", m.name) + 1
            uow.pilots.add(name=m.name, business_unit=m.metadata.business_unit,
                           owner=m.metadata.owner, status=m.spec.status.value,
                           manifest=doc, digest=digest, now=now, revision=revision)
            uow.audit.record(who.user, "pilot.created", "pilot", m.name,
                             {"after": doc, "digest": digest, "revision": revision}, now)
            return "created"
        if must_exist is False:
            raise Conflict(f"pilot {m.name!r} already exists; update it with PUT")
        if row.digest == digest:
            return "unchanged"
        before = row.manifest
        revision = uow.pilots.update(
            row, row.revision if expected in (None, ANY_REVISION) else expected,
            manifest=doc, digest=digest, business_unit=m.metadata.business_unit,
            owner=m.metadata.owner, status=m.spec.status.value, updated_at=now)
        uow.audit.record(who.user, "pilot.updated", "pilot", m.name,
                         {"before": before, "after": doc, "digest": digest,
                          "revision": revision}, now)
        return "updated"

    def delete(self, name: str, who: Principal, *, force: bool = False,
               expected_revision: int | None = None) -> builtins.list[str]:
        """Delete a pilot with its deployment and model-version links; returns what went.

        A pilot the gateway is serving is deleted only with ``force``: deleting it
        takes its models offline for every client. With ``expected_revision`` the
        delete is conditional (PreconditionFailed unless still at that revision)."""
        with self.store.write() as uow:
            row = uow.pilots.get(name)
            check_revision("pilot", name, row.revision, expected_revision)
            removed = _dependents(uow, row.id)
            dep = uow.models.deployment(row.id)
            live = dep is not None and any(v.get("weight", 0) > 0
                                           for v in dep.spec.get("variants", []))
            if live and not force:
                raise Conflict(f"pilot {name!r} is being served: deleting it removes "
                               f"{' and '.join(removed)} and takes it offline for every "
                               "client; repeat with force (CLI: --force) to do it")
            uow.audit.record(who.user, "pilot.deleted", "pilot", name,
                             {"before": row.manifest, "digest": row.digest,
                              "revision": row.revision, "removed": removed})
            uow.pilots.delete(row)
            return removed

    # -- reading -------------------------------------------------------------
    def get(self, name: str) -> Pilot:
        with self.store.read() as uow:
            return pilot_view(uow.pilots.get(name))

    def list(self, f: PilotFilter, limit: int | None = None,
             offset: int = 0) -> tuple[builtins.list[Pilot], int]:
        if f.status and f.status not in {s.value for s in PilotStatus}:
            raise ValidationFailed("invalid filter", [FieldError(
                "status", f"must be one of {', '.join(s.value for s in PilotStatus)}")])
        with self.store.read() as uow:
            rows = uow.pilots.list(f, limit, offset)
            total = uow.pilots.count(f) if limit is not None else len(rows)
            return [pilot_view(r) for r in rows], total

    def manifests(self, f: PilotFilter | None = None) -> builtins.list[PilotManifest]:
        with self.store.read() as uow:
            return [manifest_of(r) for r in uow.pilots.list(f or PilotFilter())]

    def export(self, directory: Path, f: PilotFilter | None = None) -> builtins.list[Path]:
        """Write one manifest file per pilot; re-importing them is a no-op."""
        return [self.files.write(directory, m.name, m.document()) for m in self.manifests(f)]


def _dependents(uow: UnitOfWork, pilot_id: int) -> list[str]:
    """What deleting a pilot takes with it, in words (MLflow keeps its versions)."""
    out = []
    dep = uow.models.deployment(pilot_id)
    if dep is not None:
        variants = ", ".join(f"{v['name']} v{v['version']} {v['weight']:g}%"
                             for v in dep.spec.get("variants", []))
        shadows = dep.spec.get("shadow", [])
        out.append(f"its deployment (revision {dep.revision}: {variants}"
                   + (f", shadow v{', v'.join(map(str, shadows))}" if shadows else "") + ")")
    n = len(uow.models.versions(pilot_id))
    if n:
        out.append(f"{n} model version link(s) (the versions stay in MLflow)")
    return out
