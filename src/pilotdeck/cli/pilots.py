"""``pilotdeck pilots``: import, export, list, show, delete."""

from __future__ import annotations

from pathlib import Path

import typer

from pilotdeck.cli.context import (
    console,
    fail_format,
    me,
    platform,
    print_csv,
    print_json,
    print_table,
)
from pilotdeck.domain.query import PilotFilter

app = typer.Typer(help="Pilot inventory.", no_args_is_help=True)


@app.command("import")
def import_(path: Path = typer.Argument(..., help="A manifest file or a directory (recursive).")
            ) -> None:
    """Import manifests, all or nothing; unchanged ones are no-ops."""
    result = platform().portfolio.import_path(path, me())
    console.print(f"created {len(result.created)}, updated {len(result.updated)}, "
                  f"unchanged {len(result.unchanged)}")
    for verb, names in (("created", result.created), ("updated", result.updated)):
        for n in names:
            console.print(f"  {verb} {n}")


@app.command()
def export(directory: Path = typer.Argument(..., help="Where to write NAME.yaml files."),
           business_unit: str | None = typer.Option(None, "--business-unit"),
           status: str | None = typer.Option(None, "--status")) -> None:
    """Write one manifest per pilot (re-importing them changes nothing)."""
    paths = platform().portfolio.export(directory, PilotFilter(business_unit=business_unit,
                                                               status=status))
    console.print(f"wrote {len(paths)} manifest(s) to {directory}")


COLUMNS = ["name", "business unit", "status", "owner", "production cost/yr", "expected value/yr"]
# CSV is for machines: the manifest's own field names and plain numbers.
CSV_COLUMNS = ["name", "businessUnit", "status", "owner", "productionCostPerYear",
               "expectedValuePerYear"]


def _plain(x: float | str) -> str:
    """A number as a machine reads it: no grouping commas, no exponent for money."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@app.command("list")
def list_(format: str = typer.Option("table", "--format", help="table | json | csv"),
          business_unit: str | None = typer.Option(None, "--business-unit"),
          status: str | None = typer.Option(None, "--status"),
          owner: str | None = typer.Option(None, "--owner")) -> None:
    """List pilots."""
    fail_format(format, ["table", "json", "csv"])
    items, _ = platform().portfolio.list(PilotFilter(business_unit, status, owner))
    if format == "json":
        print_json([p.dump() for p in items])
        return
    values = [[p.metadata.name, p.metadata.business_unit, p.spec.status.value, p.metadata.owner,
               p.spec.economics.production_cost_per_year,
               p.spec.economics.expected_value_per_year] for p in items]
    if format == "csv":
        print_csv(CSV_COLUMNS, [[*v[:4], _plain(v[4]), _plain(v[5])] for v in values])
    else:
        print_table(f"{len(items)} pilot(s)", COLUMNS,
                    [[*v[:4], f"{v[4]:,.0f}", f"{v[5]:,.0f}"] for v in values])


@app.command()
def show(name: str, format: str = typer.Option("yaml", "--format", help="yaml | json")) -> None:
    """Show one pilot."""
    fail_format(format, ["yaml", "json"])
    doc = platform().portfolio.get(name).dump()
    if format == "json":
        print_json(doc)
    else:
        import yaml

        typer.echo(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), nl=False)


@app.command()
def delete(name: str, yes: bool = typer.Option(False, "--yes", help="Do not ask."),
           force: bool = typer.Option(False, "--force", help="Delete even while the gateway "
                                      "serves it (takes its models offline)."),
           if_revision: int | None = typer.Option(
               None, "--if-revision", min=1, help="Only if the pilot is still at this "
               "revision (from `pilots show`); else exit 1.")) -> None:
    """Delete a pilot with its deployment and model-version links (audited)."""
    if not yes:
        typer.confirm(f"delete pilot {name!r}?", abort=True)
    removed = platform().portfolio.delete(name, me(), force=force, expected_revision=if_revision)
    console.print(f"deleted {name}" + (f", with {' and '.join(removed)}" if removed else ""))
