"""``pilotdeck tokens``: grant and revoke API access (a local administrator's command)."""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, me, platform, print_table

app = typer.Typer(help="API tokens and roles.", no_args_is_help=True)


@app.command()
def create(user: str = typer.Option(..., "--user"),
           role: str | None = typer.Option(None, "--role", help="viewer | pilot-team | "
                                           "platform-engineer | governance-board | admin | "
                                           "client; required unless --team names a "
                                           "registered team (the member's role there)."),
           pilot: list[str] = typer.Option([], "--pilot", help="Pilot(s) a pilot-team token "
                                           "may change (required) or a client token may "
                                           "call (optional: all without); repeat for "
                                           "several."),
           team: str | None = typer.Option(None, "--team", help="The holder's team (owns "
                                           "datasets; receives team grants). A registered "
                                           "team (pilotdeck teams) issues a team token: "
                                           "only to a member, with the member's role and "
                                           "the team's pilots.")) -> None:
    """Create a token and print it once (only its hash is stored)."""
    t = platform().access.create(user, role, pilot, me(), team)
    console.print(f"token {t.id} for {t.user} ({t.role}"
                  f"{', team ' + t.team if t.team else ''}"
                  f"{', pilots: ' + ', '.join(t.pilots) if t.pilots else ''}); "
                  "shown once, store it now:")
    typer.echo(t.token)


@app.command()
def revoke(token_id: int = typer.Argument(..., help="Token id from `tokens list`.")) -> None:
    """Revoke a token (audited)."""
    platform().access.revoke(token_id, me())
    console.print(f"revoked token {token_id}")


@app.command("list")
def list_(all: bool = typer.Option(False, "--all", help="Include revoked tokens.")) -> None:
    """List tokens (never their secrets)."""
    items = platform().access.list(all)
    print_table(f"{len(items)} token(s)", ["id", "user", "role", "pilots", "team", "prefix",
                                           "created", "revoked"],
                [[t.id, t.user, t.role, ", ".join(t.pilots), t.team or "", t.prefix,
                  t.created_at,
                  t.revoked_at or ""] for t in items])
