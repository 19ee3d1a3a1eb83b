"""The typed [compute] setting picks the default engine; --engine overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pilotdeck.config import LocalComputeConfig, Settings, SparkComputeConfig
from pilotdeck.platform import Platform


def test_local_is_the_default(tmp_path: Path) -> None:
    p = Platform(Settings(home=tmp_path))
    assert isinstance(p.settings.compute, LocalComputeConfig)
    assert p.engine().name == "local" and p.engine("local[2]").name == "spark"


def test_spark_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOTDECK_COMPUTE__TYPE", "spark")
    monkeypatch.setenv("PILOTDECK_COMPUTE__MASTER", "spark://head:7077")
    p = Platform(Settings(home=tmp_path))
    assert isinstance(p.settings.compute, SparkComputeConfig)
    engine = p.engine()
    assert engine.name == "spark" and getattr(engine, "master", None) == "spark://head:7077"
    assert p.engine("local").name == "local"  # --engine wins


@pytest.mark.parametrize("bad", [{"type": "ray"}, {"type": "spark", "master": "yarn"},
                                 {"type": "local", "master": "local[2]"}])
def test_bad_compute_config_is_refused(tmp_path: Path, bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(home=tmp_path, compute=bad)  # type: ignore[arg-type]
