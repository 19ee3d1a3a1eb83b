"""The governance page's calendar: what the board signed that lapses soon or has
lapsed (risk assessments, control attestations, readiness attestations and
waivers, approvals), and the waivers in force.

Everything the board signs expires on purpose, so that a decision is looked at
again; a lapsed one silently blocks traffic (an expired risk assessment stops
live traffic, an expired waiver fails its readiness item again). The page shows
them before they lapse, and after, so nobody learns it from a blocked rollout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.query import PilotFilter
from pilotdeck.domain.when import as_utc
from pilotdeck.platform import Platform

SOON = timedelta(days=30)
ZERO = timedelta(0)
APPROVALS_READ = 500  # newest approval requests looked at for lapsing approvals
Add = Callable[[str, str, str, str, "str | None"], None]


@dataclass(frozen=True)
class Deadline:
    """One signed thing and when it lapses: ``days`` until then, or since then once
    it has (``expired``), to the nearest day."""

    pilot: str
    kind: str
    what: str
    by: str
    expires_at: str
    expired: bool
    days: int


@dataclass
class Calendar:
    deadlines: list[Deadline]
    waivers: list[Any]  # ReadinessAttestation views of kind "waived", in force
    hidden: list[str]  # what the principal's role may not read, said on the page


def _left(expires_at: str, now: datetime) -> timedelta:
    return as_utc(datetime.fromisoformat(expires_at)) - now


def calendar(platform: Platform, who: Principal, soon: timedelta = SOON) -> Calendar:
    """Deadlines within ``soon`` (or past), soonest first, and the active waivers."""
    now = utcnow()
    found: list[Deadline] = []
    waivers: list[Any] = []
    hidden = []
    pilots, _ = platform.portfolio.list(PilotFilter())
    names = [p.metadata.name for p in pilots]

    def add(pilot: str, kind: str, what: str, by: str, expires_at: str | None) -> None:
        if expires_at is not None and (left := _left(expires_at, now)) < soon:
            days = round(abs(left.total_seconds()) / 86400)
            found.append(Deadline(pilot, kind, what, by, expires_at, left <= ZERO, days))

    if who.can(Permission.PILOTS_READ):  # GET /v1/pilots/{pilot}/risk and /attestations
        for name in names:
            _risk(platform, name, add)
            _controls(platform, name, add)
    else:
        hidden.append("risk assessments and control attestations")
    if who.can(Permission.MODELS_READ):  # GET /v1/pilots/{pilot}/readiness, /approvals
        for name in names:
            for a in platform.readiness.attestations.list(name):
                add(name, f"readiness {a.kind}", _item(a), a.by, a.expires_at)
                if a.kind == "waived" and _left(a.expires_at, now) > ZERO:
                    waivers.append(a)
        _approvals(platform, add)
    else:
        hidden.append("readiness attestations, waivers and approvals")
    found.sort(key=lambda d: (d.expires_at, d.pilot, d.kind))
    waivers.sort(key=lambda a: (a.expires_at, a.pilot, a.item))
    return Calendar(found, waivers, hidden)


def _item(a: Any) -> str:
    return a.item + (f" (v{a.version})" if a.version else " (every version)")


def _risk(platform: Platform, name: str, add: Add) -> None:
    try:
        r = platform.risk.latest(name)  # an older one is superseded, not lapsing
    except NotFound:
        return
    add(name, "risk assessment", f"tier {r.tier}, score {r.score:g}", r.assessed_by,
        r.expires_at)


def _controls(platform: Platform, name: str, add: Add) -> None:
    newest: dict[tuple[str, int | None], Any] = {}
    for a in platform.approvals.attestations(name):
        key = (a.control, a.version)
        if key not in newest or a.attested_at > newest[key].attested_at:
            newest[key] = a
    for a in newest.values():
        # The view says "not valid" for revoked and lapsed alike: one not valid before
        # its expiry was revoked (withdrawn on purpose, not lapsing).
        revoked = not a.valid and _left(a.expires_at, utcnow()) > ZERO
        if not revoked:
            add(name, "control attestation", a.control + (f" (v{a.version})" if a.version
                                                          else ""), a.attested_by,
                a.expires_at)


def _approvals(platform: Platform, add: Add) -> None:
    """Approvals that lapse: the newest decided request of each version only."""
    seen: set[tuple[str, int]] = set()
    for a in platform.approvals.requests(limit=APPROVALS_READ):  # newest first
        if a.status == "requested" or (a.pilot, a.version) in seen:
            continue
        seen.add((a.pilot, a.version))
        if a.status in ("approved", "expired"):
            add(a.pilot, "approval", f"v{a.version} (request #{a.id})",
                ", ".join(v.by for v in a.votes if v.decision == "approve"), a.expires_at)
