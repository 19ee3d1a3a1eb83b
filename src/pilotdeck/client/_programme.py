"""Phase 4 in the SDK: the centre of excellence's teams and training, the playbook,
and the programme report."""

from __future__ import annotations

import builtins
from typing import Literal

from pilotdeck.client._http import Resource, segment
from pilotdeck.views.playbook import Playbook as PlaybookView
from pilotdeck.views.playbook import PlaybookVersion, PublishedPlaybook
from pilotdeck.views.programme import ProgrammeReport
from pilotdeck.views.readiness import TrainingRecord
from pilotdeck.views.teams import Team, TeamList


class Teams(Resource):
    """Teams and their members; a change takes ``revision`` (``If-Match``) to refuse
    overwriting someone else's change."""

    def _path(self, team: str, user: str | None = None) -> str:
        path = f"/v1/teams/{segment(team)}"
        return path if user is None else f"{path}/members/{segment(user)}"

    def list(self, *, kind: str | None = None) -> TeamList:
        # ``kind`` is also the name of get()'s view argument: pass the query as params.
        return self._core.parse(self._core.request("GET", "/v1/teams", params={"kind": kind}),
                                TeamList)

    def get(self, team: str) -> Team:
        return self._core.get(self._path(team), Team)

    def create(self, name: str, kind: str, *, description: str = "",
               pilots: builtins.list[str] | None = None) -> Team:
        """A team of kind platform, enablement, governance-board or pilot (a pilot
        team owns ``pilots``)."""
        body = {"name": name, "kind": kind, "description": description,
                "pilots": pilots or []}
        return self._core.send("POST", "/v1/teams", Team, body)

    def update(self, team: str, *, description: str | None = None,
               pilots: builtins.list[str] | None = None, revision: int | None = None
               ) -> Team:
        """Change the description or replace the pilots (None leaves either alone)."""
        body = {k: v for k, v in (("description", description), ("pilots", pilots))
                if v is not None}
        return self._core.send("PATCH", self._path(team), Team, body, revision=revision)

    def delete(self, team: str, *, revision: int | None = None) -> None:
        """Delete the team; its members' team tokens are revoked."""
        self._core.request("DELETE", self._path(team), revision=revision)

    def add_member(self, team: str, user: str, *, role: str | None = None,
                   revision: int | None = None) -> Team:
        """Seat ``user`` (or change their role; default: the kind's usual role)."""
        return self._core.send("PUT", self._path(team, user), Team, {"role": role},
                               revision=revision)

    def remove_member(self, team: str, user: str, *, revision: int | None = None) -> Team:
        return self._core.send("DELETE", self._path(team, user), Team, revision=revision)


class Training(Resource):
    def record(self, user: str, course: str, *, pilot: str | None = None,
               team: str | None = None, completed: str | None = None,
               expires: str | None = None) -> TrainingRecord:
        """Record a completed course for a pilot or a team; ``completed`` and
        ``expires`` are ISO 8601 or durations (``7d`` ago, ``365d`` ahead)."""
        body = {"user": user, "course": course, "pilot": pilot, "team": team,
                "completed": completed, "expires": expires}
        return self._core.send("POST", "/v1/training", TrainingRecord,
                               {k: v for k, v in body.items() if v is not None})

    def list(self, *, pilot: str | None = None, team: str | None = None,
             current: bool = False, limit: int = 500) -> builtins.list[TrainingRecord]:
        """Records, newest completion first (``current``: only those not expired)."""
        return self._core.get("/v1/training", list[TrainingRecord], pilot=pilot, team=team,
                              current=current, limit=limit)


class Playbook(Resource):
    def get(self) -> PlaybookView:
        """The playbook generated from today's standard, with its numbers."""
        return self._core.get("/v1/playbook", PlaybookView)

    def text(self, format: Literal["md", "html"] = "md", *, version: int | None = None
             ) -> str:
        """Markdown or HTML: generated now, or a published ``version`` as published."""
        return self._core.request("GET", "/v1/playbook", params={
            "format": format, "version": version}).text

    def publish(self) -> PublishedPlaybook:
        """Record a new version if the standard changed (else the latest stands)."""
        return self._core.send("POST", "/v1/playbook/publish", PublishedPlaybook)

    def versions(self) -> builtins.list[PlaybookVersion]:
        """Published versions, oldest first."""
        return self._core.get("/v1/playbook/versions", list[PlaybookVersion])


class Programme(Resource):
    def report(self, *, period: Literal["month", "quarter"] = "month",
               since: str | None = None) -> ProgrammeReport:
        """Value, cost, ROI, time to scale and adoption (``since``: ISO 8601 or an
        age like ``90d``; default the first pilot's creation)."""
        return self._core.get("/v1/programme/report", ProgrammeReport, period=period,
                              since=since)

    def export(self, format: Literal["html", "csv"], *,
               period: Literal["month", "quarter"] = "month", since: str | None = None
               ) -> str:
        """The report as an HTML page with charts, or CSV (one row per scope and period)."""
        return self._core.request("GET", "/v1/programme/report", params={
            "format": format, "period": period, "since": since}).text
