"""The version, in one place (pyproject reads it; reading it here costs nothing,
unlike importlib.metadata, which adds ~0.1 s to every CLI start)."""

__version__ = "0.1.0"
