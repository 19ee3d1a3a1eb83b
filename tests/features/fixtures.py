"""A tiny feature world, small enough to check point-in-time joins by hand.

Customer 1's spend is 10.0 from Jan 1 and 99.0 from Jan 10; customer 2's is 5.0
from Jan 5. An entity row for customer 1 at Jan 5 must see 10.0, never 99.0.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def write_stats(table_dir: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "customer_id": pa.array([1, 1, 2], pa.int64()),
        "event_timestamp": pa.array([at(1), at(10), at(5)], pa.timestamp("us", tz="UTC")),
        "spend_30d": pa.array([10.0, 99.0, 5.0]),
        "orders_30d": pa.array([1, 9, 2], pa.int64()),
    }), table_dir / "part-0.parquet")


def churn_doc() -> dict[str, Any]:
    """The pilot that defines the shared view (and serves from it)."""
    return {
        "pilot": "churn-prediction",
        "entities": [{"name": "customer", "joinKeys": ["customer_id"], "valueType": "int64"}],
        "featureViews": [{
            "name": "customer_stats", "entities": ["customer"],
            "source": {"table": "customer_stats"}, "timestampField": "event_timestamp",
            "ttlSeconds": 90 * 86400,
            "features": [{"name": "spend_30d", "dtype": "float64"},
                         {"name": "orders_30d", "dtype": "int64"}]}],
        "service": {"features": ["customer_stats:spend_30d", "customer_stats:orders_30d"]},
    }


def offer_doc() -> dict[str, Any]:
    """A second pilot that reuses the view without defining it."""
    return {"pilot": "next-best-offer", "uses": ["customer_stats"]}
