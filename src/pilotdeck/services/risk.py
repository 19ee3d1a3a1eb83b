"""Risk assessments of pilots: classify from the answers, keep every assessment,
audit each one; the newest unexpired one is the pilot's current risk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Forbidden, NotFound
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.risk import TIERS, Questionnaire, assess
from pilotdeck.domain.when import as_utc
from pilotdeck.views.risk import (
    RequiredControl,
    RiskAssessment,
    RiskOption,
    RiskQuestion,
    RiskQuestionnaire,
    RiskTierPolicy,
)


class RiskService:
    def __init__(self, store: Store, questionnaire: Questionnaire) -> None:
        self.store = store
        self.questionnaire = questionnaire

    def questions(self) -> RiskQuestionnaire:
        q = self.questionnaire
        return RiskQuestionnaire(
            name=q.name, version=q.version,
            questions=[RiskQuestion(id=x.id, text=x.text, dimension=x.dimension, help=x.help,
                                    options=[RiskOption(id=o.id, text=o.text, weight=o.weight,
                                                        tier=o.tier) for o in x.options])
                       for x in q.questions],
            tiers=[RiskTierPolicy(tier=t, review_days=q.tiers[t].review_days,
                                  deployable=q.tiers[t].deployable,
                                  controls=[RequiredControl(**c.model_dump())
                                            for c in q.tiers[t].controls])
                   for t in TIERS])

    def assess(self, pilot: str, answers: Any, who: Principal,
               now: datetime | None = None) -> RiskAssessment:
        """Classify the pilot from ``answers`` ({question id: option id}), store and
        audit the result. Every question must be answered (the error lists the
        missing ids), so a tier never rests on a default nobody chose."""
        if not who.can(Permission.RISK_WRITE, pilot):
            raise Forbidden(f"{who.user} may not assess the risk of pilot {pilot!r}")
        result = assess(self.questionnaire, answers)
        at = now or utcnow()
        with self.store.write() as uow:
            p = uow.pilots.get(pilot)
            row = uow.risk.add(
                pilot_id=p.id, questionnaire=self.questionnaire.name,
                questionnaire_version=self.questionnaire.version,
                answers=dict(answers), tier=result.tier, score=result.score,
                result={"dimensions": result.dimensions, "rationale": result.rationale,
                        "requiredControls": [c.model_dump(exclude_none=True)
                                             for c in result.required_controls],
                        "deployable": result.deployable},
                assessed_at=at, assessed_by=who.user,
                expires_at=at + timedelta(days=result.review_days))
            uow.audit.record(who.user, "risk.assessed", "pilot", pilot, {
                "assessment": row.id, "tier": result.tier, "score": result.score,
                "rationale": result.rationale, "answers": dict(answers),
                "questionnaire": f"{self.questionnaire.name} v{self.questionnaire.version}",
                "expiresAt": iso(row.expires_at)}, at)
            return _view(pilot, row, at)

    def history(self, pilot: str, limit: int = 100) -> list[RiskAssessment]:
        """Every assessment of the pilot, newest first."""
        now = utcnow()
        with self.store.read() as uow:
            p = uow.pilots.get(pilot)
            return [_view(pilot, r, now) for r in uow.risk.history(p.id, limit)]

    def latest(self, pilot: str) -> RiskAssessment:
        """The newest assessment, expired or not (``expired`` says which)."""
        rows = self.history(pilot, limit=1)
        if not rows:
            raise NotFound("risk assessment of pilot", pilot)
        return rows[0]

    def current(self, pilot: str, now: datetime | None = None) -> RiskAssessment | None:
        """The assessment that counts: the newest one, unless it has expired."""
        with self.store.read() as uow:
            p = uow.pilots.get(pilot)
            row = uow.risk.latest(p.id)
            if row is None:
                return None
            view = _view(pilot, row, now or utcnow())
        return None if view.expired else view


def is_expired(expires_at: datetime, now: datetime | None = None) -> bool:
    return as_utc(expires_at) <= as_utc(now or utcnow())


def _view(pilot: str, r: Any, now: datetime) -> RiskAssessment:
    res = r.result
    return RiskAssessment(
        id=r.id, pilot=pilot, tier=r.tier, score=r.score, dimensions=res["dimensions"],
        rationale=res["rationale"], deployable=res["deployable"],
        required_controls=[RequiredControl(**c) for c in res["requiredControls"]],
        answers=r.answers, questionnaire=r.questionnaire,
        questionnaire_version=r.questionnaire_version, assessed_at=iso(as_utc(r.assessed_at)),
        assessed_by=r.assessed_by, expires_at=iso(as_utc(r.expires_at)),
        expired=is_expired(r.expires_at, now))
