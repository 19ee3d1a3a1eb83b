"""``pilotdeck readiness``: is a pilot's version ready for production, item by item;
the governance board attests or waives items (``attest``, ``waive``, ``revoke``).

``pilotdeck readiness PILOT`` stays the short form of ``pilotdeck readiness show
PILOT``: a first argument that is not a subcommand is taken as the pilot (a
pilot named like a subcommand needs ``show``). Attesting, waiving and revoking
are the governance board's: run them with the member's token in
``PILOTDECK_TOKEN``.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table

SUBCOMMANDS = ("show", "attest", "waive", "revoke")


class _ShowByDefault(TyperGroup):
    """Reads ``readiness PILOT …`` as ``readiness show PILOT …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_ShowByDefault, no_args_is_help=True, help=(
    "The pilot-to-production checklist (readiness PILOT is readiness show PILOT); the "
    "governance board attests or waives items."))
FORMAT = typer.Option("table", "--format", help="table | json")
VERSION = typer.Option(None, "--version", min=1,
                       help="Only this version (default: every version of the pilot).")


@app.command("show")
def show(pilot: str = typer.Argument(..., help="Pilot name."),
         version: int | None = typer.Option(None, "--version", min=1,
                                            help="Default: the champion."),
         format: str = FORMAT) -> None:
    """The pilot-to-production checklist, from the platform's evidence; exit 3 when
    something still blocks 100 % of traffic."""
    fail_format(format, ["table", "json"])
    r = platform().readiness.check(pilot, version)
    if format == "json":
        print_json(r.dump())
    else:
        verdict = "[green]ready[/green]" if r.ready else "[red]not ready[/red]"
        console.print(f"{r.pilot} version {r.version}: {verdict}"
                      + (f"; live traffic waits for {', '.join(r.live_blocked_by)}"
                         if r.live_blocked_by else ""), highlight=False)
        print_table(None, ["item", "status", "blocks", "evidence", "next step"],
                    [[i.id, i.status + (" (expired)" if i.attestation and i.attestation.expired
                                        and i.status == "fail" else ""),
                      i.blocks, i.evidence, i.next_step or ""] for i in r.items])
    if not r.ready:
        raise typer.Exit(3)


def _word(kind: str, pilot: str, item: str, reason: str, version: int | None,
          expires: str | None, format: str) -> None:
    from pilotdeck.audit.log import utcnow
    from pilotdeck.domain.when import parse_until

    fail_format(format, ["table", "json"])
    until = parse_until(expires, "--expires", utcnow())
    a = platform().readiness.attestations.attest(pilot, item, kind, reason, me(),
                                                 version=version, expires_at=until)
    if format == "json":
        print_json(a.dump())
        return
    scope = f"version {a.version}" if a.version else "every version"
    console.print(f"{a.item} {a.kind} for {a.pilot} ({scope}) by {a.by} until "
                  f"{a.expires_at[:10]}", markup=False, highlight=False)


EXPIRES = typer.Option(None, "--expires",
                       help="A date (2027-03-31) or a duration ahead (90d); default 90 days, "
                            "at most a year.")
REASON = typer.Option(..., "--reason", help="Why: kept in the audit log.")


@app.command("attest")
def attest(pilot: str = typer.Argument(..., help="Pilot name."),
           item: str = typer.Argument(..., help="Readiness item, e.g. runbook."),
           reason: str = REASON, version: int | None = VERSION,
           expires: str | None = EXPIRES, format: str = FORMAT) -> None:
    """Attest that an item is in place where the platform cannot see it (a
    governance-board member)."""
    _word("attested", pilot, item, reason, version, expires, format)


@app.command("waive")
def waive(pilot: str = typer.Argument(..., help="Pilot name."),
          item: str = typer.Argument(..., help="Readiness item, e.g. team-trained."),
          reason: str = REASON, version: int | None = VERSION,
          expires: str | None = EXPIRES, format: str = FORMAT) -> None:
    """Waive an item for the pilot until it expires (a governance-board member)."""
    _word("waived", pilot, item, reason, version, expires, format)


@app.command("revoke")
def revoke(pilot: str = typer.Argument(..., help="Pilot name."),
           item: str = typer.Argument(..., help="Readiness item."),
           version: int | None = typer.Option(None, "--version", min=1, help=(
               "The version it was given for (default: the pilot-wide one).")),
           format: str = FORMAT) -> None:
    """Revoke an attestation or waiver: the item answers from evidence alone again."""
    fail_format(format, ["table", "json"])
    a = platform().readiness.attestations.revoke(pilot, item, me(), version=version)
    if format == "json":
        print_json(a.dump())
        return
    console.print(f"{a.item} ({a.kind}) revoked for {a.pilot} by {a.revoked_by}",
                  markup=False, highlight=False)
