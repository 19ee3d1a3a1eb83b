"""Per-prediction SHAP: pilotdeck's explainer against calling shap yourself.

One model (HistGradientBoosting, 20 features), one row at a time, the same
rows for every contender, in one run:

- shap, as its docs show it: ``shap.TreeExplainer(model)(row)``;
- shap's fastest bare path: ``explainer.shap_values(row)`` on a numpy array;
- pilotdeck: ``ModelExplainer.explain(row)`` (the gateway's explain route
  without HTTP), which also checks what the values add up to once, at build.

Prints the median time per row and pilotdeck's ratio to each (>= 1.0 means
pilotdeck is at least as fast). Run: ``make bench-explain``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier


def median_ms(fn: Callable[[np.ndarray], object], rows: np.ndarray) -> float:
    for row in rows[:20]:  # warm up
        fn(row[None, :])
    times = []
    for row in rows:
        start = time.perf_counter()
        fn(row[None, :])
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()
    import shap

    from pilotdeck.services.explain import ModelExplainer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 20))
    y = (X[:, :5].sum(axis=1) + rng.normal(size=5000) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=100).fit(X, y)
    rows = X[rng.choice(len(X), args.rows, replace=False)]
    bare = shap.TreeExplainer(model)
    ours = ModelExplainer(model, [f"x{i}" for i in range(20)], X[:100])
    results = {
        "shap TreeExplainer(model)(row)": median_ms(lambda r: bare(r), rows),
        "shap explainer.shap_values(row)": median_ms(lambda r: bare.shap_values(r), rows),
        "pilotdeck ModelExplainer.explain": median_ms(ours.explain, rows),
    }
    mine = results["pilotdeck ModelExplainer.explain"]
    print(f"{'one row, HGB 100 trees x 20 features':38} {'median ms':>10} {'ratio':>7}")
    for name, ms in results.items():
        print(f"{name:38} {ms:10.3f} {ms / mine:7.2f}")
    print("\nratio = their time / pilotdeck's (>= 1.0: pilotdeck at least as fast)")


if __name__ == "__main__":
    main()
