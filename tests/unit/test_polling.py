"""The test helper that replaces fixed sleeps must itself fail when it should."""

from __future__ import annotations

import time

import pytest

from tests.polling import wait_until


def test_returns_the_first_truthy_value() -> None:
    calls = iter([0, None, [], "ready"])
    assert wait_until(lambda: next(calls), timeout=5, interval=0) == "ready"


def test_times_out_with_the_message_and_the_state_at_the_deadline() -> None:
    start = time.monotonic()
    with pytest.raises(AssertionError, match=r"after 0.1 s waiting for the flag \(n=\d+\)"):
        n = [0]

        def never() -> bool:
            n[0] += 1
            return False

        wait_until(never, timeout=0.1, interval=0.01, message=lambda: f"the flag (n={n[0]})")
    assert 0.1 <= time.monotonic() - start < 2


def test_errors_in_the_predicate_propagate_at_once() -> None:
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, timeout=5)
