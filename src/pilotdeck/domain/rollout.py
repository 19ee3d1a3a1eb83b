"""A staged rollout as data: the plan, the state, and the rule that moves it.

Like an Argo Rollouts canary, a plan is a list of steps: set the challenger's
weight, stay at least ``pauseSeconds`` and until ``minSamples`` challenger
requests arrived, run the gates, optionally wait for a human. The decision
after every check is pure (this module does no I/O):

* any gate **fails** → roll back at once (also while paused or waiting for a
  confirmation: a failing challenger never keeps traffic because nobody looked);
* a gate is **inconclusive**, the step is too young or has too few samples, or
  readiness blocks the next stage → **hold** (iterate at the current weight);
  never fail for lack of data;
* every gate **passes** → **proceed** to the next weight (or wait for a
  confirmation), and after the last step **promote** the challenger;
* a hold longer than ``maxStepSeconds`` ends with the plan's ``onTimeout``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.gates import GateName, GateResult, GateSpec, Verdict
from pilotdeck.domain.inputs import StorableModel
from pilotdeck.domain.pilot import field_errors


class Step(StorableModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    weight: float = Field(gt=0, le=100, description="The challenger's share of traffic, %.")
    pause_s: float = Field(300.0, ge=0, le=86_400 * 30, alias="pauseSeconds")
    min_samples: int = Field(200, ge=0, le=10_000_000, alias="minSamples",
                             description="Challenger requests this step needs.")
    confirm: bool = Field(False, description="Wait for a human before the next step.")
    require: list[GateName] | None = Field(
        None, description="Gates that must pass to leave this step (default: every gate). "
                          "Every gate can fail any step: e.g. guardrails only at 5 %, with "
                          "the quality comparison required from 25 %.")


def _default_gates() -> list[GateSpec]:
    return [GateSpec.model_validate({"name": n})
            for n in ("errorRate", "latency", "quality", "uplift")]


class Plan(StorableModel):
    """Steps, or the shorthand ``stepWeight``/``maxWeight`` (20 and 70 give 20, 40,
    60, 70: a maximum that is not a multiple of the step is still reached, never
    overshot). After the last step the challenger is promoted to 100 %."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    steps: list[Step] = Field(default_factory=list, max_length=50)
    step_weight: float | None = Field(None, gt=0, le=100, alias="stepWeight")
    max_weight: float | None = Field(None, gt=0, le=100, alias="maxWeight")
    pause_s: float = Field(300.0, ge=0, le=86_400 * 30, alias="pauseSeconds",
                           description="For steps made from the shorthand.")
    min_samples: int = Field(200, ge=0, le=10_000_000, alias="minSamples")
    gates: list[GateSpec] = Field(default_factory=_default_gates, max_length=12)
    alpha: float = Field(0.05, gt=0, lt=0.5,
                         description="Chance an equal challenger is ever rolled back.")
    design_samples: float = Field(1000.0, ge=10, le=1e9, alias="designSamples",
                                  description="Effective samples per variant where the "
                                              "comparisons are tightest.")
    max_step_s: float = Field(86_400.0, gt=0, le=86_400 * 90, alias="maxStepSeconds")
    on_timeout: Literal["rollback", "proceed", "pause"] = Field("pause", alias="onTimeout")
    notify: list[str] = Field(default_factory=list, max_length=5,
                              description="Webhooks (http/https) told of every decision: "
                                          "a step, a hold beginning, a wait for a person, "
                                          "a pause, a rollback, the promotion.")

    @field_validator("notify")
    @classmethod
    def _webhooks(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not re.fullmatch(r"https?://[^\s/?#]{1,255}[^\s]{0,2000}", url):
                raise ValueError(f"{url[:80]!r} is not an http(s) URL")
        return urls

    @model_validator(mode="after")
    def _rules(self) -> Plan:
        if self.step_weight is not None or self.max_weight is not None:
            if self.steps:
                raise ValueError("give steps or stepWeight/maxWeight, not both")
            step, top = self.step_weight or 100.0, self.max_weight or 100.0
            if top / step > 50:
                raise ValueError("stepWeight/maxWeight give more than 50 steps")
            # Rounded first: 0.7 x 3 is 2.0999999999999996, which would sit just
            # under a maxWeight of 2.1 as a duplicate step.
            weights = [w for i in range(1, int(top // step) + 2)
                       if (w := round(step * i, 6)) < top]
            self.steps = [Step.model_validate({"weight": round(w, 6), "pauseSeconds":
                                               self.pause_s, "minSamples": self.min_samples})
                          for w in [*weights, top]]
            self.step_weight = self.max_weight = None
        if not self.steps:
            self.steps = [Step.model_validate({"weight": w, "pauseSeconds": self.pause_s,
                                               "minSamples": self.min_samples})
                          for w in (5, 25, 50, 100)]
        weights = [s.weight for s in self.steps]
        if any(b <= a for a, b in zip(weights, weights[1:], strict=False)):
            raise ValueError("step weights must increase")
        names = [g.name for g in self.gates]
        if len(set(names)) != len(names):
            raise ValueError("each gate may appear once")
        unknown = sorted({n for s in self.steps for n in s.require or []} - set(names))
        if unknown:
            raise ValueError(f"steps require gates the plan does not have: {', '.join(unknown)}")
        return self

    @classmethod
    def parse(cls, data: Any) -> Plan:
        try:
            return cls.model_validate(data or {})
        except ValidationError as exc:
            raise ValidationFailed("invalid rollout plan", field_errors(exc)) from None

    def document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Phase(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    WAITING = "waiting-confirmation"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled-back"
    ABORTED = "aborted"


ACTIVE = frozenset({Phase.RUNNING, Phase.PAUSED, Phase.WAITING})


class Action(StrEnum):
    WAIT = "wait"  # the step's minimum time has not passed: nothing to decide yet
    HOLD = "hold"  # iterate: stay at this weight, the evidence is not there yet
    PROCEED = "proceed"  # next step's weight
    CONFIRM = "confirm"  # every gate passed; a human says when to go on
    PROMOTE = "promote"  # the challenger becomes the champion at 100 %
    ROLLBACK = "rollback"
    PAUSE = "pause"  # a hold ran out of time and the plan says wait for a human


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


def decide(plan: Plan, step: int, phase: Phase, step_age_s: float, step_samples: int,
           results: list[GateResult], blocked: list[str]) -> Decision:
    """What the controller does after a check. ``blocked`` names the readiness
    items that keep the challenger from the next stage."""
    failed = [r for r in results if r.verdict is Verdict.FAIL]
    if failed:
        return Decision(Action.ROLLBACK, "; ".join(f"{r.gate}: {r.detail}" for r in failed))
    if phase is not Phase.RUNNING:
        return Decision(Action.WAIT, f"rollout is {phase.value}")
    s = plan.steps[step]
    if step_age_s < s.pause_s:
        return Decision(Action.WAIT, f"step {step + 1} at {s.weight:g}% for "
                                     f"{step_age_s:.0f}s of {s.pause_s:.0f}s")
    why: list[str] = []
    if step_samples < s.min_samples:
        why.append(f"{step_samples} of {s.min_samples} challenger requests at this step")
    why += [f"{r.gate}: {r.detail}" for r in results if r.verdict is Verdict.INCONCLUSIVE
            and (s.require is None or r.gate in s.require)]
    if blocked:
        why.append("readiness: " + ", ".join(blocked))
    if why:
        if step_age_s >= plan.max_step_s:
            return _timeout(plan, step, "; ".join(why))
        return Decision(Action.HOLD, "; ".join(why))
    return _onward(plan, step, "every gate passed")


def _onward(plan: Plan, step: int, reason: str) -> Decision:
    if plan.steps[step].confirm:
        return Decision(Action.CONFIRM, reason + "; waiting for a confirmation")
    last = step == len(plan.steps) - 1
    return Decision(Action.PROMOTE if last else Action.PROCEED, reason)


def _timeout(plan: Plan, step: int, why: str) -> Decision:
    reason = f"held past maxStepSeconds ({plan.max_step_s:g}s): {why}"
    if plan.on_timeout == "rollback":
        return Decision(Action.ROLLBACK, reason)
    if plan.on_timeout == "proceed":
        return _onward(plan, step, reason)
    return Decision(Action.PAUSE, reason)
