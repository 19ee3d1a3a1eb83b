"""The gateway's serving logic: one :class:`Gateway` per process holds the routes,
the breakers, the cache and the logs, and serves one request without touching the
store or the disk.

Per request: a sticky route, the breaker, the cache, the (batched) model call, a
list append for the log and a few metric updates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from pilotdeck.auth.roles import Principal, Role
from pilotdeck.auth.tokens import token_hash
from pilotdeck.domain.errors import PilotdeckError, Unauthenticated
from pilotdeck.domain.ports.cache import PredictionCache
from pilotdeck.domain.ports.lake import LogWriter
from pilotdeck.gateway.batcher import Rows
from pilotdeck.gateway.cache import cache_key
from pilotdeck.gateway.faults import InputRejected, is_input_error, rejection
from pilotdeck.gateway.metrics import GatewayMetrics
from pilotdeck.gateway.state import GatewayState, PilotRoute, ServedModel
from pilotdeck.platform import Platform

log = logging.getLogger("pilotdeck.gateway")
SYSTEM = Principal("system:gateway", Role.ADMIN)
RowsFor = Callable[[ServedModel], Any]
MAX_SHADOW_INFLIGHT = 256


class ModelUnavailable(PilotdeckError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 503, "Model unavailable")


class Gateway:
    """Everything a request needs, built once per process."""

    def __init__(self, platform: Platform) -> None:
        s = platform.settings
        self.platform = platform
        self.settings = s
        self.metrics = GatewayMetrics()
        self.state = GatewayState(platform, self.metrics)
        self.cache: PredictionCache = platform.prediction_cache()
        self.predictions: LogWriter = platform.lake.prediction_log(s.predlog_flush_s,
                                                                   s.predlog_max_rows)
        self.feedback: LogWriter = platform.lake.feedback_log(s.predlog_flush_s,
                                                              s.predlog_max_rows)
        self.cache_hits = 0
        self.cache_misses = 0
        self._shadow_inflight = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def authenticate(self, token: str) -> Principal:
        """A token from the in-memory table (refreshed with the routes)."""
        who = self.state.tokens.get(token_hash(token))
        if who is None:
            raise Unauthenticated("invalid or revoked token")
        return who

    async def refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.gateway_refresh_s)
            try:
                self.state.apply(await asyncio.to_thread(self.state.load))
            except Exception:  # noqa: BLE001 - keep serving the last good routes
                self.state.refresh_errors += 1
                log.exception("gateway refresh failed; still serving the previous routes")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- serving ---------------------------------------------------------------
    async def _call(self, route: PilotRoute, variant: str, served: ServedModel,
                    rows: Rows) -> list[Any]:
        """Call one version through its breaker. Model faults (errors, timeouts,
        slow calls) count against it, may open it and may roll the variant back;
        input errors are the client's (a 422) and never count (``gateway.faults``)."""
        if variant in route.spec.force_open:
            raise ModelUnavailable(f"breaker held open for {route.pilot} {variant}")
        hold = self._governance_hold(route, served)
        if hold is not None:
            raise hold
        breaker = served.breaker
        if not breaker.allow():
            raise ModelUnavailable(f"breaker open for {route.pilot} v{served.version}")
        openings = breaker.openings
        start = time.perf_counter()
        timeout = route.spec.breaker.timeout_ms / 1000
        try:
            # asyncio.timeout, not wait_for: no extra task per request (3.11+).
            async with asyncio.timeout(timeout):
                out = await served.call(rows)
        except Exception as exc:  # noqa: BLE001 - classified: the input's fault or the model's
            if not isinstance(exc, TimeoutError) and is_input_error(exc):
                breaker.release()
                self.metrics.input_errors.labels(route.pilot, str(served.version)).inc()
                raise rejection(exc, rows, served.names) from None
            breaker.record(False, (time.perf_counter() - start) * 1000)
            reason = ("timed out" if isinstance(exc, TimeoutError)
                      else f"raised {exc.__class__.__name__}")
            log.warning("%s v%d %s", route.pilot, served.version, reason)
            if breaker.openings != openings:
                self._on_open(route, variant, served)
            raise ModelUnavailable(f"{route.pilot} v{served.version} {reason}") from None
        breaker.record(True, (time.perf_counter() - start) * 1000)
        if breaker.openings != openings:
            self._on_open(route, variant, served)
        return out

    def _governance_hold(self, route: PilotRoute, served: ServedModel) -> ModelUnavailable | None:
        """A live version whose risk controls lapsed is out of traffic, like a
        version behind an open breaker (its callers take the fallback)."""
        held = self.state.held.get(route.pilot)
        if not held or served.version not in held:
            return None
        return ModelUnavailable(f"{route.pilot} v{served.version} is held by governance: "
                                f"{held[served.version]}")

    def _on_open(self, route: PilotRoute, variant: str, served: ServedModel) -> None:
        """A non-champion variant's breaker opened: take its traffic away now, and
        record the rollback (audited, with the reason) in the background."""
        if variant == "champion":
            return
        # ``route`` is the one this request picked; others in flight hold the same
        # object, so the guard reads the current route: one rollback per opening.
        current = self.state.routes.get(route.pilot)
        if (current is None or current.revision != route.revision
                or variant in current.rolled_back):
            return
        self.state.routes = {**self.state.routes, route.pilot: current.without(variant)}
        self.metrics.rollbacks.labels(route.pilot, variant).inc()
        reason = (f"circuit breaker opened on {variant} (v{served.version}): "
                  f"{served.breaker.reason}")
        self._spawn(asyncio.to_thread(self._record_rollback, route.pilot, variant, reason))

    def _record_rollback(self, pilot: str, variant: str, reason: str) -> None:
        try:
            self.platform.models.rollback(pilot, variant, SYSTEM, reason)
        except PilotdeckError:
            log.exception("could not record the rollback of %s/%s", pilot, variant)

    async def serve(self, route: PilotRoute, variant: str,
                    rows_for: RowsFor) -> tuple[list[Any], str, int, bool]:
        """Predict with the chosen variant, falling back as configured."""
        served = route.variants[variant]
        rows = rows_for(served)
        hold = self._governance_hold(route, served)
        if hold is not None:  # before the cache: a cached answer is still the held version's
            return await self._fallback(route, variant, rows_for, hold)
        ttl = route.spec.cache_ttl_s
        key = (cache_key(self.settings.cache_namespace, route.pilot, served.version, rows)
               if ttl > 0 else None)
        if key is not None:
            hit = await self.cache.get(key)
            if hit is not None:
                self.cache_hits += 1
                self.metrics.cache.labels(route.pilot, "hit").inc()
                return orjson.loads(hit), variant, served.version, True
            self.cache_misses += 1
            self.metrics.cache.labels(route.pilot, "miss").inc()
        try:
            out = await self._call(route, variant, served, rows)
        except ModelUnavailable as failure:
            return await self._fallback(route, variant, rows_for, failure)
        if key is not None:
            await self.cache.set(key, orjson.dumps(out), ttl)
        return out, variant, served.version, False

    async def _fallback(self, route: PilotRoute, variant: str, rows_for: RowsFor,
                        failure: ModelUnavailable) -> tuple[list[Any], str, int, bool]:
        fb = route.spec.fallback
        rows = rows_for(route.variants[variant])
        if variant != "champion" and fb.to in ("champion", "default"):
            champion = route.variants["champion"]
            try:
                # The champion may have another signature: its own view of the request.
                # A request valid for the routed version but not for the champion
                # means the fallback is unavailable, not that the caller erred.
                out = await self._call(route, "champion", champion, rows_for(champion))
                self.metrics.fallbacks.labels(route.pilot, "champion").inc()
                return out, "champion", champion.version, False
            except ModelUnavailable as again:
                failure = again
            except InputRejected:
                raise  # the champion's own validation refused it: the client's to fix
            except PilotdeckError:
                failure = ModelUnavailable(f"{route.pilot}: the request does not fit the "
                                           "champion's signature, so it cannot fall back")
        if fb.to == "default":
            self.metrics.fallbacks.labels(route.pilot, "default").inc()
            return [fb.default] * len(rows), "fallback-default", 0, False
        raise failure

    def shadow(self, route: PilotRoute, rows_for: RowsFor, request_id: str) -> None:
        for served in route.shadows:
            if self._shadow_inflight >= MAX_SHADOW_INFLIGHT:
                self.metrics.shadow.labels(route.pilot, str(served.version), "dropped").inc()
                continue
            try:
                rows = rows_for(served)
            except PilotdeckError:  # the request does not fit the shadow's signature
                self.metrics.shadow.labels(route.pilot, str(served.version), "invalid").inc()
                continue
            self._shadow_inflight += 1
            self._spawn(self._shadow_one(route, served, rows, request_id))

    async def _shadow_one(self, route: PilotRoute, served: ServedModel, rows: Rows,
                          request_id: str) -> None:
        start = time.perf_counter()
        try:
            out = await asyncio.wait_for(served.call(rows), route.spec.breaker.timeout_ms / 1000)
            result = "ok"
        except Exception as exc:  # noqa: BLE001 - a shadow's failure never reaches the caller
            out = None
            result = ("invalid" if not isinstance(exc, TimeoutError) and is_input_error(exc)
                      else "error")
        finally:
            self._shadow_inflight -= 1
        self.metrics.shadow.labels(route.pilot, str(served.version), result).inc()
        self.log_prediction(request_id, route.pilot, "shadow", served.version, served.names,
                            rows, out, (time.perf_counter() - start) * 1000, False,
                            200 if out is not None else 500)

    def log_prediction(self, request_id: str, pilot: str, variant: str, version: int,
                       names: list[str] | None, rows: Rows, out: Any, latency_ms: float,
                       cached: bool, status: int) -> None:
        self.predictions.append({
            "request_id": request_id, "ts": datetime.now(UTC), "pilot": pilot, "variant": variant,
            "model_version": version,
            "inputs": orjson.dumps({"columns": names, "data": rows},
                                   option=orjson.OPT_SERIALIZE_NUMPY).decode(),
            "outputs": orjson.dumps(out).decode(), "latency_ms": latency_ms,
            "cache_hit": cached, "status": status, "rows": len(rows)})
