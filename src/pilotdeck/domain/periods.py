"""Calendar months and quarters (UTC) that reports are cut into."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pilotdeck.domain.errors import FieldError, ValidationFailed

PeriodKind = Literal["month", "quarter"]
PERIODS: tuple[str, ...] = ("month", "quarter")
MAX_PERIODS = 240


@dataclass(frozen=True)
class Period:
    key: str  # 2026-03 or 2026-Q1
    start: datetime
    end: datetime  # exclusive

    @property
    def months(self) -> int:
        return 3 if "-Q" in self.key else 1


def _period_start(t: datetime, kind: str) -> datetime:
    month = t.month if kind == "month" else 3 * ((t.month - 1) // 3) + 1
    return datetime(t.year, month, 1, tzinfo=UTC)


def _next(start: datetime, kind: str) -> datetime:
    m = start.month - 1 + (1 if kind == "month" else 3)
    return datetime(start.year + m // 12, m % 12 + 1, 1, tzinfo=UTC)


def period_key(start: datetime, kind: str) -> str:
    return (f"{start.year:04d}-{start.month:02d}" if kind == "month"
            else f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}")


def check_period(kind: str, field_name: str = "period") -> PeriodKind:
    if kind not in PERIODS:
        raise ValidationFailed("invalid period", [FieldError(
            field_name, f"must be month or quarter, got {kind[:40]!r}")])
    return "month" if kind == "month" else "quarter"


def periods(kind: str, since: datetime, now: datetime,
            field_name: str = "since") -> list[Period]:
    """The calendar months or quarters from the one holding ``since`` to the one
    holding ``now`` (UTC); at most :data:`MAX_PERIODS`, never from the future."""
    if since > now:
        raise ValidationFailed("invalid time", [FieldError(
            field_name, "is in the future: the report covers the past")])
    out: list[Period] = []
    start = _period_start(since.astimezone(UTC), kind)
    while start < now or not out:
        end = _next(start, kind)
        out.append(Period(period_key(start, kind), start, end))
        if len(out) > MAX_PERIODS:
            raise ValidationFailed("invalid time", [FieldError(
                field_name, f"reaches back more than {MAX_PERIODS} {kind}s; choose a "
                "later date")])
        start = end
    return out
