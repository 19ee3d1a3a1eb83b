"""Standard output holds only what a command produces: progress bars, MLflow's log
lines and other chatter go to stderr, so ``--format json > file`` is valid JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.cli import run_script


def test_stdout_is_only_the_result(tmp_path: Path, demo_pilots: Path,
                                   trained: dict[str, Any]) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")},
           "PILOTDECK_HOME": str(tmp_path / "home")}
    assert run_script("pilots", "import", str(demo_pilots), env=env).returncode == 0
    r = run_script("assess", "run", "--all-pilots", "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 15  # the whole of stdout is the JSON document

    for _ in range(2):  # the second time MLflow says the model "already exists"
        r = run_script("models", "register", "churn-prediction", "--path",
                       str(trained["dir"] / "lr"), env=env)
        assert r.returncode == 0, r.stderr
        assert [line.split(" version ")[0] for line in r.stdout.splitlines()] == [
            "registered churn-prediction"], r.stdout
