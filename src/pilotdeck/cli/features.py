"""``pilotdeck features``: the Feast feature store (``pip install 'pilotdeck[features]'``).

``list`` reads the applied definitions and works without Feast; the other
commands need it and say, in one line, how to install it when it is missing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import console, err_console, fail_format, me, platform, print_json

if TYPE_CHECKING:
    from pilotdeck.views.features import FeatureDataset

app = typer.Typer(help="Feature store (Feast): shared feature views, online and training "
                       "features.", no_args_is_help=True)


def _when(value: str | None, option: str) -> datetime | None:
    from pilotdeck.domain.errors import FieldError, ValidationFailed

    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed("invalid option", [FieldError(
            option, "expects an ISO date or time, e.g. 2026-01-31 or 2026-01-31T12:00Z")]
        ) from None


@app.command()
def apply(paths: list[Path] = typer.Argument(..., help="PILOT.yaml files or directories "
                                              "of them."),
          format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Register the pilots' entities and feature views in the feature store."""
    fail_format(format, ["table", "json"])
    out = platform().features.apply_files(list(paths), me())
    if format == "json":
        print_json(out.dump())
        return
    console.print(f"applied {len(out.views)} feature view(s) and {len(out.entities)} "
                  f"entit{'y' if len(out.entities) == 1 else 'ies'} for "
                  f"{len(out.pilots)} pilot(s); online store: {out.online_store}")


@app.command("list")
def list_(format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Feature views, their features, and which pilots use each (the reuse count)."""
    from pilotdeck.cli.context import print_table

    fail_format(format, ["table", "json"])
    out = platform().features.list_views()
    if format == "json":
        print_json(out.dump())
        return
    print_table("Feature views", ["view", "entities", "features", "source", "defined by",
                                  "used by", "reuse"],
                [[v.name, ", ".join(v.join_keys), ", ".join(f.name for f in v.features),
                  v.source, v.defined_by, ", ".join(v.used_by), v.reuse] for v in out.views])


@app.command()
def materialize(view: list[str] = typer.Option([], "--view", help="Only these views "
                                               "(repeatable); default all."),
                start: str | None = typer.Option(None, "--start", help="ISO time; default: "
                                                 "incremental since the last run."),
                end: str | None = typer.Option(None, "--end", help="ISO time; default now.")
                ) -> None:
    """Copy the latest feature values into the online store."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    begin, until = _when(start, "--start"), _when(end, "--end")
    service = platform().features
    with Progress(*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("materialising", total=None)
        out = service.materialize(
            me(), list(view) or None, begin, until,
            progress=lambda done, total, name: bar.update(
                task, completed=done, total=total, description=f"materialised {name}"))
    console.print(f"materialised {', '.join(out.views)} "
                  f"({out.start or 'since the last run'} .. {out.end}) in {out.seconds:.1f}s")


@app.command()
def get(entity: list[str] = typer.Option(..., "--entity", help="KEY=VALUE (repeatable), "
                                         "e.g. customer_id=42."),
        feature: list[str] = typer.Option([], "--feature", help="VIEW:FEATURE (repeatable); "
                                          "default every feature keyed by the entity."),
        format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Online feature values for one entity."""
    from pilotdeck.cli.context import print_table
    from pilotdeck.domain.features import parse_entity_args

    fail_format(format, ["table", "json"])
    out = platform().features.get(parse_entity_args(entity), list(feature) or None, me())
    if format == "json":
        print_json(out.dump())
        return
    row = out.rows[0]
    print_table(None, ["feature", "value"], [[k.replace("__", ":", 1), v]
                                             for k, v in row.items()])


@app.command()
def dataset(entities: str = typer.Option(..., "--entities", help="Entity table: a lake "
                                         "table's name or a Parquet/CSV file with the join "
                                         "keys and event_timestamp."),
            feature: list[str] = typer.Option(..., "--features", "--feature",
                                              help="VIEW:FEATURE (repeatable)."),
            out: str = typer.Option(..., "--out", help="Name of the catalogued dataset to "
                                    "write (a new one, or its next version)."),
            owner: str | None = typer.Option(None, "--owner", help="Owner team of a new "
                                             "dataset (default: your token's team)."),
            format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """A point-in-time-correct training set, written as a catalogued dataset (with
    lineage from the views' sources)."""
    fail_format(format, ["table", "json"])
    p, who = platform(), me()
    written = []

    def catalogue(r: FeatureDataset, refs: list[str]) -> None:
        sources = p.features.sources({ref.split(":")[0] for ref in refs})
        written.append(p.datasets.register(
            out, r.path, who, owner=owner, operation="features.dataset",
            job="features.dataset", source_label=f"file:{Path(entities).resolve()}"
            if Path(entities).exists() else None,
            # The versions the sources were at: what the materialised features came from.
            extra_inputs=tuple(f"dataset:{d}@{p.datasets.show(d, who).version}"
                               for d in sources)))

    result = p.features.dataset_from(entities, list(feature), out, who, on_written=catalogue)
    if format == "json":
        print_json({**result.dump(), "dataset": written[0].dump() if written else None})
        return
    version = f" as dataset:{out}@{written[0].version}" if written else ""
    console.print(f"wrote {result.rows:,} rows x {len(result.columns)} columns{version}")
