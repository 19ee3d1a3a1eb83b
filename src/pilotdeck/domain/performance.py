"""Model quality, fairness and business impact on labelled predictions (pure).

Metrics come from scikit-learn and fairlearn, the implementations our users
already trust; what lives here is the choice of task, how predictions become
labels and scores, named slices, and confidence intervals.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pilotdeck.domain.errors import FieldError, ValidationFailed

OPS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}


def task_of(labels: np.ndarray) -> str:
    """Regression when labels are numbers with many distinct or fractional values."""
    try:
        y = labels.astype(float)
    except (TypeError, ValueError):
        return "classification"
    if len(np.unique(y)) > 20 or not np.all(np.mod(y, 1) == 0):
        return "regression"
    return "classification"


def as_labels(a: np.ndarray) -> np.ndarray:
    """Class labels compared as text, so 1, 1.0 and "1" are the same class."""
    out = []
    for v in a.tolist():
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        out.append(str(v))
    return np.array(out, dtype=object)


def classification(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 (binary: for the larger label; else macro);
    with scores (predictions in [0, 1] on binary labels): ROC AUC, log loss, Brier
    score and expected calibration error over 10 bins."""
    from sklearn import metrics as m

    y = as_labels(y_true)
    classes = sorted(set(y.tolist()))
    scores = None
    try:
        numeric = y_pred.astype(float)
        if len(classes) <= 2 and np.all((numeric >= 0) & (numeric <= 1)) \
                and not np.all(np.isin(numeric, [0.0, 1.0])):
            scores = numeric
    except (TypeError, ValueError):
        pass
    positive = classes[-1] if classes else "1"
    if scores is not None:
        negative = classes[0] if len(classes) == 2 else "0"
        pred = np.where(scores >= 0.5, positive, negative).astype(object)
    else:
        pred = as_labels(y_pred)
    binary = len(set(classes) | set(pred.tolist())) <= 2
    kw: dict[str, Any] = ({"average": "binary", "pos_label": positive} if binary
                          else {"average": "macro"})
    out: dict[str, Any] = {
        "task": "classification", "n": len(y),
        "accuracy": float(m.accuracy_score(y, pred)),
        "precision": float(m.precision_score(y, pred, zero_division=0, **kw)),
        "recall": float(m.recall_score(y, pred, zero_division=0, **kw)),
        "f1": float(m.f1_score(y, pred, zero_division=0, **kw)),
    }
    if scores is not None and len(classes) == 2:
        truth = (y == positive).astype(int)
        out["roc_auc"] = float(m.roc_auc_score(truth, scores))
        out["log_loss"] = float(m.log_loss(truth, np.clip(scores, 1e-15, 1 - 1e-15),
                                           labels=[0, 1]))
        out["brier"] = float(m.brier_score_loss(truth, scores))
        out["calibration_error"] = expected_calibration_error(truth, scores)
    return out


def expected_calibration_error(truth: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |observed rate - mean score| over equal-width score bins."""
    idx = np.minimum((scores * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.sum() * abs(truth[sel].mean() - scores[sel].mean())
    return float(total / len(scores)) if len(scores) else 0.0


def regression(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    from sklearn import metrics as m

    y, p = y_true.astype(float), y_pred.astype(float)
    return {"task": "regression", "n": len(y),
            "mae": float(m.mean_absolute_error(y, p)),
            "rmse": float(math.sqrt(m.mean_squared_error(y, p))),
            "mape": float(m.mean_absolute_percentage_error(y, p)),
            "r2": float(m.r2_score(y, p)) if len(y) > 1 else float("nan")}


def quality(y_true: np.ndarray, y_pred: np.ndarray, task: str | None = None) -> dict[str, Any]:
    task = task or task_of(y_true)
    if not len(y_true):
        return {"task": task, "n": 0}
    return regression(y_true, y_pred) if task == "regression" else classification(y_true, y_pred)


def mean_ci(values: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Mean, sum and a Student-t confidence interval of the mean."""
    v = values[~np.isnan(values)].astype(float)
    n = len(v)
    if n == 0:
        return {"n": 0, "sum": 0.0, "mean": None, "ci_low": None, "ci_high": None}
    mean = float(v.mean())
    if n < 2:
        return {"n": 1, "sum": float(v.sum()), "mean": mean, "ci_low": None, "ci_high": None}
    from scipy import stats  # lazily: ~50 MB that drift runs never need

    half = float(stats.t.ppf((1 + level) / 2, n - 1) * v.std(ddof=1) / math.sqrt(n))
    return {"n": n, "sum": float(v.sum()), "mean": mean, "ci_low": mean - half,
            "ci_high": mean + half}


def difference_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Mean of ``a`` minus mean of ``b`` with a Welch confidence interval."""
    a, b = a[~np.isnan(a)].astype(float), b[~np.isnan(b)].astype(float)
    if len(a) < 2 or len(b) < 2:
        return {"difference": None, "ci_low": None, "ci_high": None, "significant": False}
    from scipy import stats  # lazily: ~50 MB that drift runs never need

    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(level)
    return {"difference": float(a.mean() - b.mean()), "ci_low": float(ci.low),
            "ci_high": float(ci.high), "p_value": float(res.pvalue),
            "significant": bool(ci.low > 0 or ci.high < 0)}


def parse_slices(text: str, field: str, source: str | None = None) -> dict[str, Any]:
    """Slices written as YAML or JSON text: a mapping of name -> conditions."""
    import yaml

    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ValidationFailed("invalid slices", [FieldError(
            field, "must be a YAML or JSON mapping of name -> conditions", source)])
    return parsed


def check_slices(slices: dict[str, Any], columns: list[str]) -> None:
    """Slices are ``{name: {column: {op: value}}}``: structured, never code."""
    errors = []
    for name, conds in slices.items():
        if not isinstance(conds, dict) or not conds:
            errors.append(FieldError(f"slices.{name}", "must map columns to {op: value}"))
            continue
        for col, cond in conds.items():
            if col not in columns:
                errors.append(FieldError(f"slices.{name}.{col}", "is not a logged column"))
            elif not isinstance(cond, dict) or not set(cond) <= OPS or not cond:
                errors.append(FieldError(f"slices.{name}.{col}",
                                         f"must be {{op: value}} with op in {sorted(OPS)}"))
            else:
                errors += [FieldError(f"slices.{name}.{col}.{op}", problem)
                           for op, value in cond.items()
                           if (problem := _operand_problem(op, value))]
    if errors:
        raise ValidationFailed("invalid slices", errors)


def _operand_problem(op: str, value: Any) -> str | None:
    """Operands are plain values: a scalar, or a list of scalars for (not) in."""
    def scalar(v: Any) -> bool:
        return isinstance(v, (str, int, float)) and not (
            isinstance(v, float) and not math.isfinite(v))

    if op in ("in", "not in"):
        ok = isinstance(value, list) and all(scalar(v) for v in value)
        return None if ok else "must be a list of numbers or strings"
    return None if scalar(value) else "must be a finite number or a string"


def slice_mask(data: dict[str, np.ndarray], conds: dict[str, dict[str, Any]],
               name: str = "*") -> np.ndarray:
    """Rows matching every condition of slice ``name``."""
    n = len(next(iter(data.values()))) if data else 0
    mask = np.ones(n, dtype=bool)
    for col, cond in conds.items():
        x = data[col]
        for op, value in cond.items():
            try:
                if op in ("in", "not in"):
                    hit = np.isin(x, list(value))
                    mask &= hit if op == "in" else ~hit
                else:
                    with np.errstate(invalid="ignore"):
                        mask &= {"==": np.equal, "!=": np.not_equal, "<": np.less,
                                 "<=": np.less_equal, ">": np.greater,
                                 ">=": np.greater_equal}[op](x, value)
            except TypeError:  # numpy's "no loop" for, say, numbers >= "abc"
                raise ValidationFailed("invalid slices", [FieldError(
                    f"slices.{name}.{col}.{op}",
                    f"cannot compare a {'numeric' if x.dtype.kind in 'biuf' else 'text'} "
                    f"column with a {type(value).__name__}")]) from None
    return mask
