"""Running ``pilotdeck`` from tests: in this process (fast) or as the installed script.

Starting the console script costs seconds of imports per call, so tests whose
subject is a command's behaviour run it in-process through the very function
the script calls (:func:`pilotdeck.cli.main.run`, which maps errors to one line
and an exit code), with stdin/stdout/stderr and the environment isolated by
Typer's ``CliRunner``. A few tests keep running the real script in a real
process, for what only that shows: the entry point, concurrent processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from typer.testing import CliRunner


@dataclass
class Result:
    """What a finished command left: the same fields as ``CompletedProcess``."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: Mapping[str, str] | None = None) -> Result:
    """``pilotdeck ARGS`` in this process, as the console script would run it.

    Without ``env`` the command sees this process's environment. With it, ``env``
    holds all of the command's ``PILOTDECK_*`` variables (this process's others
    are hidden from it) and any other keys override inherited ones; all for the
    duration of the call only.
    """
    from pilotdeck.cli.main import run

    overrides: dict[str, str | None] = {}
    if env is not None:
        overrides = {k: None for k in os.environ
                     if k.startswith("PILOTDECK_") and k not in env}
        overrides.update({k: v for k, v in env.items() if os.environ.get(k) != v})
    code = 0  # each invocation builds (and closes) its own Platform in ctx.obj
    with CliRunner().isolation(env=overrides) as (out, err, _), \
            mock.patch.object(sys, "argv", ["pilotdeck", *args]):
        try:
            run()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                sys.stderr.write(f"{exc.code}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return Result(["pilotdeck", *args], code, stdout, stderr)


def console_script() -> Path:
    """The installed ``pilotdeck`` script next to this interpreter."""
    script = Path(sys.executable).parent / "pilotdeck"
    assert script.is_file(), f"the console script is not installed at {script}"
    return script


def run_script(*args: str, env: Mapping[str, str],
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``pilotdeck ARGS`` as a user runs it: the installed script in a new process."""
    return subprocess.run([str(console_script()), *args], env=dict(env), text=True,
                          capture_output=True, timeout=timeout)
