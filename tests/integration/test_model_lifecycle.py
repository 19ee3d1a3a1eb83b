"""Model versions come and go cleanly: unloaded after they leave every deployment,
and never orphaned in MLflow when pilotdeck cannot record a registration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pilotdeck.config import Settings
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.gateway.metrics import GatewayMetrics
from pilotdeck.gateway.state import GatewayState
from pilotdeck.platform import Platform
from pilotdeck.services.registry import RegistryService
from tests.governance import minimal_risk
from tests.integration.conftest import ADMIN
from tests.polling import wait_until

PILOT = "churn-prediction"


@pytest.fixture()
def platform(tmp_path: Path, demo_pilots: Path, trained: dict[str, Any]) -> Any:
    p = Platform(Settings(home=tmp_path, gateway_evict_after_s=0.3))
    p.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", ADMIN)
    minimal_risk(p, PILOT)
    for name in ("lr", "hgb"):
        p.models.register(PILOT, ADMIN, path=trained["dir"] / name)
    yield p
    p.close()


def deploy(p: Platform, version: int) -> None:
    p.models.deploy(PILOT, DeploymentSpec.parse(
        {"variants": [{"name": "champion", "version": version, "weight": 100}]}), ADMIN)


def test_versions_leave_memory_after_the_grace_period(platform: Platform) -> None:
    state = GatewayState(platform, GatewayMetrics())
    deploy(platform, 1)
    state.refresh()
    assert [m["version"] for m in state.loaded()] == [1]
    deploy(platform, 2)
    state.refresh()
    loaded = {m["version"]: m["unusedSeconds"] for m in state.loaded()}
    assert set(loaded) == {1, 2} and loaded[2] is None and loaded[1] is not None  # in grace

    def evicted() -> bool:  # once the 0.3 s grace period has passed
        state.refresh()
        return [m["version"] for m in state.loaded()] == [2]

    wait_until(evicted, timeout=10, interval=0.05,
               message=lambda: f"version 1 to be unloaded (loaded: {state.loaded()})")
    deploy(platform, 1)  # coming back loads it again
    state.refresh()
    assert state.routes[PILOT].variants["champion"].version == 1
    state.close()


def test_a_failed_registration_leaves_no_mlflow_version(
        platform: Platform, trained: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    before = {int(v.version) for v in platform.registry.client.search_model_versions(
        f"name='{PILOT}'")}

    def fail(*_: Any, **__: Any) -> None:
        raise OSError("disk full")  # what a lost database connection looks like here

    monkeypatch.setattr(RegistryService, "_record_version", fail)
    with pytest.raises(OSError):
        platform.models.register(PILOT, ADMIN, path=trained["dir"] / "lr")
    after = {int(v.version) for v in platform.registry.client.search_model_versions(
        f"name='{PILOT}'")}
    assert after == before == {1, 2}
    monkeypatch.undo()
    assert platform.models.register(PILOT, ADMIN, path=trained["dir"] / "lr").version == 4
    assert [v.version for v in platform.models.versions(PILOT)] in ([1, 2, 4], [4, 2, 1])
