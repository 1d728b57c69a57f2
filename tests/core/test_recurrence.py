"""Schedules as calendars say them: every N weeks, monthly by ordinal weekday or day, one-off,
series bounds, cancelled / moved sittings, closures, public holidays — one expansion."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.clock import FakeClock
from core.errors import ValidationError
from core.recurrence import Frequency, Recurrence, Schedule
from core.schedule import (
    SittingStatus,
    meeting_plan,
    next_occurrences,
    occurrence_on,
    occurrences_between,
)
from core.schedule_edits import (
    cancel_sitting,
    close_meeting,
    move_sitting,
    parse_every,
    restore_sitting,
)
from core.search import MeetingQuery, When
from core.services import Services
from tests.helpers import make_meeting

NY = "America/New_York"


def dates(meeting, first: date, last: date) -> list[date]:  # type: ignore[no-untyped-def]
    return [s.day for s in meeting_plan(meeting, first, last) if s.happens]


def monthly(days: list[str], *ordinals: int, slug: str = "m"):  # type: ignore[no-untyped-def]
    return make_meeting(slug, days=days, schedule=Schedule(Recurrence(
        Frequency.MONTHLY, ordinals=ordinals)))


def test_last_friday_in_months_with_four_and_five_fridays() -> None:
    m = monthly(["friday"], -1)
    # Jan 2027 has five Fridays (last = 29th), Feb 2027 four (last = 26th).
    assert dates(m, date(2027, 1, 1), date(2027, 2, 28)) == [date(2027, 1, 29),
                                                             date(2027, 2, 26)]


def test_fifth_tuesday_skips_months_without_one() -> None:
    m = monthly(["tuesday"], 5)
    found = dates(m, date(2026, 1, 1), date(2026, 12, 31))
    assert found == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 29),
                     date(2026, 12, 29)]


def test_first_and_third_tuesday_and_first_saturday() -> None:
    m = monthly(["tuesday"], 1, 3)
    assert dates(m, date(2026, 12, 1), date(2026, 12, 31)) == [date(2026, 12, 1),
                                                               date(2026, 12, 15)]
    sat = monthly(["saturday"], 1)
    assert dates(sat, date(2026, 12, 1), date(2027, 1, 31)) == [date(2026, 12, 5),
                                                                date(2027, 1, 2)]


def test_monthly_on_a_day_of_the_month() -> None:
    m = make_meeting("d", days=["sunday"], schedule=Schedule(Recurrence(
        Frequency.MONTHLY, month_days=(31,))))
    assert dates(m, date(2026, 1, 1), date(2026, 4, 30)) == [date(2026, 1, 31),
                                                             date(2026, 3, 31)]


def test_every_other_week_across_a_dst_change() -> None:
    # Every other Sunday 19:00 from 2026-10-25; US clocks fall back on 2026-11-01.
    m = make_meeting("bi", days=["sunday"], schedule=Schedule(Recurrence(
        interval=2, anchor=date(2026, 10, 25))))
    start = datetime(2026, 10, 20, tzinfo=UTC)
    occs = list(occurrences_between(m, start, start + timedelta(days=40)))
    assert [o.start.date() for o in occs] == [date(2026, 10, 25), date(2026, 11, 8),
                                               date(2026, 11, 22)]
    assert all(o.start.time() == time(19, 0) for o in occs)  # local wall time kept
    assert [o.start.utcoffset() for o in occs][0] != occs[1].start.utcoffset()
    # The phase holds years later (the rule restarts near the range, in the same phase).
    later = dates(m, date(2030, 1, 1), date(2030, 1, 31))
    assert all((d - date(2026, 10, 25)).days % 14 == 0 for d in later) and len(later) == 2


def test_series_bounds_and_a_series_that_starts_next_month() -> None:
    m = make_meeting("s", days=["thursday"], schedule=Schedule(Recurrence(
        starts=date(2027, 1, 7), until=date(2027, 1, 28))))
    assert dates(m, date(2026, 12, 1), date(2027, 3, 1)) == [
        date(2027, 1, 7), date(2027, 1, 14), date(2027, 1, 21), date(2027, 1, 28)]
    this_week = next_occurrences(m, datetime(2026, 12, 3, tzinfo=UTC), 1)
    assert this_week[0].start.date() == date(2027, 1, 7)


def test_a_past_one_off_is_never_shown() -> None:
    m = make_meeting("o", days=[], schedule=Schedule(Recurrence(
        Frequency.ONCE, dates=(date(2026, 11, 1), date(2026, 12, 20)))))
    after = datetime(2026, 12, 4, tzinfo=UTC)
    assert [o.start.date() for o in next_occurrences(m, after, 5)] == [date(2026, 12, 20)]
    assert next_occurrences(m, datetime(2027, 1, 1, tzinfo=UTC), 3) == []
    assert m.days == (0,)  # its weekday, for the slug and Meeting Guide


def test_cancellation_on_a_dst_change_day() -> None:
    # US spring forward 2026-03-08 (a Sunday): the sitting that day is cancelled.
    m = make_meeting("c", days=["sunday"], start="02:30")
    m = cancel_sitting(m, date(2026, 3, 8), "Daylight saving")
    plan = meeting_plan(m, date(2026, 3, 1), date(2026, 3, 15))
    assert [(s.day, s.status) for s in plan] == [
        (date(2026, 3, 1), SittingStatus.REGULAR),
        (date(2026, 3, 8), SittingStatus.CANCELLED),
        (date(2026, 3, 15), SittingStatus.REGULAR)]
    assert occurrence_on(m, date(2026, 3, 8)) is None
    assert plan[1].reason == "Daylight saving"
    restored = restore_sitting(m, date(2026, 3, 8))
    occ = occurrence_on(restored, date(2026, 3, 8))
    assert occ is not None and occ.start.time() == time(3, 30)  # the gap → forward


def test_a_moved_sitting_crossing_midnight_and_the_viewer_day() -> None:
    # Thursday 19:00–20:00 New York, moved to 23:30–00:30 on the same Thursday.
    m = make_meeting("mv", days=["thursday"], start="19:00", end="20:00")
    m = move_sitting(m, date(2026, 12, 17), "23:30", "00:30")
    occ = occurrence_on(m, date(2026, 12, 17))
    assert occ is not None and occ.change is not None and occ.key_date == date(2026, 12, 17)
    assert occ.start == datetime(2026, 12, 17, 23, 30, tzinfo=occ.start.tzinfo)
    assert occ.end.date() == date(2026, 12, 18) and occ.end.time() == time(0, 30)
    # For a viewer in London the moved sitting is on Friday.
    assert occ.start_in("Europe/London").date() == date(2026, 12, 18)
    # Moved to the next day: found on its new date, not on the old one.
    m2 = move_sitting(make_meeting("mv2", days=["thursday"]), date(2026, 12, 17), "21:00",
                      new_date=date(2026, 12, 18))
    assert dates(m2, date(2026, 12, 14), date(2026, 12, 20)) == [date(2026, 12, 18)]


def test_closures_and_holidays_in_two_countries() -> None:
    m = make_meeting("h", days=["thursday", "friday"], schedule=Schedule(Recurrence(
        holidays="US")))
    plan = meeting_plan(m, date(2026, 11, 23), date(2026, 11, 29))
    assert [(s.day, s.status, s.reason) for s in plan][0] == (
        date(2026, 11, 26), SittingStatus.HOLIDAY, "Thanksgiving Day")
    uk = make_meeting("uk", days=["friday"], timezone="Europe/London",
                      schedule=Schedule(Recurrence(holidays="GB")))
    assert dates(uk, date(2026, 12, 21), date(2026, 12, 31)) == []  # Fri 25 Dec: Christmas
    closed = close_meeting(make_meeting("cl", days=["thursday"]), date(2026, 12, 20),
                           date(2027, 1, 10), "renovation")
    assert dates(closed, date(2026, 12, 14), date(2027, 1, 20)) == [date(2026, 12, 17),
                                                                    date(2027, 1, 14)]


def test_bad_changes_are_refused() -> None:
    m = make_meeting("b", days=["thursday"])
    with pytest.raises(ValidationError) as err:
        cancel_sitting(m, date(2026, 12, 16))  # a Wednesday
    assert err.value.key == "error.not_a_sitting"
    with pytest.raises(ValidationError):
        restore_sitting(m, date(2026, 12, 17))
    with pytest.raises(ValidationError):
        make_meeting("x", schedule=Schedule(Recurrence(holidays="ZZ")))
    with pytest.raises(ValidationError):
        parse_every("every blue moon")


@pytest.mark.parametrize(("phrase", "expected"), [
    ("1st saturday", (Recurrence(Frequency.MONTHLY, ordinals=(1,)), (6,))),
    ("1st and 3rd tuesday", (Recurrence(Frequency.MONTHLY, ordinals=(1, 3)), (2,))),
    ("last friday", (Recurrence(Frequency.MONTHLY, ordinals=(-1,)), (5,))),
    ("primer sábado", (Recurrence(Frequency.MONTHLY, ordinals=(1,)), (6,))),
    ("2 weeks", (Recurrence(interval=2), (4,))),
    ("every other tuesday", (Recurrence(interval=2), (2,))),
    ("day 15", (Recurrence(Frequency.MONTHLY, month_days=(15,)), (4,))),
    ("once 2026-12-20", (Recurrence(Frequency.ONCE, dates=(date(2026, 12, 20),)), (0,))),
])
def test_parse_every(phrase: str, expected: tuple[Recurrence, tuple[int, ...]]) -> None:
    assert parse_every(phrase, (4,)) == expected


async def test_search_honours_cancelled_moved_monthly_and_one_off(
    services: Services, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))  # Thursday 07:00 in New York
    weekly = await services.meetings.add(make_meeting("weekly", days=["thursday"]))
    cancelled = cancel_sitting(weekly, date(2026, 12, 3), "holiday")
    async with services.db.transaction() as conn:
        await services.meetings.update(conn, cancelled)
    moved = make_meeting("moved", days=["thursday"], start="19:00", end="20:00")
    await services.meetings.add(move_sitting(moved, date(2026, 12, 3), "21:00"))
    await services.meetings.add(monthly(["thursday"], 1, slug="first-thursday"))
    await services.meetings.add(monthly(["thursday"], 2, slug="second-thursday"))
    await services.meetings.add(make_meeting("one-off", days=[], schedule=Schedule(Recurrence(
        Frequency.ONCE, dates=(date(2026, 12, 10),)))))

    today = await services.search.search(MeetingQuery(when=When.TODAY, viewer_tz=NY))
    slugs = {h.meeting.slug: h for h in today.hits}
    assert set(slugs) == {"moved", "first-thursday"}
    assert slugs["moved"].occurrence.start_in(NY).time() == time(21, 0)
    assert slugs["moved"].occurrence.change is not None
    week = await services.search.search(MeetingQuery(when=When.UPCOMING, viewer_tz=NY,
                                                     limit=50), datetime(2026, 12, 4, 12, tzinfo=UTC))
    found = sorted((h.meeting.slug, h.occurrence.start_in(NY).date()) for h in week.hits)
    assert found == [("moved", date(2026, 12, 10)), ("one-off", date(2026, 12, 10)),
                     ("second-thursday", date(2026, 12, 10)), ("weekly", date(2026, 12, 10))]
    # A change made later is seen by search at once (materialised rows rebuilt).
    restored = restore_sitting(cancelled, date(2026, 12, 3))
    async with services.db.transaction() as conn:
        await services.meetings.update(conn, replace(restored, id=weekly.id))
    again = await services.search.search(MeetingQuery(when=When.TODAY, viewer_tz=NY))
    assert "weekly" in {h.meeting.slug for h in again.hits}


async def test_an_existing_database_is_upgraded_in_place(services: Services) -> None:
    """A database from before schedules (no `schedule` column, migration 6 not applied)
    keeps every meeting's slug, UID source and times, and gains the new schedules."""
    from core.store.db import Database

    stored = await services.meetings.add(make_meeting("old-timer", days=["monday", "friday"]))
    await services.search.search(MeetingQuery(when=When.UPCOMING))
    before = await services.db.fetchall("SELECT start_utc, end_utc FROM occurrences")
    assert len(before) >= 2
    await services.db.conn.execute("ALTER TABLE meetings DROP COLUMN schedule")
    await services.db.conn.execute("DELETE FROM schema_migrations WHERE version = 6")
    path = services.db.path
    db = await Database.open(path)
    try:
        assert await db.scalar("SELECT max(version) FROM schema_migrations") >= 6
        row = await db.fetchone("SELECT slug, schedule, start_min FROM meetings")
        assert row is not None and tuple(row) == ("old-timer", None, 19 * 60)
        after = await db.fetchall("SELECT start_utc, end_utc FROM occurrences")
        assert [tuple(r) for r in after] == [tuple(r) for r in before]
    finally:
        await db.close()
    again = await services.meetings.get("old-timer")
    assert again is not None and again.schedule.is_plain_weekly and again.id == stored.id
