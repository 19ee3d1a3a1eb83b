"""How the CLI reports what went wrong: one line on stderr, and an exit code.

Exit codes: 0 ok, 1 the command failed (bad data, not found, a server or
database problem, a bug), 2 the command line itself was wrong (unknown command
or option, missing or malformed argument), 3 a ``--fail-on-*`` check fired,
130 interrupted. Every usage error says what to do next (``--help`` of the
command, or the close matches of a mistyped name).
"""

from __future__ import annotations

import difflib
import sys
from typing import Any

from pilotdeck.cli.context import err_console
from pilotdeck.domain.errors import NotFound, PilotdeckError, ValidationFailed

USAGE = 2
FAILURE = 1
MAX_LINES = 50


def _line(text: str) -> None:
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def is_usage_error(exc: PilotdeckError) -> bool:
    """A problem with an option's value (every field named ``--option``) is a usage
    error, like Click's own; anything else is the command failing."""
    return (isinstance(exc, ValidationFailed) and bool(exc.errors)
            and all(e.field.startswith("--") for e in exc.errors))


def _pilot_suggestions(name: str) -> str:
    """"; did you mean 'x'?" for a mistyped pilot name, from the pilots that exist."""
    from pilotdeck.config import load_settings
    from pilotdeck.domain.query import PilotFilter
    from pilotdeck.platform import Platform

    platform = Platform(load_settings())
    try:
        names = [p.name for p in platform.portfolio.list(PilotFilter())[0]]
    except PilotdeckError:
        return ""
    finally:
        platform.close()
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def pilotdeck_error(exc: PilotdeckError) -> int:
    """Print a typed error as one line per problem; return the exit code."""
    if exc.errors:
        for e in exc.errors[:MAX_LINES]:
            _line(f"error: {exc.message}: {e}")
        if len(exc.errors) > MAX_LINES:
            _line(f"error: … and {len(exc.errors) - MAX_LINES} more")
    else:
        hint = ""
        if isinstance(exc, NotFound) and exc.kind == "pilot" and isinstance(exc.name, str):
            hint = _pilot_suggestions(exc.name) or " (see `pilotdeck pilots list`)"
        _line(f"error: {exc.message}{hint}")
    return USAGE if is_usage_error(exc) else FAILURE


def click_error(exc: Any) -> int:
    """Click's usage errors (unknown command or option, missing or bad argument) as
    one line that says where to look, instead of its usage block."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and exc.exit_code == USAGE:
        message = f"{message.rstrip('.')} (see `{ctx.command_path} --help`)"
    _line(f"error: {message}")
    return int(exc.exit_code)


def database_error(exc: Exception) -> int:
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
    _line(f"error: database problem: {reason} (check PILOTDECK_DB_URL)")
    return FAILURE


def internal_error(exc: Exception) -> int:
    """A bug: its class and message, and how to see the traceback."""
    _line(f"error: internal error ({exc.__class__.__name__}: {exc}); rerun with "
          "PILOTDECK_DEBUG=1 for details and please report it")
    return FAILURE


def is_database_error(exc: Exception) -> bool:
    # SQLAlchemy is imported only by commands that open the store; if it was
    # never imported, this cannot be one of its errors (and start-up stays fast).
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)
