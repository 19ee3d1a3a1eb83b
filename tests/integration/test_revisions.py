"""Revisions: a write that says which revision it read (``expected_revision``,
``If-Match``, ``--if-revision``) never overwrites a change it did not see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pilotdeck import Client
from pilotdeck.api.app import create_app
from pilotdeck.audit.log import utcnow
from pilotdeck.domain.errors import PreconditionFailed
from pilotdeck.domain.pilot import PilotManifest
from pilotdeck.domain.revisions import ANY_REVISION
from pilotdeck.domain.serving import DeploymentSpec
from tests.cli import run_cli
from tests.governance import minimal_risk

PILOT = "churn-prediction"
SPEC = {"variants": [{"name": "champion", "version": 1, "weight": 90},
                     {"name": "challenger", "version": 2, "weight": 10}],
        "shadow": [], "fallback": {"to": "champion"}}


def with_versions(platform: Any, pilot: str = PILOT) -> None:
    """Two linked model versions, straight into the store (no MLflow needed)."""
    with platform.store.write() as uow:
        pid = uow.pilots.get(pilot).id
        for v in (1, 2):
            uow.models.add_version(pilot_id=pid, version=v, run_id=None, source=f"s{v}",
                                   signature=None, metrics={}, datasets=[],
                                   registered_at=utcnow(), registered_by="t")


def edited(platform: Any, cost: int) -> PilotManifest:
    doc = platform.portfolio.get(PILOT).manifest()
    doc["spec"]["economics"]["costToDate"] = cost
    return PilotManifest.model_validate(doc)


@pytest.fixture
def filled(platform: Any, admin: Any, demo_pilots: Path) -> Any:
    platform.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", admin)
    minimal_risk(platform, PILOT)  # so its deployments may take live traffic
    return platform


@pytest.fixture
def api(filled: Any, admin: Any) -> TestClient:
    client = TestClient(create_app(filled))
    token = filled.access.create("u-admin", "admin", [], admin).token
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_a_stale_expected_revision_changes_nothing(filled: Any, admin: Any) -> None:
    size = filled.audit.head().size
    assert filled.portfolio.put(edited(filled, 1), admin, expected_revision=1).result == "updated"
    with pytest.raises(PreconditionFailed, match="at revision 2, not 1"):
        filled.portfolio.put(edited(filled, 2), admin, expected_revision=1)
    with pytest.raises(PreconditionFailed):
        filled.portfolio.delete(PILOT, admin, expected_revision=1)
    pilot = filled.portfolio.get(PILOT)
    assert pilot.spec.economics.cost_to_date == 1 and pilot.record.revision == 2
    assert filled.audit.head().size == size + 1  # the refused writes left no event


def test_any_revision_requires_existence(filled: Any, admin: Any) -> None:
    doc = filled.portfolio.get(PILOT).manifest()
    doc["metadata"]["name"] = "brand-new"
    with pytest.raises(PreconditionFailed, match="does not exist"):
        filled.portfolio.put(PilotManifest.model_validate(doc), admin,
                             expected_revision=ANY_REVISION)
    assert filled.portfolio.put(edited(filled, 5), admin,
                                expected_revision=ANY_REVISION).result == "updated"


def test_a_recreated_pilot_never_reuses_a_revision(filled: Any, admin: Any,
                                                   demo_pilots: Path) -> None:
    """An ETag read before a delete must not match the pilot re-created after it."""
    last = filled.portfolio.put(edited(filled, 1), admin).pilot.record.revision
    filled.portfolio.delete(PILOT, admin)
    filled.portfolio.import_path(demo_pilots / f"{PILOT}.yaml", admin)
    assert filled.portfolio.get(PILOT).record.revision > last
    with pytest.raises(PreconditionFailed):
        filled.portfolio.put(edited(filled, 9), admin, expected_revision=1)


def test_deployment_changes_are_conditional_and_atomic(filled: Any, admin: Any) -> None:
    with_versions(filled)
    models = filled.models
    assert models.deploy(PILOT, DeploymentSpec.parse(SPEC), admin).revision == 1
    assert models.set_weights(PILOT, {"champion": 80, "challenger": 20}, admin,
                              expected_revision=1).revision == 2
    for stale in (lambda: models.set_weights(PILOT, {"champion": 50, "challenger": 50},
                                             admin, expected_revision=1),
                  lambda: models.rollback(PILOT, "challenger", admin, "x", expected_revision=1),
                  lambda: models.open_breaker(PILOT, "challenger", admin, "x",
                                              expected_revision=1),
                  lambda: models.deploy(PILOT, DeploymentSpec.parse(SPEC), admin,
                                        expected_revision=1)):
        with pytest.raises(PreconditionFailed, match="at revision 2, not 1"):
            stale()
    dep = models.deployment(PILOT)
    assert dep.revision == 2 and [v.weight for v in dep.spec.variants] == [80, 20]
    assert models.rollback(PILOT, "challenger", admin, "bad", expected_revision=2).revision == 3


def test_api_etag_and_if_match(api: TestClient, filled: Any) -> None:
    r = api.get(f"/v1/pilots/{PILOT}")
    assert r.headers["ETag"] == '"1"'
    assert api.get(f"/v1/pilots/{PILOT}/manifest").headers["ETag"] == '"1"'
    doc = filled.portfolio.get(PILOT).manifest()
    doc["spec"]["economics"]["costToDate"] = 1
    ok = api.put(f"/v1/pilots/{PILOT}", json=doc, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    assert ok.json()["pilot"]["record"]["revision"] == 2
    doc["spec"]["economics"]["costToDate"] = 2
    for tag in ('"1"', 'W/"2"', "nonsense"):
        stale = api.put(f"/v1/pilots/{PILOT}", json=doc, headers={"If-Match": tag})
        assert stale.status_code == 412, tag
        assert stale.headers["content-type"] == "application/problem+json"
    assert api.delete(f"/v1/pilots/{PILOT}", headers={"If-Match": '"1"'}).status_code == 412
    assert filled.portfolio.get(PILOT).spec.economics.cost_to_date == 1
    # No If-Match: an unconditional (atomic) write, as before; documented.
    assert api.put(f"/v1/pilots/{PILOT}", json=doc).headers["ETag"] == '"3"'
    assert api.put(f"/v1/pilots/{PILOT}", json=doc, headers={"If-Match": "*"}).status_code == 200


def test_api_deployment_if_match(api: TestClient, filled: Any, admin: Any) -> None:
    with_versions(filled)
    base = f"/v1/pilots/{PILOT}/deployment"
    created = api.put(base, json=SPEC)
    assert created.status_code == 200 and created.headers["ETag"] == '"1"'
    assert api.get(base).headers["ETag"] == '"1"'
    w = api.post(f"{base}/weights", json={"weights": {"champion": 70, "challenger": 30}},
                 headers={"If-Match": '"1"'})
    assert w.status_code == 200 and w.headers["ETag"] == '"2"'
    for method, path, body in (("POST", "/weights", {"weights": {"champion": 100}}),
                               ("POST", "/rollback", {"reason": "x"}),
                               ("PUT", "", SPEC)):
        r = api.request(method, base + path, json=body, headers={"If-Match": '"1"'})
        assert r.status_code == 412, path
    assert filled.models.deployment(PILOT).revision == 2


def test_if_match_can_be_required(filled: Any, admin: Any) -> None:
    filled.settings.require_if_match = True
    client = TestClient(create_app(filled))
    token = filled.access.create("u2", "admin", [], admin).token
    doc = filled.portfolio.get(PILOT).manifest()
    r = client.put(f"/v1/pilots/{PILOT}", json=doc, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 428 and r.json()["title"] == "Precondition required"
    anonymous = client.put(f"/v1/pilots/{PILOT}", json=doc)
    assert anonymous.status_code == 401  # authentication is checked first


def test_sdk_writes_back_what_it_read(api: TestClient, filled: Any, admin: Any) -> None:
    pd = Client(http=api)
    mine = pd.pilots.get(PILOT)
    filled.portfolio.put(edited(filled, 7), admin)  # someone else, meanwhile
    doc = mine.dump()
    doc["spec"]["economics"]["costToDate"] = 8
    with pytest.raises(PreconditionFailed):
        pd.pilots.put(doc)  # carries record.revision -> If-Match "1"
    out = pd.pilots.update(PILOT, lambda m: {**m, "spec": {
        **m["spec"], "economics": {**m["spec"]["economics"], "costToDate": 8}}})
    assert out.result == "updated" and out.pilot.record.revision == 3
    with_versions(filled)
    dep = pd.models.deploy(PILOT, SPEC)
    pd.models.set_weights(PILOT, {"champion": 60, "challenger": 40})
    with pytest.raises(PreconditionFailed):
        pd.models.deploy(PILOT, dep)  # the Deployment as read, now stale


def test_cli_if_revision(filled: Any, admin: Any) -> None:
    with_versions(filled)
    filled.models.deploy(PILOT, DeploymentSpec.parse(SPEC), admin)
    env = {"PILOTDECK_HOME": str(filled.settings.home), "PILOTDECK_DB_URL": filled.settings.db_url}
    ok = run_cli("models", "weights", PILOT, "champion=75", "challenger=25", "--if-revision", "1",
                 env=env)
    assert ok.returncode == 0, ok.stderr
    stale = run_cli("models", "weights", PILOT, "champion=50", "challenger=50",
                    "--if-revision", "1", env=env)
    assert stale.returncode == 1 and "revision 2, not 1" in stale.stderr
    gone = run_cli("pilots", "delete", PILOT, "--yes", "--if-revision", "7", env=env)
    assert gone.returncode == 1 and filled.portfolio.get(PILOT)
