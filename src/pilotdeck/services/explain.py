"""Why a model decides: SHAP values per prediction, and mean |SHAP| per feature.

shap picks the algorithm by model: TreeExplainer for tree ensembles
(scikit-learn, XGBoost, LightGBM; exact, no background needed),
LinearExplainer for linear models, and a permutation explainer for anything
else, with the background drawn from the version's reference profile sample.

What the values add up to differs by model and explainer (a forest's trees
add probabilities, a boosted ensemble's add log-odds), so rather than keep a
table of which is which, the explainer checks on background rows which output
``base value + Σ contributions`` reproduces: the positive-class probability,
the margin (log-odds or decision function) or the raw prediction, and says so
in ``output_space``. A model it cannot reproduce is refused, never explained
wrongly.

Importing shap costs seconds (numba), so it happens on first use, off the
request path (the gateway builds explainers in a worker thread).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from cachetools import LRUCache

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Conflict, Forbidden, NotFound
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.registry import ModelRegistry
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.serving import profile_name
from pilotdeck.domain.signature import columns_of
from pilotdeck.views.explain import GlobalExplanation

OutputSpace = Literal["probability", "margin", "raw"]
BACKGROUND_ROWS = 100  # background sample for linear and permutation explainers
# A permutation explainer calls the model (background rows x evaluations) times per
# row; any number of permutations adds up exactly, more only reduce the noise.
PERMUTATION_BACKGROUND = 50
PERMUTATIONS = 5
PERMUTATION_GLOBAL_ROWS = 200  # mean |SHAP| of a permutation explainer: fewer rows
TOLERANCE = 1e-6
EXPLAINERS_KEPT = 16
GLOBAL_ROWS = 1000  # rows the global mean |SHAP| is taken over


@dataclass(frozen=True)
class RowExplanation:
    base_value: float
    contributions: dict[str, float]


@contextmanager
def quiet() -> Iterator[None]:
    """scikit-learn warns when an estimator fitted on a DataFrame gets an array;
    the explainer passes arrays in the estimator's own column order on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def _proba(est: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    return getattr(est, "predict_proba", None)


def _is_classifier(est: Any) -> bool:
    return getattr(est, "_estimator_type", None) == "classifier" or hasattr(est, "classes_")


def _is_linear(est: Any) -> bool:
    return type(est).__module__.startswith("sklearn.linear_model") and hasattr(est, "coef_")


class ModelExplainer:
    """shap's explainer for one model, with the output space it adds up to."""

    def __init__(self, estimator: Any, feature_names: list[str],
                 background: np.ndarray | None) -> None:
        import shap

        self.estimator, self.names = estimator, list(feature_names)
        self.classifier = _is_classifier(estimator)
        bg = None if background is None else np.asarray(background, dtype=np.float64)
        if bg is not None and len(bg) > BACKGROUND_ROWS:
            rng = np.random.default_rng(0)
            bg = bg[rng.choice(len(bg), BACKGROUND_ROWS, replace=False)]
        try:
            self._explainer: Any = shap.TreeExplainer(estimator)
            self.kind = "tree"
        except Exception:  # noqa: BLE001 - shap raises many types for "not a tree model"
            if bg is None or not len(bg):
                raise Conflict("explaining this model needs background rows: register the "
                               "version with --reference (its profile sample)") from None
            if _is_linear(estimator):
                self._explainer = shap.LinearExplainer(estimator, bg)
                self.kind = "linear"
            else:
                f = _proba(estimator) if self.classifier else estimator.predict
                # A fixed seed: the same request explained twice gives the same values.
                self._explainer = shap.PermutationExplainer(
                    f, shap.maskers.Independent(bg, max_samples=PERMUTATION_BACKGROUND),
                    seed=0)
                self.kind = "permutation"
        check = bg if bg is not None and len(bg) else None
        with quiet():
            self.output_space = self._space(check)

    # -- what the values add up to -------------------------------------------------
    def _candidates(self, X: np.ndarray) -> dict[OutputSpace, np.ndarray]:
        est = self.estimator
        if not self.classifier:
            return {"raw": np.asarray(est.predict(X), dtype=np.float64)}
        out: dict[OutputSpace, np.ndarray] = {}
        proba = _proba(est)
        if proba is not None:
            p = np.asarray(proba(X), dtype=np.float64)
            picked = p[np.arange(len(X)), self._class_index(X)]
            out["probability"] = picked
            with np.errstate(divide="ignore"):
                out["margin"] = np.log(picked) - np.log1p(-picked)
        decision = getattr(est, "decision_function", None)
        if decision is None and type(est).__module__.startswith("xgboost"):
            # XGBoost computes in float32: the log-odds of its rounded probabilities
            # are off by ~1e-5, its own margin is exact.
            def decision(x: np.ndarray) -> Any:
                return est.predict(x, output_margin=True)
        if decision is not None:
            d = np.asarray(decision(X), dtype=np.float64)
            out["margin"] = d if d.ndim == 1 else d[np.arange(len(X)), self._class_index(X)]
        return out

    def _class_index(self, X: np.ndarray) -> np.ndarray:
        """Binary: the positive class; multiclass: the predicted class of each row."""
        classes = getattr(self.estimator, "classes_", None)
        if classes is None or len(classes) <= 2:
            return np.ones(len(X), dtype=int)
        predicted = np.asarray(self.estimator.predict(X))
        return np.searchsorted(classes, predicted)

    def _space(self, background: np.ndarray | None) -> OutputSpace:
        X = background[:5] if background is not None else None
        if X is None:  # trees need no background; check on a synthetic row
            n = getattr(self.estimator, "n_features_in_", len(self.names))
            X = np.zeros((1, n))
        base, values = self._raw(X)
        total = base + values.sum(axis=1)
        for space, want in self._candidates(X).items():
            if np.allclose(total, want, atol=TOLERANCE, rtol=TOLERANCE):
                return space
        raise Conflict(f"cannot explain this model: its {self.kind} SHAP values add up to "
                       "none of its outputs (probability, margin or prediction)")

    def _raw(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(base value per row, values rows × features) for the explained class."""
        if self.kind == "permutation":
            evals = PERMUTATIONS * (2 * len(self.names) + 1)
            ex = self._explainer(X, max_evals=evals, silent=True)
        else:
            ex = self._explainer(X)
        values, base = np.asarray(ex.values), np.asarray(ex.base_values)
        if base.ndim == 0:
            base = np.broadcast_to(base, (len(X),))
        if values.ndim == 3:  # one set per class
            idx = self._class_index(X)
            values = values[np.arange(len(X)), :, idx]
            base = base[np.arange(len(X)), idx] if base.ndim == 2 else base
        return np.asarray(base, dtype=np.float64).reshape(len(X)), values.astype(np.float64)

    # -- the API ----------------------------------------------------------------------
    def predict(self, X: np.ndarray) -> list[Any]:
        with quiet():
            out: list[Any] = np.asarray(self.estimator.predict(X)).tolist()
        return out

    def explain(self, X: np.ndarray) -> list[RowExplanation]:
        with quiet():
            base, values = self._raw(np.asarray(X, dtype=np.float64))
        return [RowExplanation(float(b), {n: float(v) for n, v in zip(self.names, row,
                                                                        strict=True)})
                for b, row in zip(base, values, strict=True)]

    def output(self, X: np.ndarray) -> np.ndarray:
        """The model's output in ``output_space`` (what the values add up to)."""
        with quiet():
            return self._candidates(np.asarray(X, dtype=np.float64))[self.output_space]

    def global_importance(self, X: np.ndarray) -> dict[str, float]:
        """Mean |SHAP| per feature over ``X``, largest first."""
        X = np.asarray(X, dtype=np.float64)
        with quiet():
            _, values = self._raw(X)
        mean = np.abs(values).mean(axis=0)
        return dict(sorted(((n, float(v)) for n, v in zip(self.names, mean, strict=True)),
                           key=lambda kv: -kv[1]))


# MLflow flavors whose raw model is a scikit-learn-API estimator shap can explain.
SKLEARN_API_FLAVORS = ("mlflow.sklearn", "mlflow.xgboost", "mlflow.lightgbm")


def estimator_of(model: Any) -> Any | None:
    """The scikit-learn-API estimator inside an MLflow pyfunc model (scikit-learn,
    XGBoost, LightGBM), or None for any other model."""
    meta = getattr(model, "metadata", None)
    flavor = meta.flavors.get("python_function", {}) if meta is not None else {}
    if flavor.get("loader_module") in SKLEARN_API_FLAVORS:
        raw = model.get_raw_model()
        return raw if hasattr(raw, "predict") else None
    return None


def feature_order(estimator: Any, names: list[str]) -> list[str]:
    """The estimator's own column order when it records one, else ``names``."""
    own = getattr(estimator, "feature_names_in_", None)
    return [str(n) for n in own] if own is not None and sorted(map(str, own)) == sorted(
        names) else list(names)


class ExplanationService:
    """Global explanations of registered versions, stored beside their profiles.

    Explainers are cached per version: building one costs the shap import and,
    for a tree model, a pass over its trees; explaining a row then costs what
    shap itself costs (``benchmarks/explain``)."""

    def __init__(self, store: Store, registry: ModelRegistry, lake: Lake) -> None:
        self.store, self.registry, self.lake = store, registry, lake
        # Each explainer holds its own copy of a model: keep the recently used few,
        # so versions that left every deployment do not stay in memory for good.
        self._cache: LRUCache[tuple[str, int], tuple[ModelExplainer, list[str]]] = LRUCache(
            EXPLAINERS_KEPT)
        # The gateway explains from worker threads: one builder at a time (a build
        # happens once per version), and the cache is not safe to change concurrently.
        self._lock = threading.Lock()

    def explainer(self, pilot: str, version: int) -> tuple[ModelExplainer, list[str]]:
        """The version's explainer and its feature order (the estimator's own)."""
        with self._lock:
            return self._explainer(pilot, version)

    def _explainer(self, pilot: str, version: int) -> tuple[ModelExplainer, list[str]]:
        key = (pilot, version)
        if key not in self._cache:
            with self.store.read() as uow:
                row = uow.models.version(uow.pilots.get(pilot).id, version)
                if row is None:
                    raise NotFound("model version", f"{pilot}/{version}")
                columns = columns_of(row.signature)
            estimator = estimator_of(self.registry.load(pilot, version))
            if estimator is None or columns is None:
                raise Conflict(f"{pilot} v{version}: explanations need a scikit-learn-API "
                               "model registered with a signature")
            names = feature_order(estimator, [c.name for c in columns])
            try:
                profile = self.lake.load_profile(profile_name(pilot, version))
                background = profile.background(names, BACKGROUND_ROWS * 5)
            except NotFound:
                background = None
            self._cache[key] = (ModelExplainer(estimator, names, background), names)
        return self._cache[key]

    def compute_global(self, pilot: str, version: int, who: Principal) -> GlobalExplanation:
        """Mean |SHAP| per feature over the reference profile's sample; stored and
        audited, so the model card and the governance checks can show it."""
        if not who.can(Permission.MODELS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not explain models of pilot {pilot!r}")
        explainer, names = self.explainer(pilot, version)
        try:
            profile = self.lake.load_profile(profile_name(pilot, version))
        except NotFound:
            raise Conflict(f"{pilot} v{version} has no reference profile to explain over: "
                           "register it with --reference") from None
        rows = profile.background(names, GLOBAL_ROWS, seed=1)
        if rows is None:
            raise Conflict(f"{pilot} v{version}: the reference profile has no numeric "
                           "sample for every feature")
        if explainer.kind == "permutation":  # calls the model rows x evaluations x background
            rows = rows[:PERMUTATION_GLOBAL_ROWS]
        now = utcnow()
        view = GlobalExplanation(
            pilot=pilot, version=version, explainer=explainer.kind,  # type: ignore[arg-type]
            output_space=explainer.output_space, rows=len(rows),
            importance=explainer.global_importance(rows), computed_at=iso(now),
            computed_by=who.user)
        self.lake.save_report("explanations", profile_name(pilot, version), view.dump())
        with self.store.write() as uow:
            uow.audit.record(who.user, "model.explained", "model", f"{pilot}/{version}", {
                "explainer": explainer.kind, "outputSpace": explainer.output_space,
                "rows": len(rows), "top": list(view.importance)[:5]}, now)
        return view

    def stored(self, pilot: str, version: int) -> GlobalExplanation | None:
        data = self.lake.load_report("explanations", profile_name(pilot, version))
        return None if data is None else GlobalExplanation.model_validate(data)
