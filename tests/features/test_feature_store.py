"""The managed Feast repository end to end: apply, list, materialise, online reads and
point-in-time-correct training sets, on the SQLite and the Redis online stores."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from pilotdeck.domain.errors import NotFound, ValidationFailed
from pilotdeck.domain.features import parse_features
from tests.backends import require_redis
from tests.features.conftest import ADMIN, make_platform
from tests.features.fixtures import at, churn_doc, offer_doc

pytestmark = pytest.mark.feast
REDIS_DB = 11  # not used by the other Redis tests (15, 14, 0)


def apply_both(platform: Any) -> Any:
    return platform.features.apply([parse_features(churn_doc()), parse_features(offer_doc())],
                                   ADMIN)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path, feast_required: None) -> Any:
    settings: dict[str, Any] = {}
    if request.param == "redis":
        require_redis()
        settings = {"features_online": f"redis://127.0.0.1:6379/{REDIS_DB}",
                    "features_project": f"t{uuid.uuid4().hex[:12]}"}
    platform = make_platform(tmp_path / "home", **settings)
    yield platform
    if request.param == "redis":
        import redis

        r = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
        for key in r.scan_iter(count=1000):
            if settings["features_project"].encode() in key:
                r.delete(key)
    platform.close()


def test_apply_lists_views_with_their_reuse_and_audits(store: Any) -> None:
    applied = apply_both(store)
    (view,) = applied.views
    assert view.name == "customer_stats" and view.defined_by == "churn-prediction"
    assert view.used_by == ["churn-prediction", "next-best-offer"] and view.reuse == 2
    assert [f.name for f in view.features] == ["spend_30d", "orders_30d"]
    assert store.features.list_views() == applied  # read back from the stored documents
    assert store.features.reuse() == {"customer_stats": ["churn-prediction", "next-best-offer"]}
    names = [v.name for v in store.features.repository().store().list_feature_views()]
    assert names == ["customer_stats"]  # Feast's own registry holds it
    assert "features.applied" in [e.action for e in store.audit.log()]
    # Feast swaps sqlite3's global datetime adapter for an epoch integer; the audit log
    # on SQLite must still verify (it writes its timestamps through SQLAlchemy's type).
    assert store.audit.verify().ok


def test_materialize_then_get_online(store: Any) -> None:
    apply_both(store)
    seen: list[tuple[int, int, str]] = []
    run = store.features.materialize(ADMIN, start=at(1), end=at(20),
                                     progress=lambda *a: seen.append(a))
    assert run.views == ["customer_stats"] and seen == [(1, 1, "customer_stats")]
    assert store.audit.log(action="features.materialized")
    got = store.features.get({"customer_id": "1"})
    assert got.rows == [{"customer_id": 1, "customer_stats__spend_30d": 99.0,
                         "customer_stats__orders_30d": 9}]
    one = store.features.get({"customer_id": 2}, ["customer_stats:orders_30d"])
    assert one.rows == [{"customer_id": 2, "customer_stats__orders_30d": 2}]
    unknown = store.features.get({"customer_id": "3"})
    assert unknown.rows[0]["customer_stats__spend_30d"] is None


def test_incremental_materialize_picks_up_only_new_values(store: Any) -> None:
    apply_both(store)
    store.features.materialize(ADMIN, start=at(1), end=at(7))  # 10.0 by Jan 7
    assert store.features.get({"customer_id": 1}).rows[0]["customer_stats__spend_30d"] == 10.0
    store.features.materialize(ADMIN, end=at(20))  # continues from Jan 7: the Jan 10 value
    assert store.features.get({"customer_id": 1}).rows[0]["customer_stats__spend_30d"] == 99.0


def test_training_set_is_point_in_time_correct(fplatform: Any) -> None:
    import pandas as pd

    apply_both(fplatform)
    entities = pd.DataFrame({"customer_id": [1, 1, 2, 7],
                             "event_timestamp": [at(5), at(11), at(4), at(6)],
                             "label": [0, 1, 0, 1]})
    seen: list[Any] = []
    out = fplatform.features.dataset(entities, ["customer_stats:spend_30d"], "train_set",
                                     ADMIN, on_written=lambda ds, refs: seen.append(ds.name))
    assert out.rows == 4 and seen == ["train_set"]
    frame = pd.read_parquet(out.path)
    # By hand: Jan 5 sees Jan 1's 10.0, never Jan 10's 99.0; Jan 4 precedes customer 2's
    # first value (null, row kept); customer 7 has none.
    assert list(frame["label"]) == [0, 1, 0, 1]
    spend = frame["customer_stats__spend_30d"].tolist()
    assert spend[:2] == [10.0, 99.0] and pd.isna(spend[2]) and pd.isna(spend[3])
    assert Path(out.path).is_relative_to(fplatform.lake.root)


def test_bad_requests_are_4xx_naming_the_field(fplatform: Any) -> None:
    apply_both(fplatform)
    with pytest.raises(NotFound, match="entity key"):
        fplatform.features.get({"account_id": "1"})
    with pytest.raises(ValidationFailed) as bad:
        fplatform.features.get({"customer_id": "one"})
    assert bad.value.errors[0].field == "customer_id"
    with pytest.raises(NotFound, match="feature view"):
        fplatform.features.get({"customer_id": "1"}, ["nope:spend_30d"])
    with pytest.raises(NotFound, match="feature"):
        fplatform.features.get({"customer_id": "1"}, ["customer_stats:nope"])
    with pytest.raises(NotFound):
        fplatform.features.materialize(ADMIN, views=["nope"])


def test_apply_refuses_a_missing_source_and_keeps_the_previous_state(fplatform: Any) -> None:
    apply_both(fplatform)
    doc = churn_doc()
    doc["featureViews"][0]["source"] = {"table": "no_such_table"}
    with pytest.raises(ValidationFailed, match="sources not found"):
        fplatform.features.apply([parse_features(doc)], ADMIN)
    assert fplatform.features.list_views().views[0].source == "table:customer_stats"


@pytest.mark.postgres
def test_on_postgresql_metadata_apply_and_materialize_are_audited(
        tmp_path: Path, pg_schema_url: str, feast_required: None) -> None:
    platform = make_platform(tmp_path / "home", db_url=pg_schema_url)
    try:
        apply_both(platform)
        platform.features.materialize(ADMIN, start=at(1), end=at(20))
        actions = [e.action for e in platform.audit.log()]
        assert {"features.applied", "features.materialized"} <= set(actions)
        assert platform.audit.verify().ok
    finally:
        platform.close()


def test_removing_a_view_from_a_document_removes_it_from_feast(fplatform: Any) -> None:
    apply_both(fplatform)
    doc = churn_doc()
    extra = dict(doc["featureViews"][0], name="customer_stats_copy")
    doc["featureViews"].append(extra)
    fplatform.features.apply([parse_features(doc)], ADMIN)
    names = sorted(v.name for v in fplatform.features.repository().store().list_feature_views())
    assert names == ["customer_stats", "customer_stats_copy"]
    fplatform.features.apply([parse_features(churn_doc())], ADMIN)
    names = [v.name for v in fplatform.features.repository().store().list_feature_views()]
    assert names == ["customer_stats"]
