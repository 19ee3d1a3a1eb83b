"""``pilotdeck training``: record and list completed courses (enablement records),
which answer the readiness item ``team-trained``."""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table

app = typer.Typer(help="Training records: who completed which course, for a pilot or team.",
                  no_args_is_help=True)
FORMAT = typer.Option("table", "--format", help="table | json")


@app.command("record")
def record(user: str = typer.Argument(..., help="Who completed the course."),
           course: str = typer.Option(..., "--course", help="The course."),
           pilot: str | None = typer.Option(None, "--pilot", help="For this pilot."),
           team: str | None = typer.Option(None, "--team", help="For this team (a pilot "
                                           "whose manifest has tags.team counts it)."),
           completed: str | None = typer.Option(None, "--completed", help=(
               "When: a date, or an age like 7d; default now.")),
           expires: str | None = typer.Option(None, "--expires", help=(
               "Until: a date, or a duration ahead like 365d; default never.")),
           format: str = FORMAT) -> None:
    """Record that USER completed a course (an administrator: tokens:manage)."""
    from pilotdeck.audit.log import utcnow
    from pilotdeck.domain.when import parse_until, parse_when

    fail_format(format, ["table", "json"])
    now = utcnow()
    r = platform().readiness.training.record(
        user, course, me(), pilot=pilot, team=team,
        completed_at=parse_when(completed, "--completed", now),
        expires_at=parse_until(expires, "--expires", now))
    if format == "json":
        print_json(r.dump())
        return
    console.print(f"training {r.id}: {r.user} completed {r.course!r} for "
                  f"{r.pilot or 'team ' + str(r.team)} on {r.completed_at[:10]}",
                  markup=False, highlight=False)


@app.command("list")
def list_(pilot: str | None = typer.Option(None, "--pilot", help=(
              "Records naming the pilot or its team.")),
          team: str | None = typer.Option(None, "--team"),
          current: bool = typer.Option(False, "--current", help="Only those not expired."),
          format: str = FORMAT) -> None:
    """Training records, newest completion first."""
    fail_format(format, ["table", "json"])
    rows = platform().readiness.training.list(pilot=pilot, team=team, current=current)
    if format == "json":
        print_json([r.dump() for r in rows])
        return
    print_table(None, ["id", "user", "course", "pilot", "team", "completed", "expires",
                       "current"],
                [[r.id, r.user, r.course, r.pilot, r.team, r.completed_at[:10],
                  (r.expires_at or "")[:10], "yes" if r.current else "no"] for r in rows])
