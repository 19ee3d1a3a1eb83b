"""The ``PredictionCache`` contract, against every implementation: the
in-process LRU and the real Redis at 127.0.0.1:6379 (database 15, keys under a
namespace of the test's own, removed afterwards).

Each test runs its whole scenario in one event loop, as the gateway does: an
async Redis client belongs to the loop it first ran on.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest

from pilotdeck.adapters.cache import make_prediction_cache
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.ports.cache import PredictionCache
from tests.contract.conftest import closed_port, redis_available, require

REDIS_URL = "redis://127.0.0.1:6379/15"

Scenario = Callable[[PredictionCache, str], Awaitable[None]]


@pytest.fixture(params=["memory", "redis"])
def play(request: pytest.FixtureRequest) -> Iterator[Callable[[Scenario], None]]:
    """Runs a scenario against a fresh cache, with a key namespace of its own."""
    ns = f"contract-{uuid.uuid4().hex[:12]}"
    if request.param == "redis":
        require(redis_available(), "Redis at 127.0.0.1:6379")
    url = REDIS_URL if request.param == "redis" else "memory://"

    def run(scenario: Scenario) -> None:
        async def body() -> None:
            cache = make_prediction_cache(url, max_entries=1000)
            try:
                await scenario(cache, ns)
            finally:
                await cache.close()
            assert getattr(cache, "errors", 0) == 0  # Redis really answered

        asyncio.run(body())

    yield run
    if request.param == "redis":
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"{ns}:*"))
        if keys:
            r.delete(*keys)


async def until_gone(cache: PredictionCache, key: str, within_s: float = 5.0) -> float:
    """Poll until ``key`` misses; the seconds it took (fails after ``within_s``)."""
    start = time.monotonic()
    while await cache.get(key) is not None:
        assert time.monotonic() - start < within_s, f"{key} outlived its TTL"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def test_implements_the_port(play: Callable[[Scenario], None]) -> None:
    async def scenario(cache: PredictionCache, ns: str) -> None:
        assert isinstance(cache, PredictionCache) and cache.name

    play(scenario)


def test_miss_is_none_and_a_set_value_comes_back_exactly(
        play: Callable[[Scenario], None]) -> None:
    async def scenario(cache: PredictionCache, ns: str) -> None:
        assert await cache.get(f"{ns}:nothing") is None
        raw = b'{"predictions": [1, 0]}\x00\xff'  # bytes, not text
        await cache.set(f"{ns}:a", raw, 30)
        await cache.set(f"{ns}:b", b"[0]", 30)
        assert await cache.get(f"{ns}:a") == raw
        assert await cache.get(f"{ns}:b") == b"[0]"
        await cache.set(f"{ns}:a", b"[2]", 30)  # a newer answer replaces the old
        assert await cache.get(f"{ns}:a") == b"[2]"

    play(scenario)


def test_entries_expire_after_their_own_ttl(play: Callable[[Scenario], None]) -> None:
    async def scenario(cache: PredictionCache, ns: str) -> None:
        await cache.set(f"{ns}:short", b"s", 0.2)
        await cache.set(f"{ns}:long", b"l", 30)
        assert await cache.get(f"{ns}:short") == b"s"
        await until_gone(cache, f"{ns}:short")
        assert await cache.get(f"{ns}:long") == b"l"

    play(scenario)


def test_zero_or_negative_ttl_stores_nothing(play: Callable[[Scenario], None]) -> None:
    async def scenario(cache: PredictionCache, ns: str) -> None:
        await cache.set(f"{ns}:zero", b"z", 0)
        await cache.set(f"{ns}:negative", b"n", -1)
        assert await cache.get(f"{ns}:zero") is None
        assert await cache.get(f"{ns}:negative") is None

    play(scenario)


def test_close_twice_is_fine(play: Callable[[Scenario], None]) -> None:
    async def scenario(cache: PredictionCache, ns: str) -> None:
        await cache.set(f"{ns}:k", b"v", 30)
        await cache.close()  # the fixture closes it once more

    play(scenario)


@pytest.mark.parametrize("transport", ["tcp", "unix"])
def test_backend_down_degrades_to_misses_and_never_raises(transport: str) -> None:
    url = (f"redis://127.0.0.1:{closed_port()}/0" if transport == "tcp"
           else "unix:///nonexistent/pilotdeck-redis.sock")

    async def scenario() -> None:
        start = time.monotonic()
        for first in ("get", "set"):  # whichever call meets the outage first
            cache = make_prediction_cache(url, max_entries=10)
            if first == "get":
                assert await cache.get("k") is None
            for _ in range(3):
                await cache.set("k", b"v", 30)
                assert await cache.get("k") is None
            await cache.close()
            await cache.close()
        assert time.monotonic() - start < 2.0  # short timeouts, then a cool-down

    asyncio.run(scenario())


def test_unknown_scheme_names_the_setting_and_the_choices() -> None:
    with pytest.raises(ValidationFailed) as err:
        make_prediction_cache("memcached://user:secret@cache:11211", 10)
    problem = err.value.errors[0]
    assert problem.field == "PILOTDECK_CACHE_URL"
    assert all(s in problem.problem for s in ("memory", "redis", "rediss", "unix"))
    assert "secret" not in str(err.value)
