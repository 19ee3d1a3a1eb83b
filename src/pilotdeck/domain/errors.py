"""Typed domain errors, mapped once to HTTP problems and one-line CLI messages.

Errors name the field and the problem but never echo the whole input back:
inputs may hold personal data that must not leak into logs or responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``source`` names a file when there is one."""

    field: str
    problem: str
    source: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.field}: {self.problem}" if self.field else f"{where}{self.problem}"

    def as_dict(self) -> dict[str, str]:
        out = {"field": self.field, "problem": self.problem}
        if self.source:
            out["source"] = self.source
        return out


@dataclass
class PilotdeckError(Exception):
    """Base of every error the user is meant to see."""

    message: str
    status: int = 400
    title: str = "Bad request"
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        first = str(self.errors[0])
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return f"{self.message}: {first}{more}"


def describe(exc: BaseException) -> str:
    """Why reading something failed, in words: no Python class names or reprs.

    ``[Errno 2] No such file or directory`` becomes "no such file or directory";
    a YAML syntax error its problem and position; anything else its first line."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    mark = getattr(exc, "problem_mark", None)  # PyYAML's MarkedYAMLError, duck-typed
    if mark is not None:
        problem = getattr(exc, "problem", None) or "invalid syntax"
        return f"not valid YAML: {problem} at line {mark.line + 1}, column {mark.column + 1}"
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "cannot be read"


class ValidationFailed(PilotdeckError):
    """Input broke a rule; ``errors`` says which field and why."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message, 422, "Invalid input", list(errors or []))


class NotFound(PilotdeckError):
    def __init__(self, kind: str, name: str | int) -> None:
        super().__init__(f"{kind} {name!r} not found", 404, "Not found")
        # Kept apart so an interface can add "did you mean" without parsing the text.
        self.kind, self.name = kind, name


class NotInstalled(PilotdeckError):
    """What was asked for needs an optional extra that is not installed: the message
    is the command that installs it."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} is not installed: pip install 'pilotdeck[{extra}]'",
                         501, "Not Implemented")


class Conflict(PilotdeckError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 409, "Conflict")


class Unauthenticated(PilotdeckError):
    def __init__(self, message: str = "missing or invalid bearer token") -> None:
        super().__init__(message, 401, "Unauthorized")


class Forbidden(PilotdeckError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 403, "Forbidden")


class PreconditionFailed(PilotdeckError):
    """A conditional write (``If-Match``, ``expected_revision``) met a newer revision:
    someone else changed the resource since the caller read it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 412, "Precondition failed")


class PreconditionRequired(PilotdeckError):
    """The server is configured to refuse unconditional writes (RFC 6585, 428)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 428, "Precondition required")


def unreadable(exc: BaseException, path: object) -> str:
    """:func:`describe` for a file, without the file's own path in the words (the
    caller shows it, or, in an API answer, must not)."""
    return describe(exc).replace(str(path), "the file")
