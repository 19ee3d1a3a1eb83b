"""Alert routes: list, acknowledge and evaluate alerts; silence rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import pilot_query, positive_path
from pilotdeck.api.preconditions import if_match
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import NO_NUL
from pilotdeck.domain.pilot import NAME_RE
from pilotdeck.domain.when import as_utc
from pilotdeck.platform import Platform
from pilotdeck.views.alerts import Alert, AlertList, AlertSilence, Evaluation

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.get("", summary="Stored alerts, newest first", response_model=AlertList)
def alerts(pilot: str | None = pilot_query(),
           status: Literal["open", "resolved"] | None = Query(None),
           who: Principal = require(Permission.MONITORING_READ),
           platform: Platform = Depends(get_platform)) -> AlertList:
    return AlertList(items=platform.alerts.list(pilot, status))


@router.post("/evaluate", summary="Evaluate the configured alert rules now (and act)",
             response_model=Evaluation)
def evaluate(who: Principal = require(Permission.ALERTS_WRITE),
             platform: Platform = Depends(get_platform)) -> Evaluation:
    from pilotdeck.services.alerts import load_rules

    path = platform.settings.alert_rules
    if path is None or not path.is_file():  # nothing to evaluate is not an error
        return Evaluation(rules=None, results=[],
                          detail=f"no rules file at {path} (set PILOTDECK_ALERT_RULES)")
    return Evaluation(rules=str(path), results=platform.alerts.evaluate(load_rules(path)))


class AckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class SilenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str = Field(min_length=1, max_length=80, pattern=NO_NUL)
    pilot: str | None = Field(None, max_length=63, pattern=NAME_RE.pattern)
    until: datetime = Field(description="ISO 8601; at most 90 days ahead.")
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


@router.post("/{alert_id}/ack", summary="Acknowledge an open alert (If-Match: its revision)")
def acknowledge(alert_id: Annotated[int, positive_path("Alert id")], body: AckBody,
                who: Principal = require(Permission.ALERTS_WRITE),
                expected: int | None = if_match(),
                platform: Platform = Depends(get_platform)) -> Alert:
    return platform.alerts.acknowledge(alert_id, who, body.note, expected)


@router.get("/silences", summary="Alert silences, newest first")
def silences(active: bool = False, who: Principal = require(Permission.MONITORING_READ),
             platform: Platform = Depends(get_platform)) -> list[AlertSilence]:
    return platform.alerts.silences(active)


@router.post("/silences", status_code=201,
             summary="Silence a rule: its alerts still open, its actions do not run")
def silence(body: SilenceBody, who: Principal = require(Permission.ALERTS_WRITE),
            platform: Platform = Depends(get_platform)) -> AlertSilence:
    until = as_utc(body.until)  # an ISO time without an offset is UTC
    return platform.alerts.silence(body.rule, who, until=until, reason=body.reason,
                                   pilot=body.pilot)


@router.delete("/silences/{silence_id}", summary="End a silence now")
def unsilence(silence_id: Annotated[int, positive_path("Silence id")],
              who: Principal = require(Permission.ALERTS_WRITE),
              platform: Platform = Depends(get_platform)) -> AlertSilence:
    return platform.alerts.unsilence(silence_id, who)
