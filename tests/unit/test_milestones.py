"""A pilot's milestones from audit events: one reading for the programme report and
the playbook (time to scale, median time per phase, the status timeline)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pilotdeck.domain.milestones import (
    CREATED,
    SCALED,
    AuditFact,
    PilotPath,
    full_rollout,
    phase_days,
    pilot_paths,
)


def _t(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def _weights(*variants: tuple[int, float]) -> dict[str, Any]:
    return {"after": {"variants": [{"name": f"v{i}", "version": v, "weight": w}
                                   for i, (v, w) in enumerate(variants)]}}


def _pilot(status: str) -> dict[str, Any]:
    return {"after": {"spec": {"status": status}}}


def test_a_pilots_path_from_creation_to_scale() -> None:
    facts = [
        AuditFact(_t(1), "pilot.created", "a", _pilot("pilot")),
        AuditFact(_t(3), "model.registered", "a/1", {}),
        AuditFact(_t(4), "model.registered", "a/2", {}),  # the first one counts
        AuditFact(_t(5), "approval.approved", "a/1", {}),
        AuditFact(_t(6), "deployment.updated", "a", _weights((1, 90), (2, 10))),
        AuditFact(_t(8), "pilot.updated", "a", _pilot("scaling")),
        AuditFact(_t(9), "pilot.updated", "a", _pilot("scaling")),  # no status change
        AuditFact(_t(11), "rollout.promoted", "a", {}),
    ]
    path = pilot_paths(reversed(facts))["a"]  # any order in, oldest first out
    assert path.created_at == _t(1) and path.scaled_at == _t(11)
    assert path.reached == {CREATED: _t(1), "model registered": _t(3),
                            "board sign-off": _t(5), "live traffic": _t(6), SCALED: _t(11)}
    assert path.statuses == ((_t(1), "pilot"), (_t(8), "scaling"))
    assert phase_days([path], CREATED, SCALED) == [10.0]
    assert phase_days([path, PilotPath()], "live traffic", SCALED) == [5.0]


def test_one_version_at_100_is_scale_and_a_recreated_pilot_starts_again() -> None:
    facts = [
        AuditFact(_t(1), "pilot.created", "b", _pilot("pilot")),
        AuditFact(_t(2), "deployment.updated", "b", _weights((1, 100))),  # the old pilot
        AuditFact(_t(4), "pilot.created", "b", _pilot("pilot")),  # deleted and re-created
        AuditFact(_t(5), "deployment.updated", "b", _weights((1, 50), (1, 50))),
        AuditFact(_t(7), "rollout.promoted", "b", {}),
    ]
    path = pilot_paths(facts)["b"]
    # Two variants of one version are one version at 100 %: scaled at the 5th.
    assert path.created_at == _t(4) and path.scaled_at == _t(5)
    assert path.reached["live traffic"] == _t(5) and path.statuses == ((_t(4), "pilot"),)
    assert full_rollout(_weights((1, 100), (2, 0)))
    assert not full_rollout(_weights((1, 90), (2, 10))) and not full_rollout({})


def test_no_creation_in_the_log_means_no_milestones() -> None:
    path = pilot_paths([AuditFact(_t(2), "rollout.promoted", "c", {})])["c"]
    assert path.created_at is None and path.scaled_at is None and path.statuses == ()
    assert phase_days([path], CREATED, SCALED) == []
