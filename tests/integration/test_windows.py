"""Drift of logged traffic when several versions served it: each against its own
profile, versions without one named, hourly windows, and the alert's worst window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

from pilotdeck.domain.errors import ValidationFailed
from tests.conftest import monitoring_at

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def write(lake: Path) -> None:
    rng = np.random.default_rng(4)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 3000), "c": rng.choice(["a", "b"], 3000)})
    ref.to_parquet(lake / "ref.parquet")
    mon = monitoring_at(lake)
    for v in (1, 2):  # v3 is registered without a reference
        mon.build_profile(lake / "ref.parquet", f"p.v{v}")
    log = mon.lake.prediction_log(1, 10**6)
    recs = []
    for i in range(900):
        v = 1 + i % 3
        x = float(rng.normal(2 if v == 2 else 0, 1))  # v2's traffic has drifted
        recs.append({"request_id": f"r{i}", "ts": T0 + timedelta(seconds=8 * i), "pilot": "p",
                     "variant": "champion" if v == 1 else f"v{v}", "model_version": v,
                     "inputs": orjson.dumps({"columns": ["x", "c"],
                                             "data": [[x, str(rng.choice(["a", "b"]))]]}
                                            ).decode(),
                     "outputs": "[0]", "latency_ms": 1.0, "cache_hit": False, "status": 200,
                     "rows": 1})
    log._write(recs)


def test_each_version_against_its_own_profile(tmp_path: Path) -> None:
    write(tmp_path)
    window_drift = monitoring_at(tmp_path).window_drift
    out = window_drift("p")
    by = {w.version: w for w in out.windows}
    assert set(by) == {1, 2} and out.skipped_versions == [3] and out.profile is None
    assert out.dump()["skippedVersions"] == [3]
    assert by[1].profile == "p.v1" and not by[1].dataset_drift
    assert by[2].profile == "p.v2" and {c.column: c.drifted for c in by[2].columns}["x"]
    hourly = window_drift("p", version=1, by="hour")
    assert [w.window for w in hourly.windows] == [  # 900 requests, 8 s apart
        "2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z"]
    assert sum(w.rows for w in hourly.windows) == 300
    named = window_drift("p", profile="p.v1")  # all traffic vs one profile
    assert named.profile == "p.v1" and named.windows[0].rows == 900
    with pytest.raises(ValidationFailed) as exc:
        window_drift("p", version=3)
    assert "p.v3" in exc.value.errors[0].problem


def test_the_alert_judges_the_worst_version(tmp_path: Path) -> None:
    from pilotdeck.domain.alerts import parse_rules
    from pilotdeck.services.alerts import AlertService

    write(tmp_path)
    rule = parse_rules({"rules": [{"name": "drift", "pilot": "p", "metric":
                                   "drift.share_drifted", "window": "1d", "threshold": 0.4}]})[0]
    svc = AlertService(None, monitoring_at(tmp_path), None)  # type: ignore[arg-type]
    value, rows = svc.measure(rule, T0 + timedelta(hours=3))
    assert value == 0.5 and rows == 300  # v2: x drifted, c did not


def test_a_window_below_the_minimum_sample_gets_no_verdict_and_no_alert(
        tmp_path: Path) -> None:
    from pilotdeck.domain.alerts import parse_rules
    from pilotdeck.services.alerts import AlertService
    from pilotdeck.services.monitoring import MonitoringService

    write(tmp_path)
    mon = monitoring_at(tmp_path)
    mon.build_profile(tmp_path / "ref.parquet", "tiny.v1")
    log = mon.lake.prediction_log(1, 10**6)
    # One request, far outside the reference: "5/5 drifted" on one row is noise.
    log._write([{"request_id": "tiny", "ts": T0, "pilot": "tiny", "variant": "champion",
                 "model_version": 1, "inputs": orjson.dumps(
                     {"columns": ["x", "c"], "data": [[50.0, "z"]]}).decode(),
                 "outputs": "[0]", "latency_ms": 1.0, "cache_hit": False, "status": 200,
                 "rows": 1}])
    out = mon.window_drift("tiny")
    (w,) = out.windows
    assert (w.verdict, w.dataset_drift, w.share_drifted, w.columns) == (
        "not enough data", None, None, [])
    assert w.min_rows == 30 and out.dump()["windows"][0]["verdict"] == "not enough data"
    judged = MonitoringService(mon.lake, mon.engines, drift_min_rows=1).window_drift("tiny")
    assert judged.windows[0].verdict == "drift"  # what the row would have been called

    rule = parse_rules({"rules": [{"name": "d", "pilot": "tiny", "metric":
                                   "drift.dataset_drift", "window": "1d", "threshold": 0.5,
                                   "comparison": ">="}]})[0]
    from pilotdeck.adapters.store.db import Database

    store = Database(f"sqlite:///{tmp_path / 'meta.db'}")
    svc = AlertService(store, mon, None)  # type: ignore[arg-type]
    (outcome,) = svc.evaluate([rule], T0 + timedelta(hours=1))
    assert outcome.state == "no-data" and outcome.rows == 1
    assert svc.list() == []  # no alert was opened
    store.dispose()
