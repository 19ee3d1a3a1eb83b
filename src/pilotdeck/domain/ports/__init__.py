"""Ports: the small interfaces services depend on, one module per adapter kind.

Adapters implement them (structurally: no adapter imports a service); the
composition root (``pilotdeck.platform``) picks an implementation by URI or
configuration; ``tests/contract/`` runs one suite per port against every
implementation.
"""
