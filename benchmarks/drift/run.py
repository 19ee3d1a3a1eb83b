"""Drift benchmark: pilotdeck against a stored profile vs Evidently's DataDriftPreset.

For each case (default: 1,000,000 x (20 numeric + 3 categorical) and
100,000 x 200), in the same run and each in its own process:

- Evidently ``Report([DataDriftPreset()]).run(current, reference)`` on the two
  Parquet files (read included), in its own venv (Evidently 0.7 needs pandas<3);
- pilotdeck: build the reference profile once (timed), then drift of the
  current file against it (profile load and Parquet read included), three
  times in fresh processes: the median time and the highest peak memory.

Prints time and peak RSS ratios and every column whose drifted/not-drifted
verdict differs. Then how pilotdeck's time grows with rows and with columns.

    make bench-drift                      # full size
    python benchmarks/drift/run.py --rows 20000 --wide-rows 5000 --wide-cols 30 --quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import evidently_peer  # noqa: E402
from data import write_pair  # noqa: E402


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker(mode: str, source: str, root: str) -> None:
    """One measurement in a fresh process (so peak RSS is this step's own)."""
    from pilotdeck.adapters.compute import make_compute_engine
    from pilotdeck.adapters.lake import LocalLake
    from pilotdeck.services.monitoring import MonitoringService

    monitoring = MonitoringService(LocalLake(Path(root)),
                                   lambda name: make_compute_engine(name or "local"))
    start = time.perf_counter()
    if mode == "build":
        monitoring.build_profile(source, "ref")
        columns: dict[str, Any] = {}
    else:
        out = monitoring.drift(None, source, profile="ref")
        columns = {c.column: c.dump() for c in out.columns}
    print(json.dumps({"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb(),
                      "columns": columns}))


def measure(mode: str, source: Path, root: Path, repeat: int = 1) -> dict[str, Any]:
    """``repeat`` fresh processes: the median time and the highest peak memory
    (one run of half a second can be off by half on a shared machine, e.g.
    while the profile just written is still being flushed to disk)."""
    runs = []
    for _ in range(repeat):
        r = subprocess.run([sys.executable, __file__, "--worker", mode, str(source), str(root)],
                           capture_output=True, text=True, timeout=3600)
        if r.returncode:
            raise SystemExit(f"pilotdeck {mode} failed: {r.stderr[-2000:]}")
        runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    out: dict[str, Any] = runs[0]
    out["seconds"] = statistics.median(run["seconds"] for run in runs)
    out["rss_mb"] = max(run["rss_mb"] for run in runs)
    return out


def case(label: str, out: Path, rows: int, numeric: int, categorical: int, shifted: int,
         evidently: Path | None) -> dict[str, Any]:
    ref, cur = write_pair(out / label, rows, numeric, categorical, shifted)
    root = out / label / "profiles"
    built = measure("build", ref, root)
    ours = measure("drift", cur, root, repeat=3 if evidently is not None else 1)
    result: dict[str, Any] = {"case": label, "rows": rows, "columns": numeric + categorical,
                              "profile_s": built["seconds"], "profile_rss_mb": built["rss_mb"],
                              "drift_s": ours["seconds"], "drift_rss_mb": ours["rss_mb"],
                              "drifted": sum(c["drifted"] for c in ours["columns"].values())}
    if evidently is None:
        return result
    theirs = evidently_peer.run(evidently, ref, cur)
    disagree = [(name, c["method"], c["value"], theirs["columns"][name]["method"],
                 theirs["columns"][name]["value"]) for name, c in ours["columns"].items()
                if c["drifted"] != theirs["columns"][name]["drifted"]]
    result.update(evidently_s=theirs["seconds"], evidently_rss_mb=theirs["rss_mb"],
                  speedup=theirs["seconds"] / ours["seconds"],
                  memory_ratio=ours["rss_mb"] / theirs["rss_mb"], disagreements=disagree,
                  compared=len(theirs["columns"]))
    return result


def report(r: dict[str, Any]) -> None:
    print(f"\n{r['case']}: {r['rows']:,} rows x {r['columns']} columns "
          f"({r['drifted']} drifted per pilotdeck)")
    print(f"  profile build (once)      {r['profile_s']:8.2f} s  {r['profile_rss_mb']:7.0f} MB")
    print(f"  pilotdeck drift vs profile{r['drift_s']:8.2f} s  {r['drift_rss_mb']:7.0f} MB")
    if "evidently_s" not in r:
        return
    print(f"  Evidently DataDriftPreset {r['evidently_s']:8.2f} s  {r['evidently_rss_mb']:7.0f} MB")
    print(f"  speed ratio (Evidently time / pilotdeck time): {r['speedup']:.1f}x  "
          f"(target >= 150x: {'ok' if r['speedup'] >= 150 else 'MISSED'})")
    print(f"  memory ratio (pilotdeck peak / Evidently peak): {r['memory_ratio']:.2f}  "
          f"(target <= 0.15: {'ok' if r['memory_ratio'] <= 0.15 else 'MISSED'})")
    print(f"  verdicts: {r['compared'] - len(r['disagreements'])}/{r['compared']} columns agree")
    for name, om, ov, tm, tv in r["disagreements"]:
        print(f"    DISAGREE {name}: pilotdeck {om}={ov:.4g}, Evidently {tm}={tv:.4g}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--wide-rows", type=int, default=100_000)
    ap.add_argument("--wide-cols", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="smaller scaling series")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "pilotdeck-drift")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    print("preparing Evidently's venv (once) ...", flush=True)
    python = evidently_peer.ensure_venv()
    results = [
        case(f"long-{args.rows}", args.out, args.rows, 20, 3, 5, python),
        case(f"wide-{args.wide_rows}x{args.wide_cols}", args.out, args.wide_rows,
             args.wide_cols - 3, 3, args.wide_cols // 4, python),
    ]
    for r in results:
        report(r)
    print("\nhow pilotdeck's drift time grows (profile already built):")
    base = args.rows // 10
    series = [(base, 23), (base * 3, 23), (args.rows, 23)]
    cols = [23, 50, 100] if args.quick else [23, 50, 100, 200]
    series += [(args.wide_rows, c) for c in cols]
    print(f"  {'rows':>10} {'columns':>8} {'drift s':>8} {'us/row/col':>11} {'profile s':>10}")
    for rows, ncols in series:
        r = case(f"scale-{rows}x{ncols}", args.out, rows, ncols - 3, 3, ncols // 4, None)
        per = r["drift_s"] / (rows * ncols) * 1e6
        print(f"  {rows:>10,} {ncols:>8} {r['drift_s']:>8.2f} {per:>11.4f} {r['profile_s']:>10.2f}")
    failed = [r["case"] for r in results if r["disagreements"]]
    if failed:
        print(f"\nverdicts differ in: {', '.join(failed)}")


if __name__ == "__main__":
    main()
