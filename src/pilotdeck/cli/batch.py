"""``pilotdeck batch``: score lakehouse tables with a registered model."""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, err_console, me, platform

app = typer.Typer(help="Batch scoring.", no_args_is_help=True)


@app.command()
def score(pilot: str,
          input: str = typer.Option(..., "--input", help="Parquet file or directory, or "
                                    "dataset:NAME\\[@VERSION]."),
          output: str = typer.Option(..., "--output", help="Parquet file (local) or "
                                     "directory (spark), or dataset:NAME (a new version)."),
          owner: str | None = typer.Option(None, "--owner", help="Owner team of a new "
                                           "output dataset (default: your token's team)."),
          engine: str | None = typer.Option(None, "--engine", help="local | spark | spark://… | "
                                     "local[N] (default: the [compute] setting)"),
          version: int | None = typer.Option(None, "--version"),
          alias: str | None = typer.Option(None, "--alias", help="champion (default) or "
                                           "challenger"),
          chunk_rows: int = typer.Option(50_000, "--chunk-rows", min=1),
          allow_failed_quality: bool = typer.Option(
              False, "--allow-failed-quality", help="Score a catalogued input even though "
              "it failed its quality suite.")) -> None:
    """Score every row with the pilot's model; writes predictions and the model version."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task(f"scoring {pilot}", total=None)
        out = platform().batch.score(
            pilot, input, output, me(), engine=engine, version=version, alias=alias,
            chunk_rows=chunk_rows, owner=owner, allow_failed_quality=allow_failed_quality,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"scored {out.rows:,} rows with {pilot} v{out.version} on "
                  f"{out.engine} in {out.seconds:.1f}s "
                  f"({out.rows_per_second or 0:,.0f} rows/s) -> {out.output}")
