"""Issue 8, item 11: the Redis cache's timeout times the socket, not the event loop,
and the cache backs off before standing down. Against the real Redis (db 15)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from pilotdeck.adapters.cache import RedisCache
from tests.backends import require_redis
from tests.polling import wait_until

REDIS_URL = "redis://127.0.0.1:6379/14"  # its own db: test files may run in parallel


@pytest.fixture
def ns() -> Iterator[str]:
    require_redis()
    prefix = f"h1-cache-{uuid.uuid4().hex[:10]}"
    yield prefix
    r = redis.Redis.from_url(REDIS_URL)
    keys = list(r.scan_iter(f"{prefix}:*"))
    if keys:
        r.delete(*keys)


def test_a_busy_event_loop_does_not_time_redis_out(ns: str) -> None:
    """16 concurrent readers while the loop is blocked 80 ms at a time (longer than
    the 50 ms timeout): every read is a hit and nothing counts as an error."""

    async def scenario() -> tuple[int, int, int]:
        cache = RedisCache(REDIS_URL)
        for i in range(50):
            await cache.set(f"{ns}:{i}", b"v", 60)
        busy = True

        async def hog() -> None:
            while busy:
                time.sleep(0.08)  # CPU work on the loop: parsing, a slow callback
                await asyncio.sleep(0.005)

        async def reader(w: int) -> int:
            return sum([await cache.get(f"{ns}:{(w * 7 + j) % 50}") == b"v"
                        for j in range(25)])

        hogging = asyncio.create_task(hog())
        hits = sum(await asyncio.gather(*(reader(w) for w in range(16))))
        busy = False
        await hogging
        await cache.close()
        return hits, cache.errors, getattr(cache, "stand_downs", 0)

    hits, errors, stand_downs = asyncio.run(scenario())
    assert (hits, errors, stand_downs) == (400, 0, 0)


class StallingProxy:
    """A TCP proxy to the real Redis that can stop forwarding (a hung Redis)."""

    def __init__(self) -> None:
        self.stalled = False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", 6379))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.stalled:
                    dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            s.close()

    def close(self) -> None:
        self._closed = True
        self.server.close()


def test_backs_off_before_standing_down_and_comes_back(ns: str) -> None:
    proxy = StallingProxy()

    async def scenario() -> None:
        cache = RedisCache(f"redis://127.0.0.1:{proxy.port}/14", first_backoff_s=0.2)
        await cache.set(f"{ns}:k", b"v", 60)
        assert await cache.get(f"{ns}:k") == b"v"
        proxy.stalled = True
        start = time.monotonic()
        assert await cache.get(f"{ns}:k") is None  # one timeout: a miss, still up
        assert cache.available and cache.errors == 1
        assert await cache.get(f"{ns}:k") is None
        assert cache.available
        assert await cache.get(f"{ns}:k") is None  # the third in a row stands it down
        assert not cache.available and cache.stand_downs == 1
        assert time.monotonic() - start < 1.0  # each call bounded by the 50 ms timeout
        assert await cache.get(f"{ns}:k") is None and cache.errors == 3  # not even tried
        await asyncio.to_thread(wait_until, lambda: cache.available, 2.0, 0.02,
                                "the first back-off (0.2 s) to end")
        assert await cache.get(f"{ns}:k") is None  # still hung: down again, for longer
        assert cache.stand_downs == 2 and not cache.available
        proxy.stalled = False
        await asyncio.to_thread(wait_until, lambda: cache.available, 2.0, 0.02,
                                "the second back-off (0.4 s) to end")
        assert await cache.get(f"{ns}:k") == b"v"  # Redis answers again: back in use
        assert cache._failures == 0 and cache._backoff == 0.2
        await cache.close()

    try:
        asyncio.run(scenario())
    finally:
        proxy.close()
