"""The pilot-to-production checklist: the roadmap's items as data, and what they block.

Each item is answered from evidence the platform holds (a finding: ``pass`` or
``fail`` with the evidence and, for a failure, what to do next); items the
platform cannot see may later be ``attested`` or ``waived`` by the governance
board. Which items block which stage of a rollout is configuration: by default
every item blocks 100 % of traffic, and the risk assessment and the board's
sign-off block any live traffic at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    LIVE = "live"  # any live traffic (the first rollout step)
    FULL = "full"  # 100 % of traffic


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    ATTESTED = "attested"


@dataclass(frozen=True)
class Item:
    id: str
    text: str


ITEMS: tuple[Item, ...] = (
    Item("data-catalogued", "Training data is on the shared data layer (a catalogued "
                            "dataset version)"),
    Item("data-quality", "Its data quality baseline is monitored and passing"),
    Item("model-registered", "The model is registered with versions and metrics"),
    Item("serving-realtime", "Deployed on the shared gateway (real-time)"),
    Item("serving-batch", "Batch scoring exercised with this version"),
    Item("observability", "Observability live: a reference profile and active alert rules"),
    Item("risk-assessed", "A current risk assessment"),
    Item("fairness", "Fairness checks documented"),
    Item("explainability", "Explanations available"),
    Item("board-signoff", "Governance board sign-off"),
    Item("runbook", "A production runbook"),
    Item("team-trained", "The team is trained"),
    Item("sla", "An SLA is defined (availability, latency, accuracy)"),
)
ITEM_IDS = tuple(i.id for i in ITEMS)
DEFAULT_BLOCKS: dict[str, Stage] = {
    **{i: Stage.FULL for i in ITEM_IDS},
    "risk-assessed": Stage.LIVE, "board-signoff": Stage.LIVE,
}


@dataclass(frozen=True)
class Finding:
    item: str
    status: Status
    evidence: str
    next_step: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAIL


def blocking(findings: list[Finding], stage: Stage,
             blocks: dict[str, Stage] | None = None) -> list[str]:
    """The failed items that hold a pilot back from ``stage`` (LIVE is blocked by the
    LIVE items; FULL by every item set to block either)."""
    blocks = blocks or DEFAULT_BLOCKS
    holds = {Stage.LIVE: {Stage.LIVE}, Stage.FULL: {Stage.LIVE, Stage.FULL}}[stage]
    return [f.item for f in findings if not f.ok and blocks.get(f.item) in holds]


def ready(findings: list[Finding], blocks: dict[str, Stage] | None = None) -> bool:
    """Ready for production: nothing blocks 100 % of traffic."""
    return not blocking(findings, Stage.FULL, blocks)
