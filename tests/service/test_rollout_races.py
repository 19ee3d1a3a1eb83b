"""Races and crashes around a rollout's two writes (the deployment, then the rollout
row): a person acting while the controller moves to the next step, a breaker
opening meanwhile, a process that dies between the writes. Nothing may end
half-done: an aborted rollout with challenger traffic, a pause silently undone,
a promotion recorded as a rollback, a pause that resume cannot clear."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.auth.roles import Principal, Role
from pilotdeck.domain.rollout import Plan
from pilotdeck.platform import Platform
from pilotdeck.services.rollout_check import CONTROLLER
from tests.service.test_rollouts import (
    ADMIN,
    FAST,
    PILOT,
    _actions,
    _log,
    _weights,
    unblock_full,
    with_a_challenger,
)


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = with_a_challenger(tmp_path)
    yield p
    p.close()


def _ready_to_proceed(p: Platform) -> None:
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    _log(p, "champion", 1, 600, correct=0.8)
    _log(p, "challenger", 2, 600, correct=0.95)


def _while_advancing(p: Platform, act: Any) -> threading.Thread:
    """Run ``act`` in another thread at the moment the controller, having decided
    to proceed, is about to move the weights (its readiness look-up)."""
    real, calls = p.rollouts._blocked, []
    person = threading.Thread(target=act)

    def blocked(pilot: str, version: int, stage: Any) -> list[str]:
        calls.append(stage)
        if len(calls) == 2:  # the second look-up is _advance's, just before the weights
            person.start()
            time.sleep(0.5)  # the person's request gets every chance to run now
        return real(pilot, version, stage)

    p.rollouts._blocked = blocked  # type: ignore[method-assign]
    return person


def test_an_abort_during_a_step_leaves_no_challenger_traffic(platform: Platform) -> None:
    p = platform
    _ready_to_proceed(p)
    person = _while_advancing(p, lambda: p.rollouts.abort(PILOT, ADMIN, "stop"))
    p.rollouts.check(PILOT)
    person.join(timeout=60)
    assert p.rollouts.status(PILOT).phase == "aborted"
    assert _weights(p)["challenger"][1] == 0 and _weights(p)["champion"] == (1, 100)


def test_a_pause_during_a_step_is_not_undone(platform: Platform) -> None:
    p = platform
    _ready_to_proceed(p)
    person = _while_advancing(p, lambda: p.rollouts.pause(PILOT, ADMIN, "freeze"))
    p.rollouts.check(PILOT)
    person.join(timeout=60)
    assert p.rollouts.status(PILOT).phase == "paused"
    assert "rollout.paused" in _actions(p)


def test_a_breaker_opening_during_a_step_is_not_overwritten(platform: Platform) -> None:
    p = platform
    _ready_to_proceed(p)
    gateway = Principal("system:gateway", Role.ADMIN)
    _while_advancing(p, lambda: p.models.rollback(PILOT, "challenger", gateway,
                                                  "circuit breaker opened on challenger"))
    p.rollouts.check(PILOT)
    assert _weights(p)["challenger"][1] == 0  # the breaker's rollback stands
    action = p.rollouts.check(PILOT).action
    assert action == "rollback" and p.rollouts.status(PILOT).phase == "rolled-back"


def test_resume_after_a_step_whose_row_write_was_lost(platform: Platform) -> None:
    """The controller moved the weights to step 2 and died before writing the row."""
    p = platform
    _ready_to_proceed(p)
    spec = p.models.deployment(PILOT).spec
    p.models.deploy(PILOT, p.rollouts._spec_with(spec, 2, 50), CONTROLLER,
                    reason="rollout 1: step 2 of 2")
    assert p.rollouts.check(PILOT).action == "pause"  # weights it did not expect
    p.rollouts.resume(PILOT, ADMIN)
    assert _weights(p)["challenger"] == (2, 20)  # back to the step the row records
    assert p.rollouts.check(PILOT).action == "proceed"  # and it carries on
    assert _weights(p)["challenger"] == (2, 50)


def test_a_promotion_stopped_before_its_record_is_recorded_as_one(platform: Platform) -> None:
    p = platform
    unblock_full(p)
    p.rollouts.start(PILOT, 2, ADMIN, Plan.parse(FAST))
    real = p.rollouts._close

    def killed(*_a: Any, **_k: Any) -> None:
        raise KeyboardInterrupt  # the process dies between the two writes

    p.rollouts._close = killed  # type: ignore[method-assign]
    try:
        p.rollouts.promote(PILOT, ADMIN, full=True)
    except KeyboardInterrupt:
        pass
    p.rollouts._close = real  # type: ignore[method-assign]
    assert _weights(p) == {"champion": (2, 100)}
    assert p.rollouts.check(PILOT).action == "promote"
    assert p.rollouts.status(PILOT).phase == "promoted"
    assert _actions(p)[-1] == "rollout.promoted"

