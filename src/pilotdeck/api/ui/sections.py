"""A dashboard section: its data, or the honest sentence shown in its place.

A section whose inputs are missing (no deployment yet, no traffic, no labels)
becomes a sentence, never an error page: a pilot early in its life is a normal
sight on the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pilotdeck.domain.errors import NotFound, PilotdeckError


class Empty(PilotdeckError):
    """Nothing to show in a section (no labels yet, nothing stored): the message is
    the sentence the page shows in its place."""


@dataclass
class Section:
    """A section's data, or why there is none (``missing``)."""

    value: Any = None
    missing: str | None = None


def section(build: Any, empty: str | None = None) -> Section:
    """``build()``, or the user-facing error it raised as the section's sentence
    (``empty`` in place of a NotFound's, which names the record, not the state)."""
    try:
        value = build()
    except NotFound as exc:
        return Section(missing=empty or str(exc))
    except PilotdeckError as exc:
        return Section(missing=str(exc))
    return Section(value=value)
