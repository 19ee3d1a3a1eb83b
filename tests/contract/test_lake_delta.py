"""The log tables are Delta tables: versions, time travel, compaction, owner-only
files, a clear error for a damaged log, concurrent writers, and the conversion
of a log the old Parquet writer left behind."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pilotdeck.domain.errors import ValidationFailed
from tests.contract.test_lake import T0, _request
from tests.lake_old_layout import write_old_log


def _lake(root: Path):  # type: ignore[no-untyped-def]
    from pilotdeck.adapters.lake import LocalLake

    return LocalLake(root)


def _flushes(lake, batches: list[list[dict[str, object]]]) -> None:  # type: ignore[no-untyped-def]
    writer = lake.prediction_log(flush_s=60, max_rows=10**9)

    async def go() -> None:
        for batch in batches:
            for r in batch:
                writer.append(r)
            assert await writer.flush() == len(batch)

    asyncio.run(go())


def _ids(lake, **kw: object) -> list[str]:  # type: ignore[no-untyped-def]
    return lake.requests("churn", ok_only=False, include_shadow=True, **kw)[
        "request_id"].to_pylist()


def test_each_flush_is_a_version_and_time_travel_reads_an_old_one(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    _flushes(lake, [[_request(i) for i in range(3)], [_request(i) for i in range(3, 5)],
                    [_request(5, pilot="other")]])
    history = lake.log_history("predictions")
    assert [v.version for v in history] == [3, 2, 1, 0]  # newest first; 0 creates
    assert [v.rows_added for v in history[:3]] == [1, 2, 3]
    assert {v.operation for v in history[:3]} == {"WRITE"}
    assert _ids(lake) == [f"r{i}" for i in range(5)]
    assert _ids(lake, log_version=1) == ["r0", "r1", "r2"]
    assert _ids(lake, log_version=0) == []
    with pytest.raises(ValidationFailed) as exc:
        _ids(lake, log_version=99)
    assert exc.value.errors[0].field == "version"
    assert lake.prediction_table_uri() == str(tmp_path.resolve() / "predictions")


def test_compaction_keeps_the_rows_and_merges_the_files(tmp_path: Path) -> None:
    from deltalake import DeltaTable

    lake = _lake(tmp_path)
    _flushes(lake, [[_request(i)] for i in range(6)])
    before = lake.requests("churn", ok_only=False).to_pylist()
    files_before = len(DeltaTable(lake.prediction_table_uri()).file_uris())
    [pred, fb] = lake.compact_logs(retention_hours=0)
    assert pred.table == "predictions" and pred.files_removed == files_before == 6
    assert pred.files_added == 1 and pred.files_vacuumed == 6
    assert fb.table == "feedback"
    assert len(DeltaTable(lake.prediction_table_uri()).file_uris()) == 1
    assert lake.requests("churn", ok_only=False).to_pylist() == before
    assert "OPTIMIZE" in {v.operation for v in lake.log_history("predictions")}
    with pytest.raises(ValidationFailed):
        lake.compact_logs(pilot="../x")


def test_every_file_of_the_log_is_owner_only(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    _flushes(lake, [[_request(i)] for i in range(3)])
    lake.compact_logs(retention_hours=0)  # checkpoint and optimize files too
    paths = list((tmp_path / "predictions").rglob("*"))
    assert any(p.name.endswith(".checkpoint.parquet") for p in paths)
    for p in [tmp_path / "predictions", *paths]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), (p, oct(mode))


def test_a_damaged_delta_log_is_a_clear_error(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    _flushes(lake, [[_request(0)]])
    log_dir = tmp_path / "predictions" / "_delta_log"
    for f in log_dir.glob("*.json"):
        f.write_text("{not json")
    fresh = _lake(tmp_path)
    with pytest.raises(ValidationFailed) as exc:
        fresh.requests("churn")
    [err] = exc.value.errors
    assert err.field == "predictions" and "_delta_log" in err.problem
    assert "Traceback" not in err.problem and str(tmp_path) not in err.problem


def test_a_failed_commit_keeps_its_records_for_the_next_flush(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    writer = lake.prediction_log(flush_s=60, max_rows=10**9)
    log_dir = tmp_path / "predictions" / "_delta_log"
    aside = tmp_path / "aside"

    async def go() -> None:
        writer.append(_request(0))
        log_dir.rename(aside)  # the table is gone: the commit cannot happen
        log_dir.write_text("in the way")
        assert await writer.flush() == 0
        assert writer.written == 0
        log_dir.unlink()
        aside.rename(log_dir)
        writer.append(_request(1))
        assert await writer.flush() == 2

    asyncio.run(go())
    assert _ids(lake) == ["r0", "r1"]


def test_two_processes_appending_at_once_lose_no_commit(tmp_path: Path) -> None:
    _lake(tmp_path).prediction_log(60, 10)  # the table exists before both start
    script = textwrap.dedent(f"""
        import asyncio, sys
        sys.path.insert(0, {str(Path(__file__).parents[2])!r})
        from pilotdeck.adapters.lake import LocalLake
        from tests.contract.test_lake import _request
        lake = LocalLake(__import__("pathlib").Path({str(tmp_path)!r}))
        w = lake.prediction_log(60, 10**9)
        tag = int(sys.argv[1])
        async def go():
            for k in range(15):
                for j in range(20):
                    w.append(_request(tag * 10000 + k * 100 + j))
                assert await w.flush() == 20
        asyncio.run(go())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(t)],
                              env={**os.environ, "PYTHONPATH": "src"}) for t in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    lake = _lake(tmp_path)
    ids = _ids(lake)
    assert len(ids) == len(set(ids)) == 2 * 15 * 20
    assert lake.log_history("predictions")[0].version == 30


def _old_lake(root: Path) -> None:
    write_old_log(root, "predictions", [_request(i) for i in range(4)]
                  + [_request(4, pilot="other")])
    write_old_log(root, "feedback", [{"request_id": "r1", "ts": T0, "pilot": "churn",
                                      "label": "1", "revenue": 2.0, "cost_saved": None,
                                      "satisfaction": None}])
    # A write the old writer never finished: not a file of the log.
    (next((root / "predictions" / "pilot=churn").iterdir()) / ".part-x.parquet.tmp"
     ).write_bytes(b"half")


def test_an_old_parquet_log_is_converted_on_first_open(tmp_path: Path) -> None:
    _old_lake(tmp_path)
    lake = _lake(tmp_path)
    assert _ids(lake) == ["r0", "r1", "r2", "r3"]
    assert lake.requests("other").num_rows == 1
    rows = lake.rows(lake.requests("churn"))
    assert rows["x"].to_pylist() == [0.0, 1.0, 2.0, 3.0]
    assert lake.labelled("churn", rows)["label"].to_pylist() == [1]
    assert (tmp_path / "predictions" / "_delta_log").is_dir()
    kept = tmp_path / "predictions.pre-delta"
    assert len(list(kept.rglob("part-*.parquet"))) == 2  # nothing deleted
    assert lake.migrate_logs() == []  # already done
    _flushes(lake, [[_request(9)]])  # and the gateway appends to the converted table
    assert _ids(lake)[-1] == "r9"


def test_the_migrate_command_reports_what_it_converted(tmp_path: Path) -> None:
    _old_lake(tmp_path)
    done = {m.table: m for m in _lake(tmp_path).migrate_logs()}
    assert (done["predictions"].files, done["predictions"].rows) == (2, 5)
    assert (done["feedback"].files, done["feedback"].rows) == (1, 1)
    assert done["predictions"].legacy_dir == str(tmp_path.resolve() / "predictions.pre-delta")


def test_a_migration_interrupted_by_a_crash_is_completed_next_time(tmp_path: Path) -> None:
    _old_lake(tmp_path)
    # Crash during step 1: a half-written staging table, the old log untouched.
    stage = tmp_path / "predictions.migrating"
    (stage / "_delta_log").mkdir(parents=True)
    (stage / "_delta_log" / "00000000000000000000.json").write_text("{half")
    assert _ids(_lake(tmp_path)) == ["r0", "r1", "r2", "r3"]
    assert not stage.exists()
    # Crash between steps 2 and 3: the old log moved aside, the new one not in place.
    (tmp_path / "predictions").rename(stage)
    assert _ids(_lake(tmp_path)) == ["r0", "r1", "r2", "r3"]
    assert not stage.exists()


def test_a_lake_without_logs_reads_empty_and_has_no_history(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    assert lake.requests("churn").num_rows == 0 and lake.feedback("churn").num_rows == 0
    assert lake.log_history("feedback") == []
    with pytest.raises(ValidationFailed):
        lake.log_history("../etc")
    assert not (tmp_path / "predictions").exists()


def test_compaction_deletes_files_a_killed_flush_left_behind(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    _flushes(lake, [[_request(0)], [_request(1)]])
    part = next((tmp_path / "predictions" / "pilot=churn").iterdir())
    old, fresh = part / "part-killed-old.parquet", part / "part-in-flight.parquet"
    for f in (old, fresh):
        f.write_bytes(next(part.glob("part-0*.parquet")).read_bytes())
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert _ids(lake) == ["r0", "r1"]  # readers never see files outside a version
    lake.compact_logs(retention_hours=1)
    assert not old.exists() and fresh.exists()  # an append in flight keeps its files
    assert _ids(lake) == ["r0", "r1"]


def test_frequent_flushes_are_checkpointed_and_their_small_files_merged(
        tmp_path: Path) -> None:
    from deltalake import DeltaTable

    from pilotdeck.adapters.lake.delta_log import AUTO_COMPACT_EVERY, CHECKPOINT_INTERVAL

    lake = _lake(tmp_path)
    now = datetime.now(UTC)  # as the gateway logs: today's partition
    _flushes(lake, [[_request(i, ts=now)] for i in range(AUTO_COMPACT_EVERY)])
    log_dir = tmp_path / "predictions" / "_delta_log"
    checkpoint = f"{CHECKPOINT_INTERVAL - 1:020d}.checkpoint.parquet"  # the 100th commit
    assert (log_dir / checkpoint).is_file() and (log_dir / "_last_checkpoint").is_file()
    assert "OPTIMIZE" in {v.operation for v in lake.log_history("predictions")}
    assert len(DeltaTable(lake.prediction_table_uri()).file_uris()) == 1
    assert sorted(_ids(lake)) == sorted(f"r{i}" for i in range(AUTO_COMPACT_EVERY))


def test_a_damaged_old_file_is_left_behind_and_counted_not_fatal(tmp_path: Path) -> None:
    _old_lake(tmp_path)
    part = next((tmp_path / "predictions" / "pilot=other").iterdir())
    (part / "part-9-damaged.parquet").write_bytes(b"PAR1 not really")
    done = {m.table: m for m in _lake(tmp_path).migrate_logs()}
    assert (done["predictions"].files, done["predictions"].rows,
            done["predictions"].unreadable) == (2, 5, 1)
    kept = tmp_path / "predictions.pre-delta" / part.relative_to(tmp_path / "predictions")
    assert (kept / "part-9-damaged.parquet").is_file()
    assert _ids(_lake(tmp_path)) == ["r0", "r1", "r2", "r3"]


def test_a_conversion_that_cannot_run_is_a_clear_error_and_keeps_the_old_log(
        tmp_path: Path) -> None:
    _old_lake(tmp_path)
    (tmp_path / "predictions.migrating").write_text("in the way")  # not a directory
    with pytest.raises(ValidationFailed) as exc:
        _lake(tmp_path).requests("churn")
    [err] = exc.value.errors
    assert err.field == "predictions" and str(tmp_path) not in err.problem
    assert len(list((tmp_path / "predictions").rglob("part-*.parquet"))) == 2
    (tmp_path / "predictions.migrating").unlink()
    assert _ids(_lake(tmp_path)) == ["r0", "r1", "r2", "r3"]
