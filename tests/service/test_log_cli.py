"""`monitor migrate-log | log-history | compact`: the log tables' upkeep from the CLI,
on a home whose lake the old Parquet writer filled."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import run_cli
from tests.contract.test_lake import _request
from tests.lake_old_layout import write_old_log


def test_migrate_history_and_compact_from_the_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"PILOTDECK_HOME": str(home)}
    lake = home / "lakehouse"
    write_old_log(lake, "predictions", [_request(i) for i in range(3)])
    write_old_log(lake, "predictions", [_request(i) for i in range(3, 5)])  # 2nd file

    out = run_cli("monitor", "migrate-log", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    [done] = json.loads(out.stdout)
    assert done["table"] == "predictions" and (done["files"], done["rows"]) == (2, 5)
    assert done["legacyDir"].endswith("predictions.pre-delta")
    again = run_cli("monitor", "migrate-log", env=env)
    assert "nothing to convert" in again.stdout

    hist = json.loads(run_cli("monitor", "log-history", "--format", "json", env=env).stdout)
    assert [(v["version"], v["rowsAdded"]) for v in hist] == [(0, 5)]

    from pilotdeck.adapters.lake import LocalLake

    writer = LocalLake(lake).prediction_log(60, 10**6)
    writer._write([_request(5)])  # the gateway's next flushes: small files to merge
    writer._write([_request(6)])
    out = run_cli("monitor", "compact", "--retention-hours", "0", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    pred = {c["table"]: c for c in json.loads(out.stdout)}["predictions"]
    # Versions 3, 4, 5: optimize, vacuum start, vacuum end.
    assert (pred["filesRemoved"], pred["filesAdded"], pred["version"]) == (3, 1, 5)
    hist = json.loads(run_cli("monitor", "log-history", "--format", "json", env=env).stdout)
    assert hist[0]["version"] == pred["version"]
    assert {"OPTIMIZE", "VACUUM END"} <= {v["operation"] for v in hist}

    trail = run_cli("audit", "log", "--action", "lake.", "--format", "json", env=env)
    actions = {e["action"] for e in json.loads(trail.stdout)} if trail.returncode == 0 else set()
    assert {"lake.log-migrated", "lake.log-compacted"} <= actions, trail.stderr

    for bad in (("monitor", "compact", "--pilot", "../x"),
                ("monitor", "log-history", "secrets"),
                ("monitor", "compact", "--retention-hours", "-1")):
        out = run_cli(*bad, env=env)
        assert out.returncode != 0 and "Traceback" not in out.stderr + out.stdout
        assert len(out.stderr.strip().splitlines()) <= 2, out.stderr
