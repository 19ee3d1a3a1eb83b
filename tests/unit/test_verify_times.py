"""Verify rewrites a block's stored times to the body's form in bulk: it must
agree exactly with the one-at-a-time rule (``_at``) for every input, so a
time moved or re-formatted by a tamperer is never accepted by the fast path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from pilotdeck.audit.rows import event_time as _at
from pilotdeck.audit.rows import event_times as _times

moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))


def one_at_a_time(ats: list[object]) -> list[bytes]:
    return [b',"at":"' + _at(at) + b'","data":' for at in ats]


def sqlite_text(d: datetime, offset: bool) -> str:
    """SQLAlchemy's SQLite form (always six digits of microseconds)."""
    return d.strftime("%Y-%m-%d %H:%M:%S.%f") + ("+00:00" if offset else "")


texts = st.one_of(
    st.builds(sqlite_text, moments, st.booleans()),
    st.builds(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f"), moments),  # 'T', not ' '
    st.builds(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"), moments),  # no microseconds
    st.text(max_size=30),
    # Two well-formed times in one value: taken apart in bulk, they would shift
    # every later event's time by one.
    st.builds(lambda a, b: f"{sqlite_text(a, False)}\n{sqlite_text(b, False)}", moments, moments),
)
stamps = st.one_of(
    st.builds(lambda d: d.replace(tzinfo=UTC), moments),
    st.builds(lambda d, h: d.replace(tzinfo=timezone(timedelta(hours=h))), moments,
              st.integers(-12, 12)),
    moments,  # naive
)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, max_size=20))
def test_bulk_times_from_sqlite_text_match_the_rule(ats: list[str]) -> None:
    assert _times(ats) == one_at_a_time(ats)


@settings(max_examples=200, deadline=None)
@given(st.lists(stamps, max_size=20))
def test_bulk_times_from_datetimes_match_the_rule(ats: list[datetime]) -> None:
    assert _times(ats) == one_at_a_time(ats)


def test_a_time_holding_a_line_break_cannot_shift_the_others() -> None:
    d = [datetime(2026, 11, 26, 10, 0, 0, i) for i in range(4)]
    shifted = [f"{sqlite_text(d[0], False)}\n{sqlite_text(d[1], False)}",
               sqlite_text(d[2], False), sqlite_text(d[3], False)]
    assert _times(shifted) == one_at_a_time(shifted)
    assert _times(shifted)[1] == b',"at":"2026-11-26T10:00:00.000002Z","data":'


def test_a_block_of_well_formed_times_takes_the_bulk_path(monkeypatch) -> None:
    """The point of the bulk path: no per-event call for the usual forms."""
    import pilotdeck.audit.rows as verify

    calls = []
    monkeypatch.setattr(verify, "event_time", lambda at: calls.append(at) or b"")
    d = datetime(2026, 11, 26, 10, 0, 0, 123456)
    assert verify.event_times([sqlite_text(d, False), sqlite_text(d, True)]) == [
        b',"at":"2026-11-26T10:00:00.123456Z","data":'] * 2
    assert verify.event_times([d.replace(tzinfo=UTC)]) == [
        b',"at":"2026-11-26T10:00:00.123456Z","data":']
    assert calls == []
    verify.event_times([d.replace(tzinfo=UTC, microsecond=0)])
    assert len(calls) == 1
