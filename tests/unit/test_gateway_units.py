"""Payload decoding/validation and the adaptive micro-batcher."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pilotdeck.adapters.cache import MemoryCache
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.signature import ColumnSpec, columns_of
from pilotdeck.gateway.batcher import MicroBatcher
from pilotdeck.gateway.cache import cache_key
from pilotdeck.gateway.schema import PayloadTooLarge, decode, validate

SPEC = [ColumnSpec("x", "double"), ColumnSpec("n", "long"), ColumnSpec("s", "string"),
        ColumnSpec("b", "boolean", required=False)]


def test_signature_columns_from_mlflow_dict() -> None:
    sig = {"inputs": '[{"type": "double", "name": "a", "required": true}]', "outputs": None}
    assert columns_of(sig) == [ColumnSpec("a", "double", True)]
    assert columns_of({"inputs": '[{"type": "tensor", "tensor-spec": {}}]'}) is None
    assert columns_of(None) is None


def test_all_formats_decode_to_the_same_rows() -> None:
    want = [(1.5, 2, "a", True)]
    bodies = [
        b'{"dataframe_split": {"columns": ["x","n","s","b"], "data": [[1.5,2,"a",true]]}}',
        b'{"dataframe_records": [{"x":1.5,"n":2,"s":"a","b":true}]}',
        b'{"instances": [[1.5,2,"a",true]]}',
        b'{"inputs": {"x":[1.5],"n":[2],"s":["a"],"b":[true]}}',
        b'{"dataframe_split": {"columns": ["b","s","n","x"], "data": [[true,"a",2,1.5]]}}',
    ]
    for body in bodies:
        cols, rows = decode(body, 100)
        assert validate(cols, rows, SPEC) == want


def test_type_and_presence_errors_name_row_and_column() -> None:
    cols, rows = decode(b'{"dataframe_records": [{"x":"1","n":2.5,"s":3}, {"n":1,"s":"x"}]}',
                        100)
    with pytest.raises(ValidationFailed) as exc:
        validate(cols, rows, SPEC)
    problems = {e.field: e.problem for e in exc.value.errors}
    assert problems["[0].x"] == "expected double, got string"
    assert problems["[0].n"] == "expected long, got number"
    assert problems["[0].s"] == "expected string, got integer"
    assert problems["[1].x"] == "is required by the model signature"
    assert "[1].b" not in problems  # optional column may be absent
    with pytest.raises(ValidationFailed) as exc:
        validate(*decode(b'{"instances": [[true, 1, "a", null]]}', 10), SPEC)
    assert exc.value.errors[0].problem == "expected double, got boolean"
    ok = validate(*decode(b'{"instances": [[null, 1, "a", null]]}', 10), SPEC,
                  allow_missing=frozenset({"x"}))
    assert ok == [(None, 1, "a", None)]
    with pytest.raises(PayloadTooLarge):
        decode(b'{"instances": [[1],[2],[3]]}', 2)


def test_batcher_coalesces_while_busy_and_preserves_order() -> None:
    sizes: list[int] = []
    started = threading.Event()

    def predict(rows: list[tuple[int]]) -> list[int]:
        started.set()
        time.sleep(0.05)
        return [r[0] * 10 for r in rows]

    async def run() -> list[list[int]]:
        b = MicroBatcher(predict, ThreadPoolExecutor(1), max_batch=8, on_batch=sizes.append)
        first = asyncio.create_task(b.submit([(0,)]))
        await asyncio.to_thread(started.wait)
        rest = [asyncio.create_task(b.submit([(i,), (i + 100,)])) for i in range(1, 7)]
        return [await first] + [await t for t in rest]

    out = asyncio.run(run())
    assert out[0] == [0]
    assert out[1:] == [[i * 10, (i + 100) * 10] for i in range(1, 7)]
    assert sizes[0] == 1 and max(sizes) == 8 and sum(sizes) == 13


def test_by_default_requests_of_a_hundred_rows_share_a_model_call() -> None:
    """The point of batching for bodies of many rows: their calls' fixed cost is
    paid once per batch, not once per request."""
    from pilotdeck.domain.serving import DeploymentSpec

    sizes: list[int] = []
    started = threading.Event()

    def predict(rows: list[tuple[int]]) -> list[int]:
        started.set()
        time.sleep(0.05)
        return [r[0] for r in rows]

    async def run() -> None:
        spec = DeploymentSpec.parse({"variants": [{"name": "champion", "version": 1,
                                                   "weight": 100}]})
        b = MicroBatcher(predict, ThreadPoolExecutor(1), spec.batching.max_batch,
                         on_batch=sizes.append)
        first = asyncio.create_task(b.submit([(0,)] * 100))
        await asyncio.to_thread(started.wait)
        await asyncio.gather(first, *(b.submit([(i,)] * 100) for i in range(1, 9)))

    asyncio.run(run())
    assert sizes == [100, 800]


def test_a_caller_that_stops_waiting_keeps_the_model_busy_for_the_others() -> None:
    """The idle path: the first request goes straight to the model. If its caller
    times out, the model still counts as busy until the call returns, so the
    next requests queue and go as one batch after it (not behind it one by one)."""
    sizes: list[int] = []
    release = threading.Event()

    def predict(rows: list[tuple[int]]) -> list[int]:
        if rows[0][0] == 0:
            release.wait(5)  # the slow call
        return [r[0] for r in rows]

    async def run() -> tuple[list[list[int]], bool]:
        b = MicroBatcher(predict, ThreadPoolExecutor(1), max_batch=8, on_batch=sizes.append)
        try:
            async with asyncio.timeout(0.05):
                await b.submit([(0,)])
        except TimeoutError:
            pass
        rest = [asyncio.create_task(b.submit([(i,)])) for i in range(1, 4)]
        await asyncio.sleep(0.05)
        queued = not any(t.done() for t in rest)
        release.set()
        return [await t for t in rest], queued

    out, queued = asyncio.run(run())
    assert queued and out == [[1], [2], [3]]
    assert sizes == [1, 3]


def test_a_batcher_whose_executor_is_gone_fails_each_call_and_never_sticks() -> None:
    async def run() -> list[BaseException | list[int]]:
        pool = ThreadPoolExecutor(1)
        pool.shutdown()
        b = MicroBatcher(lambda rows: [1], pool, max_batch=8)
        out: list[BaseException | list[int]] = []
        for _ in range(2):  # the second call is refused too, not queued forever
            try:
                out.append(await asyncio.wait_for(b.submit([(1,)]), 1))
            except (RuntimeError, TimeoutError) as exc:
                out.append(exc)
        return out

    assert [type(r) for r in asyncio.run(run())] == [RuntimeError, RuntimeError]


def test_batcher_passes_model_errors_to_every_waiter() -> None:
    def boom(rows: list[tuple[int]]) -> list[int]:
        raise RuntimeError("model broke")

    async def run() -> list[BaseException | list[int]]:
        b = MicroBatcher(boom, ThreadPoolExecutor(1), max_batch=8)
        return await asyncio.gather(*(b.submit([(i,)]) for i in range(3)),
                                    return_exceptions=True)

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(run()))


def test_memory_cache_ttl_and_keys() -> None:
    async def run() -> tuple[bytes | None, bytes | None]:
        c = MemoryCache(10)
        k = cache_key("ns", "p", 1, [(1.0, 2)])
        assert k != cache_key("ns", "p", 2, [(1.0, 2)]) != cache_key("other", "p", 1, [(1.0, 2)])
        await c.set(k, b"[1]", 0.05)
        hit = await c.get(k)
        await asyncio.sleep(0.08)
        return hit, await c.get(k)

    assert asyncio.run(run()) == (b"[1]", None)


def test_numeric_fast_path_agrees_with_the_exact_checker() -> None:
    import numpy as np

    spec = [ColumnSpec("x", "double"), ColumnSpec("n", "long"), ColumnSpec("y", "float")]
    cols, rows = decode(b'{"dataframe_split": {"columns": ["y","x","n"], '
                        b'"data": [[0.5, 1.5, 2], [1, -3.25, 4]]}}', 10)
    fast = validate(cols, rows, spec)
    assert isinstance(fast, np.ndarray)
    assert fast.tolist() == [[1.5, 2.0, 0.5], [-3.25, 4.0, 1.0]]
    assert fast.flags["C_CONTIGUOUS"]  # orjson serialises it for the cache and the log
    # Anything unusual falls through to the exact checker and its precise errors.
    for body, field, problem in [
        (b'{"instances": [[1.0, true, 2.0]]}', "[0].n", "expected long, got boolean"),
        (b'{"instances": [[1.0, 2.5, 2.0]]}', "[0].n", "expected long, got number"),
        (b'{"instances": [[1.0, 2, null]]}', "[0].y", "is missing"),
        (b'{"instances": [[1.0, 2, "a"]]}', "[0].y", "expected float, got string"),
        (b'{"instances": [[1.0, 2]]}', "[0]", "has 2 values, expected 3"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            validate(*decode(body, 10), spec)
        assert (exc.value.errors[0].field, problem in exc.value.errors[0].problem) == (field, True)


def test_unsigned_models_still_get_rectangular_rows() -> None:
    from pilotdeck.gateway.schema import unsigned_rows

    assert unsigned_rows(["a", "b"], [[1, 2], [3, 4]]) == [(1, 2), (3, 4)]
    assert unsigned_rows(None, [{"a": 1, "b": [0, 1]}, {"a": 2, "b": [1, 1]}]) == [
        (1, [0, 1]), (2, [1, 1])]  # nested values pass: tensors have no column types
    assert unsigned_rows(None, [5, 6]) == [(5,), (6,)]
    with pytest.raises(ValidationFailed) as exc:
        unsigned_rows(["a", "b"], [[1, 2], [3], [4, 5, 6]])
    assert [e.field for e in exc.value.errors] == ["rows[1]", "rows[2]"]
    with pytest.raises(ValidationFailed) as exc:
        unsigned_rows(None, [{"a": 1}, {"b": 2}])
    assert exc.value.errors[0].field == "rows[1]"
