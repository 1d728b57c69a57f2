"""ICS export of schedules (core.recurrence): every shape is read by icalendar, by the strict
`ical` parser and by recurring-ical-events, and what they expand over the next 12 months is
exactly core.schedule.meeting_plan: the same local starts in the meeting's zone, the same
lengths. Hypothesis draws the schedules; the named tests pin down the lines written."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from calendars import ics_export
from calendars.ics_export import (
    HOLIDAY_MONTHS,
    calendar_for,
    event_lines,
    meeting_ics,
    plan_events,
    vtimezone,
)
from core.errors import ValidationError
from core.model import Meeting
from core.recurrence import (
    ChangeKind,
    Closure,
    Frequency,
    Recurrence,
    Schedule,
    SittingChange,
)
from core.schedule import holiday_name, meeting_plan, scheduled_dates, to_occurrence
from core.schedule_edits import cancel_sitting, check_schedule, save_schedule_edit
from core.services import Services
from core.timezones import get_zone
from tests.calendars.conftest import ZOOM, meeting
from tests.calendars.test_ics_schedules_import import imported

UPDATED = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)  # a Saturday
NY = "America/New_York"

# With and without DST, both hemispheres, a 45-minute offset, a negative-DST zone, UTC.
ZONES = (NY, "Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/Phoenix",
         "Pacific/Chatham", "Europe/Dublin", "UTC")
# 02:30 falls in spring-forward gaps, 01:30 in fall-back overlaps, 23:30 runs past midnight.
TIMES = (time(19, 0), time(2, 30), time(1, 30), time(23, 30), time(0, 0), time(7, 15),
         time(12, 0))


def scheduled(
    slug: str,
    recurrence: Recurrence | None = None,
    changes: tuple[SittingChange, ...] = (),
    closures: tuple[Closure, ...] = (),
    **kw: Any,
) -> Meeting:
    m = meeting(slug, updated=kw.pop("updated", UPDATED), **kw)
    return replace(m, schedule=Schedule(recurrence or Recurrence(), changes, closures))


def _minutes(start: time, end: time) -> int:
    return ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) % 1440 or 1440


def window(m: Meeting) -> tuple[date, date]:
    """The next 12 months from the export's start (the last update, or the series start)."""
    lo = m.updated.astimezone(get_zone(m.timezone)).date()
    starts = m.schedule.recurrence.starts
    lo = max(lo, starts) if starts else lo
    return lo, lo + timedelta(days=365)


def core_sittings(m: Meeting) -> list[tuple[datetime, timedelta]]:
    """(local start in the meeting's zone, length) of every sitting core says happens."""
    lo, hi = window(m)
    found = []
    for sitting in meeting_plan(m, lo, hi):
        if sitting.happens:
            start = to_occurrence(m, sitting).start.replace(tzinfo=None)
            found.append((start, timedelta(minutes=_minutes(sitting.start, sitting.end))))
    return sorted(found)


def _bounds(m: Meeting) -> tuple[datetime, datetime]:
    lo, hi = window(m)
    tz = get_zone(m.timezone)
    return (datetime.combine(lo - timedelta(days=2), time(), tzinfo=tz),
            datetime.combine(hi + timedelta(days=3), time(), tzinfo=tz))


def _in_window(m: Meeting, start: datetime) -> datetime | None:
    lo, hi = window(m)
    # Through UTC: a wall time in a spring-forward gap becomes the instant core resolves it to.
    local = start.astimezone(UTC).astimezone(get_zone(m.timezone))
    return local.replace(tzinfo=None) if lo <= local.date() <= hi else None


def expanded(m: Meeting, cal: Calendar, uid_slug: str | None = None
             ) -> list[tuple[datetime, timedelta]]:
    """recurring-ical-events' sittings of `m` (events of its UIDs) in the window."""
    slug = uid_slug or m.slug
    found = []
    for event in recurring_ical_events.of(cal).between(*_bounds(m)):
        uid = str(event["UID"])
        if not (uid == f"{slug}@stepbot" or uid.startswith(f"{slug}-")):
            continue
        local = _in_window(m, event.start)
        if local is not None:
            # Both ends in the event's own zone: the difference is the wall-clock length.
            length = event.end.replace(tzinfo=None) - event.start.replace(tzinfo=None)
            found.append((local, length))
    return sorted(found)


def ical_starts(m: Meeting, data: bytes) -> list[datetime]:
    """The strict `ical` package's own expansion (its timeline) of the calendar."""
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    tz = get_zone(m.timezone)
    found = []
    for event in strict.timeline_tz(tz).overlapping(*_bounds(m)):
        if event.uid != f"{m.slug}@stepbot" and not event.uid.startswith(f"{m.slug}-"):
            continue
        local = _in_window(m, event.start)
        if local is not None:
            found.append(local)
    return sorted(found)


def _observance_range(cal: Calendar, zone: str) -> tuple[datetime, datetime]:
    moments: list[datetime] = []
    for tz in cal.timezones:
        if tz.tz_name != zone:
            continue
        for sub in tz.subcomponents:
            moments.append(sub["DTSTART"].dt)
            rdates = sub.get("RDATE", [])
            for rdate in rdates if isinstance(rdates, list) else [rdates]:
                moments += [p.dt for p in rdate.dts]
    return min(moments), max(moments)


def check_export(m: Meeting) -> bytes:
    """The meeting's calendar parses three ways and expands to core's sittings."""
    data = meeting_ics(m, now=m.updated)
    cal = Calendar.from_ical(data)
    assert cal.get_missing_tzids() == set()
    for event in cal.events:
        assert not event.errors
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert len(strict.events) == len(cal.events)
    want = core_sittings(m)
    assert expanded(m, cal) == want
    zone_is_utc = m.timezone in ics_export.UTC_ZONES
    if not (zone_is_utc and any(c.kind is ChangeKind.MOVED for c in m.schedule.changes)):
        # `ical` matches RECURRENCE-ID by its text and drops the Z of a UTC one, so it keeps
        # a moved sitting twice in UTC meetings (its bug: the file is RFC 5545).
        assert ical_starts(m, data) == [start for start, _ in want]
    for event in cal.events:
        rrule = event.get("RRULE")
        if rrule is not None and "UNTIL" in rrule:
            until = rrule["UNTIL"][0]
            assert until.tzinfo is not None and until.utcoffset() == timedelta(0)
    if not zone_is_utc and cal.events:
        first, last = _observance_range(cal, m.timezone)
        written = [e.start.replace(tzinfo=None) for e in cal.events]
        written += [e["RECURRENCE-ID"].dt.replace(tzinfo=None) for e in cal.events
                    if "RECURRENCE-ID" in e]
        assert first <= min(written)
        if m.timezone not in ("Asia/Kolkata", "America/Phoenix"):  # no transitions to list
            assert last.date() >= window(m)[1]
    return data


# ----------------------------------------------------------------------------- hypothesis


@st.composite
def schedules(draw: st.DrawFn) -> Meeting:
    zone = draw(st.sampled_from(ZONES))
    start = draw(st.sampled_from(TIMES))
    length = draw(st.sampled_from((30, 60, 90, 150)))
    end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=length)).time()
    days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=3))))
    updated = UPDATED + timedelta(days=draw(st.integers(0, 400)),
                                  hours=draw(st.integers(0, 23)))
    today = updated.astimezone(get_zone(zone)).date()

    def near(lo: int = -60, hi: int = 200) -> date:
        return today + timedelta(days=draw(st.integers(lo, hi)))

    kind = draw(st.sampled_from(("weekly", "ordinals", "month_days", "once")))
    starts = near() if draw(st.booleans()) else None
    until = None
    if draw(st.booleans()):
        until = (starts or today) + timedelta(days=draw(st.integers(0, 300)))
    holidays = draw(st.sampled_from((None, None, "US", "GB-SCT", "AU")))
    extra = tuple(sorted({near(-10, 300) for _ in range(draw(st.integers(0, 3)))}))
    if kind == "weekly":
        recurrence = Recurrence(interval=draw(st.integers(1, 4)), starts=starts, until=until,
                                dates=extra, holidays=holidays,
                                anchor=near(-100) if draw(st.booleans()) else None)
    elif kind == "ordinals":
        ordinals = draw(st.lists(st.sampled_from((1, 2, 3, 4, 5, -1)), min_size=1,
                                 max_size=2, unique=True))
        recurrence = Recurrence(Frequency.MONTHLY, interval=draw(st.sampled_from((1, 1, 2, 3))),
                                anchor=near(-60, 0), ordinals=tuple(ordinals), starts=starts,
                                until=until, dates=extra, holidays=holidays)
    elif kind == "month_days":
        month_days = draw(st.lists(st.sampled_from((1, 15, 28, 29, 30, 31, -1)), min_size=1,
                                   max_size=2, unique=True))
        recurrence = Recurrence(Frequency.MONTHLY, interval=draw(st.sampled_from((1, 1, 2))),
                                anchor=near(-60, 0), month_days=tuple(sorted(month_days)),
                                starts=starts, until=until, dates=extra, holidays=holidays)
    else:
        dates = tuple(sorted({near(-5, 330) for _ in range(draw(st.integers(1, 5)))}))
        recurrence = Recurrence(Frequency.ONCE, dates=dates, holidays=holidays)
    try:
        schedule = check_schedule(Schedule(recurrence), days, today=today)
    except ValidationError:
        schedule = check_schedule(Schedule(replace(recurrence, until=None)), days, today=today)
    sittings = scheduled_dates(schedule.recurrence, days, today - timedelta(days=20),
                               today + timedelta(days=380))
    changes: dict[date, SittingChange] = {}
    if sittings:
        for _ in range(draw(st.integers(0, 4))):
            day = draw(st.sampled_from(sittings))
            if draw(st.booleans()):
                changes[day] = SittingChange(day, ChangeKind.CANCELLED,
                                             draw(st.none() | st.just("snow")))
                continue
            offset = draw(st.sampled_from((0, 0, -1, 1, 2, -3)))
            new_end = draw(st.none() | st.sampled_from(TIMES))
            new_start = draw(st.sampled_from(TIMES))
            if new_end == new_start:
                new_end = None
            changes[day] = SittingChange(
                day, ChangeKind.MOVED, draw(st.none() | st.just("hall, closed; sorry")),
                new_date=day + timedelta(days=offset) if offset else None,
                new_start=new_start, new_end=new_end,
                url=draw(st.none() | st.just("https://zoom.us/j/999")),
                place=draw(st.none() | st.just("Library, room 2")))
    closures = []
    for _ in range(draw(st.integers(0, 2))):
        first = near(-10, 300)
        closures.append(Closure(first, first + timedelta(days=draw(st.integers(0, 45))),
                                draw(st.none() | st.just("renovation"))))
    schedule = replace(schedule, changes=tuple(sorted(changes.values(), key=lambda c: c.date)),
                       closures=tuple(closures))
    m = meeting(f"drawn-{kind}", days=list(days), start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"), timezone=zone, updated=updated,
                online=draw(st.sampled_from((ZOOM, meeting("x").online))))
    return replace(m, schedule=schedule, sequence=draw(st.integers(0, 5)))


# The same examples on every run (CI must not turn red on a new draw); STEPBOT_EXPLORE=1 draws
# new ones.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=not os.environ.get("STEPBOT_EXPLORE"))
@given(schedules())
def test_every_schedule_expands_to_core_plan(m: Meeting) -> None:
    check_export(m)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=not os.environ.get("STEPBOT_EXPLORE"))
@given(st.lists(schedules(), min_size=2, max_size=5))
def test_feed_of_several_drawn_meetings(drawn: list[Meeting]) -> None:
    meetings = [replace(m, slug=f"m{i}-{m.slug}") for i, m in enumerate(drawn)]
    now = max(m.updated for m in meetings)
    data = calendar_for(meetings, name="feed", now=now)
    assert data == calendar_for(list(reversed(meetings)), name="feed", now=now)
    cal = Calendar.from_ical(data)
    IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    zones = {m.timezone for m in meetings if m.timezone not in ics_export.UTC_ZONES
             and plan_events(m, today=now.date()).dates()}
    assert sorted(tz.tz_name for tz in cal.timezones) == sorted(zones)
    for m in meetings:
        # Holidays are looked up from the feed's `now`: a meeting updated earlier still has
        # them for its first 12 months.
        assert expanded(m, cal) == core_sittings(m)


# ----------------------------------------------------------------------------- shapes


def _event(data: bytes, recurrence_id: bool = False) -> Any:
    events = [e for e in Calendar.from_ical(data).events
              if ("RECURRENCE-ID" in e) == recurrence_id]
    assert len(events) == 1
    return events[0]


def _rule(data: bytes) -> str:
    """The RRULE value as written (icalendar would reorder its parts)."""
    lines = data.replace(b"\r\n ", b"").decode().split("\r\n")
    rules = [line.removeprefix("RRULE:") for line in lines if line.startswith("RRULE:")]
    assert len(rules) == 1
    return rules[0]


def test_every_other_week_starts_in_the_anchor_phase() -> None:
    # Anchored on Monday 5 Jan 2026; updated Saturday 10 Jan: the 12th is an off week.
    m = scheduled("fortnightly", Recurrence(interval=2, anchor=date(2026, 1, 5)),
                  days=["monday", "thursday"])
    data = check_export(m)
    assert _rule(data) == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=MO"
    assert _event(data).start.replace(tzinfo=None) == datetime(2026, 1, 19, 19, 0)


@pytest.mark.parametrize(("recurrence", "days", "rule"), [
    (Recurrence(Frequency.MONTHLY, ordinals=(1,)), ["saturday"], "FREQ=MONTHLY;BYDAY=1SA"),
    (Recurrence(Frequency.MONTHLY, ordinals=(-1,)), ["friday"], "FREQ=MONTHLY;BYDAY=-1FR"),
    (Recurrence(Frequency.MONTHLY, ordinals=(1, 3)), ["tuesday"],
     "FREQ=MONTHLY;BYDAY=1TU,3TU"),
    (Recurrence(Frequency.MONTHLY, ordinals=(5,)), ["sunday"], "FREQ=MONTHLY;BYDAY=5SU"),
    (Recurrence(Frequency.MONTHLY, month_days=(15, -1)), ["monday"],
     "FREQ=MONTHLY;BYMONTHDAY=15,-1"),
    (Recurrence(Frequency.MONTHLY, interval=2, anchor=date(2026, 1, 1), ordinals=(2,)),
     ["wednesday"], "FREQ=MONTHLY;INTERVAL=2;BYDAY=2WE"),
])
def test_monthly_rules(recurrence: Recurrence, days: list[str], rule: str) -> None:
    m = scheduled("monthly", recurrence, days=days)
    data = check_export(m)
    assert _rule(data) == rule
    first = core_sittings(m)[0][0]
    assert _event(data).start.replace(tzinfo=None) == first


def test_bounded_series_until_is_utc_and_dtstart_respects_starts() -> None:
    m = scheduled("bounded", Recurrence(starts=date(2026, 3, 1), until=date(2026, 6, 29)),
                  days=["monday"])
    data = check_export(m)
    # 23:59:59 EDT on the last day is 03:59:59 UTC the next morning.
    assert _rule(data) == "FREQ=WEEKLY;UNTIL=20260630T035959Z;BYDAY=MO"
    assert b"DTSTART;TZID=America/New_York:20260302T190000" in data
    expansion = expanded(m, Calendar.from_ical(data))
    assert expansion[-1][0] == datetime(2026, 6, 29, 19, 0) and len(expansion) == 18


def test_extra_dates_are_rdates_and_earlier_ones_single_events() -> None:
    # Updated Saturday 10 Jan; the series' first Monday is the 12th, an extra Sunday the 11th.
    m = scheduled("extras", Recurrence(dates=(date(2026, 1, 11), date(2026, 2, 28))),
                  days=["monday"])
    data = check_export(m)
    assert b"RDATE;TZID=America/New_York:20260228T190000\r\n" in data
    single = [e for e in Calendar.from_ical(data).events
              if str(e["UID"]) == "extras-20260111@stepbot"]
    assert len(single) == 1 and "RRULE" not in single[0]


def test_one_offs_are_one_event_each() -> None:
    m = scheduled(
        "roundup",
        Recurrence(Frequency.ONCE, dates=(date(2026, 2, 14), date(2026, 3, 14), date(2026, 4, 11))),
        changes=(SittingChange(date(2026, 3, 14), ChangeKind.CANCELLED, "storm"),
                 SittingChange(date(2026, 4, 11), ChangeKind.MOVED, new_start=time(10, 0))),
        days=["saturday"],
    )
    data = check_export(m)
    cal = Calendar.from_ical(data)
    assert sorted(str(e["UID"]) for e in cal.events) == [
        "roundup-20260214@stepbot", "roundup-20260411@stepbot"]  # the cancelled one is left out
    assert all("RRULE" not in e and "RECURRENCE-ID" not in e for e in cal.events)
    moved = next(e for e in cal.events if str(e["UID"]) == "roundup-20260411@stepbot")
    assert moved.start.replace(tzinfo=None) == datetime(2026, 4, 11, 10, 0)
    assert "another time" in str(moved["DESCRIPTION"])


def test_cancellations_closures_and_holidays_are_exdates() -> None:
    m = scheduled(
        "exceptions",
        Recurrence(holidays="US"),
        changes=(SittingChange(date(2026, 2, 2), ChangeKind.CANCELLED, "snow"),),
        closures=(Closure(date(2026, 3, 1), date(2026, 3, 20), "renovation"),),
        days=["monday"],
    )
    data = check_export(m)
    event = _event(data)
    exdates = sorted(d.dt.replace(tzinfo=None) for e in event["EXDATE"] for d in e.dts)
    assert exdates[:6] == [
        datetime(2026, 1, 19, 19, 0),  # Martin Luther King Jr. Day
        datetime(2026, 2, 2, 19, 0),  # cancelled
        datetime(2026, 2, 16, 19, 0),  # Washington's Birthday
        datetime(2026, 3, 2, 19, 0),  # closed
        datetime(2026, 3, 9, 19, 0),
        datetime(2026, 3, 16, 19, 0),
    ]
    assert b"EXDATE;TZID=America/New_York:20260119T190000\r\n" in data
    # Holidays up to the end of the month HOLIDAY_MONTHS ahead, and no further.
    horizon = date(2027, 7, 31)
    assert HOLIDAY_MONTHS == 18
    assert max(exdates).date() <= horizon
    assert holiday_name("US", max(exdates).date()) is not None
    assert date(2027, 9, 6) not in {d.date() for d in exdates}  # Labor Day 2027: past it
    later = meeting_ics(m, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert b"EXDATE;TZID=America/New_York:20270906T190000\r\n" in later
    assert meeting_ics(m, now=UPDATED + timedelta(days=5)) == meeting_ics(m, now=UPDATED)


def test_moved_sitting_overrides_with_recurrence_id() -> None:
    m = scheduled(
        "moved",
        changes=(
            SittingChange(date(2026, 1, 19), ChangeKind.MOVED, "the hall is closed",
                          new_date=date(2026, 1, 20), new_start=time(23, 30),
                          url="https://zoom.us/j/42", place="Library, room 2"),
            SittingChange(date(2026, 3, 9), ChangeKind.MOVED, new_start=time(2, 30)),
        ),
        days=["monday"],
    )
    data = check_export(m)
    overrides = sorted((e for e in Calendar.from_ical(data).events if "RECURRENCE-ID" in e),
                       key=lambda e: e.start)
    assert len(overrides) == 2 and all(str(e["UID"]) == "moved@stepbot" for e in overrides)
    first = overrides[0]
    assert first["RECURRENCE-ID"].dt.replace(tzinfo=None) == datetime(2026, 1, 19, 19, 0)
    assert first["RECURRENCE-ID"].params["TZID"] == NY
    assert first.start.replace(tzinfo=None) == datetime(2026, 1, 20, 23, 30)
    assert first.end.replace(tzinfo=None) == datetime(2026, 1, 21, 0, 30)  # past midnight
    assert str(first["LOCATION"]) == "Library, room 2" and "GEO" not in first
    assert str(first["URL"]) == "https://zoom.us/j/42"
    assert "the hall is closed" in str(first["DESCRIPTION"])
    assert int(first["SEQUENCE"]) == int(_event(data)["SEQUENCE"])
    # A move onto the spring-forward gap: written as 02:30, read as 03:30 EDT, as core does.
    assert overrides[1].start.replace(tzinfo=None) == datetime(2026, 3, 9, 2, 30)


def test_moved_sitting_from_before_the_update_is_kept() -> None:
    m = scheduled("early", changes=(SittingChange(date(2026, 1, 5), ChangeKind.MOVED,
                                                  new_date=date(2026, 1, 14),
                                                  new_start=time(18, 0)),),
                  days=["monday"])
    data = check_export(m)
    assert b"RECURRENCE-ID;TZID=America/New_York:20260105T190000" in data
    assert _event(data).start.replace(tzinfo=None) == datetime(2026, 1, 5, 19, 0)


def test_series_that_ended_writes_no_event_and_empty_calendar_is_valid() -> None:
    m = scheduled("ended", Recurrence(until=date(2026, 1, 1)), days=["monday"])
    assert event_lines(m) == []
    data = meeting_ics(m)
    assert Calendar.from_ical(data).events == [] and b"VTIMEZONE" not in data
    IcsCalendarStream.calendar_from_ics(data.decode())


def test_utc_meeting_schedule_lines_use_utc_form() -> None:
    m = scheduled("utc", Recurrence(interval=3, anchor=date(2026, 1, 12), until=date(2026, 9, 1)),
                  changes=(SittingChange(date(2026, 2, 2), ChangeKind.MOVED,
                                         new_start=time(8, 0)),
                           SittingChange(date(2026, 2, 23), ChangeKind.CANCELLED)),
                  timezone="UTC", days=["monday"])
    data = check_export(m)
    assert b"VTIMEZONE" not in data
    assert b"RECURRENCE-ID:20260202T190000Z\r\n" in data
    assert b"EXDATE:20260223T190000Z\r\n" in data
    assert _rule(data) == "FREQ=WEEKLY;INTERVAL=3;UNTIL=20260901T235959Z;BYDAY=MO;WKST=MO"


def test_vtimezone_covers_dates_far_ahead() -> None:
    m = scheduled("far", Recurrence(Frequency.ONCE, dates=(date(2026, 2, 1), date(2049, 3, 7))),
                  days=["sunday"], timezone="Europe/London")
    data = check_export(m)
    cal = Calendar.from_ical(data)
    first, last = _observance_range(cal, "Europe/London")
    assert first.year == 2026 and last.year >= 2049


def test_plain_weekly_meeting_is_written_as_before() -> None:
    """Byte for byte what the export wrote before schedules (subscribed calendars must not
    churn): the recurring event, and its VTIMEZONE from the first year on."""
    m = meeting("plain", days=["monday", "thursday"], updated=UPDATED, online=ZOOM)
    assert event_lines(m) == [
        "BEGIN:VEVENT",
        "UID:plain@stepbot",
        "DTSTAMP:20260110T120000Z",
        "LAST-MODIFIED:20260110T120000Z",
        "SEQUENCE:0",
        "SUMMARY:Plain",
        "DTSTART;TZID=America/New_York:20260112T190000",
        "DTEND;TZID=America/New_York:20260112T200000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        "LOCATION:Community Hall (demo)\\, 1 Example Street\\, Springfield",
        "GEO:42.100000;-72.590000",
        "URL:https://zoom.us/j/5550001234",
        "DESCRIPTION:Join: https://zoom.us/j/5550001234 (Passcode: fictional)\\nPhone: +1 555 0"
        "00 1234\\nTypes: Open\\, Women\\nFellowship: Alcoholics Anonymous",
        "CATEGORIES:AA,Open,Women",
        "STATUS:CONFIRMED",
        "END:VEVENT",
    ]
    data = meeting_ics(m)
    assert vtimezone(NY, 2026) in data
    assert b"COMMENT:This timezone only works from 2026-01-01 to 2045-01-01." in data
    # A schedule with nothing but the default recurrence is plain too.
    assert meeting_ics(replace(m, schedule=Schedule())) == data


def test_a_weekly_series_with_an_anchor_only_writes_the_plain_rule() -> None:
    m = scheduled("anchored", Recurrence(anchor=date(2026, 1, 5)), days=["monday"])
    data = check_export(m)
    assert _rule(data) == "FREQ=WEEKLY;BYDAY=MO"


async def test_schedule_edit_keeps_the_uid(services: Services) -> None:
    stored = await services.meetings.add(meeting("edited", days=["monday"]))
    before = _event(meeting_ics(stored))
    edited = await save_schedule_edit(services, stored.slug,
                                      lambda m: cancel_sitting(m, date(2026, 6, 8), "holiday"))
    after = _event(meeting_ics(edited, now=services.clock.now()))
    assert str(after["UID"]) == str(before["UID"]) == "edited@stepbot"
    assert b"20260608T190000" in after["EXDATE"].to_ical()


@pytest.mark.xfail(strict=True, reason="core.schedule_edits.save_schedule_edit stores the edit "
                   "without raising meeting.sequence (outside the export; reported)")
async def test_schedule_edit_raises_sequence(services: Services) -> None:
    stored = await services.meetings.add(meeting("edited", days=["monday"]))
    edited = await save_schedule_edit(services, stored.slug,
                                      lambda m: cancel_sitting(m, date(2026, 6, 8), "holiday"))
    assert edited.sequence > stored.sequence
    assert int(_event(meeting_ics(edited))["SEQUENCE"]) > int(_event(meeting_ics(stored))[
        "SEQUENCE"])


# ----------------------------------------------------------------------------- round trip


def sittings_between(m: Meeting, lo: date, hi: date, after: datetime
                     ) -> list[tuple[datetime, timedelta]]:
    """(local start, length) of the sittings on [lo, hi] that start after `after`."""
    found = []
    for sitting in meeting_plan(m, lo, hi):
        if sitting.happens:
            start = to_occurrence(m, sitting).start
            if start > after:
                found.append((start.replace(tzinfo=None),
                              timedelta(minutes=_minutes(sitting.start, sitting.end))))
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=not os.environ.get("STEPBOT_EXPLORE"))
@given(schedules())
def test_export_then_import_gives_back_the_same_sittings(m: Meeting) -> None:
    """What another stepbot (or this one) imports from the export meets when `m` meets."""
    data = meeting_ics(m, now=m.updated)
    meetings, skipped, _ = imported(data, m.updated, default_tz=m.timezone)
    lo, hi = window(m)
    got = sorted(s for back in meetings.values()
                 for s in sittings_between(back, lo, hi, m.updated))
    assert got == sorted(sittings_between(m, lo, hi, m.updated)), skipped
