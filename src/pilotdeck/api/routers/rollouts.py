"""Staged rollouts: start, watch, pause, resume, abort, promote, check, simulate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pilotdeck.api.deps import get_platform, require
from pilotdeck.api.params import PilotPath
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.inputs import INT64_MAX, NO_NUL
from pilotdeck.domain.pilot import NAME_RE as PILOT_RE
from pilotdeck.domain.rollout import Plan
from pilotdeck.platform import Platform
from pilotdeck.views.rollouts import CheckResult, RolloutView, SimulationView

router = APIRouter(prefix="/v1", tags=["rollouts"])
SIMULATION_BUDGET = 10_000_000  # requests drawn
CHECK_BUDGET = 200_000  # gate evaluations: the CPU cost (10M requests at the default batch)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StartBody(_Body):
    challenger: int = Field(ge=1, le=INT64_MAX, description="Version to roll out.")
    plan: Plan | None = Field(None, description="Default: 5/25/50/100 with every gate.")
    mode: str = Field("auto", pattern="^(auto|confirm)$")


class ReasonBody(_Body):
    reason: str = Field("", max_length=2000, pattern=NO_NUL)


class PromoteBody(_Body):
    full: bool = Field(False, description="Make the challenger the champion now.")


class SimulateBody(_Body):
    traffic: str = Field(pattern=r"^dataset:", max_length=300,
                         description="A catalogued dataset (dataset:NAME[@V]), one row per "
                                     "request; files on the server are not read.")
    plan: Plan | None = None
    repeat: int = Field(1, ge=1, le=1000)
    seed: int = Field(0, ge=0, le=2**32 - 1)
    rate: float = Field(10.0, gt=0, le=1e6, allow_inf_nan=False)
    batch: int = Field(50, ge=1, le=100_000)
    max_requests: int = Field(100_000, ge=1, le=1_000_000, alias="maxRequests")
    pilot: str | None = Field(None, pattern=PILOT_RE.pattern, max_length=63,
                              description="Hold the challenger to this pilot's SLA.")

    @model_validator(mode="after")
    def _budget(self) -> SimulateBody:
        # A request runs on the server's CPU. The work is one gate evaluation per
        # batch (about 0.06 ms), so the bound is on checks, not only on requests:
        # batch 1 would otherwise make 10M requests 10M checks (a quarter of an hour).
        checks = self.repeat * -(-self.max_requests // self.batch)
        if self.repeat * self.max_requests > SIMULATION_BUDGET or checks > CHECK_BUDGET:
            raise ValueError(f"repeat x maxRequests must be at most {SIMULATION_BUDGET:,} and "
                             f"repeat x maxRequests / batch at most {CHECK_BUDGET:,}; run "
                             "larger simulations with `pilotdeck rollout simulate`")
        return self


def _plan(plan: Plan | None) -> Plan:
    return plan if plan is not None else Plan.parse({})


@router.post("/pilots/{pilot}/rollout", status_code=status.HTTP_201_CREATED,
             summary="Start a staged rollout of a challenger version")
def start_rollout(pilot: PilotPath, body: StartBody,
                  who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                  platform: Platform = Depends(get_platform)) -> RolloutView:
    return platform.rollouts.start(pilot, body.challenger, who, _plan(body.plan), body.mode)


@router.get("/pilots/{pilot}/rollout", summary="The pilot's latest rollout")
def rollout_status(pilot: PilotPath, who: Principal = require(Permission.MODELS_READ),
                   platform: Platform = Depends(get_platform)) -> RolloutView:
    return platform.rollouts.status(pilot)


@router.get("/pilots/{pilot}/rollouts", summary="The pilot's rollouts, newest first")
def rollout_history(pilot: PilotPath, who: Principal = require(Permission.MODELS_READ),
                    platform: Platform = Depends(get_platform)) -> list[RolloutView]:
    return platform.rollouts.history(pilot)


@router.post("/pilots/{pilot}/rollout/pause", summary="Hold the rollout at its weight")
def pause_rollout(pilot: PilotPath, body: ReasonBody,
                  who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                  platform: Platform = Depends(get_platform)) -> RolloutView:
    return platform.rollouts.pause(pilot, who, body.reason)


@router.post("/pilots/{pilot}/rollout/resume", summary="Carry on after a pause")
def resume_rollout(pilot: PilotPath, who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                   platform: Platform = Depends(get_platform)) -> RolloutView:
    return platform.rollouts.resume(pilot, who)


@router.post("/pilots/{pilot}/rollout/abort",
             summary="Stop and send the challenger's traffic back to the champion")
def abort_rollout(pilot: PilotPath, body: ReasonBody,
                  who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                  platform: Platform = Depends(get_platform)) -> RolloutView:
    return platform.rollouts.abort(pilot, who, body.reason)


@router.post("/pilots/{pilot}/rollout/promote",
             summary="Confirm the waiting step, or make the challenger the champion")
def promote_rollout(pilot: PilotPath, body: PromoteBody,
                    who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                    platform: Platform = Depends(get_platform)) -> RolloutView:
    return platform.rollouts.promote(pilot, who, body.full)


@router.post("/pilots/{pilot}/rollout/check",
             summary="Run the rollout's gates now and act on the decision")
def check_rollout(pilot: PilotPath, who: Principal = require(Permission.DEPLOYMENTS_WRITE),
                  platform: Platform = Depends(get_platform)) -> CheckResult:
    from pilotdeck.domain.errors import Forbidden

    if not who.can(Permission.DEPLOYMENTS_WRITE, pilot):
        raise Forbidden(f"{who.user} may not change the rollout of pilot {pilot!r}")
    return platform.rollouts.check(pilot)


@router.post("/rollouts/simulate", summary="Replay a traffic table through a plan")
def simulate_rollout(body: SimulateBody, who: Principal = require(Permission.MODELS_READ),
                     platform: Platform = Depends(get_platform)) -> SimulationView:
    return platform.rollouts.simulate(body.traffic, who, _plan(body.plan), pilot=body.pilot,
                                      repeat=body.repeat, seed=body.seed, rate=body.rate,
                                      batch=body.batch, max_requests=body.max_requests)
