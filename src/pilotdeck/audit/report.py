"""What a verify found: problems, the first bad event, and what is already
blamed, so one change is reported once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class VerifyReport:
    ok: bool = True
    size: int = 0
    root: str = ""
    checkpoints_checked: int = 0
    first_bad_event: int | None = None
    problems: list[str] = field(default_factory=list)
    witness_checked: bool = False
    # What is already reported, so one change is reported once: event ranges
    # blamed by rows and by nodes, and the checkpoints that matched or not.
    rows_blamed: list[tuple[int, int]] = field(default_factory=list)
    nodes_blamed: list[tuple[int, int]] = field(default_factory=list)
    matched_upto: int = 0
    root_failed: bool = False

    # Events named by problems, and ranges a problem only bounds (a node or a
    # checkpoint over a..b that no longer matches): a range counts towards the
    # first bad event only when no named event or narrower range inside it
    # explains it.
    named: list[int] = field(default_factory=list)
    bounded: list[tuple[int, int]] = field(default_factory=list)

    def fail(self, problem: str, event: int | None = None, *, upto: int | None = None
             ) -> None:
        """Record a problem at ``event``, or somewhere in ``event..upto``."""
        self.ok = False
        if event is not None:
            if upto is None:
                self.named.append(event)
            else:
                self.bounded.append((event, upto))
            self.first_bad_event = min(self.named + [
                a for a, b in self.bounded
                if not any(a <= e <= b for e in self.named)
                and not any(a <= c and d <= b and (c, d) != (a, b) for c, d in self.bounded)])
        self.problems.append(problem)

    def blame_rows(self, problem: str, first: int, last: int) -> None:
        self.rows_blamed.append((first, last))
        self.fail(problem, first)

    def explained(self, first: int, last: int, *, by_nodes: bool = False) -> bool:
        """Is a change in events ``first..last`` already reported (by a row, or
        also by a node)?"""
        ranges = self.rows_blamed + (self.nodes_blamed if by_nodes else [])
        return any(a <= last and first <= b for a, b in ranges)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "size": self.size, "root": self.root,
                "checkpointsChecked": self.checkpoints_checked,
                "firstBadEvent": self.first_bad_event, "problems": self.problems}
