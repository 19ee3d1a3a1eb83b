"""Quality, fairness, business impact and health read back from real gateway logs.

The logs are written by the gateway's own log writer (the lake adapter's); every number is
checked against scikit-learn, fairlearn or SciPy computed on the raw data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
)
from scipy import stats
from sklearn import metrics as m

from pilotdeck.domain.errors import ValidationFailed
from tests.conftest import monitoring_at

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COLS = ["age", "gender", "region", "income"]


def write_logs(lake: Path, n: int = 600, seed: int = 3) -> dict[str, Any]:
    """n one-row requests over two days, champion v1 and challenger v2, some failures,
    labels for most, a few multi-row requests with a label list."""
    rng = np.random.default_rng(seed)
    preds = monitoring_at(lake).lake.prediction_log(1, 10**6)
    fb = monitoring_at(lake).lake.feedback_log(1, 10**6)
    truth: dict[str, list[Any]] = {k: [] for k in [*COLS, "y", "p", "variant", "version",
                                                   "ts", "revenue"]}
    p_rec, f_rec = [], []
    for i in range(n):
        variant = "challenger" if i % 3 == 0 else "champion"
        version = 2 if variant == "challenger" else 1
        ts = T0 + timedelta(minutes=5 * i)
        row = [int(rng.integers(18, 80)), str(rng.choice(["f", "m"])),
               str(rng.choice(["north", "south", "east"])), float(rng.normal(50, 10))]
        y = int(rng.random() < 0.4)
        p = y if rng.random() < (0.8 if variant == "champion" else 0.7) else 1 - y
        if row[1] == "f" and rng.random() < 0.2:
            p = 1  # a bias for the fairness metrics to find
        rid = f"r{i}"
        status = 503 if i % 50 == 7 else 200
        p_rec.append({"request_id": rid, "ts": ts, "pilot": "churn", "variant": variant,
                      "model_version": version,
                      "inputs": orjson.dumps({"columns": COLS, "data": [row]}).decode(),
                      "outputs": orjson.dumps([p] if status == 200 else None).decode(),
                      "latency_ms": float(rng.gamma(2, 3)), "cache_hit": bool(i % 10 == 0),
                      "status": status, "rows": 1})
        if status != 200 or i % 11 == 0:  # failed, or no label yet
            continue
        revenue = float(rng.normal(12 if variant == "challenger" else 10, 3))
        f_rec.append({"request_id": rid, "ts": ts + timedelta(hours=1), "pilot": "churn",
                      "label": orjson.dumps(y).decode(), "revenue": revenue,
                      "cost_saved": float(rng.normal(1, 0.2)),
                      "satisfaction": float(rng.integers(1, 6))})
        for k, v in zip([*COLS, "y", "p", "variant", "version", "ts", "revenue"],
                        [*row, y, p, variant, version, ts, revenue], strict=True):
            truth[k].append(v)
    preds._write(p_rec)
    fb._write(f_rec)
    return {k: np.array(v) for k, v in truth.items()} | {"requests": p_rec}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    lake = tmp_path_factory.mktemp("lake")
    return lake, write_logs(lake)


def test_quality_per_version_and_variant_matches_scikit_learn(logs: Any) -> None:
    lake, t = logs
    out = monitoring_at(lake).quality("churn")
    assert out.task == "classification" and out.labelled_rows == len(t["y"])
    for g in out.groups:
        sel = t["version"] == g.model_version
        y, p = t["y"][sel], t["p"][sel]
        assert g.variant == ("challenger" if g.model_version == 2 else "champion")
        assert g.n == sel.sum()
        assert g.accuracy == pytest.approx(m.accuracy_score(y, p))
        assert g.precision == pytest.approx(m.precision_score(y, p))
        assert g.recall == pytest.approx(m.recall_score(y, p))
        assert g.f1 == pytest.approx(m.f1_score(y, p))
    dumped = out.dump()  # grouping keys are camelCase too
    assert dumped["labelledRows"] == len(t["y"])
    assert {g["modelVersion"] for g in dumped["groups"]} == {1, 2}


def test_quality_over_daily_windows(logs: Any) -> None:
    lake, t = logs
    out = monitoring_at(lake).quality("churn", by=[], every="day")
    days = sorted({ts.strftime("%Y-%m-%d") for ts in t["ts"].tolist()})
    assert [(g.window or "")[:10] for g in out.groups] == days
    first = np.array([ts.strftime("%Y-%m-%d") == days[0] for ts in t["ts"].tolist()])
    assert out.groups[0].accuracy == pytest.approx(
        m.accuracy_score(t["y"][first], t["p"][first]))
    since = T0 + timedelta(days=1)
    later = monitoring_at(lake).quality("churn", since=since, by=[])
    assert later.labelled_rows == sum(ts >= since for ts in t["ts"].tolist())


def test_fairness_matches_fairlearn_with_intersections_and_slices(logs: Any) -> None:
    lake, t = logs
    out = monitoring_at(lake).fairness("churn", ["gender", "region"],
                               slices={"older_north": {"age": {">=": 60},
                                                       "region": {"in": ["north"]}}})
    sf = np.column_stack([t["gender"], t["region"]])
    mf = MetricFrame(metrics=m.accuracy_score, y_true=t["y"], y_pred=t["p"],
                     sensitive_features={"gender": sf[:, 0], "region": sf[:, 1]})
    by = {(g.group["gender"], g.group["region"]): g for g in out.groups}
    assert len(by) == 6
    for key, acc in mf.by_group.items():
        assert by[key].accuracy == pytest.approx(acc)
    sens = {"gender": t["gender"], "region": t["region"]}
    assert out.demographic_parity_difference == pytest.approx(
        demographic_parity_difference(t["y"], t["p"], sensitive_features=sens))
    assert out.equalized_odds_difference == pytest.approx(
        equalized_odds_difference(t["y"], t["p"], sensitive_features=sens))
    assert out.dump()["demographicParityDifference"] == out.demographic_parity_difference
    mask = (t["age"] >= 60) & (t["region"] == "north")
    s = out.slices[0]
    assert s.rows == mask.sum()
    assert s.accuracy == pytest.approx(m.accuracy_score(t["y"][mask], t["p"][mask]))
    with pytest.raises(ValidationFailed) as exc:
        monitoring_at(lake).fairness("churn", ["nope"], slices={"x": {"age": {"~": 1}}})
    assert {e.field for e in exc.value.errors} == {"slices.x.age"}
    from pilotdeck.domain.performance import parse_slices

    assert parse_slices('{"old": {"age": {">=": 60}}}', "slices") == {"old": {"age": {">=": 60}}}
    for bad in ("- a list", "{not: [yaml"):
        with pytest.raises(ValidationFailed) as exc:
            parse_slices(bad, "--slices", "s.yaml")
        assert (exc.value.errors[0].field, exc.value.errors[0].source) == ("--slices", "s.yaml")


def test_business_impact_intervals_match_scipy(logs: Any) -> None:
    lake, t = logs
    out = monitoring_at(lake).business_impact("churn")
    by = {g.variant: g for g in out.groups}
    champ, chall = (t["revenue"][t["variant"] == v] for v in ("champion", "challenger"))
    lo, hi = stats.t.interval(0.95, len(champ) - 1, loc=champ.mean(), scale=stats.sem(champ))
    assert by["champion"].revenue.mean == pytest.approx(champ.mean())
    assert (by["champion"].revenue.ci_low, by["champion"].revenue.ci_high) == \
        pytest.approx((lo, hi))
    diff = by["challenger"].revenue.vs_baseline
    assert diff is not None and by["champion"].revenue.vs_baseline is None
    ci = stats.ttest_ind(chall, champ, equal_var=False).confidence_interval(0.95)
    assert (diff.ci_low, diff.ci_high) == pytest.approx((ci.low, ci.high))
    assert diff.significant and diff.difference > 0  # the challenger earns more
    dumped = out.dump()["groups"][0]
    assert {"costSaved", "satisfaction"} <= set(dumped) and "ciLow" in dumped["revenue"]


def test_health_has_latency_errors_cache_and_cost(logs: Any) -> None:
    lake, t = logs
    out = monitoring_at(lake).health("churn", cost_per_cpu_second=0.5)
    reqs = t["requests"]
    for g in out.groups:
        mine = [r for r in reqs if r["model_version"] == g.model_version]
        lat = np.array([r["latency_ms"] for r in mine])
        assert g.requests == len(mine)
        assert g.error_rate == pytest.approx(np.mean([r["status"] >= 500 for r in mine]))
        assert g.cache_hit_rate == pytest.approx(np.mean([r["cache_hit"] for r in mine]))
        assert g.latency_ms.p95 == pytest.approx(np.percentile(lat, 95))
        computed = sum(r["latency_ms"] for r in mine if not r["cache_hit"])
        assert g.estimated_cost == pytest.approx(computed / 1000 * 0.5)
    assert {"errorRate", "cacheHitRate", "latencyMs", "estimatedCost"} <= set(
        out.dump()["groups"][0])


def test_regression_metrics_and_multi_row_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    preds = monitoring_at(tmp_path).lake.prediction_log(1, 10**6)
    fb = monitoring_at(tmp_path).lake.feedback_log(1, 10**6)
    ys, ps, p_rec, f_rec = [], [], [], []
    for i in range(40):
        k = 3  # three rows per request, labelled with a list
        y = rng.normal(100, 20, k)
        p = y + rng.normal(0, 5, k)
        ys += y.tolist()
        ps += p.tolist()
        p_rec.append({"request_id": f"q{i}", "ts": T0, "pilot": "price", "variant": "champion",
                      "model_version": 1, "inputs": orjson.dumps(
                          {"columns": ["x"], "data": [[float(v)] for v in y]}).decode(),
                      "outputs": orjson.dumps(p.tolist()).decode(), "latency_ms": 1.0,
                      "cache_hit": False, "status": 200, "rows": k})
        f_rec.append({"request_id": f"q{i}", "ts": T0, "pilot": "price",
                      "label": orjson.dumps(y.tolist()).decode(), "revenue": None,
                      "cost_saved": None, "satisfaction": None})
    preds._write(p_rec)
    fb._write(f_rec)
    g = monitoring_at(tmp_path).quality("price").groups[0]
    assert g.task == "regression" and g.n == 120
    assert g.mae == pytest.approx(m.mean_absolute_error(ys, ps))
    assert g.rmse == pytest.approx(np.sqrt(m.mean_squared_error(ys, ps)))
    assert g.mape == pytest.approx(m.mean_absolute_percentage_error(ys, ps))
    assert g.r2 == pytest.approx(m.r2_score(ys, ps))


def test_scores_give_auc_log_loss_and_calibration() -> None:
    from pilotdeck.domain.performance import classification

    rng = np.random.default_rng(2)
    y = (rng.random(500) < 0.3).astype(int)
    s = np.clip(y * 0.5 + rng.random(500) * 0.5, 0, 1)
    out = classification(y, s)
    assert out["roc_auc"] == pytest.approx(m.roc_auc_score(y, s))
    assert out["log_loss"] == pytest.approx(m.log_loss(y, s))
    assert out["brier"] == pytest.approx(m.brier_score_loss(y, s))
    from sklearn.calibration import calibration_curve

    prob_true, prob_pred = calibration_curve(y, s, n_bins=10)
    counts = np.histogram(s, bins=np.linspace(0, 1, 11))[0]
    ece = np.sum(counts[counts > 0] * np.abs(prob_true - prob_pred)) / len(s)
    assert out["calibration_error"] == pytest.approx(ece)
    assert out["accuracy"] == pytest.approx(m.accuracy_score(y, (s >= 0.5).astype(int)))


def test_report_renders_every_section_and_says_what_is_missing(logs: Any) -> None:
    from pilotdeck.render.report_html import render
    from pilotdeck.views.monitoring import FairnessReport, QualityReport, SectionError

    lake, _ = logs
    data = monitoring_at(lake).report("churn", sensitive=["gender"], every="day")
    # no reference profile for this pilot: said, not fatal
    assert isinstance(data.drift, SectionError) and "error" in data.dump()["drift"]
    assert isinstance(data.quality, QualityReport)
    assert len(data.quality.groups) == 2 * 3  # two variants x three days
    assert isinstance(data.fairness, FairnessReport)
    assert {g.group["gender"] for g in data.fairness.groups} == {"f", "m"}
    assert "driftOverTime" in data.dump()
    page = render(data)
    assert "Not available" in page and page.count("<svg") >= 3
    assert "Demographic parity difference" in page and "Business impact" in page
    for section in ("Data drift", "Distributions", "Model quality over time", "Fairness",
                    "Business impact", "Model health", "Alerts"):
        assert f"<h2>{section}" in page
    assert "error_rate" in page and "p95 ms" in page and "revenue (95% CI)" in page


def test_log_rows_from_requests_with_different_columns(tmp_path: Path) -> None:
    log = monitoring_at(tmp_path).lake.prediction_log(1, 10**6)
    base = {"pilot": "mix", "variant": "champion", "model_version": 1, "latency_ms": 1.0,
            "cache_hit": False, "status": 200}
    log._write([
        {**base, "request_id": "a", "ts": T0, "rows": 2, "outputs": "[1, 0]",
         "inputs": orjson.dumps({"columns": ["x", "y"], "data": [[1.0, "u"], [2.0, "v"]]}
                                ).decode()},
        {**base, "request_id": "b", "ts": T0 + timedelta(seconds=1), "rows": 1,
         "outputs": "[[0.2, 0.8]]",
         "inputs": orjson.dumps({"columns": None, "data": [[7, 8, 9]]}).decode()},
        {**base, "request_id": "c", "ts": T0 + timedelta(seconds=2), "rows": 1, "outputs": "[1]",
         "inputs": orjson.dumps({"columns": ["x"], "data": [[3.0]]}).decode()},
    ])
    t = monitoring_at(tmp_path).logged_rows("mix").to_pylist()
    assert [(r["request_id"], r["row"]) for r in t] == [("a", 0), ("a", 1), ("b", 0), ("c", 0)]
    assert [r["x"] for r in t] == [1.0, 2.0, None, 3.0]
    assert [r["y"] for r in t] == ["u", "v", None, None]
    assert t[2]["f2"] == 9 and t[2]["prediction"] == "[0.2,0.8]"
    # 1, 0 and a vector in one column: the column falls back to text
    assert [r["prediction"] for r in t] == ["1", "0", "[0.2,0.8]", "1"]


def test_shadow_versions_are_shown_beside_the_live_variants(tmp_path: Path) -> None:
    t = write_logs(tmp_path, n=120)
    # Version 3 shadows every successful request: same id, its own prediction.
    shadow = [{**r, "variant": "shadow", "model_version": 3, "latency_ms": 50.0,
               "cache_hit": False, "outputs": orjson.dumps([1]).decode()}
              for r in t["requests"] if r["status"] == 200]
    monitoring_at(tmp_path).lake.prediction_log(1, 10**6)._write(shadow)
    mon = monitoring_at(tmp_path)

    report = mon.quality("churn")
    q = {(g.model_version, g.variant): g for g in report.groups}
    assert set(q) == {(1, "champion"), (2, "challenger"), (3, "shadow")}
    assert report.labelled_rows == len(t["y"])  # each labelled request once, not per copy
    assert q[(3, "shadow")].n == len(t["y"])  # the live requests' labels join to it
    assert q[(3, "shadow")].accuracy == pytest.approx(float(np.mean(t["y"] == 1)))
    h = {(g.model_version, g.variant): g for g in mon.health("churn").groups}
    assert h[(3, "shadow")].requests == len(shadow)
    assert h[(3, "shadow")].latency_ms.p50 == 50.0
    # Ungrouped figures (what alert rules read) stay the live traffic's.
    assert mon.quality("churn", by=[]).groups[0].n == len(t["y"])
    assert mon.health("churn", by=[]).groups[0].requests == len(t["requests"])
