"""Wait for a condition instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02,
               message: str | Callable[[], str] = "the condition") -> T:
    """Call ``predicate`` until it returns something truthy, and return that.

    Fails the test with ``AssertionError`` naming ``message`` (a string, or a
    callable that describes the state at the deadline) when ``timeout`` seconds
    pass first. Exceptions raised by ``predicate`` propagate at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            what = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
