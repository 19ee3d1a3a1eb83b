"""pilotdeck: take an organisation's AI pilots to governed production.

Two ways in, both typed with the same views:

- ``pilotdeck.Client``: the Python SDK over the REST API (``httpx``);
- ``pilotdeck.Platform``: the library itself, in process, built from
  ``pilotdeck.Settings``.

Everything else is private to the package. The names load on first use, so
``import pilotdeck`` (and the CLI's start-up) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotdeck._version import __version__

if TYPE_CHECKING:
    from pilotdeck.client import Client
    from pilotdeck.config import Settings
    from pilotdeck.platform import Platform

__all__ = ["Client", "Platform", "Settings", "__version__"]

_LAZY = {"Client": "pilotdeck.client", "Platform": "pilotdeck.platform",
         "Settings": "pilotdeck.config"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pilotdeck' has no attribute {name!r}")
