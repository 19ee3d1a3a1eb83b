"""Circuit breaker state machine, on a fake clock."""

from __future__ import annotations

from pilotdeck.domain.serving import BreakerPolicy
from pilotdeck.gateway.breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def breaker(**kw: float) -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    policy = BreakerPolicy.model_validate({"minRequests": 10, "errorRate": 0.5,
                                           "consecutiveFailures": 4, "slowCallMs": 100,
                                           "openSeconds": 5, "halfOpenProbes": 2,
                                           "windowSeconds": 10, **kw})
    return CircuitBreaker(policy, clock), clock


def test_opens_on_consecutive_failures_and_recovers_through_half_open() -> None:
    b, clock = breaker()
    for _ in range(3):
        assert b.record(False, 1) is State.CLOSED
    assert b.record(False, 1) is State.OPEN and "4 consecutive" in b.reason
    assert not b.allow()
    clock.t = 5.1
    assert b.allow() and b.state is State.HALF_OPEN
    assert b.allow() and not b.allow()  # two probes only
    b.record(True, 1)
    assert b.record(True, 1) is State.CLOSED


def test_failed_probe_reopens() -> None:
    b, clock = breaker()
    b.force_open("manual")
    clock.t = 6
    assert b.allow()
    assert b.record(False, 1) is State.OPEN
    assert not b.allow()


def test_error_rate_needs_minimum_volume_and_window() -> None:
    b, clock = breaker(consecutiveFailures=100)
    for i in range(9):
        b.record(i % 2 == 0, 1)  # 4 failures of 9: below min volume anyway
    assert b.state is State.CLOSED
    b.record(False, 1)  # 5 of 10 = 50 %
    assert b.state is State.OPEN and "error rate 50%" in b.reason
    b2, clock2 = breaker(consecutiveFailures=100)
    for _ in range(5):
        b2.record(False, 1)
    clock2.t = 11  # old failures leave the window
    for _ in range(10):
        b2.record(True, 1)
    assert b2.state is State.CLOSED


def test_slow_calls_count_as_failures() -> None:
    b, _ = breaker()
    for _ in range(4):
        b.record(True, 500)
    assert b.state is State.OPEN
