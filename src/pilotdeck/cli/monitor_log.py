"""``pilotdeck monitor compact | migrate-log | log-history``: upkeep of the gateway's
prediction and feedback logs (Delta tables)."""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table
from pilotdeck.cli.monitor import app


@app.command("compact")
def compact_cmd(pilot: str | None = typer.Option(None, "--pilot",
                                                 help="Only this pilot's partitions."),
                retention_hours: int = typer.Option(
                    168, "--retention-hours", min=0,
                    help="Keep files older versions need for this long (time travel)."),
                format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Merge the logs' small files, delete files no version within the retention
    needs, and write a checkpoint. Safe while gateways append."""
    fail_format(format, ("table", "json"))
    done = platform().log_tables.compact(me(), pilot, retention_hours)
    if format == "json":
        print_json([c.dump() for c in done])
        return
    print_table("log compaction", ["table", "version", "files merged", "into", "vacuumed"],
                [[c.table, c.version if c.version >= 0 else "-", c.files_removed,
                  c.files_added, c.files_vacuumed] for c in done])


@app.command("migrate-log")
def migrate_cmd(format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Convert prediction and feedback logs written in the old Parquet layout to
    Delta tables (the gateway also does it on start); the old files are kept."""
    fail_format(format, ("table", "json"))
    done = platform().log_tables.migrate(me())
    if format == "json":
        print_json([m.dump() for m in done])
        return
    if not done:
        console.print("nothing to convert: the logs are Delta tables already")
        return
    for m in done:
        damaged = f" ({m.unreadable} damaged files not converted)" if m.unreadable else ""
        console.print(f"{m.table}: {m.files} files, {m.rows:,} rows converted{damaged}; "
                      f"old files kept in {m.legacy_dir}")


@app.command("log-history")
def history_cmd(table: str = typer.Argument("predictions", help="predictions | feedback"),
                limit: int = typer.Option(20, "--limit", min=1),
                format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """The Delta versions of a log table, newest first."""
    fail_format(format, ("table", "json"))
    versions = platform().log_tables.history(table, limit)
    if format == "json":
        print_json([v.dump() for v in versions])
        return
    print_table(f"{table} log versions", ["version", "time", "operation", "rows added"],
                [[v.version, v.timestamp.isoformat(timespec="seconds"), v.operation,
                  "" if v.rows_added is None else v.rows_added] for v in versions])
