"""Maturity assessment of the organisation and of each pilot, with history."""

from __future__ import annotations

from collections.abc import Sequence

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden, NotFound
from pilotdeck.domain.evidence import aggregate
from pilotdeck.domain.maturity import AssessmentInput, Evidence, MaturityModel, assess
from pilotdeck.domain.pilot import PilotManifest, PilotStatus
from pilotdeck.domain.ports.store import Store, UnitOfWork
from pilotdeck.services.evidence import DEFAULT_PROVIDERS, EvidenceProvider
from pilotdeck.services.portfolio import manifest_of
from pilotdeck.views.assessments import Assessment, AssessmentSummary, ScopeLevel

ORG = "organisation"


def scope_of(pilot: str | None) -> str:
    return f"pilot:{pilot}" if pilot else ORG


class AssessmentService:
    def __init__(self, store: Store, model: MaturityModel,
                 providers: Sequence[EvidenceProvider] = DEFAULT_PROVIDERS) -> None:
        self.store = store
        self.model = model
        self.providers = list(providers)

    def _evidence(self, uow: UnitOfWork, m: PilotManifest) -> dict[str, Evidence]:
        out: dict[str, Evidence] = {}
        for provider in self.providers:
            for ev in provider.collect(uow, m):
                out[ev.key] = ev
        return out

    def evidence_for(self, uow: UnitOfWork, pilot: str | None) -> dict[str, Evidence]:
        if pilot:
            return self._evidence(uow, manifest_of(uow.pilots.get(pilot)))
        from pilotdeck.domain.query import PilotFilter

        live = [manifest_of(r) for r in uow.pilots.list(PilotFilter())
                if r.status != PilotStatus.SUNSET.value]
        return aggregate([self._evidence(uow, m) for m in live])

    def assess(self, pilot: str | None, inp: AssessmentInput, who: Principal,
               *, save: bool = True) -> Assessment:
        """Assess one pilot (or the organisation when ``pilot`` is None) and store it."""
        if not who.can(Permission.ASSESSMENTS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not assess {scope_of(pilot)}")
        if pilot is None and who.scoped_pilot_writes() is not None:
            raise Forbidden(f"{who.user} may assess only their own pilots")
        inp.validate(self.model)
        with self.store.write() as uow:
            row = uow.pilots.get(pilot) if pilot else None
            result = assess(self.model, inp, self.evidence_for(uow, pilot))
            scope = scope_of(pilot)
            result["scope"] = scope
            if not save:
                return Assessment.model_validate(result)
            now = utcnow()
            saved = uow.assessments.add(
                scope=scope, pilot_id=row.id if row else None, model_name=self.model.name,
                assessed_at=now, assessor=who.user, overall_level=result["overall"]["level"],
                result=result,
            )
            result["id"], result["assessedAt"], result["assessor"] = saved.id, iso(now), who.user
            saved.result = result
            uow.audit.record(who.user, "assessment.recorded", "assessment", scope, {
                "id": saved.id, "overall": result["overall"],
                "levels": {d["id"]: d["level"] for d in result["dimensions"]},
                "answers": inp.answers, "scores": inp.scores,
            }, now)
            return Assessment.model_validate(result)

    def latest(self, pilot: str | None) -> Assessment:
        with self.store.read() as uow:
            if pilot:
                uow.pilots.get(pilot)
            row = uow.assessments.latest(scope_of(pilot))
            if row is None:
                raise NotFound("assessment of", scope_of(pilot))
            latest = Assessment.model_validate(row.result)
            if latest.assessed_at is None:  # results stored before the time was kept
                latest = latest.model_copy(update={"assessed_at": iso(row.assessed_at)})
            return latest

    def history(self, pilot: str | None, limit: int = 100) -> list[AssessmentSummary]:
        with self.store.read() as uow:
            if pilot:
                uow.pilots.get(pilot)
            return [
                AssessmentSummary(
                    id=r.id, assessed_at=iso(r.assessed_at), assessor=r.assessor,
                    overall_level=r.overall_level, score=r.result["overall"]["score"],
                    levels={d["id"]: d["level"] for d in r.result["dimensions"]})
                for r in uow.assessments.history(scope_of(pilot), limit)
            ]

    def portfolio_levels(self) -> dict[str, ScopeLevel]:
        """Latest assessment summary per scope, for dashboards and the plan."""
        with self.store.read() as uow:
            return {scope: ScopeLevel(overall_level=r.overall_level,
                                      assessed_at=iso(r.assessed_at))
                    for scope, r in uow.assessments.latest_by_scope().items()}
