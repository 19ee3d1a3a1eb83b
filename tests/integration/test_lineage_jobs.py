"""The jobs that read or write data record their runs: a failed batch scoring is a
FAIL run, profile builds and table drift are runs with their inputs, and an
old-style training-data label is kept without inventing a dataset node."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotdeck.domain.errors import ValidationFailed
from tests.integration.conftest import ADMIN, COLS, Env

PILOT = "churn-prediction"


def test_a_failed_scoring_is_a_fail_run_and_a_good_one_complete(env: Env,
                                                                 tmp_path: Path) -> None:
    missing = tmp_path / "missing.parquet"
    with pytest.raises(ValidationFailed):
        env.platform.batch.score(PILOT, missing, tmp_path / "never.parquet", ADMIN, version=1)
    (run,) = env.platform.lineage.downstream(f"file:{missing.resolve()}").runs
    assert (run.job, run.event_type) == ("batch.score", "FAIL")

    src = tmp_path / "in.parquet"
    env.trained["X"].to_parquet(src)
    out = tmp_path / "out.parquet"
    env.platform.batch.score(PILOT, src, out, ADMIN, version=2)
    whole = env.platform.lineage.upstream(f"file:{out.resolve()}")
    assert [r.job for r in whole.runs] == ["model.register", "batch.score"]  # v2's too
    g = env.platform.lineage.upstream(f"file:{out.resolve()}", depth=1)
    assert [(r.job, r.event_type) for r in g.runs] == [("batch.score", "COMPLETE")]
    assert {n.id for n in g.nodes} >= {f"model:{PILOT}/2", f"file:{src.resolve()}"}
    (event,) = env.platform.lineage.events(g.runs[0].run_id)
    assert event["run"]["facets"]["pilotdeck"]["rows"] == len(env.trained["X"])
    audit = env.platform.audit.log(action="batch.scored")[-1]
    assert audit.data["runId"] == g.runs[0].run_id  # the audit points at the lineage run


def test_profile_builds_and_table_drift_are_runs(env: Env, tmp_path: Path) -> None:
    X = env.trained["X"]
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    X.iloc[:300].to_parquet(ref)
    (X.iloc[300:][COLS] * 3).to_parquet(cur)
    mon = env.platform.monitoring
    mon.build_profile(ref, "lineage-ref")
    report = mon.drift(None, cur, profile="lineage-ref")
    down = env.platform.lineage.downstream(f"file:{ref.resolve()}")
    assert [r.job for r in down.runs] == ["profile.build", "drift.check"]
    assert f"file:{cur.resolve()}" in {n.id for n in down.nodes}
    assert env.platform.lineage.downstream("job:drift.check", depth=0).runs == []
    events = env.platform.lineage.events(down.runs[1].run_id)
    assert events[0]["run"]["facets"]["pilotdeck"]["datasetDrift"] == report.dataset_drift
    mon.drift(ref, cur)
    runs = env.platform.lineage.upstream("job:drift.check", depth=1).runs
    assert len(runs) == 2
    # A loaded profile (what `monitor drift --profile` passes) is named too.
    mon.drift(None, cur, profile=mon.profile("lineage-ref"))
    assert len(env.platform.lineage.downstream("profile:lineage-ref").runs) == 2


def test_free_text_training_labels_make_no_dataset_nodes(env: Env) -> None:
    # The session's versions were registered with datasets=["crm_events@v1"]: a label.
    g = env.platform.lineage.upstream(f"model:{PILOT}/1")
    assert [r.job for r in g.runs] == ["model.register"]
    assert {n.id for n in g.nodes} == {f"model:{PILOT}/1"}
