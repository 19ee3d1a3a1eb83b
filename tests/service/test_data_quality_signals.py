"""What dataset quality feeds: an alert rule on the latest result, and the maturity
model's data-governance evidence (against a stand-in for the catalogue)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from pilotdeck.auth.roles import local_admin
from pilotdeck.config import Settings
from pilotdeck.domain.alerts import parse_rules
from pilotdeck.domain.errors import ValidationFailed
from pilotdeck.domain.pilot import parse_manifest
from pilotdeck.platform import Platform
from pilotdeck.services.evidence import DataQualityEvidence

ADMIN = local_admin("tester")
DEMO = Path(__file__).resolve().parents[2] / "src" / "pilotdeck" / "demo" / "pilots"
RULE = {"name": "orders-quality", "pilot": "churn-prediction", "metric":
        "dataset.quality_failed", "dataset": "orders", "comparison": "==", "threshold": 1,
        "severity": "critical"}


def orders(n: int, amount: float = 10.0) -> pa.Table:
    return pa.table({"order_id": list(range(n)), "amount": [amount + i % 7 for i in range(n)]})


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    p = Platform(Settings(home=tmp_path, mlflow_uri="memory://"))
    p.data_quality.baseline("orders", 0, orders(100), ADMIN, keys=["order_id"])
    yield p
    p.close()


def test_dataset_rules_need_a_dataset_and_only_dataset_rules_take_one() -> None:
    [rule] = parse_rules({"rules": [RULE]})
    assert rule.dataset == "orders"
    for bad in ({**RULE, "dataset": None}, {**RULE, "dataset": "../x"},
                {**RULE, "metric": "health.error_rate"}):
        with pytest.raises(ValidationFailed):
            parse_rules({"rules": [{k: v for k, v in bad.items() if v is not None}]})
    plain = {**RULE, "metric": "health.error_rate"}
    del plain["dataset"]
    [other] = parse_rules({"rules": [plain]})
    assert other.fingerprint() != rule.fingerprint()


def test_a_failed_latest_check_opens_an_alert_and_a_passing_one_resolves_it(
        platform: Platform) -> None:
    rules = parse_rules({"rules": [RULE, {**RULE, "name": "orders-failed-checks",
                                          "metric": "dataset.quality_failed_checks",
                                          "comparison": ">", "threshold": 0}]})
    [a, b] = platform.alerts.evaluate(rules)
    assert a.state == b.state == "no-data"  # never checked: nothing to judge
    platform.data_quality.check("orders", 1, orders(100), ADMIN)
    assert {o.state for o in platform.alerts.evaluate(rules)} == {"ok"}
    platform.data_quality.check("orders", 2, orders(100, amount=1e6), ADMIN)
    [a, b] = platform.alerts.evaluate(rules)
    assert (a.state, a.value, b.state, b.value) == ("opened", 1.0, "opened", 1.0)
    [alert] = [x for x in platform.alerts.list(status="open") if x.rule == "orders-quality"]
    assert alert.metric == "dataset.quality_failed"
    platform.data_quality.check("orders", 3, orders(100), ADMIN)
    assert {o.state for o in platform.alerts.evaluate(rules)} == {"resolved"}


def test_data_governance_evidence_is_the_share_of_datasets_passing(
        platform: Platform) -> None:
    pilot = parse_manifest(yaml.safe_load((DEMO / "churn-prediction.yaml").read_text()))
    catalogue = {"churn-prediction": ["orders", "customers"]}
    provider = DataQualityEvidence(lambda p: catalogue.get(p, []), lambda: platform.data_quality)
    with platform.store.read() as uow:
        [ev] = provider.collect(uow, pilot)
        assert not ev.satisfied
        assert ev.note.startswith("0/2") and "customers: no quality suite" in ev.note
        assert "orders: a suite, never run" in ev.note
        platform.data_quality.check("orders", 1, orders(100), ADMIN)
        platform.data_quality.baseline("customers", 0, orders(10), ADMIN)
        platform.data_quality.check("customers", 0, orders(10), ADMIN)
        [ev] = provider.collect(uow, pilot)
        assert ev.satisfied and ev.note.startswith("2/2")
        platform.data_quality.check("customers", 1, orders(1), ADMIN)  # too few rows
        [ev] = provider.collect(uow, pilot)
        assert not ev.satisfied and "customers: version 1 failed 1 check(s)" in ev.note
        catalogue.clear()
        assert provider.collect(uow, pilot) == []  # no datasets: the manifest speaks
