"""The audit trail: events, the tree head, verification, proofs and checkpoints."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["AuditEvent", "AuditEventPage", "CheckpointList", "ConsistencyProof", "EntityRef",
           "HashedEvent", "InclusionProof", "SignedCheckpoint", "TreeHead", "VerifyResult"]


class EntityRef(View):
    id: str
    type: str


class AuditEvent(View):
    """One event, as recorded (its body is what the leaf hash covers)."""

    seq: int = Field(description="1-based position in the log.")
    at: str = Field(description="ISO 8601, UTC, as recorded in the hashed body.")
    actor: str
    action: str
    entity: EntityRef
    data: dict[str, Any]
    leaf_hash: str = Field(description="RFC 6962 leaf hash of the body, hex.")


class HashedEvent(View):
    """Exactly the hashed body of an event, decoded: nothing added, nothing left out."""

    seq: int
    at: str
    actor: str
    action: str
    entity: EntityRef
    data: dict[str, Any]


class AuditEventPage(View):
    items: list[AuditEvent]
    limit: int
    offset: int


class TreeHead(View):
    size: int
    root: str = Field(description="Merkle root, hex.")
    latest_checkpoint: int | None = Field(description="Size the newest checkpoint signs.")


class VerifyResult(View):
    """The whole log recomputed; ``first_bad_event`` names where it breaks."""

    ok: bool
    size: int
    root: str
    checkpoints_checked: int
    witness: int | None = Field(None, description="Size of the off-host witness checkpoint "
                                "the log was checked against, if one was given.")
    first_bad_event: int | None
    problems: list[str]


class InclusionProof(View):
    """RFC 6962 proof that event ``seq`` is in the tree of ``tree_size``."""

    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(description="SHA-256(0x00 || body), hex.")
    root: str
    path: list[str]
    body: str = Field(description="The event's canonical JSON, exactly the bytes hashed "
                      "(UTF-8).")
    event: HashedEvent = Field(description="``body`` decoded (equal to json.loads(body)).")


class ConsistencyProof(View):
    """RFC 6962 proof that the tree of ``new_size`` extends the one of ``old_size``."""

    old_size: int
    new_size: int
    old_root: str
    new_root: str
    path: list[str]


class SignedCheckpoint(View):
    """A signed tree head; ``note`` is the text anyone can verify offline."""

    size: int
    root: str
    at: str = Field(description="ISO 8601, UTC.")
    key_id: str
    note: str


class CheckpointList(View):
    items: list[SignedCheckpoint]
