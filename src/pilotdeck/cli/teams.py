"""``pilotdeck teams``: the centre of excellence's teams, members and the roles they hold.

A token issued to a member through the team (``pilotdeck tokens create --user U
--team T``) carries the member's role and a pilot team's pilots, read again on
every request; removing the member revokes it.
"""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table
from pilotdeck.views.teams import Team

app = typer.Typer(help="Teams of the centre of excellence (platform, enablement, "
                       "governance-board, pilot): members, roles and owned pilots.",
                  no_args_is_help=True)
FORMAT = typer.Option("table", "--format", help="table | json")
REVISION = typer.Option(None, "--if-revision", min=1, help="Only if the team is still at this "
                        "revision (from teams show).")


def _show(team: Team, format: str) -> None:
    if format == "json":
        print_json(team.dump())
        return
    console.print(f"team {team.name} ({team.kind}), revision {team.revision}"
                  + (f": {team.description}" if team.description else ""),
                  markup=False, highlight=False)
    if team.kind == "pilot":
        console.print("pilots: " + (", ".join(team.pilots) or "none"), markup=False,
                      highlight=False)
    print_table(f"{len(team.members)} member(s)", ["user", "role", "added", "by"],
                [[m.user, m.role, m.added_at[:10], m.added_by] for m in team.members])


@app.command()
def create(name: str = typer.Argument(..., help="Team name (lowercase, digits, . _ -)."),
           kind: str = typer.Option(..., "--kind", help="platform | enablement | "
                                    "governance-board | pilot"),
           pilot: list[str] = typer.Option([], "--pilot", help="A pilot the (pilot) team "
                                           "owns; repeat for several."),
           description: str = typer.Option("", "--description"),
           format: str = FORMAT) -> None:
    """Create a team (tokens:manage; audited)."""
    fail_format(format, ["table", "json"])
    _show(platform().teams.create(name, kind, me(), description=description, pilots=pilot),
          format)


@app.command("list")
def list_(kind: str | None = typer.Option(None, "--kind"), format: str = FORMAT) -> None:
    """Teams with their kind, pilots and members."""
    fail_format(format, ["table", "json"])
    teams = platform().teams.list(kind)
    if format == "json":
        print_json([t.dump() for t in teams])
        return
    print_table(f"{len(teams)} team(s)", ["team", "kind", "pilots", "members", "revision"],
                [[t.name, t.kind, ", ".join(t.pilots),
                  ", ".join(f"{m.user} ({m.role})" for m in t.members), t.revision]
                 for t in teams])


@app.command()
def show(name: str = typer.Argument(...), format: str = FORMAT) -> None:
    """One team: its members, the role each holds, and its pilots."""
    fail_format(format, ["table", "json"])
    _show(platform().teams.get(name), format)


@app.command()
def update(name: str = typer.Argument(...),
           description: str | None = typer.Option(None, "--description"),
           pilot: list[str] = typer.Option([], "--pilot", help="Replace the pilots the team "
                                           "owns; repeat for several."),
           clear_pilots: bool = typer.Option(False, "--clear-pilots", help="Own no pilot."),
           revision: int | None = REVISION, format: str = FORMAT) -> None:
    """Change a team's description or the pilots it owns (its tokens follow)."""
    fail_format(format, ["table", "json"])
    pilots = [] if clear_pilots else (pilot or None)
    _show(platform().teams.update(name, me(), description=description, pilots=pilots,
                                  expected_revision=revision), format)


@app.command("add-member")
def add_member(name: str = typer.Argument(..., help="Team."),
               user: str = typer.Argument(..., help="The member's user name."),
               role: str | None = typer.Option(None, "--role", help="The role held in the "
                                               "team; default the kind's usual one."),
               revision: int | None = REVISION) -> None:
    """Seat USER in the team, or change their role there (audited)."""
    team = platform().teams.add_member(name, user, me(), role=role,
                                       expected_revision=revision)
    held = next(m.role for m in team.members if m.user == user)
    console.print(f"{user} is in team {team.name} as {held} (revision {team.revision})",
                  markup=False, highlight=False)


@app.command("remove-member")
def remove_member(name: str = typer.Argument(..., help="Team."),
                  user: str = typer.Argument(..., help="The member's user name."),
                  revision: int | None = REVISION) -> None:
    """Remove USER from the team; their team tokens are revoked (audited)."""
    team = platform().teams.remove_member(name, user, me(), expected_revision=revision)
    console.print(f"{user} removed from team {team.name}; their team tokens are revoked",
                  markup=False, highlight=False)


@app.command()
def delete(name: str = typer.Argument(...), revision: int | None = REVISION) -> None:
    """Delete a team; its members' team tokens are revoked (audited)."""
    platform().teams.delete(name, me(), expected_revision=revision)
    console.print(f"team {name} deleted", markup=False, highlight=False)
