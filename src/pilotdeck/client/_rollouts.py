"""Staged rollouts in the SDK: start, watch, the human controls, check, simulate."""

from __future__ import annotations

import builtins
from typing import Any

from pilotdeck.client._http import Resource, segment
from pilotdeck.domain.rollout import Plan
from pilotdeck.views.rollouts import CheckResult, RolloutView, SimulationView


def _plan(plan: Plan | dict[str, Any] | None) -> dict[str, Any] | None:
    """A plan as the API takes it; a dict is sent as written (the server validates)."""
    return plan.document() if isinstance(plan, Plan) else plan


class Rollouts(Resource):
    def _path(self, pilot: str, action: str = "") -> str:
        return f"/v1/pilots/{segment(pilot)}/rollout{'/' + action if action else ''}"

    def start(self, pilot: str, challenger: int, plan: Plan | dict[str, Any] | None = None,
              *, mode: str = "auto") -> RolloutView:
        """Put version ``challenger`` on the plan's first step (default plan: 5/25/50/100
        with every gate); ``mode="confirm"`` waits for a person before each step."""
        body = {"challenger": challenger, "plan": _plan(plan), "mode": mode}
        return self._core.send("POST", self._path(pilot), RolloutView, body)

    def status(self, pilot: str) -> RolloutView:
        """The pilot's latest rollout."""
        return self._core.get(self._path(pilot), RolloutView)

    def history(self, pilot: str) -> builtins.list[RolloutView]:
        """The pilot's rollouts, newest first."""
        return self._core.get(f"/v1/pilots/{segment(pilot)}/rollouts", list[RolloutView])

    def pause(self, pilot: str, reason: str = "") -> RolloutView:
        return self._core.send("POST", self._path(pilot, "pause"), RolloutView,
                               {"reason": reason})

    def resume(self, pilot: str) -> RolloutView:
        return self._core.send("POST", self._path(pilot, "resume"), RolloutView)

    def abort(self, pilot: str, reason: str = "") -> RolloutView:
        """Stop and send the challenger's traffic back to the champion at once."""
        return self._core.send("POST", self._path(pilot, "abort"), RolloutView,
                               {"reason": reason})

    def promote(self, pilot: str, *, full: bool = False) -> RolloutView:
        """Confirm the step the rollout waits on, or with ``full`` make the challenger
        the champion now (readiness still blocks 100 % as configured)."""
        return self._core.send("POST", self._path(pilot, "promote"), RolloutView,
                               {"full": full})

    def check(self, pilot: str) -> CheckResult:
        """Run the gates now and act on the decision."""
        return self._core.send("POST", self._path(pilot, "check"), CheckResult)

    def simulate(self, traffic: str, plan: Plan | dict[str, Any] | None = None, *,
                 pilot: str | None = None, repeat: int = 1, seed: int = 0,
                 rate: float = 10.0, batch: int = 50, max_requests: int = 100_000
                 ) -> SimulationView:
        """Replay a catalogued traffic table (``dataset:NAME[@V]``) through a plan;
        with ``pilot``, the challenger is held to that pilot's SLA."""
        body = {"traffic": traffic, "plan": _plan(plan), "repeat": repeat, "seed": seed,
                "rate": rate, "batch": batch, "maxRequests": max_requests, "pilot": pilot}
        return self._core.send("POST", "/v1/rollouts/simulate", SimulationView, body)
