"""The demo's governance board signs off its high- and limited-risk versions.

Two named board members approve each version that will take live traffic and
attest the controls the platform cannot see for itself (a human-oversight
plan, a disclosure to users; explanations are computed at registration and
the fairness report on the training table before sign-off),
so the demo shows the whole path a real pilot takes; every step is audited.
"""

from __future__ import annotations

from pilotdeck.auth.roles import Principal, Role
from pilotdeck.platform import Platform

BOARD = (Principal("board:amara.okafor", Role.GOVERNANCE_BOARD),
         Principal("board:jonas.berg", Role.GOVERNANCE_BOARD))


def sign_off(platform: Platform, pilot: str, versions: list[int], who: Principal) -> int:
    """Approve and attest whatever ``versions`` lack; returns the steps taken."""
    steps = 0
    for version in versions:
        status = platform.governance.status(pilot, version)
        for control in status.controls:
            if control.satisfied or control.id in ("risk-assessment", "no-deployment"):
                continue
            if control.id == "approval":
                req = platform.approvals.request(pilot, version, who,
                                                 reason="demo: ready for live traffic")
                for member in BOARD[:req.required]:
                    platform.approvals.decide(req.id, "approve", member,
                                              "demo: evidence reviewed by the board")
            else:
                platform.approvals.attest(pilot, control.id,
                                          f"demo: docs/governance/{pilot}/{control.id}.md",
                                          BOARD[0], version=version)
            steps += 1
    return steps
