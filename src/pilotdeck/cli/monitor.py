"""``pilotdeck monitor``: data drift between a reference and a current table."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pilotdeck.cli.context import (
    console,
    fail_format,
    parse_pairs,
    platform,
    print_json,
    print_table,
)
from pilotdeck.domain.errors import FieldError, ValidationFailed

app = typer.Typer(help="Observability: drift and data quality.", no_args_is_help=True)


def _profiles_root() -> Path:
    lake = platform().settings.lakehouse_dir
    assert lake is not None
    return lake / "profiles"


@app.command("profile")
def profile_cmd(input: Path = typer.Option(..., "--input", help="Parquet file or directory."),
                name: str = typer.Option(..., "--name", help="Profile name."),
                exact_limit: int = typer.Option(100_000, "--exact-limit", min=1000,
                                                help="Keep every row up to this many; "
                                                     "sample beyond."),
                ) -> None:
    """Compute and store a reference profile (in chunks, with a progress bar)."""
    from rich.progress import Progress

    from pilotdeck.services import profiles

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"profiling {input}", total=None)
        meta = profiles.build(input, name, _profiles_root(), exact_limit=exact_limit,
                              progress=lambda d, t: bar.update(task, completed=d, total=t))
    kept = "every row" if meta["exact"] else f"a sample of {meta['sample_rows']:,} rows"
    console.print(f"profile {name!r}: {meta['rows']:,} rows, {kept} -> {_profiles_root() / name}")


@app.command("drift")
def drift_cmd(reference: Path | None = typer.Option(None, "--reference",
                                                   help="Parquet file or dir."),
              current: Path = typer.Option(..., "--current", help="Parquet file or dir."),
              method: list[str] = typer.Option([], "--method", help="COLUMN=ks|chisquare|z|"
                                               "wasserstein|jensenshannon|psi|hellinger"),
              threshold: list[str] = typer.Option([], "--threshold", help="COLUMN=VALUE"),
              share: float = typer.Option(0.5, "--drift-share", min=0.0, max=1.0,
                                          help="Dataset drift when this share drifts."),
              format: str = typer.Option("table", "--format", help="table | json"),
              fail_on_drift: bool = typer.Option(False, "--fail-on-drift",
                                                 help="Exit 3 when the dataset drifted (CI)."),
              profile: str | None = typer.Option(None, "--profile",
                                                 help="Stored reference profile instead of "
                                                      "--reference."),
              ) -> None:
    """Per-column drift with Evidently's default tests, and the dataset verdict."""
    from pilotdeck.services import profiles
    from pilotdeck.services.monitoring import drift

    fail_format(format, ["table", "json"])
    if (reference is None) == (profile is None):
        raise ValidationFailed("invalid options", [
            FieldError("--reference", "give exactly one of --reference or --profile")])
    stored = profiles.load(profile, _profiles_root()) if profile else None
    out = drift(reference, current, profile=stored,
                methods=parse_pairs(method, "--method", str),
                thresholds=parse_pairs(threshold, "--threshold", float), share=share)
    if format == "json":
        print_json(out)
    else:
        print_table(f"drift: {out['drifted_columns']}/{out['columns_total']} columns drifted "
                    f"-> dataset drift {'YES' if out['dataset_drift'] else 'no'}",
                    ["column", "method", "value", "threshold", "drifted"],
                    [[c["column"], c["method"],
                      "n/a" if c["value"] is None else f"{c['value']:.4g}", c["threshold"],
                      "DRIFT" if c["drifted"] else ""] for c in out["columns"]])
        schema = out["schema"]
        if any(schema.values()):
            console.print(f"schema changes: {json.dumps(schema)}")
        for q in out["quality"]:
            for problem in q["problems"]:
                console.print(f"[yellow]quality[/yellow] {q['column']}: {problem}")
    if fail_on_drift and out["dataset_drift"]:
        raise typer.Exit(3)
