"""The demo's feature store: one shared feature view over a catalogued dataset, used
by two pilots, and churn-prediction served from its online features.

Needs the ``features`` extra (Feast); without it the demo says so and goes on.
The view's features are exactly the churn model's inputs, so a gateway request
may carry ``{"entities": [{"customer_id": 42}]}`` instead of the raw features.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from pilotdeck.auth.roles import Principal

if TYPE_CHECKING:
    from pilotdeck.platform import Platform

DATASET = "customer_profile"
VIEW = "customer_profile"
CUSTOMERS = 500
COLUMNS = [("tenure_months", "float64"), ("monthly_spend", "float64"),
           ("support_calls", "float64"), ("age", "float64"), ("contract_months", "float64")]


def documents() -> list[dict[str, object]]:
    """churn-prediction defines the view and serves from it; next-best-offer reuses it."""
    return [
        {"pilot": "churn-prediction",
         "entities": [{"name": "customer", "joinKeys": ["customer_id"], "valueType": "int64"}],
         "featureViews": [{"name": VIEW, "entities": ["customer"],
                           "source": {"dataset": DATASET}, "timestampField": "event_timestamp",
                           "ttlSeconds": 365 * 86400,
                           "features": [{"name": n, "dtype": t} for n, t in COLUMNS]}],
         "service": {"features": [f"{VIEW}:{n}" for n, _ in COLUMNS]}},
        {"pilot": "next-best-offer", "uses": [VIEW]},
    ]


def set_up(platform: Platform, who: Principal) -> str | None:
    """Catalogue the customer profiles, apply the view, fill the online store; the
    sentence to print (None: Feast is not installed)."""
    if not platform.features.installed():
        return None
    import pandas as pd

    from pilotdeck.demo.models import PROBLEMS
    from pilotdeck.domain.features import parse_features

    rng = np.random.default_rng(7)
    churn = next(p for p in PROBLEMS if p.pilot == "churn-prediction")
    X, _ = churn.make(rng, CUSTOMERS)
    now = datetime.now(UTC).replace(microsecond=0)
    frame = X.assign(customer_id=np.arange(1, CUSTOMERS + 1, dtype=np.int64),
                     event_timestamp=pd.Timestamp(now - timedelta(days=1)))
    scratch = platform.lake.scratch_dir() / "profiles.parquet"
    frame.to_parquet(scratch, index=False)
    try:
        if not any(d.name == DATASET for d in platform.datasets.list(who)):
            platform.datasets.register(DATASET, scratch, who, owner="crm",
                                       tags=["domain:customer"],
                                       description="customer profiles (feature source)")
    finally:
        scratch.unlink(missing_ok=True)
        scratch.parent.rmdir()
    platform.features.apply([parse_features(d) for d in documents()], who)
    platform.features.materialize(who, start=now - timedelta(days=30), end=now)
    return (f"features: view {VIEW!r} on dataset:{DATASET} shared by churn-prediction and "
            f"next-best-offer; churn-prediction serves from online features "
            f'({{"entities": [{{"customer_id": 42}}]}})')
