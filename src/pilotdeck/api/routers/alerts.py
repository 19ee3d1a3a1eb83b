"""Alert routes: list stored alerts, evaluate the rules now."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import pilot_query
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.platform import Platform
from pilotdeck.views.alerts import AlertList, Evaluation

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
