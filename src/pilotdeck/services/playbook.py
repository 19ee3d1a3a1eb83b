"""The playbook: "how we move AI from pilot to scale here", from the live standard.

Generated, never written by hand: the prioritisation rubric and its weights, the
maturity model and its target, the risk questionnaire and the controls each tier
demands, the readiness checklist and which items block which rollout stage, the
default rollout plan and SLA, what every runbook holds, the roles and the teams:
the *standard*, hashed section by section. Beside it, the current numbers: how
many pilots pass each gate, the median time pilots spend in each phase (from the
audit log), the most common failures.

Publishing records a new version only when the standard's hash changed (numbers
move daily and do not make a version): audited as ``playbook.published`` with
the hashes, the renderings stored in the lake like published runbooks. Versions
are numbered from the audit log under the write lock, so two publishers cannot
both claim the same number. Publishing is ``audit:checkpoint`` (platform
engineers, the governance board, administrators): like a checkpoint, it records
the state of things and changes none of them.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import GRANTS, Permission, Principal
from pilotdeck.domain.canonical import canonical_json, loads
from pilotdeck.domain.errors import Forbidden, NotFound, PilotdeckError
from pilotdeck.domain.maturity import MaturityModel
from pilotdeck.domain.milestones import MILESTONES, phase_days
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.prioritization import Rubric
from pilotdeck.domain.readiness import ITEMS, Blocks, Stage
from pilotdeck.domain.risk import Questionnaire
from pilotdeck.domain.rollout import Plan
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.domain.sla import SLA
from pilotdeck.services.milestones import read_paths
from pilotdeck.views.playbook import (
    FailureCount,
    GateCount,
    PhaseTime,
    Playbook,
    PlaybookNumbers,
    PlaybookVersion,
    PublishedPlaybook,
)

if TYPE_CHECKING:
    from pilotdeck.services.readiness import ReadinessService
    from pilotdeck.services.teams import TeamService
    from pilotdeck.views.readiness import ReadinessReport

__all__ = ["PHASES", "PlaybookService", "PlaybookSources", "RUNBOOK_SECTIONS"]

# What every published runbook holds (render/runbook.py draws these sections; a
# test keeps the two lists the same).
RUNBOOK_SECTIONS = ("Owners", "Endpoints", "Deployment and fallback", "Alert rules",
                    "Rollback", "SLA", "Escalation", "Dashboards, metrics and logs")
PHASES = tuple(zip(MILESTONES, MILESTONES[1:], strict=False))
EVENTS_MAX = 100_000


@dataclass(frozen=True)
class PlaybookSources:
    """The standard's inputs (configuration) and the services the numbers come from."""

    store: Store
    lake: Lake
    organisation: str
    rubric: Callable[[], Rubric]
    maturity: Callable[[], MaturityModel]
    questionnaire: Callable[[], Questionnaire]
    blocks: Blocks
    governance_enforced: bool
    approval_valid_days: int
    teams: Callable[[], TeamService]
    readiness: Callable[[], ReadinessService]


class PlaybookService:
    def __init__(self, sources: PlaybookSources) -> None:
        self.s = sources

    # -- the standard ------------------------------------------------------------
    def standard(self) -> dict[str, Any]:
        """Every input of the standard, as JSON: what the version hash covers."""
        s = self.s
        q = s.questionnaire()
        return {
            "rubric": s.rubric().model_dump(mode="json", by_alias=True),
            "maturity": s.maturity().model_dump(mode="json", by_alias=True),
            "risk": q.model_dump(mode="json", by_alias=True),
            "governance": {"enforced": s.governance_enforced,
                           "approvalValidDays": s.approval_valid_days},
            "readiness": [{"id": i.id, "text": i.text, "blocks": _stage(s.blocks.get(i.id))}
                          for i in ITEMS],
            "rollout": Plan.parse({}).model_dump(mode="json", by_alias=True),
            "sla": SLA.parse({}).model_dump(mode="json", by_alias=True),
            "runbook": list(RUNBOOK_SECTIONS),
            "roles": {r.value: sorted(p.value for p in perms) for r, perms in GRANTS.items()},
            "teams": [{"name": t.name, "kind": t.kind, "pilots": t.pilots,
                       "members": [{"user": m.user, "role": m.role} for m in t.members]}
                      for t in s.teams().list()],
        }

    def generate(self) -> Playbook:
        standard = self.standard()
        digest = _sha(canonical_json(standard))
        versions = self.versions()
        same = [v.version for v in versions if v.standard_sha256 == digest]
        return Playbook(organisation=self.s.organisation, generated_at=iso(utcnow()),
                        standard_sha256=digest, version=same[-1] if same else None,
                        latest_version=versions[-1].version if versions else None,
                        standard=standard, numbers=self.numbers())

    # -- the numbers ---------------------------------------------------------------
    def numbers(self) -> PlaybookNumbers:
        with self.s.store.read() as uow:
            names = sorted(uow.pilots.names_by_id().values())
        reports = [r for r in (self._report(n) for n in names) if r is not None]
        texts = {i.id: i.text for i in ITEMS}
        gates = [GateCount(gate=i.id, text=i.text, blocks=_stage(self.s.blocks.get(i.id)),
                           passed=sum(1 for r in reports for x in r.items
                                      if x.id == i.id and x.status != "fail"),
                           of=len(reports)) for i in ITEMS]
        stages = [GateCount(gate="live", text="Cleared for live traffic (first step)",
                            blocks="live", passed=sum(not r.live_blocked_by for r in reports),
                            of=len(reports)),
                  GateCount(gate="full", text="Cleared for 100 % of traffic (production)",
                            blocks="full", passed=sum(r.ready for r in reports),
                            of=len(reports))]
        failing: dict[str, list[str]] = {}
        for r in reports:
            for x in r.items:
                if x.status == "fail":
                    failing.setdefault(x.id, []).append(r.pilot)
        common = sorted(failing.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:5]
        return PlaybookNumbers(
            pilots=len(names), checked=len(reports), gates=gates, stages=stages,
            phases=self._phases(),
            common_failures=[FailureCount(item=k, text=texts[k], pilots=v)
                             for k, v in common])

    def _report(self, pilot: str) -> ReadinessReport | None:
        """The checklist of the pilot's champion (deployed), else its newest version;
        None for a pilot with no model yet."""
        with self.s.store.read() as uow:
            row = uow.pilots.get(pilot)
            dep = uow.models.deployment(row.id)
            champion = DeploymentSpec.parse(dep.spec).variant("champion") if dep else None
            versions = [v.version for v in uow.models.versions(row.id)]
        version = champion.version if champion is not None else max(versions, default=None)
        if version is None:
            return None
        try:
            return self.s.readiness().check(pilot, version)
        except PilotdeckError:  # deleted meanwhile: nothing to check
            return None

    def _phases(self) -> list[PhaseTime]:
        """Median days between consecutive milestones, over the pilots that passed both
        (the first time each pilot reached each milestone)."""
        with self.s.store.read() as uow:
            paths = list(read_paths(uow).values())
        out = []
        for (a, start, _), (b, end, _) in PHASES:
            days = phase_days(paths, a, b)
            out.append(PhaseTime(phase=f"{a} to {b}", start=start, end=end,
                                 median_days=round(statistics.median(days), 3) if days
                                 else None, pilots=len(days)))
        return out

    # -- versions ------------------------------------------------------------------
    def publish(self, playbook: Playbook, markdown: str, html: str,
                who: Principal) -> PublishedPlaybook:
        """Record a new version if the standard changed since the latest one (audited,
        stored); otherwise the latest version stands and nothing is written."""
        if not who.can(Permission.AUDIT_CHECKPOINT):
            raise Forbidden(f"{who.user} may not publish the playbook (audit:checkpoint)")
        sections = _section_hashes(playbook.standard)
        now = utcnow()
        with self.s.store.write() as uow:
            rows = uow.audit_events.events(action="playbook.published", entity_type="playbook",
                                           limit=1, newest_first=True)
            last = loads(rows[0].body)["data"] if rows else None
            if last is not None and last["standardSha256"] == playbook.standard_sha256:
                return PublishedPlaybook(version=_version(rows[0]), new=False)
            number = (last["version"] if last else 0) + 1
            changed = sorted(k for k, v in sections.items()
                             if last is None or last["sections"].get(k) != v)
            data: dict[str, Any] = {"version": number, "standardSha256": playbook.standard_sha256,
                    "sha256": _sha(markdown.encode()), "htmlSha256": _sha(html.encode()),
                    "sections": sections, "changed": changed}
            uow.audit.record(who.user, "playbook.published", "playbook", str(number), data,
                             now)
            out = PlaybookVersion(version=number, standard_sha256=playbook.standard_sha256,
                                  sha256=data["sha256"], published_at=iso(now),
                                  published_by=who.user, changed=changed)
            # Written inside the transaction: if it fails, nothing is recorded.
            self.s.lake.save_report("playbooks", f"v{number}", {
                **out.dump(), "standard": playbook.standard, "markdown": markdown,
                "html": html})
            return PublishedPlaybook(version=out, new=True)

    def versions(self) -> list[PlaybookVersion]:
        """Every published version, oldest first (from the audit log)."""
        with self.s.store.read() as uow:
            rows = uow.audit_events.events(action="playbook.published", entity_type="playbook",
                                           limit=EVENTS_MAX)
            return [_version(r) for r in rows]

    def published_text(self, version: int, format: str) -> str:
        """A published version's rendering (``md`` or ``html``) as it was published."""
        data = self.s.lake.load_report("playbooks", f"v{version}") if version > 0 else None
        if data is None:
            raise NotFound("published playbook version", version)
        return str(data["html" if format == "html" else "markdown"])


def _version(row: Any) -> PlaybookVersion:
    body = loads(row.body)  # the hashed body, not the unhashed columns
    d = body["data"]
    return PlaybookVersion(version=d["version"], standard_sha256=d["standardSha256"],
                           sha256=d["sha256"], published_at=body["at"],
                           published_by=body["actor"], changed=list(d.get("changed", [])))


def _section_hashes(standard: dict[str, Any]) -> dict[str, str]:
    return {k: _sha(canonical_json(v)) for k, v in sorted(standard.items())}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stage(stage: Stage | None) -> str:
    return "none" if stage is None else stage.value
