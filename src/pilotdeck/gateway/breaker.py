"""Circuit breaker per served model version.

Closed: calls flow; the breaker opens when, within the rolling window, the
error rate reaches ``error_rate`` over at least ``min_requests`` calls, or
after ``consecutive_failures`` failures in a row. A call slower than
``slow_call_ms`` counts as a failure. Open: calls are refused for
``open_s``; then half-open lets ``half_open_probes`` calls through, closing
on their success and reopening on any failure.

``openings`` counts transitions into the open state, so a caller can act once
per opening (one rollback, one audit event) however many in-flight calls fail
after it. A call that ends for a reason that says nothing about the model (the
client's bad input) is ``release``d: it neither counts nor keeps a half-open
probe slot.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

from pilotdeck.domain.serving import BreakerPolicy


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


STATE_VALUE = {State.CLOSED: 0, State.HALF_OPEN: 1, State.OPEN: 2}


class CircuitBreaker:
    def __init__(self, policy: BreakerPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self.state = State.CLOSED
        self.reason = ""
        self._calls: deque[tuple[float, bool]] = deque()
        self._failures = 0
        self._consecutive = 0
        self._opened_at = 0.0
        self._probes = 0
        self._probe_ok = 0
        self.openings = 0

    def allow(self) -> bool:
        """May a call go to this version now?"""
        if self.state is State.CLOSED:
            return True
        if self.state is State.OPEN:
            if self.clock() - self._opened_at < self.policy.open_s:
                return False
            self.state, self._probes, self._probe_ok = State.HALF_OPEN, 0, 0
        if self._probes < self.policy.half_open_probes:
            self._probes += 1
            return True
        return False

    def record(self, ok: bool, latency_ms: float) -> State:
        """Record one call's outcome; returns the state after it."""
        p = self.policy
        if ok and latency_ms > p.slow_call_ms:
            ok = False
        if self.state is State.HALF_OPEN:
            if not ok:
                self._open(f"probe failed after {latency_ms:.0f} ms")
            else:
                self._probe_ok += 1
                if self._probe_ok >= p.half_open_probes:
                    self._reset()
            return self.state
        if self.state is State.OPEN:
            return self.state
        now = self.clock()
        calls = self._calls
        calls.append((now, ok))
        if not ok:
            self._failures += 1
        while calls and now - calls[0][0] > p.window_s:
            if not calls.popleft()[1]:
                self._failures -= 1
        self._consecutive = 0 if ok else self._consecutive + 1
        if self._consecutive >= p.consecutive_failures:
            self._open(f"{self._consecutive} consecutive failures")
        elif len(calls) >= p.min_requests and self._failures / len(calls) >= p.error_rate:
            self._open(f"error rate {self._failures / len(calls):.0%} over {len(calls)} calls "
                       f"in {p.window_s:g}s (threshold {p.error_rate:.0%})")
        return self.state

    def release(self) -> None:
        """A call ``allow`` let through ended without a verdict on the model (an input
        error): give a half-open probe slot back, so the breaker cannot stall."""
        if self.state is State.HALF_OPEN and self._probes > self._probe_ok:
            self._probes -= 1

    def _open(self, reason: str) -> None:
        if self.state is not State.OPEN:
            self.openings += 1
        self.state = State.OPEN
        self.reason = reason
        self._opened_at = self.clock()

    def _reset(self) -> None:
        self.state, self.reason = State.CLOSED, ""
        self._calls.clear()
        self._failures = self._consecutive = 0

    def force_open(self, reason: str) -> None:
        """Open on an external signal (an alert rule, an operator)."""
        self._open(reason)
