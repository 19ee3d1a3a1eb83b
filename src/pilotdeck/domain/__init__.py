"""Entities and pure rules. Nothing in this package performs I/O."""
