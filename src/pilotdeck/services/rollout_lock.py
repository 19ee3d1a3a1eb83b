"""One rollout's lock: whatever changes a rollout holds it from reading to the last write.

The controller's lease says which replica runs the loop, but it cannot keep two
actors apart: a round may outlast the lease, ``rollout tick`` (cron) and
``POST …/rollout/check`` run beside the loop, and a person pauses, aborts or
promotes whenever they like. Each of those reads the rollout, decides, then
writes the deployment and the rollout row in two transactions (the deployment
path is the registry's own, audited). Holding this lock across all of it means a
decision is acted on only against the state it was made from, and one actor's
two writes are never interleaved with another's. It is a row of the lease table
(no second locking mechanism), so a crashed holder's lock simply expires.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from pilotdeck.audit.log import utcnow
from pilotdeck.domain.errors import Conflict

LOCK_S = 300.0  # outlives any one check; a crashed holder's lock expires after it
WAIT_S = 30.0  # how long a person's request waits for a running check to finish


@contextmanager
def rollout_lock(store: Any, rollout_id: int, pilot: str,
                 wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold rollout ``rollout_id``'s lock (Conflict when not free within ``wait_s``)."""
    name, holder = f"rollout:{rollout_id}", uuid.uuid4().hex
    deadline = time.monotonic() + wait_s
    while True:
        now = utcnow()
        with store.write() as uow:
            if uow.leases.acquire(name, holder, now, now + timedelta(seconds=LOCK_S)):
                break
        if time.monotonic() >= deadline:
            raise Conflict(f"the rollout of {pilot} is being changed by another request; "
                           "retry in a moment")
        time.sleep(0.1)
    try:
        yield
    finally:
        with store.write() as uow:
            uow.leases.release(name, holder)
