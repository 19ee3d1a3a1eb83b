"""The gateway ASGI app (``pilotdeck serve``): predict, feedback, metrics, status.

Per request: a token lookup in memory, JSON decode, signature validation,
a sticky route, the breaker, the cache, the (batched) model call, a list
append for the log and a few metric updates. No database, no disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from pilotdeck import __version__
from pilotdeck.api import problems
from pilotdeck.api.deps import PERMISSION_ATTR, public
from pilotdeck.auth.roles import Permission, Principal, Role
from pilotdeck.auth.tokens import token_hash
from pilotdeck.domain.errors import Forbidden, NotFound, PilotdeckError, Unauthenticated
from pilotdeck.gateway.batcher import Rows
from pilotdeck.gateway.cache import PredictionCache, cache_key, make_cache
from pilotdeck.gateway.metrics import GatewayMetrics
from pilotdeck.gateway.predlog import FEEDBACK_SCHEMA, PREDICTION_SCHEMA, ParquetLog, now_utc
from pilotdeck.gateway.schema import PayloadTooLarge, decode, unsigned_rows, validate
from pilotdeck.gateway.state import GatewayState, PilotRoute, ServedModel
from pilotdeck.platform import Platform

log = logging.getLogger("pilotdeck.gateway")
_bearer = HTTPBearer(auto_error=False)
SYSTEM = Principal("system:gateway", Role.ADMIN)
RowsFor = Callable[[ServedModel], Any]
MAX_SHADOW_INFLIGHT = 256


class ModelUnavailable(PilotdeckError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 503, "Model unavailable")


def gw_require(permission: Permission) -> Any:
    """Like the API's ``require`` but against the in-memory token table."""

    def dependency(request: Request,
                   creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        if creds is None or not creds.credentials:
            raise Unauthenticated()
        who = request.app.state.gateway.tokens.get(token_hash(creds.credentials))
        if who is None:
            raise Unauthenticated("invalid or revoked token")
        if not who.can(permission):
            raise Forbidden(f"role {who.role.value} lacks permission {permission.value}")
        return who

    setattr(dependency, PERMISSION_ATTR, permission)
    return Depends(dependency)


class Gateway:
    """Everything a request needs, built once per process."""

    def __init__(self, platform: Platform) -> None:
        s = platform.settings
        assert s.lakehouse_dir is not None
        self.platform = platform
        self.settings = s
        self.metrics = GatewayMetrics()
        self.state = GatewayState(platform, self.metrics)
        self.cache: PredictionCache = make_cache(s.cache_url, s.cache_max_entries)
        self.predictions = ParquetLog(s.lakehouse_dir / "predictions", PREDICTION_SCHEMA,
                                      s.predlog_flush_s, s.predlog_max_rows)
        self.feedback = ParquetLog(s.lakehouse_dir / "feedback", FEEDBACK_SCHEMA,
                                   s.predlog_flush_s, s.predlog_max_rows)
        self.cache_hits = 0
        self.cache_misses = 0
        self._shadow_inflight = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def tokens(self) -> dict[str, Principal]:
        return self.state.tokens

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
        """Call one version through its breaker; failures open it and may roll back."""
        if variant in route.spec.force_open:
            raise ModelUnavailable(f"breaker held open for {route.pilot} {variant}")
        if not served.breaker.allow():
            raise ModelUnavailable(f"breaker open for {route.pilot} v{served.version}")
        start = time.perf_counter()
        timeout = route.spec.breaker.timeout_ms / 1000
        try:
            out = await asyncio.wait_for(served.call(rows), timeout)
        except Exception as exc:  # noqa: BLE001 - any model failure counts against its breaker
            state = served.breaker.record(False, (time.perf_counter() - start) * 1000)
            reason = ("timed out" if isinstance(exc, TimeoutError)
                      else f"raised {exc.__class__.__name__}")
            log.warning("%s v%d %s", route.pilot, served.version, reason)
            if state.value == "open":
                self._on_open(route, variant, served)
            raise ModelUnavailable(f"{route.pilot} v{served.version} {reason}") from None
        state = served.breaker.record(True, (time.perf_counter() - start) * 1000)
        if state.value == "open":
            self._on_open(route, variant, served)
        return out

    def _on_open(self, route: PilotRoute, variant: str, served: ServedModel) -> None:
        """A non-champion variant's breaker opened: take its traffic away now, and
        record the rollback (audited, with the reason) in the background."""
        if variant == "champion" or variant in route.rolled_back:
            return
        current = self.state.routes.get(route.pilot)
        if current is None or current.revision != route.revision:
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
        except Exception:  # noqa: BLE001 - a shadow's failure must never reach the caller
            out, result = None, "error"
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
            "request_id": request_id, "ts": now_utc(), "pilot": pilot, "variant": variant,
            "model_version": version,
            "inputs": orjson.dumps({"columns": names, "data": rows},
                                   option=orjson.OPT_SERIALIZE_NUMPY).decode(),
            "outputs": orjson.dumps(out).decode(), "latency_ms": latency_ms,
            "cache_hit": cached, "status": status, "rows": len(rows)})


def _predict_doc() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object",
        "description": "MLflow scoring format: exactly one of the properties.",
        "properties": {
            "dataframe_split": {"type": "object", "properties": {
                "columns": {"type": "array", "items": {"type": "string"}},
                "data": {"type": "array", "items": {"type": "array"}}}},
            "dataframe_records": {"type": "array", "items": {"type": "object"}},
            "instances": {"type": "array"},
            "inputs": {"oneOf": [{"type": "object"}, {"type": "array"}]}}}}}}}


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    pilot: str = Field(min_length=1, max_length=63)
    label: Any = None
    revenue: float | None = None
    cost_saved: float | None = None
    satisfaction: float | None = Field(None, ge=0, le=10)


router = APIRouter()


@router.post("/v1/pilots/{pilot}/predict", summary="Score rows with the pilot's deployment",
             openapi_extra=_predict_doc())
async def predict(pilot: str, request: Request,
                  key: str | None = Query(None, description="Sticky routing key (or header "
                                          "X-Pilotdeck-Key)."),
                  who: Principal = gw_require(Permission.GATEWAY_PREDICT)) -> Response:
    start = time.perf_counter()
    gw: Gateway = request.app.state.gateway
    route = gw.state.routes.get(pilot)
    if route is None:
        raise NotFound("deployment of pilot", pilot)
    body = await request.body()
    if len(body) > gw.settings.max_body_bytes:
        raise PayloadTooLarge(f"body of {len(body)} bytes; at most {gw.settings.max_body_bytes}")
    columns, raw_rows = decode(body, gw.settings.max_rows)
    variant = route.router.pick(request.headers.get("x-pilotdeck-key") or key)
    served = route.variants[variant]
    allow = frozenset(route.spec.allow_missing)
    views: dict[Any, Any] = {}

    def rows_for(model: ServedModel) -> Any:
        """The request in ``model``'s signature order, validated once per signature.

        Versions of one pilot may have different signatures; rows validated for
        one must never be fed to another (the array path would misorder them).
        """
        key = tuple((c.name, c.type, c.required) for c in model.columns or ())
        if key not in views:
            if model.columns is not None:
                views[key] = validate(columns, raw_rows, model.columns, allow)
            else:
                views[key] = unsigned_rows(columns, raw_rows)
        return views[key]

    rows = rows_for(served)  # a bad request is a 4xx before any model is called
    try:
        out, used, version, cached = await gw.serve(route, variant, rows_for)
    except ModelUnavailable:
        gw.metrics.requests.labels(pilot, variant, "503").inc()
        # Logged too, so health and error rates can be read back from the log.
        gw.log_prediction(uuid.uuid4().hex, pilot, variant, served.version, served.names,
                          rows, None, (time.perf_counter() - start) * 1000, False, 503)
        raise
    request_id = uuid.uuid4().hex
    latency = time.perf_counter() - start
    gw.metrics.latency.labels(pilot, used).observe(latency)
    gw.metrics.requests.labels(pilot, used, "200").inc()
    logged = route.variants.get(used, served)
    gw.log_prediction(request_id, pilot, used, version, logged.names,
                      rows_for(logged) if used in route.variants else rows, out,
                      latency * 1000, cached, 200)
    if route.shadows:
        gw.shadow(route, rows_for, request_id)
    return Response(orjson.dumps({"predictions": out, "request_id": request_id,
                                  "variant": used, "model_version": version,
                                  "cached": cached}), media_type="application/json")


@router.post("/v1/feedback", status_code=202,
             summary="Attach a ground-truth label and business outcomes to a request id")
async def feedback(body: Feedback, request: Request,
                   who: Principal = gw_require(Permission.GATEWAY_FEEDBACK)) -> dict[str, str]:
    gw: Gateway = request.app.state.gateway
    gw.feedback.append({"request_id": body.request_id, "ts": now_utc(), "pilot": body.pilot,
                        "label": orjson.dumps(body.label).decode(), "revenue": body.revenue,
                        "cost_saved": body.cost_saved, "satisfaction": body.satisfaction})
    return {"status": "accepted", "request_id": body.request_id}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request, _: None = public()) -> Response:
    gw: Gateway = request.app.state.gateway
    gw.state.breaker_gauges()
    return Response(generate_latest(gw.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz", summary="Liveness")
async def health(request: Request, _: None = public()) -> dict[str, Any]:
    gw: Gateway = request.app.state.gateway
    return {"status": "ok", "pilots": sorted(gw.state.routes),
            "lastRefresh": gw.state.last_refresh}


@router.get("/v1/gateway/status", summary="Routes, breakers and cache hit rate")
async def status(request: Request, who: Principal = gw_require(Permission.MODELS_READ)
                 ) -> dict[str, Any]:
    gw: Gateway = request.app.state.gateway
    total = gw.cache_hits + gw.cache_misses
    return {
        "version": __version__,
        "cache": {"backend": gw.cache.name, "hits": gw.cache_hits, "misses": gw.cache_misses,
                  "hitRate": gw.cache_hits / total if total else None},
        "predictionLog": {"written": gw.predictions.written, "files": gw.predictions.files},
        "loadErrors": gw.state.load_errors,
        "loadedModels": gw.state.loaded(),
        "routes": {p: {"revision": r.revision,
                       "variants": [{"name": v.name, "version": v.version, "weight": v.weight,
                                     "breaker": ("forced-open" if v.name in r.spec.force_open
                                                 else r.variants[v.name].breaker.state.value),
                                     "breakerReason": r.variants[v.name].breaker.reason}
                                    for v in r.spec.variants],
                       "shadow": [s.version for s in r.shadows]}
                   for p, r in gw.state.routes.items()},
    }


def create_gateway(platform: Platform) -> FastAPI:
    gw = Gateway(platform)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gw.state.apply(await asyncio.to_thread(gw.state.load))
        gw.predictions.start()
        gw.feedback.start()
        refresher = asyncio.get_running_loop().create_task(gw.refresh_loop())
        try:
            yield
        finally:
            refresher.cancel()
            await gw.predictions.close()
            await gw.feedback.close()
            await gw.cache.close()
            gw.state.close()

    app = FastAPI(title="pilotdeck gateway", version=__version__, lifespan=lifespan,
                  description="Real-time scoring of registered models with A/B routing, "
                              "shadow traffic, circuit breakers, a prediction cache and "
                              "a prediction log. MLflow scoring formats are accepted.")
    app.state.gateway = gw
    app.state.platform = platform
    problems.install(app)
    app.include_router(router)
    return app
