"""Training (enablement) records: who completed which course, for a pilot or a team.

The readiness item ``team-trained`` asks about the people who run the pilot.
When a pilot team owns the pilot (:mod:`pilotdeck.services.teams`), it passes
when every member of that team (clients, which are applications, aside) has a
current record (not expired) naming the pilot or the team, and says how many of
how many are trained. A pilot no team owns keeps the earlier rule: a current
record naming the pilot or its owner team, the manifest's ``metadata.tags.team``
(the manifest's ``owner`` is a person).

Who may record: holders of ``tokens:manage`` (administrators), the people who
already decide who may do what on the platform. Not ``assessments:write``: a
pilot team holds that for its own pilots, and a team recording its own training
would make ``team-trained`` self-attested, which the checklist exists to avoid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.datasets import TEAM_RE
from pilotdeck.domain.errors import FieldError, Forbidden, ValidationFailed
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.readiness import Finding, Status
from pilotdeck.domain.when import as_utc
from pilotdeck.views.readiness import TrainingRecord

__all__ = ["TrainingService"]

USER_MAX, COURSE_MAX = 320, 200


def _text_problem(value: str, most: int) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > most:
        return f"at most {most} characters"
    return "must not contain a NUL character" if "\x00" in value else None


class TrainingService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, user: str, course: str, who: Principal, *, pilot: str | None = None,
               team: str | None = None, completed_at: datetime | None = None,
               expires_at: datetime | None = None) -> TrainingRecord:
        """Record that ``user`` completed ``course`` (for ``pilot`` or ``team``)."""
        if not who.can(Permission.TOKENS_MANAGE):
            raise Forbidden(f"{who.user} may not record training (tokens:manage, "
                            "administrators, records it)")
        now = utcnow()
        done = as_utc(completed_at) if completed_at is not None else now
        until = as_utc(expires_at) if expires_at is not None else None
        errors = [FieldError(f, p) for f, p in (
            ("user", _text_problem(user, USER_MAX)),
            ("course", _text_problem(course, COURSE_MAX))) if p]
        if (pilot is None) == (team is None):
            errors.append(FieldError("pilot", "name exactly one of pilot or team"))
        if team is not None and not TEAM_RE.match(team):
            errors.append(FieldError("team", "lowercase letters, digits, '.', '_' or '-', "
                                             "up to 63 characters"))
        if done > now:
            errors.append(FieldError("completed", "must not be in the future"))
        if until is not None and until <= done:
            errors.append(FieldError("expires", "must be after the completion"))
        if errors:
            raise ValidationFailed("invalid training record", errors)
        with self.store.write() as uow:
            pid = uow.pilots.get(pilot).id if pilot is not None else None
            row = uow.training.add(user=user, course=course, pilot_id=pid, team=team,
                                   completed_at=done, expires_at=until,
                                   recorded_by=who.user, recorded_at=now)
            uow.audit.record(who.user, "training.recorded", "training", str(row.id), {
                "user": user, "course": course, "pilot": pilot, "team": team,
                "completedAt": iso(done), "expiresAt": iso(until) if until else None}, now)
            return _view(row, pilot, now)

    def list(self, *, pilot: str | None = None, team: str | None = None,
             current: bool = False, limit: int = 500) -> list[TrainingRecord]:
        """Newest completion first; ``pilot``: the records naming it or its owner
        team; ``current``: only those not expired."""
        now = utcnow()
        with self.store.read() as uow:
            pid = None
            if pilot is not None:
                row = uow.pilots.get(pilot)
                owner = uow.teams.owner_of(row.id)
                pid = row.id
                team = team or (owner.name if owner is not None else _owner_team(row.manifest))
            rows = uow.training.list(pilot_id=pid, team=team,
                                     current_at=now if current else None, limit=limit)
            return [_view(r, name, now) for r, name in rows]

    def trained(self, pilot: str) -> Finding:
        """The readiness item ``team-trained`` for ``pilot``."""
        with self.store.read() as uow:
            owner = uow.teams.owner_of(uow.pilots.get(pilot).id)
            team = owner.name if owner is not None else None
            people = ([m.user for m in uow.teams.members(owner.id) if m.role != "client"]
                      if owner is not None else [])
        records = self.list(pilot=pilot, current=True, limit=500 if team else 50)
        if team is not None:
            return _members_trained(team, people, records)
        if not records:
            return Finding("team-trained", Status.FAIL, "no current training record for the "
                           "pilot or its team", f"pilotdeck training record USER --course "
                           f"COURSE --pilot {pilot}")
        shown = ", ".join(f"{r.user} ({r.course}, {r.completed_at[:10]})" for r in records[:3])
        more = f" and {len(records) - 3} more" if len(records) > 3 else ""
        return Finding("team-trained", Status.PASS, f"trained: {shown}{more}")


def _members_trained(team: str, people: list[str], records: list[TrainingRecord]) -> Finding:
    """Every member of the owning team has a current record (for the pilot or team)."""
    if not people:
        return Finding("team-trained", Status.FAIL, f"team {team} owns the pilot but has no "
                       "members", f"pilotdeck teams add-member {team} USER")
    latest: dict[str, TrainingRecord] = {}
    for r in records:  # newest first: keep each person's latest course
        latest.setdefault(r.user, r)
    done = [u for u in people if u in latest]
    missing = [u for u in people if u not in latest]
    count = f"{len(done)} of {len(people)} member(s) of team {team} trained"
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return Finding("team-trained", Status.FAIL,
                       f"{count}; not yet: {', '.join(missing[:5])}{more}",
                       f"pilotdeck training record {missing[0]} --course COURSE --team {team}")
    shown = ", ".join(f"{u} ({latest[u].course}, {latest[u].completed_at[:10]})"
                      for u in done[:3])
    more = f" and {len(done) - 3} more" if len(done) > 3 else ""
    return Finding("team-trained", Status.PASS, f"{count}: {shown}{more}")


def _owner_team(manifest: dict[str, Any]) -> str | None:
    team = (manifest.get("metadata", {}).get("tags") or {}).get("team")
    return team if isinstance(team, str) and TEAM_RE.match(team) else None


def _view(row: Any, pilot: str | None, now: datetime) -> TrainingRecord:
    until = as_utc(row.expires_at) if row.expires_at is not None else None
    return TrainingRecord(
        id=row.id, user=row.user, course=row.course, pilot=pilot, team=row.team,
        completed_at=iso(as_utc(row.completed_at)), expires_at=iso(until) if until else None,
        current=until is None or until > now, recorded_by=row.recorded_by,
        recorded_at=iso(as_utc(row.recorded_at)))
