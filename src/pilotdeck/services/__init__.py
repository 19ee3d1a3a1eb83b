"""Use cases: each opens a unit of work, applies domain rules and records audit events."""
