"""The console script's entry point: answer ``version`` before loading the CLI.

Any Typer command pays for Typer itself, which coerces every parameter
through pydantic (about 0.35 s on a 2-core box, see ``benchmarks/startup``).
Printing the version needs none of that, so it is answered here from the
standard library alone; every other command goes to :func:`pilotdeck.cli.main.run`.
"""

from __future__ import annotations

import sys

VERSION_ARGV = (["version"], ["--version"])


def run() -> None:
    """``pilotdeck``: the version fast path, else the full Typer application."""
    if sys.argv[1:] in VERSION_ARGV:
        from pilotdeck._version import __version__

        sys.stdout.write(f"{__version__}\n")
        return
    from pilotdeck.cli.main import run as run_cli

    run_cli()
