"""The audit trail as a service: log queries, verify, proofs, signed checkpoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pilotdeck.audit import merkle
from pilotdeck.audit.checkpoint import (
    Checkpoint,
    load_or_create_key,
    load_public,
    parse_note,
    public_pem,
    sign,
    verify_note,
)
from pilotdeck.audit.log import iso, utcnow
from pilotdeck.audit.verify import BLOCK, verify_log
from pilotdeck.auth.roles import Principal
from pilotdeck.domain.canonical import loads
from pilotdeck.domain.errors import FieldError, NotFound, ValidationFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.views.audit import (
    AuditEvent,
    ConsistencyProof,
    EntityRef,
    HashedEvent,
    InclusionProof,
    SignedCheckpoint,
    TreeHead,
    VerifyResult,
)


def event_view(row: Any) -> AuditEvent:
    body = loads(row.body)
    # Shown from the hashed body, not the (unhashed) indexed columns.
    return AuditEvent(seq=row.seq, at=body["at"], actor=body["actor"], action=body["action"],
                      entity=EntityRef.model_validate(body["entity"]), data=body["data"],
                      leaf_hash=bytes(row.leaf_hash).hex())


def checkpoint_view(cp: Checkpoint) -> SignedCheckpoint:
    """A signed checkpoint as the API shows it (``at`` is the signed time)."""
    return SignedCheckpoint(size=cp.size, root=cp.root.hex(), at=cp.time, key_id=cp.key_id,
                            note=cp.note())


class AuditService:
    def __init__(self, store: Store, key_path: Path, origin: str = "pilotdeck") -> None:
        self.store = store
        self.key_path = key_path
        self.origin = origin

    def _key(self) -> Any:
        return load_or_create_key(self.key_path)

    def public_key(self) -> str:
        return public_pem(self._key())

    def log(self, *, since: datetime | None = None, actor: str | None = None,
            entity_type: str | None = None, entity_id: str | None = None,
            action: str | None = None, limit: int = 100, offset: int = 0,
            newest_first: bool = False, before: int | None = None) -> list[AuditEvent]:
        """Events matching the filters, oldest first (or newest first), ``before`` an
        event number for paging back from the newest."""
        with self.store.read() as uow:
            rows = uow.audit_events.events(since=since, actor=actor, entity_type=entity_type,
                                           entity_id=entity_id, action=action,
                                           limit=limit, offset=offset,
                                           newest_first=newest_first, before=before)
            return [event_view(r) for r in rows]

    def head(self) -> TreeHead:
        with self.store.read() as uow:
            f = uow.audit_events.state()
            cp = uow.audit_events.latest_checkpoint()
            return TreeHead(size=f.size, root=f.root().hex(),
                            latest_checkpoint=cp.size if cp else None)

    def checkpoint(self, who: Principal) -> Checkpoint:
        """Sign the current tree head (no-op if the newest checkpoint already covers it)."""
        key = self._key()
        with self.store.write() as uow:
            f = uow.audit_events.state()
            latest = uow.audit_events.latest_checkpoint()
            if latest is not None and (latest.size == f.size or (
                    latest.size + 1 == f.size
                    and uow.audit_events.event(f.size).action == "audit.checkpoint")):
                # Nothing happened since but the checkpoint's own record.
                return parse_note(latest.signed_note)
            now = utcnow()
            cp = sign(key, self.origin, f.size, f.root(), now)
            uow.audit_events.add_checkpoint(f.size, cp.root, now, cp.key_id, cp.note())
            # The checkpoint is itself an event *after* the size it signs, so the
            # next checkpoint commits to it.
            uow.audit.record(who.user, "audit.checkpoint", "audit", str(f.size),
                             {"size": f.size, "root": cp.root.hex(), "key": cp.key_id}, now)
            return cp

    def checkpoints(self) -> list[SignedCheckpoint]:
        with self.store.read() as uow:
            return [SignedCheckpoint(size=c.size, root=bytes(c.root).hex(), at=iso(c.at),
                                     key_id=c.key_id, note=c.signed_note)
                    for c in uow.audit_events.checkpoints()]

    def export_checkpoint(self, size: int | None = None) -> str:
        """The signed note of the newest checkpoint (or the one at ``size``), for an
        auditor to keep off this host: ``verify --witness`` checks the log against
        it with a public key also kept off-host."""
        with self.store.read() as uow:
            row = (uow.audit_events.latest_checkpoint() if size is None
                   else uow.audit_events.checkpoint(size))
            if row is None:
                raise NotFound("checkpoint", "latest (sign one with `audit checkpoint`)")
            return str(row.signed_note)

    def verify(self, *, witness: str | None = None,
               public_key: bytes | None = None) -> VerifyResult:
        """Recompute the log, its stored nodes and checkpoints.

        ``public_key`` (PEM) replaces the key file on this host for every
        signature; ``witness`` is a checkpoint note kept off-host, which must be
        signed by that key and which the log must still extend. Without them,
        verify trusts this host's key file: someone who can rewrite the database
        and read the key can re-sign checkpoints over a rewritten log."""
        if witness is not None and public_key is None:
            raise ValidationFailed("missing option", [FieldError(
                "public_key", "a witness is checked with a public key kept off-host")])
        public = (load_public(public_key) if public_key is not None
                  else self._key().public_key())
        cp = None
        if witness is not None:
            cp = parse_note(witness)
            if not verify_note(cp, public) or cp.origin != self.origin:
                return VerifyResult(ok=False, size=0, root="", checkpoints_checked=0,
                                    first_bad_event=None, witness=cp.size, problems=[
                                        "the witness note is not signed by the given key "
                                        f"for origin {self.origin!r}"])
        with self.store.read() as uow:
            repo = uow.audit_events
            state = uow.audit_events.state()
            cps = [(c.size, bytes(c.root), c.signed_note) for c in repo.checkpoints()]
            r = verify_log(repo.batches(BLOCK), cps, state.size, state.root(), public,
                           nodes=repo, node_count=repo.node_count(), witness=cp)
        return VerifyResult(ok=r.ok, size=r.size, root=r.root,
                            checkpoints_checked=r.checkpoints_checked,
                            first_bad_event=r.first_bad_event, problems=r.problems,
                            witness=cp.size if cp is not None else None)

    def _prefetched(self, uow: Any, build: Callable[[merkle.NodeLookup], Any]) -> Any:
        """Run a proof builder with every node it needs fetched in one query.

        A dry run with placeholder hashes records which perfect subtrees the
        builder reads (the set does not depend on their values); one query then
        loads them all, and the real run uses the result.
        """
        wanted: set[tuple[int, int]] = set()

        def record(level: int, idx: int) -> bytes:
            wanted.add((level, idx))
            return b"\0" * 32

        build(record)
        found = uow.audit_events.nodes(sorted(wanted))
        missing = wanted - set(found)
        if missing:
            level, idx = min(missing)
            raise ValidationFailed("audit tree incomplete", [FieldError(
                "node", f"stored node ({level}, {idx}) is missing; run audit verify")])
        return build(lambda level, idx: found[(level, idx)])

    def proof(self, seq: int, size: int | None = None) -> InclusionProof:
        """Inclusion proof that event ``seq`` (1-based) is in the tree of ``size``."""
        with self.store.read() as uow:
            state = uow.audit_events.state()
            size = size or state.size
            if not 1 <= seq <= size <= state.size:
                raise ValidationFailed("no such proof", [FieldError(
                    "seq", f"must be 1..{size} within a tree of size 1..{state.size}")])
            path, root = self._prefetched(uow, lambda node: (
                merkle.inclusion_proof(seq - 1, size, node),
                state.root() if size == state.size else merkle.subtree_hash(0, size, node)))
            row = uow.audit_events.event(seq)
            body = bytes(row.body)
            return InclusionProof(seq=seq, leaf_index=seq - 1, tree_size=size,
                                  leaf_hash=bytes(row.leaf_hash).hex(), root=root.hex(),
                                  path=[h.hex() for h in path], body=body.decode(),
                                  event=HashedEvent.model_validate(loads(body)))

    def consistency(self, old: int, new: int | None = None) -> ConsistencyProof:
        """Proof that the tree of size ``new`` extends the one of size ``old``."""
        with self.store.read() as uow:
            state = uow.audit_events.state()
            new = new or state.size
            if not 1 <= old <= new <= state.size:
                raise ValidationFailed("no such proof", [FieldError(
                    "old", f"need 1 <= old <= new <= {state.size}, got {old}, {new}")])
            path, old_root, new_root = self._prefetched(uow, lambda node: (
                merkle.consistency_proof(old, new, node), merkle.subtree_hash(0, old, node),
                state.root() if new == state.size else merkle.subtree_hash(0, new, node)))
            return ConsistencyProof(old_size=old, new_size=new, old_root=old_root.hex(),
                                    new_root=new_root.hex(), path=[h.hex() for h in path])
