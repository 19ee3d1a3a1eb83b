"""``pilotdeck audit``: log, verify, proofs, checkpoints."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from pilotdeck.cli.context import (
    console,
    err_console,
    fail_format,
    me,
    platform,
    print_json,
    print_table,
)
from pilotdeck.domain.errors import FieldError, ValidationFailed

app = typer.Typer(help="Tamper-evident audit trail.", no_args_is_help=True)


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("invalid option", [
            FieldError("--since", f"must be an ISO date or time, got {value!r}")]) from None


@app.command()
def log(since: str | None = typer.Option(None, "--since", help="ISO date/time"),
        actor: str | None = typer.Option(None, "--actor"),
        entity: str | None = typer.Option(None, "--entity", help="TYPE or TYPE:ID"),
        action: str | None = typer.Option(None, "--action", help="prefix, e.g. pilot."),
        limit: int = typer.Option(100, "--limit", min=1, help="Events to show."),
        before: int | None = typer.Option(None, "--before", min=1,
                                          help="Only events older than this seq (paging)."),
        oldest_first: bool = typer.Option(False, "--oldest-first",
                                          help="Oldest first (default: newest first)."),
        format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Show audit events, newest first; says when more are left and how to page."""
    fail_format(format, ["table", "json"])
    etype, _, eid = (entity or "").partition(":")
    # One more than asked: whether the listing was cut is then known, not guessed.
    items = platform().audit.log(since=_since(since), actor=actor, entity_type=etype or None,
                                 entity_id=eid or None, action=action, limit=limit + 1,
                                 newest_first=not oldest_first, before=before)
    cut, items = len(items) > limit, items[:limit]
    if format == "json":
        print_json([e.dump() for e in items])
    else:
        order = "oldest" if oldest_first else "newest"
        print_table(f"{len(items)} {order} event(s)" if cut else f"{len(items)} event(s)",
                    ["seq", "at", "actor", "action", "entity"],
                    [[e.seq, e.at, e.actor, e.action, f"{e.entity.type}:{e.entity.id}"]
                     for e in items])
    if cut:
        more = f"--limit {limit * 2}" if oldest_first else f"--before {items[-1].seq}"
        err_console.print(f"more events match: showing {limit}; see further with {more}",
                          markup=False, highlight=False, soft_wrap=True)


@app.command()
def verify(format: str = typer.Option("table", "--format", help="table | json"),
           witness: Path | None = typer.Option(
               None, "--witness", help="A checkpoint note kept off this host (from "
               "`audit checkpoint export`): the log must still match it."),
           public_key: Path | None = typer.Option(
               None, "--public-key", help="PEM public key kept off this host; used instead "
               "of the key file here (required with --witness).")) -> None:
    """Recompute the log; exit 1 and name the first bad event if it was tampered with."""
    fail_format(format, ["table", "json"])
    if witness is not None and public_key is None:
        raise typer.BadParameter("--witness needs --public-key (a key kept off this host)",
                                 param_hint="--public-key")
    report = platform().audit.verify(
        witness=_read(witness, "witness") if witness is not None else None,
        public_key=_read(public_key, "public key").encode() if public_key is not None
        else None)
    if format == "json":
        print_json(report.dump())
    elif report.ok:
        against = (f"; matches the off-host witness at size {report.witness}"
                   if report.witness is not None else "")
        console.print(f"[green]ok[/green]: {report.size} events, root {report.root}, "
                      f"{report.checkpoints_checked} signed checkpoint(s) match{against}")
    else:
        for p in report.problems:
            err_console.print(f"[red]TAMPERED[/red]: {p}")
        if report.first_bad_event is not None:
            err_console.print(f"first bad event: {report.first_bad_event}")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def proof(seq: int = typer.Argument(..., help="Event number (1-based)."),
          size: int | None = typer.Option(None, "--size", help="Tree size (default: now).")
          ) -> None:
    """Print an RFC 6962 inclusion proof for one event (JSON)."""
    print_json(platform().audit.proof(seq, size).dump())


@app.command()
def consistency(old: int, new: int | None = typer.Argument(None)) -> None:
    """Print an RFC 6962 consistency proof between two tree sizes (JSON)."""
    print_json(platform().audit.consistency(old, new).dump())


checkpoint_app = typer.Typer(help="Sign the current tree head with the Ed25519 key "
                             "(`export`: print a signed note to keep off this host).")
app.add_typer(checkpoint_app, name="checkpoint")


@checkpoint_app.callback(invoke_without_command=True)
def checkpoint(ctx: typer.Context,
               out: Path | None = typer.Option(None, "--out", help="Also write the note here.")
               ) -> None:
    """Sign the current tree head with the Ed25519 key."""
    if ctx.invoked_subcommand is not None:
        return
    cp = platform().audit.checkpoint(me())
    if out is not None:
        out.write_text(cp.note())
    typer.echo(cp.note(), nl=False)


@checkpoint_app.command("export")
def checkpoint_export(
        size: int | None = typer.Option(None, "--size", help="Tree size (default: newest)."),
        out: Path | None = typer.Option(None, "--out", help="Write the note here.")) -> None:
    """Print the newest signed checkpoint note, for an auditor to keep off this host
    (then: `audit verify --witness NOTE --public-key KEY`)."""
    note = platform().audit.export_checkpoint(size)
    if out is not None:
        out.write_text(note)
    typer.echo(note, nl=False)


@app.command()
def checkpoints() -> None:
    """List signed checkpoints."""
    items = platform().audit.checkpoints()
    print_table(f"{len(items)} checkpoint(s)", ["size", "root", "at", "key"],
                [[c.size, c.root, c.at, c.key_id] for c in items])


@app.command("public-key")
def public_key(out: Path | None = typer.Option(None, "--out")) -> None:
    """Print (or write) the PEM public key that verifies checkpoints."""
    pem = platform().audit.public_key()
    if out is not None:
        out.write_text(pem)
    typer.echo(pem, nl=False)


def _read(path: Path, what: str) -> str:
    """A small text file, or a one-line error naming it."""
    try:
        return path.read_text()
    except OSError as exc:
        raise ValidationFailed(f"cannot read {what}", [
            FieldError("", exc.strerror or "unreadable", str(path))]) from None


@app.command("verify-checkpoint")
def verify_checkpoint(note: Path = typer.Argument(..., help="Checkpoint note file."),
                      public_key: Path = typer.Option(..., "--public-key", help="PEM file."),
                      inclusion: Path | None = typer.Option(
                          None, "--inclusion", help="JSON from `audit proof` to check too."),
                      consistency_with: Path | None = typer.Option(
                          None, "--consistent-with",
                          help="An older note; checks the JSON from --consistency-proof."),
                      consistency_proof: Path | None = typer.Option(None, "--consistency-proof"),
                      ) -> None:
    """Offline: check a checkpoint's signature, and optionally proofs against it."""
    from pilotdeck.audit import merkle
    from pilotdeck.audit.checkpoint import load_public, parse_note, verify_note

    cp = parse_note(_read(note, "checkpoint"))
    key = load_public(_read(public_key, "public key").encode())
    if not verify_note(cp, key):
        err_console.print("[red]bad signature[/red]")
        raise typer.Exit(1)
    console.print(f"signature ok: size {cp.size}, root {cp.root.hex()}")
    if inclusion is not None:
        p = json.loads(_read(inclusion, "proof"))
        ok = p["treeSize"] == cp.size and merkle.verify_inclusion(
            bytes.fromhex(p["leafHash"]), p["leafIndex"], cp.size,
            [bytes.fromhex(h) for h in p["path"]], cp.root)
        console.print(f"inclusion of event {p['seq']}: {'ok' if ok else 'FAILED'}")
        if not ok:
            raise typer.Exit(1)
    if consistency_with is not None:
        if consistency_proof is None:
            raise ValidationFailed("missing option", [
                FieldError("--consistency-proof", "is required with --consistent-with")])
        old = parse_note(_read(consistency_with, "checkpoint"))
        if not verify_note(old, key):
            err_console.print("[red]bad signature on the older checkpoint[/red]")
            raise typer.Exit(1)
        p = json.loads(_read(consistency_proof, "proof"))
        ok = (p["oldSize"] == old.size and p["newSize"] == cp.size
              and merkle.verify_consistency(old.size, cp.size, old.root, cp.root,
                                            [bytes.fromhex(h) for h in p["path"]]))
        console.print(f"consistency {old.size} -> {cp.size}: {'ok' if ok else 'FAILED'}")
        if not ok:
            raise typer.Exit(1)
