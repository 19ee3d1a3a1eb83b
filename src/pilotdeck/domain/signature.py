"""A model's input signature as pilotdeck reads it: named, typed columns.

MLflow stores the signature as JSON; the gateway validates requests against it,
batch scoring selects its columns, and the registry shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = True


def columns_of(signature: dict[str, Any] | None) -> list[ColumnSpec] | None:
    """Column specs from an MLflow signature dict; None when not column-based."""
    if not signature or not signature.get("inputs"):
        return None
    raw = signature["inputs"]
    cols = json.loads(raw) if isinstance(raw, str) else raw
    if not cols or any("name" not in c or c.get("type") == "tensor" for c in cols):
        return None
    return [ColumnSpec(c["name"], c["type"], c.get("required", True)) for c in cols]
