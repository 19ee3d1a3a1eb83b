"""``pilotdeck approvals``: request, decide and list approvals; attest controls;
see which controls a version still lacks before it may take live traffic.

Deciding and attesting are the governance board's: run them with the
member's token in ``PILOTDECK_TOKEN`` (the local operator is an administrator,
and administrators do not approve).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table

if TYPE_CHECKING:
    from pilotdeck.views.approvals import ApprovalRequest

app = typer.Typer(help="Approvals of model versions and the controls their risk tier demands.",
                  no_args_is_help=True)
FORMAT = typer.Option("table", "--format", help="table | json")


def render(a: ApprovalRequest) -> None:
    until = f", until {a.expires_at[:10]}" if a.expires_at else ""
    console.print(f"approval {a.id}: {a.pilot} version {a.version} [bold]{a.status}[/bold] "
                  f"({a.approvals}/{a.required} approver(s){until}); requested by "
                  f"{a.requested_by}", highlight=False)
    for v in a.votes:
        cond = f" (conditions: {v.conditions})" if v.conditions else ""
        console.print(f"  {v.decision}d by {v.by} at {v.at[:19]}: {v.reason}{cond}",
                      markup=False, highlight=False)


def _out(a: ApprovalRequest, format: str) -> None:
    fail_format(format, ["table", "json"])
    print_json(a.dump()) if format == "json" else render(a)


@app.command()
def request(pilot: str, version: int = typer.Option(..., "--version", min=1),
            reason: str = typer.Option("", "--reason"), format: str = FORMAT) -> None:
    """Ask the governance board to approve a version (the pilot team's step)."""
    _out(platform().approvals.request(pilot, version, me(), reason), format)


@app.command()
def approve(approval_id: int = typer.Argument(..., min=1),
            reason: str = typer.Option(..., "--reason"),
            conditions: str = typer.Option("", "--conditions"),
            valid_days: int | None = typer.Option(None, "--valid-days",
                                                  help="Default: the configured validity."),
            format: str = FORMAT) -> None:
    """Approve (a governance-board member; never the requester, never twice)."""
    _out(platform().approvals.decide(approval_id, "approve", me(), reason, conditions,
                                     valid_days), format)


@app.command()
def reject(approval_id: int = typer.Argument(..., min=1),
           reason: str = typer.Option(..., "--reason"), format: str = FORMAT) -> None:
    """Reject (one rejection rejects the request)."""
    _out(platform().approvals.decide(approval_id, "reject", me(), reason), format)


@app.command()
def revoke(approval_id: int = typer.Argument(..., min=1),
           reason: str = typer.Option(..., "--reason"), format: str = FORMAT) -> None:
    """Withdraw an approval: gateways take the version out of live traffic."""
    _out(platform().approvals.revoke(approval_id, me(), reason), format)


@app.command()
def show(approval_id: int = typer.Argument(..., min=1), format: str = FORMAT) -> None:
    """One request with its votes."""
    _out(platform().approvals.get(approval_id), format)


@app.command("list")
def list_(pilot: str | None = typer.Option(None, "--pilot"),
          pending: bool = typer.Option(False, "--pending", help="Only those awaiting votes."),
          format: str = FORMAT) -> None:
    """Approval requests, newest first."""
    fail_format(format, ["table", "json"])
    items = platform().approvals.requests(pilot, pending=pending)
    if format == "json":
        print_json([a.dump() for a in items])
        return
    print_table(f"{len(items)} approval request(s)",
                ["id", "pilot", "version", "status", "approvers", "requested by", "expires"],
                [[a.id, a.pilot, a.version, a.status, f"{a.approvals}/{a.required}",
                  a.requested_by, (a.expires_at or "")[:10]] for a in items])


@app.command()
def attest(pilot: str, control: str,
           evidence: str = typer.Option(..., "--evidence", help="A link or document id."),
           version: int | None = typer.Option(None, "--version", min=1,
                                              help="Only this version (default: the pilot)."),
           valid_days: int = typer.Option(365, "--valid-days"), format: str = FORMAT) -> None:
    """Attest that a control is in place (a governance-board member)."""
    fail_format(format, ["table", "json"])
    a = platform().approvals.attest(pilot, control, evidence, me(), version=version,
                                    valid_days=valid_days)
    if format == "json":
        print_json(a.dump())
        return
    console.print(f"attestation {a.id}: {control} for {pilot}"
                  f"{f' version {version}' if version else ''}, until {a.expires_at[:10]}")


@app.command()
def status(pilot: str, version: int = typer.Option(..., "--version", min=1),
           format: str = FORMAT) -> None:
    """Which controls the version's risk tier demands and which are in place."""
    fail_format(format, ["table", "json"])
    st = platform().governance.status(pilot, version)
    if format == "json":
        print_json(st.dump())
        return
    verdict = "may take live traffic" if st.live_allowed else "may NOT take live traffic"
    console.print(f"{pilot} version {version} (tier {st.tier or 'unassessed'}): {verdict}")
    print_table(None, ["control", "in place", "how", "detail"],
                [[c.id, "yes" if c.satisfied else "NO", c.source, c.detail]
                 for c in st.controls])
