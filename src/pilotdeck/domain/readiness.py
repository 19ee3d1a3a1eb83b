"""The pilot-to-production checklist: the roadmap's items as data, and what they block.

Each item is answered from evidence the platform holds (a finding: ``pass`` or
``fail`` with the evidence and, for a failure, what to do next); items the
platform cannot see may later be ``attested`` or ``waived`` by the governance
board. Which items block which stage of a rollout is configuration: by default
every item blocks 100 % of traffic, and the risk assessment and the board's
sign-off block any live traffic at all; ``PILOTDECK_READINESS_BLOCKS`` moves an
item to ``live``, ``full`` or ``none`` (blocks nothing).

An attestation (``attested``: the control is in place, the platform just cannot
see it) or a waiver (``waived``: knowingly not needed for this pilot) always
expires; an expired one no longer counts, and evidence that passes wins over
either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
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
Blocks = Mapping[str, "Stage | None"]
"""Item → the stage it blocks; ``None`` (configured as ``none``): blocks nothing."""
DEFAULT_BLOCKS: dict[str, Stage | None] = {
    **{i: Stage.FULL for i in ITEM_IDS},
    "risk-assessed": Stage.LIVE, "board-signoff": Stage.LIVE,
}
BLOCK_CHOICES = ("live", "full", "none")


def parse_blocks(overrides: Mapping[str, str]) -> dict[str, Stage | None]:
    """``{item: live|full|none}`` merged over :data:`DEFAULT_BLOCKS`; ValueError naming
    every unknown item or stage (a configuration mistake must stop start-up)."""
    problems = [f"unknown item {k!r} (items: {', '.join(ITEM_IDS)})"
                for k in overrides if k not in ITEM_IDS]
    problems += [f"{k}: unknown stage {v!r} (one of {', '.join(BLOCK_CHOICES)})"
                 for k, v in overrides.items() if v not in BLOCK_CHOICES]
    if problems:
        raise ValueError("; ".join(problems))
    return {**DEFAULT_BLOCKS, **{k: None if v == "none" else Stage(v)
                                 for k, v in overrides.items()}}


@dataclass(frozen=True)
class Finding:
    item: str
    status: Status
    evidence: str
    next_step: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAIL


def blocking(findings: list[Finding], stage: Stage, blocks: Blocks | None = None) -> list[str]:
    """The failed items that hold a pilot back from ``stage`` (LIVE is blocked by the
    LIVE items; FULL by every item set to block either); ``blocks`` is the configured
    map (``Settings.readiness_blocks``), the defaults when None. The rollout
    controller calls this with a report's findings and the stage it is about to enter."""
    blocks = DEFAULT_BLOCKS if blocks is None else blocks
    holds = {Stage.LIVE: {Stage.LIVE}, Stage.FULL: {Stage.LIVE, Stage.FULL}}[stage]
    return [f.item for f in findings if not f.ok and blocks.get(f.item) in holds]


def ready(findings: list[Finding], blocks: Blocks | None = None) -> bool:
    """Ready for production: nothing blocks 100 % of traffic."""
    return not blocking(findings, Stage.FULL, blocks)


# -- attestations and waivers by the governance board ---------------------------
class Kind(StrEnum):
    ATTESTED = "attested"
    WAIVED = "waived"


DEFAULT_DAYS = 90
MAX_DAYS = 366  # a year, leap day included


@dataclass(frozen=True)
class Attestation:
    """A board member's statement about one item, for one version (or every version
    of the pilot when ``version`` is None)."""

    item: str
    kind: Kind
    by: str
    reason: str
    at: datetime
    expires_at: datetime
    version: int | None = None

    def current(self, now: datetime) -> bool:
        return now < self.expires_at


def expiry_problem(expires_at: datetime, now: datetime) -> str | None:
    """Why ``expires_at`` cannot be an attestation's expiry; None when it can."""
    if expires_at <= now:
        return "must be in the future"
    if expires_at - now > timedelta(days=MAX_DAYS):
        return "must be at most a year ahead (the board looks again at least yearly)"
    return None


def with_attestations(findings: list[Finding], attestations: Mapping[str, Attestation],
                      now: datetime) -> list[Finding]:
    """Failed findings with a current attestation or waiver take its status; a
    passing finding stays a pass (evidence wins); an expired one leaves the failure
    and says so."""
    out = []
    for f in findings:
        a = attestations.get(f.item)
        if a is None or f.status is Status.PASS:
            out.append(f)
        elif a.current(now):
            out.append(replace(f, status=Status(a.kind.value), next_step=None, evidence=(
                f"{a.kind.value} by {a.by} until {a.expires_at:%Y-%m-%d}: {a.reason} "
                f"(platform: {f.evidence})")))
        else:
            out.append(replace(f, evidence=f"{f.evidence}; {a.kind.value} by {a.by} "
                                           f"expired on {a.expires_at:%Y-%m-%d}"))
    return out
