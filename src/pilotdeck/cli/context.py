"""Shared CLI plumbing: the platform, the local principal, output helpers."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from pilotdeck.auth.roles import Principal, local_admin

if TYPE_CHECKING:
    from pilotdeck.platform import Platform

# Piped output (CI logs, files) gets a wide fixed width instead of Rich's 80.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

class LazyPlatform:
    """What the root command puts in Typer's ``ctx.obj``: the Platform, built from
    the environment/config on first use (``pilotdeck version`` never builds it)
    and closed when the command ends."""

    def __init__(self) -> None:
        self._platform: Platform | None = None

    def get(self) -> Platform:
        if self._platform is None:
            from pilotdeck.config import load_settings
            from pilotdeck.platform import Platform

            settings = load_settings()
            home = settings.home
            if not home.exists():
                # Say so: a mistyped PILOTDECK_HOME otherwise looks like an empty portfolio.
                home.mkdir(mode=0o700, parents=True)
                err_console.print(f"new home created at {home.resolve()} (set PILOTDECK_HOME "
                                  "to use another)", markup=False, highlight=False,
                                  soft_wrap=True)
            self._platform = Platform(settings)
        return self._platform

    def close(self) -> None:
        if self._platform is not None:
            self._platform.close()
            self._platform = None


def _current_context() -> Any:
    # Typer >= 0.2x ships its own copy of Click; the context stack (and the
    # exceptions) are that copy's, not the click package's.
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # a Typer that uses the click package
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


def click_exceptions() -> tuple[type[Exception], ...]:
    """The ClickException classes Typer may raise (usage errors, bad options)."""
    import click

    found: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException
    except ImportError:
        return tuple(found)
    return (*found, ClickException)


def platform() -> Platform:
    """The running command's Platform (from the root context's ``obj``)."""
    ctx = _current_context()
    holder = ctx.find_root().obj if ctx is not None else None
    if not isinstance(holder, LazyPlatform):
        raise RuntimeError("pilotdeck commands run inside the pilotdeck app")
    return holder.get()


def me() -> Principal:
    """Who runs the command: the holder of ``PILOTDECK_TOKEN`` when it is set (how
    a governance-board member approves from the CLI), else the local operator,
    who is the administrator of this home like ``psql`` is of its database."""
    import os

    token = os.environ.get("PILOTDECK_TOKEN")
    if token:
        return platform().access.authenticate(token)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return local_admin(user)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    console.print(table)


def print_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    sys.stdout.write(buf.getvalue())


def parse_pairs(values: Sequence[str], option: str, cast: Callable[[str], Any]) -> dict[str, Any]:
    """``KEY=VALUE`` options into a dict; a malformed one is a field error."""
    from pilotdeck.domain.errors import FieldError, ValidationFailed

    out: dict[str, Any] = {}
    for v in values:
        key, sep, raw = v.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError
            out[key.strip()] = cast(raw.strip())
        except ValueError:
            raise ValidationFailed("invalid option", [
                FieldError(option, f"expects NAME=VALUE, got {v!r}")]) from None
    return out


def fail_format(value: str, allowed: Sequence[str]) -> None:
    from pilotdeck.domain.errors import FieldError, ValidationFailed

    if value not in allowed:
        raise ValidationFailed("invalid option", [
            FieldError("--format", f"must be one of {', '.join(allowed)}, got {value!r}")])


def emit(text: str, output: Path | None, what: str) -> None:
    """``text`` to stdout, or to ``output`` (``--output``) with one line saying so;
    a file that cannot be written is a one-line error naming the option."""
    import typer

    from pilotdeck.domain.errors import FieldError, ValidationFailed

    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed(f"cannot write the {what}", [
            FieldError("--output", exc.strerror or "cannot write")]) from None
    console.print(f"{what} written to {output}", highlight=False)
