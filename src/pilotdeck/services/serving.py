"""What a gateway needs from the store, in one read: deployments, tokens, signatures.

The gateway refreshes from this snapshot in the background; nothing on its
request path touches the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.ports.store import Store
from pilotdeck.services.access import principal_of

if TYPE_CHECKING:
    from pilotdeck.services.governance import GovernanceService


@dataclass(frozen=True)
class ServingSnapshot:
    deployments: list[tuple[str, int, dict[str, Any]]]  # (pilot, revision, spec)
    tokens: dict[str, Principal]  # token hash -> principal (revoked ones left out)
    pilots: frozenset[str]  # every pilot that exists: feedback for another is a 404
    signatures: dict[tuple[str, int], dict[str, Any] | None]  # of changed pilots only
    # pilot -> {live version: why it must leave live traffic} (governance)
    held: dict[str, dict[int, str]] = field(default_factory=dict)


class ServingService:
    def __init__(self, store: Store,
                 governance: Callable[[], GovernanceService] | None = None) -> None:
        self.store = store
        self.governance = governance

    def snapshot(self, known: dict[str, int]) -> ServingSnapshot:
        """Every deployment and live token; the signatures of every version of the
        pilots whose deployment revision differs from ``known`` (pilot -> revision)."""
        with self.store.read() as uow:
            deployments = uow.models.deployments()
            names = uow.pilots.names_by_id()
            teams = uow.teams.scopes()  # team tokens carry their membership's scope now
            tokens = {t.token_hash: p for t in uow.tokens.list()
                      if (p := principal_of(t, names, teams)) is not None}
            signatures: dict[tuple[str, int], dict[str, Any] | None] = {}
            for pilot, rev, _ in deployments:
                if known.get(pilot) == rev:
                    continue
                row = uow.pilots.get(pilot)
                for mv in uow.models.versions(row.id):
                    signatures[(pilot, mv.version)] = mv.signature
        held = self.governance().holds(deployments) if self.governance is not None else {}
        return ServingSnapshot(deployments, tokens, frozenset(names.values()), signatures, held)

    def record_holds(self, before: dict[str, dict[int, str]],
                     after: dict[str, dict[int, str]]) -> None:
        """Audit versions that left or re-entered live traffic for governance."""
        if self.governance is not None and before != after:
            self.governance().record_holds(before, after)
