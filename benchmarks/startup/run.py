"""CLI start-up: pilotdeck's light commands against the floor and a peer.

References measured in the same run: a bare interpreter (``python -c pass``),
the smallest Typer app with one command (the floor for any Typer CLI), and
MLflow's CLI (``mlflow --version``), the peer a user would otherwise run.
Prints the median wall time of each and pilotdeck's ratio to the Typer floor.
The target is ``pilotdeck version`` at or under 0.3 s on an idle 2-core box;
it is answered before Typer loads (``pilotdeck/cli/entry.py``).

Run: ``make bench-startup`` (or ``python benchmarks/startup/run.py --runs 15``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TYPER_FLOOR = ("import typer\napp = typer.Typer()\n@app.command()\ndef version() -> None:\n"
               "    print('0')\n@app.command()\ndef other() -> None:\n    pass\napp()\n")


def median_seconds(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PILOTDECK_HOME": home}
        floor_script = Path(home) / "floor.py"
        floor_script.write_text(TYPER_FLOOR)
        pilotdeck = str(BIN / "pilotdeck")
        subprocess.run([pilotdeck, "pilots", "list"], env=env, capture_output=True, check=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "typer floor (one-command app)": [sys.executable, str(floor_script), "version"],
            "pilotdeck version": [pilotdeck, "version"],
            "pilotdeck --version": [pilotdeck, "--version"],
            "pilotdeck audit verify --help": [pilotdeck, "audit", "verify", "--help"],
            "pilotdeck pilots list": [pilotdeck, "pilots", "list"],
            "mlflow --version (peer)": [str(BIN / "mlflow"), "--version"],
        }
        results = {name: median_seconds(argv, args.runs, env) for name, argv in cases.items()}
    floor = results["typer floor (one-command app)"]
    print(f"{'command':34} {'median s':>9} {'x typer floor':>14}")
    for name, seconds in results.items():
        print(f"{name:34} {seconds:9.3f} {seconds / floor:14.2f}")
    verdict = "meets" if results["pilotdeck version"] <= 0.3 else "misses"
    print(f"\npilotdeck version {verdict} the 0.3 s target "
          f"({results['pilotdeck version']:.3f} s; mlflow --version "
          f"{results['mlflow --version (peer)'] / results['pilotdeck version']:.1f}x slower)")


if __name__ == "__main__":
    main()
