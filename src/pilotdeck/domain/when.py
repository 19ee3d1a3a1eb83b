"""Points in time as users write them: ISO 8601, or "how long ago" (30m, 24h, 7d)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pilotdeck.domain.errors import FieldError, ValidationFailed

_AGO = re.compile(r"^(\d+)([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str | None, field: str, now: datetime | None = None) -> datetime | None:
    """``None`` stays None; "7d" is seven days before ``now``; naive ISO times are UTC."""
    if text is None or text == "":
        return None
    m = _AGO.match(text.strip())
    if m:
        try:
            return (now or datetime.now(UTC)) - parse_window(text, field)
        except OverflowError:
            raise ValidationFailed("invalid time", [FieldError(
                field, f"{text!r} reaches before the year 1")]) from None
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed("invalid time", [FieldError(
            field, f"expected ISO 8601 or an age like 30m, 24h, 7d; got {text!r}")]) from None
    return as_utc(t)


def as_utc(t: datetime) -> datetime:
    """A naive time read as UTC (what SQLite hands back for timezone-aware columns,
    and what an ISO time without an offset means here); an aware one as it is."""
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def parse_window(duration: str, field: str) -> timedelta:
    m = _AGO.match(duration.strip())
    if not m:
        raise ValidationFailed("invalid window", [FieldError(
            field, f"expected a duration like 30m, 1h, 1d; got {duration!r}")])
    try:
        return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    except OverflowError:
        raise ValidationFailed("invalid window", [FieldError(
            field, f"{duration!r} is longer than 999,999,999 days")]) from None


def parse_until(text: str | None, field: str, now: datetime) -> datetime | None:
    """A point ahead: "90d" is ninety days after ``now``; an ISO date or time is
    itself (a bare date is midnight UTC); ``None`` and "" stay None."""
    if text is None or text.strip() == "":
        return None
    if _AGO.match(text.strip()):
        try:
            return now + parse_window(text, field)
        except OverflowError:
            raise ValidationFailed("invalid time", [FieldError(
                field, f"{text!r} reaches past the year 9999")]) from None
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed("invalid time", [FieldError(
            field, f"expected an ISO 8601 date or a duration like 90d; got {text!r}")]) from None
    return as_utc(t)
