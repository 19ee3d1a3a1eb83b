"""What the gateway serves, held in memory and refreshed in the background.

One query per refresh reads every deployment's revision; only changed
deployments are rebuilt, and their model versions are loaded *before* the new
route replaces the old one, so swapping a champion never drops a request.
Models are loaded once per version and keep their breaker across refreshes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.serving import DeploymentSpec, Router
from pilotdeck.domain.signature import ColumnSpec, columns_of
from pilotdeck.gateway.batcher import MicroBatcher, Rows
from pilotdeck.gateway.breaker import STATE_VALUE, CircuitBreaker
from pilotdeck.gateway.features import EntityLookup, FeatureLookups
from pilotdeck.gateway.metrics import GatewayMetrics
from pilotdeck.platform import Platform

log = logging.getLogger("pilotdeck.gateway")
NUMERIC_TYPES = {"double", "float", "long", "integer", "boolean"}
SIGNATURE_DTYPES = {"double": "float64", "float": "float32", "long": "int64",
                    "integer": "int32", "boolean": "bool"}


def _to_list(out: Any) -> list[Any]:
    if isinstance(out, pd.DataFrame):
        return list(out.to_dict(orient="records"))
    if hasattr(out, "tolist"):
        return list(out.tolist())
    return list(out)


def _single_openmp_thread() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="openmp")


class ServedModel:
    """One loaded model version: its predict function, executor, batcher, breaker."""

    def __init__(self, pilot: str, version: int, model: Any, signature: dict[str, Any] | None,
                 spec: DeploymentSpec, metrics: GatewayMetrics, cost_per_cpu_s: float) -> None:
        self.pilot, self.version = pilot, version
        self.columns: list[ColumnSpec] | None = columns_of(signature)
        self.names = [c.name for c in self.columns] if self.columns else None
        # What a request's validated view depends on: versions with equal keys
        # share one view of a request (computed once here, not per request).
        self.signature_key = tuple((c.name, c.type, c.required) for c in self.columns or ())
        self.breaker = CircuitBreaker(spec.breaker)
        self.metrics = metrics
        self.cost_per_cpu_s = cost_per_cpu_s
        self._fn = self._fast_predict(model)
        self._order = self._array_path(self._fn)
        self._identity = self._order == list(range(len(self._order or [])))
        # One thread per version: a hung model blocks only its own thread, and
        # batching keeps that thread busy with whole batches. OpenMP is limited
        # to one thread in it: scikit-learn opens a parallel region per tree,
        # which from a non-main thread costs more than the tree (benchmarks/serving).
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"model-{pilot}-{version}",
                                           initializer=_single_openmp_thread)
        self.batching = spec.batching.enabled
        self.batcher = MicroBatcher(self.predict_rows, self.executor, spec.batching.max_batch,
                                    self._observe_batch)
        self._labels = (pilot, str(version))
        self._dtypes = {c.name: np.dtype(SIGNATURE_DTYPES[c.type]) for c in self.columns or ()
                        if c.type in SIGNATURE_DTYPES}

    @staticmethod
    def _fast_predict(model: Any) -> Any:
        """Call scikit-learn directly: we validated the input already, and MLflow's
        per-call schema enforcement costs more than a small model's predict."""
        meta = getattr(model, "metadata", None)
        flavor = meta.flavors.get("python_function", {}) if meta is not None else {}
        if flavor.get("loader_module") == "mlflow.sklearn":
            raw = model.get_raw_model()
            return getattr(raw, flavor.get("predict_fn", "predict"))
        return model.predict

    def _array_path(self, fn: Any) -> list[int] | None:
        """Column order for predicting from a float array, or None to keep DataFrames.

        scikit-learn re-checks a DataFrame's feature names on every call, which
        costs more than predicting one row. When every input is numeric and the
        estimator does not select columns by name, we feed it a float array in
        its own ``feature_names_in_`` order and drop that attribute from our
        private copy, so nothing is checked twice and nothing is reordered.
        """
        if not self.columns or any(c.type not in NUMERIC_TYPES for c in self.columns):
            return None
        estimator = getattr(fn, "__self__", None)
        if estimator is None:
            return None
        holder = estimator.steps[0][1] if hasattr(estimator, "steps") else estimator
        if hasattr(holder, "transformers") or not hasattr(holder, "feature_names_in_"):
            return None  # ColumnTransformer & co. select by name: keep DataFrames
        names_in = [str(n) for n in holder.feature_names_in_]
        assert self.names is not None
        if sorted(names_in) != sorted(self.names):
            return None
        order = [self.names.index(n) for n in names_in]
        try:
            del holder.feature_names_in_
        except AttributeError:
            return None
        return order

    def reset_breaker(self) -> None:
        """A closed breaker with no history, for a fresh deployment of this version."""
        self.breaker = CircuitBreaker(self.breaker.policy)

    def configure(self, spec: DeploymentSpec) -> None:
        self.breaker.policy = spec.breaker
        self.batching = spec.batching.enabled
        self.batcher.max_batch = spec.batching.max_batch

    def _observe_batch(self, rows: int) -> None:
        self.metrics.child(self.metrics.batch, *self._labels).observe(rows)

    def predict_rows(self, rows: Rows) -> list[Any]:
        start = time.thread_time()
        if self._order is not None:
            data = np.asarray(rows, dtype=np.float64)  # None (allowed missing) -> NaN
            if not self._identity:
                data = data[:, self._order]
            out = _to_list(self._fn(data))
        else:
            frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=self.names)
            out = _to_list(self._fn(self._typed(frame)))
        cpu = time.thread_time() - start
        self.metrics.child(self.metrics.cpu, *self._labels).inc(cpu)
        self.metrics.child(self.metrics.cost, *self._labels).inc(cpu * self.cost_per_cpu_s)
        return out

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Columns in the signature's own dtypes (``float`` is float32, ``integer``
        int32...): MLflow's schema enforcement refuses a wider type than declared,
        so a DataFrame that pandas typed by inference could fail a valid request.
        Integer columns holding a missing value stay as they are."""
        casts = {n: t for n, t in self._dtypes.items()
                 if frame[n].dtype != t and not (t.kind in "ib" and frame[n].isna().any())}
        return frame.astype(casts) if casts else frame

    async def call(self, rows: Rows) -> list[Any]:
        if self.batching:
            return await self.batcher.submit(rows)
        self._observe_batch(len(rows))
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, self.predict_rows, rows)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class PilotRoute:
    pilot: str
    revision: int
    spec: DeploymentSpec
    router: Router
    variants: dict[str, ServedModel]
    shadows: list[ServedModel] = field(default_factory=list)
    rolled_back: set[str] = field(default_factory=set)

    def without(self, variant: str) -> PilotRoute:
        """The same route with ``variant``'s traffic on the champion (local rollback)."""
        spec = self.spec.rolled_back(variant)
        return PilotRoute(self.pilot, self.revision, spec, Router(spec.variants), self.variants,
                          self.shadows, self.rolled_back | {variant})


@dataclass
class Refresh:
    changed: dict[str, PilotRoute]
    live: set[str]
    tokens: dict[str, Principal]
    errors: dict[str, str]
    pilots: frozenset[str] = frozenset()
    held: dict[str, dict[int, str]] = field(default_factory=dict)
    entity_lookups: dict[str, EntityLookup] | None = None  # None: keep the current ones


class GatewayState:
    def __init__(self, platform: Platform, metrics: GatewayMetrics) -> None:
        self.platform = platform
        self.metrics = metrics
        self.routes: dict[str, PilotRoute] = {}
        self.tokens: dict[str, Principal] = {}
        self.pilots: frozenset[str] = frozenset()  # every pilot that exists (feedback)
        # pilot -> {version: why}: live versions whose governance controls lapsed
        self.held: dict[str, dict[int, str]] = {}
        self._held_audited: dict[str, dict[int, str]] = {}  # what the loader last audited
        self._models: dict[tuple[str, int], ServedModel] = {}
        self._unused_since: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()
        self.last_refresh = 0.0
        self.refresh_errors = 0
        self.load_errors: dict[str, str] = {}
        self.feature_lookups = FeatureLookups(platform, platform.settings.features_timeout_ms
                                              / 1000)
        self.entity_lookups: dict[str, EntityLookup] = {}

    def _served(self, pilot: str, version: int, signature: dict[str, Any] | None,
                spec: DeploymentSpec) -> ServedModel:
        key = (pilot, version)
        served = self._models.get(key)
        if served is None:
            model = self.platform.registry.load(pilot, version)
            served = ServedModel(pilot, version, model, signature, spec, self.metrics,
                                 self.platform.settings.cost_per_cpu_second)
            self._models[key] = served
        else:
            served.configure(spec)
        return served

    def load(self) -> Refresh:
        """Blocking (run it in a thread): read deployments and tokens, load new versions.

        A deployment whose models fail to load is skipped and reported; the
        others still update, and the pilot keeps its previous route if it had one.
        """
        with self._lock:
            snap = self.platform.serving.snapshot(
                {p: r.revision for p, r in self.routes.items()})
            deployments, tokens, signatures = snap.deployments, snap.tokens, snap.signatures
            changed: dict[str, PilotRoute] = {}
            errors: dict[str, str] = {}
            for pilot, rev, spec_doc in deployments:
                current = self.routes.get(pilot)
                if current is not None and current.revision == rev:
                    continue
                try:
                    spec = DeploymentSpec.parse(spec_doc)
                    variants = {v.name: self._served(pilot, v.version,
                                                     signatures.get((pilot, v.version)), spec)
                                for v in spec.variants}
                    shadows = [self._served(pilot, v, signatures.get((pilot, v)), spec)
                               for v in spec.shadow]
                except Exception as exc:  # noqa: BLE001 - one bad model must not stop the rest
                    log.exception("cannot serve %s revision %d", pilot, rev)
                    errors[pilot] = f"revision {rev}: {exc.__class__.__name__}: {exc}"[:300]
                    continue
                self._fresh_breakers(current, spec, variants)
                changed[pilot] = PilotRoute(pilot, rev, spec, Router(spec.variants), variants,
                                            shadows)
                log.info("serving %s revision %d", pilot, rev)
            live = {p for p, _, _ in deployments}
            routes = [*changed.values(), *(r for p, r in self.routes.items()
                                           if p in live and p not in changed)]
            self._evict({(r.pilot, m.version) for r in routes
                         for m in [*r.variants.values(), *r.shadows]})
            if snap.held != self._held_audited:
                try:  # in the loader thread: the request path never waits on it
                    self.platform.serving.record_holds(self._held_audited, snap.held)
                    self._held_audited = snap.held
                except Exception:  # noqa: BLE001 - the hold applies even if the audit write fails
                    log.exception("could not audit the governance holds; retrying next refresh")
            return Refresh(changed, live, tokens, errors, snap.pilots, snap.held,
                           self.feature_lookups.safe_load())

    @staticmethod
    def _fresh_breakers(previous: PilotRoute | None, spec: DeploymentSpec,
                        variants: dict[str, ServedModel]) -> None:
        """A version (re)deployed to take traffic starts with a closed breaker.

        Breakers live with the loaded version, so without this a challenger rolled
        back for failing and deployed again (fixed, or on purpose) would inherit
        the open breaker and be rolled back on its first failed probe. A version
        that kept its traffic through the change keeps its breaker: a weight tweak
        must not wipe the evidence against a failing model."""
        live_before = set() if previous is None else {
            previous.variants[v.name].version for v in previous.spec.variants
            if v.weight > 0 and v.name not in previous.rolled_back}
        for v in spec.variants:
            if v.weight > 0 and v.version not in live_before:
                variants[v.name].reset_breaker()

    def _evict(self, in_use: set[tuple[str, int]]) -> None:
        """Unload versions no deployment has used for ``gateway_evict_after_s``.

        The grace period lets requests that picked the old route finish (they are
        bounded by the breaker timeout) and keeps a version warm across a quick
        roll back and forth. Called under the lock, off the event loop."""
        now = time.monotonic()
        grace = self.platform.settings.gateway_evict_after_s
        for key in list(self._models):
            if key in in_use:
                self._unused_since.pop(key, None)
                continue
            since = self._unused_since.setdefault(key, now)
            if now - since >= grace:
                self._models.pop(key).close()
                del self._unused_since[key]
                log.info("unloaded %s v%d: not deployed for %.0f s", key[0], key[1],
                         now - since)

    def loaded(self) -> list[dict[str, Any]]:
        now = time.monotonic()
        return [{"pilot": p, "version": v,
                 "unusedSeconds": round(now - self._unused_since[(p, v)], 1)
                 if (p, v) in self._unused_since else None}
                for p, v in sorted(self._models)]

    def apply(self, r: Refresh) -> None:
        """Swap in a loaded refresh. Call it on the event loop, where requests and the
        immediate local rollback also touch ``routes``, so no update is lost."""
        routes = {p: r.changed[p] if p in r.changed else self.routes[p]
                  for p in r.live if p in r.changed or p in self.routes}
        self.routes = routes  # one reference swap: requests see old or new, never half
        self.tokens = r.tokens
        self.pilots = r.pilots
        self.held = r.held
        if r.entity_lookups is not None:
            self.entity_lookups = r.entity_lookups
        self.load_errors = r.errors
        self.refresh_errors += bool(r.errors)
        self.last_refresh = time.time()

    def refresh(self) -> None:
        """Load and apply at once (startup, tests)."""
        self.apply(self.load())

    def breaker_gauges(self) -> None:
        for (pilot, version), served in self._models.items():
            self.metrics.breaker.labels(pilot, str(version)).set(STATE_VALUE[served.breaker.state])

    def close(self) -> None:
        for served in self._models.values():
            served.close()
        self.feature_lookups.close()
