"""``pilotdeck data``: the dataset catalogue (versioned Delta tables with owners,
tags, descriptions and grants).

Datasets are read everywhere else as ``dataset:NAME`` (latest version) or
``dataset:NAME@VERSION``: batch scoring, profiles, drift, fairness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import (
    console,
    fail_format,
    me,
    parse_pairs,
    platform,
    print_csv,
    print_json,
    print_table,
)

if TYPE_CHECKING:
    from pilotdeck.views.datasets import DatasetDetail

app = typer.Typer(help="Catalogued datasets: versioned tables with owners, tags and grants.",
                  no_args_is_help=True)
FORMAT = typer.Option("table", "--format", help="table | json")


def _detail(d: DatasetDetail) -> None:
    console.print(f"[bold]{d.name}[/bold] version {d.version} ({d.rows} rows), owner "
                  f"{d.owner}; tags: {', '.join(d.tags) or '-'}", highlight=False)
    if d.description:
        console.print(d.description, markup=False, highlight=False)
    console.print(f"at {d.uri}; revision {d.revision}; created by {d.created_by} "
                  f"{d.created_at[:19]}; updated {d.updated_at[:19]}"
                  f"{'' if d.readable else '; [red]you may not read its rows[/red]'}",
                  highlight=False)
    print_table(None, ["column", "type", "description"],
                [[c.name, c.type, c.description] for c in d.columns])


@app.command()
def register(name: str = typer.Argument(..., help="Dataset name (lowercase, digits, _ -)."),
             path: str = typer.Option(..., "--path", help="Parquet/CSV file or directory, a "
                                      "Delta table, duckdb:FILE?table=T or dataset:OTHER\\[@V]."),
             owner: str | None = typer.Option(None, "--owner",
                                              help="Owner team (new datasets; default: "
                                                   "your token's team)."),
             tag: list[str] = typer.Option([], "--tag", help="Tag, e.g. pii, domain:finance, "
                                           "retention:90d; repeat for several."),
             description: str | None = typer.Option(None, "--description"),
             uri: str | None = typer.Option(None, "--uri", help="Where the Delta table lives "
                                            "(s3://, gs://, abfss://...; default: the lake)."),
             merge_schema: bool = typer.Option(False, "--merge-schema",
                                               help="Allow new columns in an append."),
             format: str = FORMAT) -> None:
    """Create a dataset, or append the rows as its next version."""
    fail_format(format, ["table", "json"])
    w = platform().datasets.register(name, path, me(), owner=owner, tags=tag,
                                     description=description, uri=uri,
                                     merge_schema=merge_schema)
    if format == "json":
        print_json(w.dump())
        return
    quality = f"; quality {w.quality}" if w.quality else ""
    console.print(f"{'registered' if w.created else 'appended to'} {w.name}: version "
                  f"{w.version}, {w.rows} rows{quality}", highlight=False)


@app.command("list")
def list_(tag: str | None = typer.Option(None, "--tag"),
          owner: str | None = typer.Option(None, "--owner"), format: str = FORMAT) -> None:
    """Every catalogued dataset, with its latest version."""
    fail_format(format, ["table", "json"])
    items = platform().datasets.list(me(), tag=tag, owner=owner)
    if format == "json":
        print_json([i.dump() for i in items])
        return
    print_table(f"{len(items)} dataset(s)", ["name", "version", "rows", "owner", "tags",
                                             "description"],
                [[i.name, i.version, i.rows, i.owner, ", ".join(i.tags), i.description[:60]]
                 for i in items])


@app.command()
def show(name: str, format: str = FORMAT) -> None:
    """A dataset's entry: schema with column descriptions, owner, tags, latest version."""
    fail_format(format, ["table", "json"])
    d = platform().datasets.show(name, me())
    print_json(d.dump()) if format == "json" else _detail(d)


@app.command()
def versions(name: str, limit: int | None = typer.Option(None, "--limit", min=1),
             format: str = FORMAT) -> None:
    """The versions of a dataset, newest first (Delta commits)."""
    fail_format(format, ["table", "json"])
    items = platform().datasets.versions(name, me(), limit)
    if format == "json":
        print_json([i.dump() for i in items])
        return
    print_table(f"{name}: {len(items)} version(s)", ["version", "time", "operation",
                                                     "rows added", "files"],
                [[v.version, (v.timestamp or "")[:19], v.operation, v.rows_added,
                  v.files_added] for v in items])


@app.command()
def query(name: str, version: int | None = typer.Option(None, "--version", min=0),
          limit: int = typer.Option(20, "--limit", min=1, max=10_000),
          column: list[str] = typer.Option([], "--column", help="Columns to show (default "
                                           "all); repeat for several."),
          format: str = typer.Option("table", "--format", help="table | json | csv")) -> None:
    """The first rows of a version (checked against the dataset's grants)."""
    fail_format(format, ["table", "json", "csv"])
    r = platform().datasets.query(name, me(), version=version, limit=limit,
                                  columns=column or None)
    if format == "json":
        print_json(r.dump())
        return
    cells = [[row.get(c) for c in r.columns] for row in r.rows]
    if format == "csv":
        print_csv(r.columns, cells)
        return
    more = ", more not shown" if r.truncated else ""
    print_table(f"{r.name}@{r.version}: {len(r.rows)} row(s){more}", r.columns, cells)


@app.command()
def tag(name: str,
        add: list[str] = typer.Option([], "--add", help="Tag to add; repeat for several."),
        remove: list[str] = typer.Option([], "--remove", help="Tag to remove."),
        description: str | None = typer.Option(None, "--description"),
        column: list[str] = typer.Option([], "--column", help="COLUMN=description; repeat."),
        revision: int | None = typer.Option(None, "--if-revision",
                                            help="Only if the entry is at this revision."),
        format: str = FORMAT) -> None:
    """Add or remove tags and set descriptions (the owner team, the governance board
    and administrators)."""
    fail_format(format, ["table", "json"])
    d = platform().datasets.tag(name, me(), add=add, remove=remove, description=description,
                                columns=parse_pairs(column, "--column", str) or None,
                                expected_revision=revision)
    print_json(d.dump()) if format == "json" else _detail(d)


@app.command()
def grant(target: str = typer.Argument(..., help="NAME or tag:TAG"),
          to: str = typer.Option(..., "--to", help="role:ROLE, team:TEAM or pilot:PILOT"),
          access: str = typer.Option("read", "--access", help="read | write")) -> None:
    """Grant read or write access to a dataset, or to every dataset with a tag."""
    g = platform().datasets.access.grant(target, to, access, me())
    console.print(f"grant {g.id}: {g.access} on {g.target} to {g.to}", highlight=False)


@app.command()
def revoke(target: str = typer.Argument(..., help="NAME or tag:TAG"),
           to: str = typer.Option(..., "--to", help="role:ROLE, team:TEAM or pilot:PILOT"),
           access: str = typer.Option("read", "--access", help="read | write")) -> None:
    """Withdraw a grant (audited)."""
    g = platform().datasets.access.revoke(target, to, access, me())
    console.print(f"revoked grant {g.id}: {g.access} on {g.target} to {g.to}",
                  highlight=False)


@app.command()
def grants(name: str | None = typer.Argument(None, help="Only grants that cover NAME."),
           format: str = FORMAT) -> None:
    """Grants on datasets and tags."""
    fail_format(format, ["table", "json"])
    items = platform().datasets.access.grants(me(), name)
    if format == "json":
        print_json([g.dump() for g in items])
        return
    print_table(f"{len(items)} grant(s)", ["id", "target", "to", "access", "by", "at"],
                [[g.id, g.target, g.to, g.access, g.created_by, g.created_at[:19]]
                 for g in items])


@app.command()
def baseline(name: str, version: int | None = typer.Option(None, "--version", min=0,
                                                           help="Default: the latest."),
             key: list[str] = typer.Option([], "--key", help="Key column (unique together); "
                                           "repeat for several."),
             format: str = FORMAT) -> None:
    """Generate the dataset's quality suite (editable YAML) from a version."""
    fail_format(format, ["table", "json"])
    s = platform().dataset_quality.baseline(name, me(), version=version, keys=key)
    if format == "json":
        print_json(s.dump())
        return
    console.print(f"quality suite for {name} from version {s.baseline_version} "
                  f"({s.baseline_rows} rows; rows {s.min_rows}..{s.max_rows}"
                  f"{'; keys ' + ', '.join(s.unique) if s.unique else ''})", highlight=False)
    print_table(None, ["column", "type", "nullable", "checks"],
                [[c.name, c.dtype, c.nullable, "; ".join(c.checks)] for c in s.columns])


@app.command()
def check(name: str, version: int | None = typer.Option(None, "--version", min=0,
                                                        help="Default: the latest."),
          format: str = FORMAT) -> None:
    """Run the quality suite on a version; exit 3 when it fails."""
    fail_format(format, ["table", "json"])
    r = platform().dataset_quality.check(name, me(), version=version)
    if format == "json":
        print_json(r.dump())
    else:
        verdict = "[green]passed[/green]" if r.passed else "[red]FAILED[/red]"
        console.print(f"{name}@{r.version}: {verdict} ({r.rows:,} rows, "
                      f"{len(r.checks)} checks, {len(r.failed)} failed)", highlight=False)
        bad = [c for c in r.checks if not c.passed]
        if bad:
            print_table(None, ["check", "expected", "failing rows", "sample"],
                        [[c.check, c.expectation, c.failing_rows,
                          ", ".join(str(s.value) for s in c.sample[:3]) or (c.error or "")]
                         for c in bad])
    if not r.passed:
        raise typer.Exit(3)
