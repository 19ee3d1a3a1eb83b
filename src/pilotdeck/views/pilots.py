"""Pilots as the inventory shows them: the manifest plus the store's bookkeeping."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from pilotdeck.domain.pilot import API_VERSION, Metadata, Spec
from pilotdeck.views.base import View

__all__ = ["ImportResult", "Outcome", "Pilot", "PilotPage", "PilotRecord", "PilotWriteResult"]

Outcome = Literal["created", "updated", "unchanged"]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


class PilotRecord(View):
    """The store's bookkeeping of one pilot."""

    revision: int = Field(description="1 on creation, +1 per change.")
    digest: str = Field(description="SHA-256 of the canonical manifest.")
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str = Field(description="ISO 8601, UTC.")


class Pilot(View):
    """One pilot: its manifest (``apiVersion`` .. ``spec``) and its ``record``."""

    api_version: Literal["pilotdeck/v1"] = API_VERSION
    kind: Literal["Pilot"] = "Pilot"
    metadata: Metadata
    spec: Spec
    record: PilotRecord

    # No return annotation: pydantic then documents the model's own schema.
    @model_serializer(mode="wrap")
    def _as_manifest(self, handler: SerializerFunctionWrapHandler):
        # Manifests leave unset optional fields out; so does their JSON here.
        return _without_nulls(handler(self))

    @property
    def name(self) -> str:
        return self.metadata.name

    def manifest(self) -> dict[str, Any]:
        """The manifest alone, as written in YAML (re-importing it is a no-op)."""
        doc = self.dump()
        doc.pop("record")
        return doc


class PilotPage(View):
    items: list[Pilot]
    total: int = Field(description="Pilots matching the filter, over all pages.")
    limit: int
    offset: int


class ImportResult(View):
    """Names of the pilots an import created, updated or left unchanged."""

    created: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)


class PilotWriteResult(View):
    """What ``PUT /v1/pilots/{name}`` did, and the pilot as it now is."""

    result: Outcome
    pilot: Pilot
