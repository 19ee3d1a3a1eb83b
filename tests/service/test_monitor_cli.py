"""What `monitor quality` says before any label arrived: words, not None."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_cli
from tests.service.test_registry_service import DEMO


def test_quality_without_labels_says_so(tmp_path: Path) -> None:
    env = {"PILOTDECK_HOME": str(tmp_path / "home")}
    assert run_cli("pilots", "import", str(DEMO / "churn-prediction.yaml"), env=env).returncode == 0
    out = run_cli("monitor", "quality", "churn-prediction", env=env)
    assert out.returncode == 0, out.stderr
    assert "no labelled rows yet" in out.stdout and "None" not in out.stdout
