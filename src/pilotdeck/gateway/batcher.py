"""Adaptive micro-batching: concurrent requests to one model share a predict call.

No timer: while the model is busy, arriving requests queue; when it frees up
they all go in one call (up to ``max_batch`` rows). A request that finds the
model idle goes straight to it, so at concurrency 1 this adds no latency and
no task; under load batches grow by themselves.

When a batch of several requests fails, each request's rows are predicted
again on their own, so one client's bad row fails only that client's request
(and only that request's error is classified and counted, see
``gateway.faults``). A model that fails on everything pays one extra call per
request in the failed batch, once; its breaker opens soon after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

Rows = list[tuple[Any, ...]]


class MicroBatcher:
    def __init__(self, predict: Callable[[Rows], list[Any]], executor: Executor,
                 max_batch: int, on_batch: Callable[[int], None] | None = None) -> None:
        self.predict = predict
        self.executor = executor
        self.max_batch = max_batch
        self.on_batch = on_batch
        self._pending: list[tuple[Rows, asyncio.Future[list[Any]]]] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None  # held: the loop keeps weak refs

    async def submit(self, rows: Rows) -> list[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[list[Any]] = loop.create_future()
        if not self._draining:
            # The model is idle: this request is the whole batch. It goes to the
            # model's thread at once, without a queue or a drain task (most of
            # the event loop's cost per request at low concurrency). The model
            # counts as busy until the call returns, even if this caller stops
            # waiting (a timeout): later requests queue and batch meanwhile.
            self._draining = True
            if self.on_batch is not None:
                self.on_batch(len(rows))
            try:
                call = loop.run_in_executor(self.executor, self.predict, rows)
            except RuntimeError:  # the executor is shut down (the version was unloaded)
                self._draining = False
                raise
            call.add_done_callback(lambda done: self._idle_call_done(done, fut))
            return await fut
        self._pending.append((rows, fut))
        return await fut

    def _idle_call_done(self, call: asyncio.Future[list[Any]],
                        fut: asyncio.Future[list[Any]]) -> None:
        if not fut.done():
            if call.cancelled():
                fut.cancel()
            elif call.exception() is not None:
                fut.set_exception(call.exception())  # type: ignore[arg-type]
            else:
                fut.set_result(call.result())
        if self._pending:
            self._drainer = asyncio.get_running_loop().create_task(self._drain())
        else:
            self._draining = False

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch: list[tuple[Rows, asyncio.Future[list[Any]]]] = []
                size = 0
                while self._pending and (not batch or size + len(self._pending[0][0])
                                         <= self.max_batch):
                    item = self._pending.pop(0)
                    if item[1].cancelled():
                        continue
                    batch.append(item)
                    size += len(item[0])
                if not batch:
                    continue
                rows = [r for part, _ in batch for r in part]
                if self.on_batch is not None:
                    self.on_batch(len(rows))
                try:
                    out = await loop.run_in_executor(self.executor, self.predict, rows)
                except Exception as exc:  # noqa: BLE001 - the waiters get their own outcome
                    if len(batch) == 1:
                        if not batch[0][1].done():
                            batch[0][1].set_exception(exc)
                        continue
                    outcomes = await loop.run_in_executor(
                        self.executor, self._one_by_one, [part for part, _ in batch])
                    for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
                        if fut.done():
                            continue
                        if ok:
                            fut.set_result(value)
                        else:
                            fut.set_exception(value)
                    continue
                start = 0
                for part, fut in batch:
                    if not fut.done():
                        fut.set_result(out[start:start + len(part)])
                    start += len(part)
        finally:
            self._draining = False

    def _one_by_one(self, parts: list[Rows]) -> list[tuple[bool, Any]]:
        """Each request's rows alone (in the model's thread): its result or its error."""
        out: list[tuple[bool, Any]] = []
        for part in parts:
            try:
                out.append((True, self.predict(part)))
            except Exception as exc:  # noqa: BLE001 - handed to that request's waiter
                out.append((False, exc))
        return out
