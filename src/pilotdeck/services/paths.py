"""Server-side paths named in API requests, limited to configured roots.

An API caller may name a file on the server (a model's reference table); it
must not be able to read, or learn anything about, the rest of the server's
file system. A path is resolved (symlinks followed) and accepted only inside
one of ``Settings.server_paths``; otherwise the answer is the same whether the
file exists or not, and the path itself is never echoed back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pilotdeck.domain.errors import FieldError, ValidationFailed

DUCKDB = "duckdb:"


class ServerPaths:
    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [Path(r).resolve() for r in roots]

    def _refuse(self, field: str) -> ValidationFailed:
        return ValidationFailed("path not allowed", [FieldError(
            field, "must name a file inside the server's data directories "
                   "(setting server_paths)")])

    def _inside(self, value: str, field: str) -> str:
        if not value or "\0" in value or not self.roots:
            raise self._refuse(field)
        path = Path(value)
        if not path.is_absolute():
            path = self.roots[0] / path  # relative to the first root, never the cwd
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop, a name too long
            raise self._refuse(field) from None
        if not any(resolved.is_relative_to(root) for root in self.roots):
            raise self._refuse(field)
        return str(resolved)

    def resolve(self, value: str, field: str) -> str:
        """``value`` as an absolute path inside a root (a ``duckdb:PATH?table=T``
        table keeps its form), or :class:`ValidationFailed` naming only the field."""
        if value.startswith(DUCKDB):
            rest = value[len(DUCKDB):]
            while rest.startswith("//"):
                rest = rest[1:]
            path, sep, query = rest.partition("?")
            return f"{DUCKDB}{self._inside(path, field)}{sep}{query}"
        return self._inside(value, field)
