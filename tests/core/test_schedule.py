"""Occurrence math across DST, zones without DST, midnight edges, and viewer zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Meeting
from core.schedule import (
    current_occurrence,
    mg_weekday,
    next_occurrences,
    next_viewer_weekday,
    occurrence_on,
    occurrences_between,
    resolve_local,
    time_of_day_buckets,
    viewer_day_bounds,
)

SUN, MON, TUE, WED, THU, FRI, SAT = range(7)


def meeting(days, start, end, zone, slug="m") -> Meeting:
    return Meeting(slug=slug, name="Test", fellowship="aa", days=tuple(days), start=start,
                   end=end, timezone=zone)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_meeting_keeps_local_time_across_us_dst() -> None:
    m = meeting([SUN], time(19), time(20), "America/New_York")
    occs = next_occurrences(m, utc(2026, 3, 1), 3)
    assert [o.start.hour for o in occs] == [19, 19, 19]
    # 2026-03-08 is the US spring-forward Sunday: UTC start moves from 00:00 to 23:00.
    assert [o.start.astimezone(UTC) for o in occs] == [
        utc(2026, 3, 2, 0), utc(2026, 3, 8, 23), utc(2026, 3, 15, 23)
    ]


def test_eu_and_southern_hemisphere_dst_weeks() -> None:
    london = meeting([SUN], time(10), time(11), "Europe/London")
    occs = next_occurrences(london, utc(2026, 3, 22), 2)  # EU switch 2026-03-29
    assert [o.start.astimezone(UTC).hour for o in occs] == [10, 9]
    sydney = meeting([SUN], time(10), time(11), "Australia/Sydney")
    occs = next_occurrences(sydney, utc(2026, 3, 28), 2)  # AU fall back 2026-04-05
    assert [o.start.astimezone(UTC).hour for o in occs] == [23, 0]
    assert all(o.start.hour == 10 for o in occs)


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/Phoenix"])
def test_zones_without_dst_have_a_fixed_utc_time(zone: str) -> None:
    m = meeting([MON], time(18, 30), time(19, 30), zone)
    occs = next_occurrences(m, utc(2026, 1, 1), 52)
    assert len({o.start.astimezone(UTC).time() for o in occs}) == 1


def test_spring_forward_gap_shifts_forward() -> None:
    # 02:30 does not exist in New York on 2026-03-08; it becomes 03:30 EDT (07:30 UTC).
    m = meeting([SUN], time(2, 30), time(3, 30), "America/New_York")
    occ = occurrence_on(m, date(2026, 3, 8))
    assert occ is not None
    assert occ.start.astimezone(UTC) == utc(2026, 3, 8, 7, 30)
    assert occ.start.hour == 3 and occ.start.minute == 30
    assert occ.end > occ.start


def test_fall_back_ambiguous_time_takes_the_first_instant() -> None:
    # 01:30 happens twice in New York on 2026-11-01: the first is 05:30 UTC (EDT).
    m = meeting([SUN], time(1, 30), time(2, 30), "America/New_York")
    occ = occurrence_on(m, date(2026, 11, 1))
    assert occ is not None
    assert occ.start.astimezone(UTC) == utc(2026, 11, 1, 5, 30)
    assert occ.end.astimezone(UTC) == utc(2026, 11, 1, 7, 30)  # 02:30 EST


def test_meetings_at_00_30_and_23_30_and_past_midnight() -> None:
    late = meeting([SAT], time(23, 30), time(0, 30), "Europe/Berlin")
    occ = occurrence_on(late, date(2026, 6, 6))
    assert occ is not None
    assert occ.end - occ.start == timedelta(hours=1)
    assert occ.end.date() == date(2026, 6, 7)
    early = meeting([SUN], time(0, 30), time(1, 30), "Europe/Berlin")
    assert occurrence_on(early, date(2026, 6, 7)) is not None
    assert occurrence_on(early, date(2026, 6, 6)) is None
    # In progress across midnight: Saturday 23:30 → Sunday 00:30.
    at = datetime(2026, 6, 7, 0, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    running = current_occurrence(late, at)
    assert running is not None and running.start.day == 6


def test_viewer_weekday_differs_from_meeting_weekday() -> None:
    # Monday 19:00 in New York is Tuesday 00:00 in London.
    m = meeting([MON], time(19), time(20), "America/New_York")
    occ = next_occurrences(m, utc(2026, 6, 1), 1)[0]
    london = occ.start.astimezone(ZoneInfo("Europe/London"))
    assert mg_weekday(occ.start.date()) == MON
    assert mg_weekday(london.date()) == TUE and london.hour == 0
    lo, hi = viewer_day_bounds(london.date(), "Europe/London")
    assert lo <= occ.start < hi


def test_in_progress_and_next() -> None:
    m = meeting([WED], time(12), time(13), "America/Chicago")
    at = datetime(2026, 6, 3, 12, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert current_occurrence(m, at) is not None
    assert current_occurrence(m, at + timedelta(hours=1)) is None
    running_then_next = next_occurrences(m, at, 2, include_in_progress=True)
    assert running_then_next[0].in_progress(at)
    assert running_then_next[1].start - running_then_next[0].start == timedelta(days=7)


def test_next_viewer_weekday_wraps_the_week() -> None:
    at = utc(2026, 6, 3, 12)  # Wednesday
    assert next_viewer_weekday(at, "UTC", WED) == date(2026, 6, 3)
    assert next_viewer_weekday(at, "UTC", TUE) == date(2026, 6, 9)


def test_time_of_day_buckets_overlap() -> None:
    assert time_of_day_buckets(time(8)) == {"morning"}
    assert time_of_day_buckets(time(11, 30)) == {"morning", "midday"}
    assert time_of_day_buckets(time(16, 30)) == {"midday", "evening"}
    assert time_of_day_buckets(time(20, 30)) == {"evening", "night"}
    assert time_of_day_buckets(time(2)) == {"night"}


def test_naive_datetimes_are_refused() -> None:
    m = meeting([MON], time(19), time(20), "UTC")
    with pytest.raises(ValueError):
        next_occurrences(m, datetime(2026, 1, 1), 1)


ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata",
         "America/Phoenix", "America/Santiago", "Pacific/Auckland", "Europe/Berlin"]


def _rrule_starts(m: Meeting, start: datetime, end: datetime) -> list[datetime]:
    """An independent expansion: dateutil.rrule over naive local times, resolved per date."""
    tz = ZoneInfo(m.timezone)
    byweekday = [(d - 1) % 7 for d in m.days]  # rrule: Monday = 0
    local_start = (start.astimezone(tz) - timedelta(days=2)).replace(tzinfo=None)
    rule = rrule.rrule(rrule.WEEKLY, byweekday=byweekday, byhour=m.start.hour,
                       byminute=m.start.minute, bysecond=0,
                       dtstart=local_start.replace(hour=0, minute=0, second=0, microsecond=0))
    found = []
    for naive in rule:
        aware = naive.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first instant / shift forward
        if aware >= end:
            break
        if aware >= start:
            found.append(aware)
    return found


@settings(max_examples=150, deadline=None)
@given(
    days=st.sets(st.integers(0, 6), min_size=1, max_size=7),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    zone=st.sampled_from(ZONES),
    start_day=st.integers(0, 730),
)
def test_matches_independent_rrule_expansion(days, hour, minute, zone, start_day) -> None:
    m = meeting(sorted(days), time(hour, minute), time((hour + 1) % 24, minute), zone)
    start = utc(2025, 1, 1) + timedelta(days=start_day)
    end = start + timedelta(days=35)
    ours = [o.start.astimezone(UTC) for o in occurrences_between(m, start, end)]
    assert ours == _rrule_starts(m, start, end)
    for occ in occurrences_between(m, start, end):
        assert mg_weekday(occ.start.date()) in days or occ.start.time() != time(hour, minute)
        assert resolve_local(occ.start.date(), time(hour, minute), zone) == occ.start
