"""The demo leaves one staged rollout in progress: credit scoring's challenger.

The high-risk pilot's challenger is signed off by the board, so readiness lets
it take live traffic; the rollout starts at 5 % and its gates wait for traffic
and feedback (the demo's server runs the controller; `pilotdeck rollout status`
shows where it stands). A second run leaves it alone.
"""

from __future__ import annotations

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.errors import NotFound, PilotdeckError
from pilotdeck.domain.rollout import Plan
from pilotdeck.platform import Platform

PILOT = "credit-risk-scoring"
PLAN = {"steps": [{"weight": w, "pauseSeconds": 120, "minSamples": 200}
                  for w in (5, 25, 50, 100)],
        "gates": [{"name": "errorRate"}, {"name": "latency"},
                  {"name": "quality", "margin": 0.02, "minSamples": 100}]}


def start_rollout(platform: Platform, who: Principal) -> str:
    try:
        current = platform.rollouts.status(PILOT)
        return (f"rollout: {PILOT} v{current.challenger_version} {current.phase} at "
                f"{current.weight:g}% (pilotdeck rollout status {PILOT})")
    except NotFound:
        pass
    challenger = platform.models.deployment(PILOT).spec.variant("challenger")
    if challenger is None:
        return f"rollout: {PILOT} has no challenger to roll out"
    try:
        r = platform.rollouts.start(PILOT, challenger.version, who, Plan.parse(PLAN))
    except PilotdeckError as exc:
        return f"rollout: not started ({exc})"
    return (f"rollout: {PILOT} v{r.challenger_version} started at {r.weight:g}% (step "
            f"{r.step}/{r.steps}); its gates wait for traffic and feedback — "
            f"pilotdeck rollout status {PILOT}")
