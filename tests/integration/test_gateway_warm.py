"""The gateway imports skops before its web stack when a deployed version needs
it (a start-up saving, benchmarks/serving); it never stops a start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pilotdeck.config import Settings
from pilotdeck.platform import Platform
from pilotdeck.platform.warm import warm_model_libraries

PROBE = """
import sys
from pilotdeck.config import Settings
from pilotdeck.platform.warm import warm_model_libraries
from pilotdeck.platform import Platform
platform = Platform(Settings(home=sys.argv[1]))
print(warm_model_libraries(platform), "skops.io" in sys.modules, "fastapi" in sys.modules)
"""


def probe(home: Path) -> list[str]:
    return subprocess.run([sys.executable, "-c", PROBE, str(home)], capture_output=True,
                          text=True, check=True).stdout.split()


def test_a_deployed_scikit_learn_model_brings_skops_in_before_the_web_stack(
        served_home: tuple[Path, str]) -> None:
    assert probe(served_home[0]) == ["True", "True", "False"]


def test_nothing_deployed_imports_nothing(tmp_path: Path) -> None:
    Platform(Settings(home=tmp_path / "home")).close()
    assert probe(tmp_path / "home") == ["False", "False", "False"]


def test_a_failure_only_costs_the_saving() -> None:
    class Broken:
        @property
        def store(self) -> Any:
            raise RuntimeError("database is gone")

    assert warm_model_libraries(Broken()) is False  # type: ignore[arg-type]
