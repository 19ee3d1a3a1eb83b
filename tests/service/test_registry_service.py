"""RegistryService on the in-memory registry and an in-memory SQLite store.

These rules (what may be registered, aliased, deployed and rolled back, by
whom, and what the audit log says about it) do not depend on MLflow, so they
run against the ``memory://`` registry fake in milliseconds; the MLflow
adapter passes the same contract suite (``tests/contract``), and the full
stack is exercised in ``tests/integration``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilotdeck.auth.roles import Principal, Role, local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.errors import Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.platform import Platform
from tests.governance import minimal_risk

DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"
PILOT = "churn-prediction"
ADMIN = local_admin("tester")
MLMODEL = """\
flavors:
  python_function: {loader_module: mlflow.sklearn, python_version: 3.11.7}
signature:
  inputs: '[{"type": "double", "name": "tenure", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
"""


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path, db_url="sqlite://", mlflow_uri="memory://"))
    p.portfolio.import_path(DEMO / f"{PILOT}.yaml", ADMIN)
    minimal_risk(p, PILOT)
    yield p
    p.close()


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    """A model directory with an MLmodel file: all the fake registry reads."""
    d = tmp_path / "model"
    d.mkdir()
    (d / "MLmodel").write_text(MLMODEL)
    return d


def actions(p: Platform) -> set[str]:
    return {e.action for e in p.audit.log(limit=1000)}


def registry_has(p: Platform, pilot: str, version: int) -> bool:
    try:
        p.registry.version(pilot, version)
    except NotFound:
        return False
    return True


def two_variants(p: Platform, model_dir: Path) -> None:
    for _ in range(2):
        p.models.register(PILOT, ADMIN, path=model_dir, metrics={"auc": 0.8})
    p.models.deploy(PILOT, DeploymentSpec.parse({"variants": [
        {"name": "champion", "version": 1, "weight": 90},
        {"name": "challenger", "version": 2, "weight": 10}]}), ADMIN)


def test_register_links_the_version_and_audits_it(platform: Platform, model_dir: Path) -> None:
    v = platform.models.register(PILOT, ADMIN, path=model_dir, metrics={"auc": 0.81},
                                 datasets=["train@3"])
    assert (v.version, v.metrics, v.datasets, v.deployment) == (1, {"auc": 0.81}, ["train@3"],
                                                                "not deployed")
    assert v.signature is not None and "tenure" in str(v.signature["inputs"])
    assert platform.registry.version(PILOT, 1).metrics == {"auc": 0.81}
    [event] = platform.audit.log(action="model.registered")
    assert event.entity.id == f"{PILOT}/1" and event.data["datasets"] == ["train@3"]


def test_an_unknown_pilot_is_refused_before_the_registry_is_touched(
        platform: Platform, model_dir: Path) -> None:
    with pytest.raises(NotFound):
        platform.models.register("no-such-pilot", ADMIN, path=model_dir)
    assert not registry_has(platform, "no-such-pilot", 1)


def test_a_pilot_team_cannot_register_for_another_team(platform: Platform,
                                                       model_dir: Path) -> None:
    other = Principal(user="eve", role=Role.PILOT_TEAM, pilots=frozenset({"fraud-detection"}))
    with pytest.raises(Forbidden):
        platform.models.register(PILOT, other, path=model_dir)
    assert not registry_has(platform, PILOT, 1) and "model.registered" not in actions(platform)


def test_aliases_are_checked_and_shown_on_versions(platform: Platform, model_dir: Path) -> None:
    platform.models.register(PILOT, ADMIN, path=model_dir)
    with pytest.raises(ValidationFailed, match="invalid alias"):
        platform.models.set_alias(PILOT, "gold", 1, ADMIN)
    with pytest.raises(NotFound):
        platform.models.set_alias(PILOT, "champion", 7, ADMIN)
    platform.models.set_alias(PILOT, "champion", 1, ADMIN)
    assert platform.models.version(PILOT, 1).aliases == ["champion"]


def test_deploying_an_unregistered_version_stores_nothing(platform: Platform,
                                                          model_dir: Path) -> None:
    platform.models.register(PILOT, ADMIN, path=model_dir)
    spec = DeploymentSpec.parse({"variants": [{"name": "champion", "version": 3,
                                               "weight": 100}]})
    with pytest.raises(ValidationFailed, match="invalid deployment"):
        platform.models.deploy(PILOT, spec, ADMIN)
    with pytest.raises(NotFound):
        platform.models.deployment(PILOT)


def test_weights_and_rollback_move_traffic_and_are_audited(platform: Platform,
                                                           model_dir: Path) -> None:
    two_variants(platform, model_dir)
    first = platform.models.deployment(PILOT).revision
    dep = platform.models.set_weights(PILOT, {"champion": 50, "challenger": 50}, ADMIN)
    assert dep.revision > first
    dep = platform.models.rollback(PILOT, "challenger", ADMIN, reason="error rate")
    weights = {v.name: v.weight for v in dep.spec.variants}
    assert weights == {"champion": 100, "challenger": 0}
    [event] = platform.audit.log(action="deployment.rolled-back")
    assert event.data["reason"] == "error rate" and event.data["revision"] == dep.revision
    assert platform.models.version(PILOT, 2).deployment == "challenger (0%)"


def test_the_champion_cannot_be_rolled_back(platform: Platform, model_dir: Path) -> None:
    two_variants(platform, model_dir)
    with pytest.raises(ValidationFailed, match="cannot roll back"):
        platform.models.rollback(PILOT, "champion", ADMIN, reason="x")
    with pytest.raises(NotFound):
        platform.models.rollback(PILOT, "canary", ADMIN, reason="x")
