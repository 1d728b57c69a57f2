"""ICS import of schedules: every N weeks, monthly, COUNT/UNTIL, EXDATE, RDATE, RECURRENCE-ID,
one-offs. The truth for every imported event: core.schedule's sittings over the next 12
months equal recurring-ical-events' expansion of the same file (local start in the meeting's
zone and length). `now` is the fake clock's, 2026-06-03 15:00 UTC."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from icalendar import Calendar

from calendars.ics_import import base_uid, parse_ics
from calendars.records import ImportContext
from core.model import Meeting
from core.recurrence import ChangeKind, Frequency
from core.schedule import SittingStatus, meeting_plan, occurrence_on, to_occurrence
from core.services import Services
from tests.calendars.conftest import do_import, fixture_bytes, total_changes

NOW = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)
RIE_CALENDARS = Path(recurring_ical_events.__file__).parent / "test" / "calendars"
ICALENDAR_CALENDARS = Path(icalendar.__file__).parent / "tests" / "calendars"
# Skip reasons that say the event has nothing ahead: then the truth must have no sitting
# either. (Other skips are of events the model does not hold: yearly, all-day, …)
NOTHING_AHEAD = ("ended on", "already happened", "before it starts")

Sittings = list[tuple[datetime, timedelta | None]]


# ---------------------------------------------------------------------------- the harness


def context(now: datetime = NOW, default_tz: str | None = None) -> ImportContext:
    return ImportContext(source="test", community=None, fellowship="aa",
                         default_tz=default_tz, now=now)


def imported(data: bytes, now: datetime = NOW, default_tz: str | None = None
             ) -> tuple[dict[str, Meeting], dict[str, str], list[str]]:
    """(meetings by source_ref, skip reasons by UID, warnings) of parsing `data`."""
    ctx = context(now, default_tz)
    result = parse_ics(data, ctx)
    meetings = {r.ref: r.convert() for r in result.records}
    return meetings, dict(result.skipped), ctx.warnings


def ours(meeting: Meeting, lo: datetime, hi: datetime) -> Sittings:
    """Sittings core.schedule gives, starting in [lo, hi): (local start, length)."""
    tz = ZoneInfo(meeting.timezone)
    found: Sittings = []
    first = (lo.astimezone(tz) - timedelta(days=2)).date()
    last = (hi.astimezone(tz) + timedelta(days=2)).date()
    for sitting in meeting_plan(meeting, first, last):
        if not sitting.happens:
            continue
        occ = to_occurrence(meeting, sitting)
        if lo <= occ.start < hi:
            found.append((occ.start.astimezone(tz),
                          occ.end.astimezone(UTC) - occ.start.astimezone(UTC)))
    return sorted(found)


def truth(data: bytes, lo: datetime, hi: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
    """recurring-ical-events' timed occurrences around [lo, hi), cancelled ones left out, by
    base UID: (start, end), naive for floating times."""
    found: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    calendar = Calendar.from_ical(data)
    for occ in recurring_ical_events.of(calendar).between(lo - timedelta(days=2),
                                                          hi + timedelta(days=2)):
        if str(occ.get("STATUS", "")).upper() == "CANCELLED" or occ.get("UID") is None:
            continue
        start = occ["DTSTART"].dt
        if not isinstance(start, datetime):
            continue
        end = occ["DTEND"].dt if occ.get("DTEND") is not None else start
        found[base_uid(str(occ["UID"]))].append((start, end))
    return found


def compare(meeting: Meeting, expected: list[tuple[datetime, datetime]], got: Sittings,
            lo: datetime, hi: datetime) -> None:
    tz = ZoneInfo(meeting.timezone)
    want: Sittings = []
    for start, end in expected:
        if start.tzinfo is None:  # floating: the meeting's zone
            start, end = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
        # meetings keep times to the minute; a wall time in a gap is read at its instant
        start = start.replace(second=0, microsecond=0).astimezone(UTC).astimezone(tz)
        end = end.replace(second=0, microsecond=0).astimezone(UTC).astimezone(tz)
        if not lo <= start < hi:
            continue
        length = end - start if end.utcoffset() == start.utcoffset() else \
            end.astimezone(UTC) - start.astimezone(UTC)
        # A length of zero or less (DTEND = DTSTART, or an end in a spring-forward gap) is
        # given the usual length by core (to_occurrence): only the start is compared then.
        want.append((start, length if length > timedelta(0) else None))
    want.sort(key=lambda s: s[0])
    mine, theirs = [s for s, _ in got], [s for s, _ in want]
    assert mine == theirs, (
        f"{meeting.source_ref}: starts differ\n only ours:  "
        f"{[str(s) for s in sorted(set(mine) - set(theirs))][:8]}\n only truth: "
        f"{[str(s) for s in sorted(set(theirs) - set(mine))][:8]}\n"
        f" (ours {len(mine)}, truth {len(theirs)})\n schedule: {meeting.schedule}"
    )
    for (start, length), (_, wanted) in zip(got, want, strict=True):
        if wanted is not None:
            assert length == wanted, f"{meeting.source_ref}: length on {start}: {length} != " \
                                     f"{wanted}\n schedule: {meeting.schedule}"


def assert_truth(data: bytes, now: datetime = NOW, *, months: int = 12,
                 default_tz: str | None = None, ignore: tuple[str, ...] = ()
                 ) -> tuple[dict[str, Meeting], dict[str, str], list[str]]:
    """Import `data` at `now` and check every event against recurring-ical-events over the
    next `months` months. An event skipped as ended or past must have no sitting there. `ignore`: refs with a documented difference."""
    meetings, skipped, warnings = imported(data, now, default_tz)
    lo, hi = now, now + timedelta(days=round(months * 30.44))
    expected = truth(data, lo, hi)
    for ref, meeting in meetings.items():
        if ref not in ignore:
            compare(meeting, expected.get(ref, []), ours(meeting, lo, hi), lo, hi)
    for uid, reason in skipped.items():
        ref = base_uid(uid)
        if ref in meetings or ref in ignore or not any(w in reason for w in NOTHING_AHEAD):
            continue
        ahead = [s for s, _ in expected.get(ref, []) if s.tzinfo is None or lo <= s < hi]
        assert not ahead, f"{reason} — yet it has sittings: {ahead[:3]}"
    return meetings, skipped, warnings


def vcalendar(*events: str, x_wr: str | None = None) -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//stepbot tests//EN"]
    if x_wr:
        head.append(f"X-WR-TIMEZONE:{x_wr}")
    return ("\r\n".join([*head, *events, "END:VCALENDAR"]) + "\r\n").encode()


def vevent(*lines: str, uid: str = "e1@example.org", summary: str = "Test Group (fictional)"
           ) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}",
                        "DTSTAMP:20260601T000000Z", *lines, "END:VEVENT"])


def one(data: bytes, now: datetime = NOW) -> Meeting:
    meetings, skipped, _ = assert_truth(data, now)
    assert len(meetings) == 1, skipped
    return next(iter(meetings.values()))


def skip_reason(data: bytes, now: datetime = NOW) -> str:
    meetings, skipped, _ = imported(data, now)
    assert not meetings and len(skipped) == 1
    return next(iter(skipped.values()))


def local_starts(meeting: Meeting, first: date, last: date) -> list[str]:
    return [f"{s.day} {s.start:%H:%M}" for s in meeting_plan(meeting, first, last) if s.happens]


# ---------------------------------------------------------------------------- the issue


async def test_google_export_cancelled_thursday_and_next_week_moved(services: Services) -> None:
    """The issue's export: a weekly Thursday 19:00 meeting (UTC times, X-WR-TIMEZONE) with
    one Thursday cancelled (EXDATE in UTC) and the next week's sitting two hours later
    (RECURRENCE-ID)."""
    report = await do_import(services, "sched_google.ics", source="google")
    slugs = {(await services.meetings.get(s)).source_ref: s for s in report.added}  # type: ignore[union-attr]
    m = await services.meetings.get(slugs["3q9v7c2thursday0issue@google.com"])
    assert m is not None
    assert (m.days, m.start, m.end, m.timezone) == ((4,), time(19), time(20, 30),
                                                     "America/New_York")
    assert occurrence_on(m, date(2026, 6, 11)) is None  # cancelled
    moved = occurrence_on(m, date(2026, 6, 18))
    assert moved is not None and moved.start.time() == time(21) and moved.end.time() == time(22, 30)
    assert moved.start.astimezone(UTC) == datetime(2026, 6, 19, 1, 0, tzinfo=UTC)
    regular = occurrence_on(m, date(2026, 6, 25))
    assert regular is not None and regular.start.time() == time(19)
    statuses = [(s.day, s.status, s.start)
                for s in meeting_plan(m, date(2026, 6, 4), date(2026, 6, 25))]
    assert statuses == [
        (date(2026, 6, 4), SittingStatus.REGULAR, time(19)),
        (date(2026, 6, 11), SittingStatus.CANCELLED, time(19)),
        (date(2026, 6, 18), SittingStatus.MOVED, time(21)),
        (date(2026, 6, 25), SittingStatus.REGULAR, time(19)),
    ]
    # Re-importing the same file writes nothing: the schedules are built the same way.
    before = await total_changes(services)
    again = await do_import(services, "sched_google.ics", source="google")
    assert await total_changes(services) == before
    assert sorted(again.unchanged) == sorted(report.added) and not again.changed


def test_google_export_matches_recurring_ical_events() -> None:
    meetings, skipped, _ = assert_truth(fixture_bytes("sched_google.ics"))
    business = meetings["7h2k9business1sa@google.com"]
    assert business.schedule.recurrence.ordinals == (1,)
    assert business.schedule.changes[0].kind is ChangeKind.CANCELLED  # STATUS:CANCELLED override
    speaker = meetings["1p4speakerbiweekly@google.com"].schedule.recurrence
    assert (speaker.interval, speaker.anchor) == (2, date(2025, 9, 8))
    sunday = meetings["5s6sundayfiftytwo@google.com"].schedule.recurrence
    assert sunday.until == date(2026, 12, 27)  # COUNT=52 from 4 January
    birds = meetings["9e8earlybirds3days@google.com"].schedule
    assert birds.recurrence.until == date(2026, 12, 30)  # UNTIL 2026-12-31 04:59:59Z
    assert [c.kind for c in birds.changes] == [ChangeKind.MOVED, ChangeKind.CANCELLED]
    assert birds.changes[0].new_date == date(2026, 7, 17)
    assert meetings["2a2anniversary0715@google.com"].schedule.recurrence.frequency \
        is Frequency.ONCE
    assert "already happened" in skipped["0b0pastroundup@google.com"]
    assert "all-day" in skipped["4d4campweekend@google.com"]
    # "This and following" split: the part in effect, with its EXDATE.
    lunch = meetings["6t6tuesdaylunch@google.com"]
    assert lunch.start == time(12, 15) and lunch.schedule.changes[0].date == date(2026, 7, 7)


def test_outlook_export_matches_recurring_ical_events() -> None:
    meetings, skipped, _ = assert_truth(fixture_bytes("sched_outlook.ics"))
    by_name = {m.name: m for m in meetings.values()}
    second = by_name["Second Tuesday Group Conscience (fictional)"]
    assert second.schedule.recurrence.ordinals == (2,) and second.days == (2,)  # BYSETPOS=2
    assert second.timezone == "America/New_York"
    assert occurrence_on(second, date(2026, 7, 14)).start.time() == time(20)  # type: ignore[union-attr]
    last = by_name["Last Friday Speaker Meeting (fictional)"]
    assert last.timezone == "Europe/London" and last.schedule.recurrence.ordinals == (-1,)
    assert occurrence_on(last, date(2026, 10, 30)) is None  # EXDATE with a Windows TZID
    noon = by_name["Weekday Noon Online (fictional)"].schedule.recurrence
    assert noon.until == date(2026, 7, 31)  # COUNT=150 weekdays from 5 January
    fifteenth = by_name["Treasurer's Hour on the 15th (fictional)"].schedule.recurrence
    assert fifteenth.month_days == (15,) and fifteenth.until == date(2026, 12, 15)
    third = by_name["Every Third Wednesday Literature (fictional)"].schedule.recurrence
    assert third.interval == 3
    bimonthly = [m for m in meetings.values() if m.schedule.recurrence.interval == 2]
    [every_other_month] = bimonthly  # 3rd Tuesday of every other month, from September 2025
    recurrence = every_other_month.schedule.recurrence
    assert recurrence.ordinals == (3,) and recurrence.anchor == date(2025, 9, 16)
    assert "a day or longer" in " | ".join(skipped.values())


def test_apple_export_matches_recurring_ical_events() -> None:
    meetings, skipped, warnings = assert_truth(
        fixture_bytes("sched_apple.ics"), ignore=("BE6F7081-92A3-44B5-DFE0-5B6C7D8E9FA0",))
    monday = meetings["6F1A2B3C-4D5E-4F60-8A9B-0C1D2E3F4A5B"]
    assert monday.schedule.recurrence.dates == (date(2026, 12, 29),)  # RDATE, usual time
    moved = monday.schedule.changes[0]
    assert (moved.date, moved.new_start) == (date(2026, 7, 6), time(20))
    assert moved.place == "Nachbarschaftszentrum (fiktiv), Musterweg 7, 10117 Berlin"
    assert occurrence_on(monday, date(2026, 12, 28)) is None
    last_day = meetings["7A2B3C4D-5E6F-4071-9BAC-1D2E3F4A5B6C"].schedule.recurrence
    assert last_day.month_days == (-1,)
    steps = meetings["8B3C4D5E-6F70-4182-ACBD-2E3F4A5B6C7D"].schedule.recurrence
    assert steps.ordinals == (1, 3) and steps.dates == (date(2026, 12, 30),)
    assert "yearly" in skipped["AD5E6F70-8192-43A4-CEDF-4A5B6C7D8E9F"]
    # An RDATE at another time is left out, with a note (the documented difference).
    assert any("RDATE 2026-07-02 12:00 is not at the series' time" in w for w in warnings)
    wednesday = meetings["BE6F7081-92A3-44B5-DFE0-5B6C7D8E9FA0"]
    assert wednesday.schedule.recurrence.dates == ()


# ---------------------------------------------------------------------------- edge cases


def test_cancellation_on_a_dst_change_day() -> None:
    # Sunday 01:30 in New York; 2026-11-01 01:30 happens twice: EXDATE in UTC names the
    # first (EDT, 05:30Z), which is the sitting's time.
    m = one(vcalendar(vevent(
        "DTSTART;TZID=America/New_York:20260906T013000",
        "DTEND;TZID=America/New_York:20260906T023000",
        "RRULE:FREQ=WEEKLY;BYDAY=SU",
        "EXDATE:20261101T053000Z",
    )))
    assert m.schedule.changes[0].date == date(2026, 11, 1)
    assert occurrence_on(m, date(2026, 11, 1)) is None
    before, after = occurrence_on(m, date(2026, 10, 25)), occurrence_on(m, date(2026, 11, 8))
    assert before is not None and before.start.astimezone(UTC).hour == 5  # EDT
    assert after is not None and after.start.astimezone(UTC).hour == 6  # EST
    # London's change day, EXDATE with the zone: 10:00 on 25 October (GMT again) is 10:00Z.
    london = one(vcalendar(vevent(
        "DTSTART;TZID=Europe/London:20260906T100000",
        "DTEND;TZID=Europe/London:20260906T110000",
        "RRULE:FREQ=WEEKLY;BYDAY=SU",
        "EXDATE:20261025T100000Z",
    )))
    assert occurrence_on(london, date(2026, 10, 25)) is None
    assert occurrence_on(london, date(2026, 10, 18)) is not None


def test_override_moves_a_sitting_across_midnight() -> None:
    m = one(vcalendar(
        vevent("DTSTART;TZID=Europe/London:20260605T200000",
               "DTEND;TZID=Europe/London:20260605T210000", "RRULE:FREQ=WEEKLY;BYDAY=FR"),
        vevent("RECURRENCE-ID;TZID=Europe/London:20260612T200000",
               "DTSTART;TZID=Europe/London:20260612T233000",
               "DTEND;TZID=Europe/London:20260613T003000", "SEQUENCE:1"),
        vevent("RECURRENCE-ID:20260619T190000Z",  # UTC: 20:00 BST
               "DTSTART;TZID=Europe/London:20260620T003000",
               "DTEND;TZID=Europe/London:20260620T020000", "SEQUENCE:1"),
    ))
    late = occurrence_on(m, date(2026, 6, 12))
    assert late is not None
    assert (late.start.time(), late.end.date(), late.end.time()) == (
        time(23, 30), date(2026, 6, 13), time(0, 30))
    after_midnight = occurrence_on(m, date(2026, 6, 19))  # keyed by its scheduled date
    assert after_midnight is not None and after_midnight.start.date() == date(2026, 6, 20)
    assert after_midnight.end - after_midnight.start == timedelta(minutes=90)
    change = m.schedule.change_on(date(2026, 6, 19))
    assert change is not None and change.new_date == date(2026, 6, 20)
    assert change.new_end == time(2)


def test_last_friday_in_months_with_four_and_five_fridays() -> None:
    m = one(vcalendar(vevent("DTSTART;TZID=America/New_York:20260130T190000",
                             "DTEND;TZID=America/New_York:20260130T200000",
                             "RRULE:FREQ=MONTHLY;BYDAY=-1FR")))
    # June 2026 has four Fridays, July five, August four.
    assert local_starts(m, date(2026, 6, 1), date(2026, 8, 31)) == [
        "2026-06-26 19:00", "2026-07-31 19:00", "2026-08-28 19:00"]
    setpos = one(vcalendar(vevent("DTSTART;TZID=America/New_York:20260130T190000",
                                  "DTEND;TZID=America/New_York:20260130T200000",
                                  "RRULE:FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1")))
    assert setpos.schedule.recurrence == m.schedule.recurrence


def test_fifth_tuesday_skips_months_without_one() -> None:
    m = one(vcalendar(vevent("DTSTART;TZID=Europe/London:20260331T190000",
                             "DTEND;TZID=Europe/London:20260331T200000",
                             "RRULE:FREQ=MONTHLY;BYDAY=5TU")))
    assert local_starts(m, date(2026, 6, 1), date(2026, 12, 31)) == [
        "2026-06-30 19:00", "2026-09-29 19:00", "2026-12-29 19:00"]


def test_every_other_week_across_a_dst_change() -> None:
    m = one(vcalendar(vevent("DTSTART;TZID=America/New_York:20261020T190000",
                             "DTEND;TZID=America/New_York:20261020T200000",
                             "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")))
    assert (m.schedule.recurrence.interval, m.schedule.recurrence.anchor) == (2, date(2026, 10, 20))
    assert local_starts(m, date(2026, 10, 1), date(2026, 11, 30)) == [
        "2026-10-20 19:00", "2026-11-03 19:00", "2026-11-17 19:00"]
    utc = [occurrence_on(m, d).start.astimezone(UTC).hour  # type: ignore[union-attr]
           for d in (date(2026, 10, 20), date(2026, 11, 3))]
    assert utc == [23, 0]  # 19:00 EDT, then 19:00 EST (00:00Z the next day)
    # Given in UTC with X-WR-TIMEZONE, the wall time is kept across the change too.
    google = one(vcalendar(vevent("DTSTART:20261020T230000Z", "DTEND:20261021T000000Z",
                                  "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
                           x_wr="America/New_York"))
    assert local_starts(google, date(2026, 10, 1), date(2026, 11, 30)) == local_starts(
        m, date(2026, 10, 1), date(2026, 11, 30))


def test_until_as_a_date_with_a_date_time_start() -> None:
    # The documented reading: the last local date, inclusive (recurring-ical-events reads a
    # date UNTIL as midnight UTC, so it would also drop 30 June).
    data = vcalendar(vevent("DTSTART;TZID=America/New_York:20260602T190000",
                            "DTEND;TZID=America/New_York:20260602T200000",
                            "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260630"))
    meetings, _, _ = imported(data)
    m = meetings["e1@example.org"]
    assert m.schedule.recurrence.until == date(2026, 6, 30)
    assert local_starts(m, date(2026, 6, 1), date(2026, 7, 31))[-1] == "2026-06-30 19:00"
    # A UTC UNTIL is converted to the local date: 2026-07-01 02:00Z is 30 June 22:00 EDT.
    utc = one(vcalendar(vevent("DTSTART;TZID=America/New_York:20260602T230000",
                               "DTEND;TZID=America/New_York:20260602T233000",
                               "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260701T020000Z")))
    assert utc.schedule.recurrence.until == date(2026, 6, 23)  # 30 June 23:00 is after it
    # A floating UNTIL is local wall time.
    floating = imported(vcalendar(vevent("DTSTART;TZID=America/New_York:20260602T190000",
                                         "DTEND;TZID=America/New_York:20260602T200000",
                                         "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260630T190000")))
    assert floating[0]["e1@example.org"].schedule.recurrence.until == date(2026, 6, 30)


def test_count_gives_the_last_sitting() -> None:
    weekly = one(vcalendar(vevent("DTSTART;TZID=Europe/London:20260601T180000",
                                  "DTEND;TZID=Europe/London:20260601T190000",
                                  "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5")))
    assert weekly.schedule.recurrence.until == date(2026, 6, 15)
    huge = one(vcalendar(vevent("DTSTART;TZID=Europe/London:20260601T180000",
                                "DTEND;TZID=Europe/London:20260601T190000",
                                "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=1000001")))
    assert huge.schedule.recurrence.until is None  # past year 9999
    monthly = one(vcalendar(vevent("DTSTART;TZID=Europe/London:20260601T180000",
                                   "DTEND;TZID=Europe/London:20260601T190000",
                                   "RRULE:FREQ=MONTHLY;BYMONTHDAY=1,-1;COUNT=4")))
    assert monthly.schedule.recurrence.until == date(2026, 7, 31)


def test_a_series_starting_next_month_has_no_sitting_this_week() -> None:
    m = one(vcalendar(vevent("DTSTART;TZID=America/New_York:20260702T190000",
                             "DTEND;TZID=America/New_York:20260702T200000",
                             "RRULE:FREQ=WEEKLY;BYDAY=TU,TH")))
    assert m.schedule.recurrence.starts == date(2026, 7, 2)
    assert local_starts(m, date(2026, 6, 1), date(2026, 7, 7)) == [
        "2026-07-02 19:00", "2026-07-07 19:00"]


def test_dtstart_off_the_rule_is_a_sitting_of_its_own() -> None:
    # DTSTART on a Monday, the rule says Wednesdays: Monday is a sitting too (RFC 5545).
    m = one(vcalendar(vevent("DTSTART;TZID=America/New_York:20260608T190000",
                             "DTEND;TZID=America/New_York:20260608T200000",
                             "RRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2")))
    assert m.schedule.recurrence.dates == (date(2026, 6, 8),)
    assert local_starts(m, date(2026, 6, 1), date(2026, 6, 30)) == [
        "2026-06-08 19:00", "2026-06-10 19:00", "2026-06-17 19:00"]


def test_one_off_events() -> None:
    future = one(vcalendar(vevent("DTSTART;TZID=Europe/London:20260912T140000",
                                  "DTEND;TZID=Europe/London:20260912T170000",
                                  "RDATE;TZID=Europe/London:20260913T140000")))
    recurrence = future.schedule.recurrence
    assert (recurrence.frequency, recurrence.dates) == (
        Frequency.ONCE, (date(2026, 9, 12), date(2026, 9, 13)))
    assert future.days == (0, 6)
    past = skip_reason(vcalendar(vevent("DTSTART;TZID=Europe/London:20260501T140000",
                                        "DTEND;TZID=Europe/London:20260501T170000")))
    assert "one-off event that already happened (2026-05-01)" in past
    # In progress now: still a meeting.
    running = imported(vcalendar(vevent("DTSTART:20260603T140000Z", "DTEND:20260603T160000Z")),
                       default_tz="Europe/London")
    assert running[0]


def test_rdates_and_exdates() -> None:
    data = vcalendar(vevent(
        "DTSTART;TZID=America/New_York:20260601T190000",
        "DTEND;TZID=America/New_York:20260601T200000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO",
        "RDATE:20260610T230000Z,20260611T230000Z",  # Wednesday and Thursday 19:00 EDT
        "RDATE;VALUE=PERIOD:20260612T230000Z/PT1H",  # Friday, the usual hour
        "RDATE;VALUE=PERIOD:20260613T230000Z/PT2H",  # another length: left out
        "RDATE;VALUE=DATE:20260614",  # no time: left out
        "RDATE;TZID=America/New_York:20260615T190000",  # a Monday anyway
        "EXDATE;TZID=America/New_York:20260611T190000",  # takes Thursday back
        "EXDATE;VALUE=DATE:20260622",  # a date: that day's sitting
        "EXDATE;TZID=America/New_York:20260629T200000",  # not the sitting's time: nothing
    ))
    meetings, _, warnings = assert_truth(data, ignore=("e1@example.org",))
    m = meetings["e1@example.org"]
    assert m.schedule.recurrence.dates == (date(2026, 6, 10), date(2026, 6, 12))
    assert [(c.date, c.kind) for c in m.schedule.changes] == [
        (date(2026, 6, 22), ChangeKind.CANCELLED)]
    assert any("RDATE 2026-06-13 lasts 2:00:00" in w for w in warnings)
    assert any("RDATE 2026-06-14 has no time" in w for w in warnings)
    assert any("EXDATE 2026-06-29 20:00 is not the time" in w for w in warnings)


def test_overrides() -> None:
    data = vcalendar(
        vevent("DTSTART;TZID=America/New_York:20260601T190000",
               "DTEND;TZID=America/New_York:20260601T200000", "RRULE:FREQ=WEEKLY;BYDAY=MO",
               "LOCATION:Hall A (demo)\\, 1 Example St\\, Springfield", "URL:https://example.org"),
        # changes nothing
        vevent("RECURRENCE-ID;TZID=America/New_York:20260608T190000",
               "DTSTART;TZID=America/New_York:20260608T190000",
               "DTEND;TZID=America/New_York:20260608T200000",
               "LOCATION:Hall A (demo)\\, 1 Example St\\, Springfield", "SEQUENCE:1"),
        # cancelled
        vevent("RECURRENCE-ID;TZID=America/New_York:20260615T190000",
               "DTSTART;TZID=America/New_York:20260615T190000",
               "DTEND;TZID=America/New_York:20260615T200000", "STATUS:CANCELLED"),
        # longer, elsewhere, online; the older copy (lower SEQUENCE) loses
        vevent("RECURRENCE-ID;TZID=America/New_York:20260622T190000",
               "DTSTART;TZID=America/New_York:20260622T183000",
               "DTEND;TZID=America/New_York:20260622T210000",
               "LOCATION:Hall B (demo)\\, 2 Example St\\, Springfield",
               "DESCRIPTION:Join https://zoom.us/j/5550001111", "SEQUENCE:3"),
        vevent("RECURRENCE-ID;TZID=America/New_York:20260622T190000",
               "DTSTART;TZID=America/New_York:20260622T150000",
               "DTEND;TZID=America/New_York:20260622T160000", "SEQUENCE:2"),
        # not a sitting of the series: left out with a note
        vevent("RECURRENCE-ID;TZID=America/New_York:20260623T190000",
               "DTSTART;TZID=America/New_York:20260623T190000",
               "DTEND;TZID=America/New_York:20260623T200000"),
    )
    meetings, _, warnings = assert_truth(data, ignore=("e1@example.org",))
    m = meetings["e1@example.org"]
    changes = {c.date: c for c in m.schedule.changes}
    assert date(2026, 6, 8) not in changes
    assert changes[date(2026, 6, 15)].kind is ChangeKind.CANCELLED
    moved = changes[date(2026, 6, 22)]
    assert (moved.new_start, moved.new_end) == (time(18, 30), time(21))
    assert moved.place == "Hall B (demo), 2 Example St, Springfield"
    assert moved.url == "https://zoom.us/j/5550001111"
    assert any("2026-06-23 19:00 (RECURRENCE-ID) is not a sitting" in w for w in warnings)
    # Apart from the override that matches no sitting, the truth holds.
    lo, hi = NOW, NOW + timedelta(days=365)
    expected = [s for s in truth(data, lo, hi)["e1@example.org"]
                if s[0].date() != date(2026, 6, 23)]
    compare(m, expected, ours(m, lo, hi), lo, hi)


def test_old_changes_are_dropped_and_the_schedule_is_deterministic() -> None:
    exdates = ",".join(f"{date(2025, 1, 6) + timedelta(weeks=n):%Y%m%d}T190000"
                       for n in range(0, 120, 2))
    data = vcalendar(vevent("DTSTART;TZID=Europe/London:20250106T190000",
                            "DTEND;TZID=Europe/London:20250106T200000",
                            "RRULE:FREQ=WEEKLY;BYDAY=MO", f"EXDATE;TZID=Europe/London:{exdates}"))
    first, _, _ = imported(data)
    again, _, _ = imported(data)
    m = first["e1@example.org"]
    assert m == again["e1@example.org"]
    assert m.schedule.changes and all(c.date >= date(2026, 5, 6) for c in m.schedule.changes)
    assert list(m.schedule.changes) == sorted(m.schedule.changes, key=lambda c: c.date)


def test_schedule_limits_skip_that_event_only() -> None:
    exdates = ",".join(f"{date(2026, 6, 8) + timedelta(days=n):%Y%m%d}T190000"
                       for n in range(600))
    data = vcalendar(
        vevent("DTSTART;TZID=Europe/London:20260608T190000",
               "DTEND;TZID=Europe/London:20260608T200000", "RRULE:FREQ=DAILY",
               f"EXDATE;TZID=Europe/London:{exdates}"),
        vevent("DTSTART;TZID=Europe/London:20260608T190000",
               "DTEND;TZID=Europe/London:20260608T200000", "RRULE:FREQ=WEEKLY",
               uid="ok@example.org"),
    )
    meetings, skipped, _ = imported(data)
    assert list(meetings) == ["ok@example.org"]
    assert "its schedule cannot be kept: too many dates" in skipped["e1@example.org"]


@pytest.mark.parametrize(("rule", "reason"), [
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=SA", "every SA of every 2 months"),
    ("FREQ=YEARLY", "repeats yearly"),
    ("FREQ=HOURLY", "more than once a day"),
    ("FREQ=MINUTELY;INTERVAL=30", "more than once a day"),
    ("FREQ=DAILY;INTERVAL=3", "every 3 days"),
    ("FREQ=WEEKLY;BYWEEKNO=20", "BYWEEKNO"),
    ("FREQ=MONTHLY;BYYEARDAY=100", "BYYEARDAY"),
    ("FREQ=WEEKLY;BYHOUR=19,20", "BYHOUR"),
    ("FREQ=MONTHLY;BYMONTH=6;BYDAY=1SA", "BYMONTH"),
    ("FREQ=MONTHLY;BYDAY=-2FR", "ordinal -2"),
    ("FREQ=MONTHLY;BYDAY=1TU,3TH", "different ordinals"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "BYSETPOS over several weekdays"),
    ("FREQ=MONTHLY;BYMONTHDAY=-2", "BYMONTHDAY=-2"),
    ("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "both BYDAY and BYMONTHDAY"),
    ("FREQ=WEEKLY;BYDAY=1MO", "not a plain weekday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;WKST=SU", "WKST"),
    ("FREQ=WEEKLY;INTERVAL=60", "every 1 to 52 weeks"),
    ("FREQ=WEEKLY;UNTIL=20260101T000000Z", "ended on 2025-12-31"),
    ("FREQ=WEEKLY;COUNT=3", "ended on 2025-11-17 (COUNT=3)"),
    ("FREQ=WEEKLY;UNTIL=20251001T000000Z", "ends (2025-09-30) before it starts"),
])
def test_rules_the_model_cannot_hold_are_skipped_with_a_reason(rule: str, reason: str) -> None:
    data = vcalendar(vevent("DTSTART;TZID=Europe/London:20251103T190000",
                            "DTEND;TZID=Europe/London:20251103T200000", f"RRULE:{rule}"))
    assert reason in skip_reason(data)


def test_wkst_that_groups_days_the_same_way_is_imported() -> None:
    # Every other week on Monday and Tuesday, weeks starting on Sunday: same as Monday.
    m = one(vcalendar(vevent("DTSTART;TZID=Europe/London:20260601T190000",
                             "DTEND;TZID=Europe/London:20260601T200000",
                             "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;WKST=SU")))
    assert m.schedule.recurrence.interval == 2


def test_utc_monthly_rule_shifted_to_another_day_is_skipped() -> None:
    data = vcalendar(vevent("DTSTART:20260606T013000Z", "DTEND:20260606T023000Z",
                            "RRULE:FREQ=MONTHLY;BYDAY=1SA"), x_wr="America/New_York")
    assert "falls on another day" in skip_reason(data)


def test_split_series_carries_on_past_the_split() -> None:
    data = vcalendar(
        vevent("DTSTART;TZID=Europe/London:20250106T190000",
               "DTEND;TZID=Europe/London:20250106T200000",
               "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260706T000000Z", uid="s1@google.com"),
        vevent("DTSTART;TZID=Europe/London:20260706T190000",
               "DTEND;TZID=Europe/London:20260706T200000",
               "RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=Europe/London:20260803T190000",
               uid="s1_R20260706T180000@google.com"),
    )
    meetings, skipped, warnings = assert_truth(data)
    m = meetings["s1@google.com"]
    assert m.schedule.recurrence.until is None
    assert [c.date for c in m.schedule.changes] == [date(2026, 8, 3)]
    assert "split in two" in skipped["s1_R20260706T180000@google.com"]
    assert any("continues as s1_R20260706T180000@google.com" in w for w in warnings)


def test_orphan_overrides_are_reported() -> None:
    data = vcalendar(vevent("RECURRENCE-ID;TZID=Europe/London:20260608T190000",
                            "DTSTART;TZID=Europe/London:20260608T200000",
                            "DTEND;TZID=Europe/London:20260608T210000"))
    _, skipped, _ = imported(data)
    assert "without the series itself" in skipped["e1@example.org"]


# ---------------------------------------------------------------------------- package data


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.skipif(not RIE_CALENDARS.is_dir(), reason="recurring-ical-events test data absent")
@pytest.mark.parametrize(("name", "now"), [
    ("issue_62_moved_event.ics", "2021-11-23"),  # Google, monthly last Friday, moved
    ("each_week_but_two_deleted.ics", "2019-02-28"),  # COUNT, UTC EXDATEs
    ("recurring_events_moved.ics", "2019-03-04"),  # moved into a DST gap
    ("recurring_events_changed_duration.ics", "2019-03-04"),  # changed to all-day
    ("rdate_falls_on_rrule_until.ics", "2019-10-12"),  # RDATE after the UNTIL
    ("issue_20_exdate_ignored.ics", "2019-10-12"),
    ("issue_48_dst.ics", "2020-09-12"),
    ("issue_18_cancel_status.ics", "2020-01-25"),
    ("fablab_cottbus.ics", "2018-01-03"),  # X-WR-TIMEZONE, monthly and one-offs
    ("after_many_events_in_order.ics", "2024-03-23"),
    ("same_event_recurring_at_same_time.ics", "2024-09-20"),
    ("issue_223_thunderbird.ics", "2025-04-20"),
    ("issue_62_moved_event_2.ics", "2023-08-05"),
    ("issue_27_t1.ics", "2020-04-23"),
    ("three_events_one_edited.ics", "2019-03-15"),
    ("duration_edited.ics", "2019-03-15"),
])
def test_recurring_ical_events_calendars(name: str, now: str) -> None:
    """LGPL-licensed, so read in place from the installed package rather than copied."""
    meetings, _, _ = assert_truth((RIE_CALENDARS / name).read_bytes(), _at(now))
    assert meetings


@pytest.mark.parametrize(("name", "now"), [
    ("x_location.ics", "2016-10-25"),
    ("issue_466_respect_unique_timezone.ics", "2022-10-18"),
    ("issue_1081_list_of_properties.ics", "2024-12-29"),
])
def test_icalendar_package_calendars(name: str, now: str) -> None:
    """BSD-licensed test calendars of the installed icalendar package, read in place."""
    path = ICALENDAR_CALENDARS / name
    if not path.is_file():
        pytest.skip(f"{name} not in the installed icalendar package")
    meetings, _, _ = assert_truth(path.read_bytes(), _at(now))
    assert meetings
