"""Serving changes from the CLI say what they do: deleting a served pilot needs
--force and names what goes, weights must add up to 100, and moving an alias
says that the deployment (not the alias) decides what is served."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.cli import run_cli

PILOT = "churn-prediction"


def test_delete_weights_and_alias_say_what_they_do(tmp_path: Path, demo_pilots: Path,
                                                   trained: dict[str, Any]) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PILOTDECK_")},
           "PILOTDECK_HOME": str(tmp_path / "home"), "COLUMNS": "250"}

    def pd(*args: str, code: int = 0) -> Any:
        r = run_cli(*args, env=env)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        return r

    pd("pilots", "import", str(demo_pilots / f"{PILOT}.yaml"))
    answers = tmp_path / "risk.json"  # every answer at its lowest risk: tier minimal
    questions = json.loads(pd("risk", "questions", "--format", "json").stdout)["questions"]
    answers.write_text(json.dumps({q["id"]: q["options"][0]["id"] for q in questions}))
    pd("risk", "assess", PILOT, "--answers", str(answers))
    for name in ("lr", "hgb"):
        pd("models", "register", PILOT, "--path", str(trained["dir"] / name))
    pd("models", "deploy", PILOT, "--champion", "1", "--challenger", "2",
       "--challenger-weight", "10")

    r = pd("models", "weights", PILOT, "champion=60", "challenger=30", code=1)
    assert r.stderr.strip() == ("error: invalid weights: weights: must add up to 100, got 90 "
                                "(champion=60, challenger=30)")
    pd("models", "weights", PILOT, "champion=70", "challenger=30")

    r = pd("models", "alias", PILOT, "1", "challenger")
    assert "the deployment still serves challenger version 2" in r.stderr
    assert "deployment wins over aliases" in r.stderr
    assert "models deploy churn-prediction --challenger 1" in r.stderr
    assert pd("models", "alias", PILOT, "2", "challenger").stderr == ""  # they agree again

    r = pd("pilots", "delete", PILOT, "--yes", code=1)
    assert r.stderr.strip() == (
        "error: pilot 'churn-prediction' is being served: deleting it removes its "
        "deployment (revision 2: champion v1 70%, challenger v2 30%) and 2 model version "
        "link(s) (the versions stay in MLflow) and takes it offline for every client; "
        "repeat with force (CLI: --force) to do it")
    assert "churn-prediction" in pd("pilots", "list").stdout  # nothing was deleted
    r = pd("pilots", "delete", PILOT, "--yes", "--force")
    assert r.stdout.startswith("deleted churn-prediction, with its deployment (revision 2")
    assert pd("pilots", "list", "--format", "json").stdout.strip() == "[]"
