"""A staged rollout as the CLI and the API show it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["CheckResult", "RolloutView", "SimulationView"]


class RolloutView(View):
    id: int
    pilot: str
    champion_version: int
    challenger_version: int
    mode: str = Field(description="auto: steps advance on evidence; confirm: a person "
                                  "confirms each step.")
    phase: str = Field(description="running | paused | waiting-confirmation | promoted | "
                                   "rolled-back | aborted")
    step: int = Field(description="1-based index of the current step.")
    steps: int
    weight: float = Field(description="The challenger's share of traffic now, %.")
    reason: str
    started_by: str
    started_at: str
    step_started_at: str
    updated_at: str
    revision: int
    plan: dict[str, Any]
    last_check: dict[str, Any] | None = Field(
        description="The latest check: time, action, reason, samples and each gate's "
                    "verdict with its statistic.")


class SimulationView(View):
    decision: str = Field(description="promoted | rolled-back | held (the first replay)")
    seconds: float
    requests: int
    steps: list[dict[str, Any]]
    operating_characteristics: dict[str, Any] | None = None


class CheckResult(View):
    pilot: str
    action: str = Field(description="wait | hold | proceed | confirm | promote | rollback | "
                                    "pause")
    reason: str
