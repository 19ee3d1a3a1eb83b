"""Quality-baseline benchmark: pilotdeck's suite generation and check vs bare pandera.

On one table (default 1,000,000 rows x 20 columns: a key, 10 floats with some
nulls, 4 integers, 4 low-cardinality strings, 1 boolean):

- generation: ``quality_suite.generate`` (pyarrow.compute statistics -> YAML);
- check: ``quality_run.run`` of that suite on a second version with a few bad
  rows (Arrow in, no pandas);
- pandera: ``schema.validate(df, lazy=True)`` of the same suite on the same
  version, the frame already in pandas (the Arrow -> pandas conversion is
  timed apart and not counted).

Prints the times, the ratio pandera / pilotdeck, and whether both fail the
same columns (they must). Best of ``--repeat`` runs.

    make bench-quality
    python benchmarks/quality/run.py --rows 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any


def table(rows: int, seed: int) -> Any:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {"id": pa.array(np.arange(rows) + seed * rows, pa.int64())}
    for i in range(10):
        x = rng.normal(100 * i, 10 + i, rows)
        x[rng.random(rows) < 0.02] = np.nan
        cols[f"f{i}"] = x
    for i in range(4):
        cols[f"n{i}"] = pa.array(rng.integers(0, 1000 * (i + 1), rows), pa.int64())
    for i in range(4):
        cols[f"c{i}"] = pa.array(rng.choice([f"cat{j}" for j in range(3 + 3 * i)], rows))
    cols["flag"] = rng.random(rows) < 0.3
    return pa.table(cols)


def broken(t: Any) -> Any:
    """The next version with a handful of bad rows: out of range, a new category."""
    import numpy as np
    import pyarrow as pa

    f0 = t["f0"].to_numpy(zero_copy_only=False).copy()
    f0[[10, 1000]] = [1e9, np.inf]
    c0 = t["c0"].to_pylist()
    c0[5] = "unseen"
    t = t.set_column(t.column_names.index("f0"), "f0", pa.array(f0))
    return t.set_column(t.column_names.index("c0"), "c0", pa.array(c0))


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from pilotdeck.services.quality_run import pandas_frame, run
    from pilotdeck.services.quality_suite import generate, pandera, parse

    pdr = pandera()
    base, current = table(args.rows, 0), broken(table(args.rows, 1))
    print(f"{args.rows:,} rows x {base.num_columns} columns, best of {args.repeat}")

    t_gen, text = best(lambda: generate(base, "bench", 0, ["id"]), args.repeat)
    suite = parse(text)
    t_run, results = best(lambda: run(suite, current), args.repeat)
    ours = {r.column for r in results if not r.passed}

    t_conv, frame = best(lambda: pandas_frame(current), 1)

    def bare() -> set[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                suite.schema.validate(frame, lazy=True)
            except pdr.errors.SchemaErrors as exc:
                return set(exc.failure_cases["column"].dropna())
        return set()

    t_pandera, theirs = best(bare, args.repeat)
    print(f"generate suite (pyarrow.compute)      {t_gen:8.3f} s")
    print(f"check, pilotdeck (Arrow, vectorised)  {t_run:8.3f} s")
    print(f"check, bare pandera validate(lazy)    {t_pandera:8.3f} s "
          f"(+ {t_conv:.3f} s Arrow -> pandas, not counted)")
    print(f"ratio pandera / pilotdeck             {t_pandera / t_run:8.1f} x")
    print(f"failing columns: pilotdeck {sorted(ours)}, pandera {sorted(theirs)} -> "
          f"{'agree' if ours == theirs else 'DISAGREE'}")
    if ours != theirs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
