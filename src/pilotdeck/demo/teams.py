"""The demo's centre of excellence: its teams, their members, training, and the playbook.

A platform team runs the stack, an enablement team teaches it, the governance
board is the two members who sign off in :mod:`pilotdeck.demo.governance`, and
each deployed pilot has a pilot team made of the people its manifest names. The
CRM team has done its training, so churn's ``team-trained`` shows what passing
looks like; the others show how many members are still to go. Then the
playbook is published (a new version only when the standard changed). Running
the demo again adds nothing that is already there.
"""

from __future__ import annotations

import re
import unicodedata

from pilotdeck.auth.roles import Principal
from pilotdeck.demo.governance import BOARD
from pilotdeck.demo.models import PROBLEMS
from pilotdeck.platform import Platform

# Deployed pilot -> the pilot team that owns it (the crm, risk-analytics and
# fraud-ops names are the owner teams of the demo's training datasets too).
PILOT_TEAMS = {"churn-prediction": "crm", "credit-risk-scoring": "risk-analytics",
               "fraud-detection-realtime": "fraud-ops", "demand-forecasting": "supply-chain",
               "customer-support-assistant": "support-platform"}
PEOPLE: dict[tuple[str, str], list[tuple[str, str | None]]] = {
    ("platform", "platform"): [("ops:kai.larsen", None), ("ops:mira.holt", "admin")],
    ("enablement", "enablement"): [("ines.moreau", None)],
    ("board", "governance-board"): [(b.user, None) for b in BOARD],
}
COURSE = "ML in production on pilotdeck"
TRAINED = {"crm": COURSE}


def user_id(name: str) -> str:
    """A person's name as a user id: "Liam O'Brien" -> "liam.obrien"."""
    ascii_ = unicodedata.normalize("NFKD", name.replace("'", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", ascii_.lower()).strip(".")


def set_up(platform: Platform, who: Principal) -> str:
    """Create what is missing; publish the playbook; returns a line for the output."""
    teams = {t.name: t for t in platform.teams.list()}
    wanted = dict(PEOPLE)
    for problem in PROBLEMS:
        pilot = problem.pilot
        people: list[tuple[str, str | None]] = [
            (user_id(m.name), None) for m in platform.portfolio.get(pilot).spec.team]
        wanted[(PILOT_TEAMS[pilot], "pilot")] = people
    created = 0
    for (name, kind), members in wanted.items():
        if name not in teams:
            owned = [p for p, t in PILOT_TEAMS.items() if t == name]
            teams[name] = platform.teams.create(name, kind, who, pilots=owned,
                                                description=f"demo {kind} team")
            created += 1
        seated = {m.user for m in teams[name].members}
        for user, role in members:
            if user not in seated:
                teams[name] = platform.teams.add_member(name, user, who, role=role)
    for team, course in TRAINED.items():
        done = {r.user for r in platform.readiness.training.list(team=team, current=True)}
        for m in teams[team].members:
            if m.user not in done:
                platform.readiness.training.record(m.user, course, who, team=team)
    from pilotdeck.render.playbook import markdown, page

    book = platform.playbook.generate()
    out = platform.playbook.publish(book, markdown(book), page(book), who)
    return (f"centre of excellence: {created} team(s) created ({len(teams)} in all); "
            f"playbook version {out.version.version} "
            f"{'published' if out.new else 'stands'} (try `pilotdeck teams list` and "
            "`pilotdeck playbook`)")
