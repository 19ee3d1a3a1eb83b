"""pilotdeck: take an organisation's AI pilots to governed production."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pilotdeck")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
