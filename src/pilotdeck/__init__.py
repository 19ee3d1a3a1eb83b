"""pilotdeck: take an organisation's AI pilots to governed production."""

from pilotdeck._version import __version__

__all__ = ["__version__"]
