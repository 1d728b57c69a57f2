"""ICS export: valid for icalendar and (strictly) for the independent `ical` parser, and the
weekly rule expands to exactly core.schedule's occurrences over 12 months, with and without DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
import recurring_ical_events
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from calendars.ics_export import calendar_for, escape_text, fold, meeting_ics
from core.model import Location, Meeting, OnlineAccess
from core.schedule import occurrences_between
from tests.calendars.conftest import ZOOM, meeting

UPDATED = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))

# Zones with and without daylight saving, both hemispheres, and times at the DST edges:
# 02:30 falls in the spring-forward gap (US, Sydney), 01:30 in the US fall-back overlap.
CASES = [
    ("America/New_York", (1, 3, 5), time(19, 0), time(20, 0)),
    ("America/New_York", (0,), time(2, 30), time(3, 30)),
    ("America/New_York", (0,), time(1, 30), time(2, 15)),
    ("America/New_York", (6,), time(23, 30), time(0, 30)),
    ("Europe/London", (0, 6), time(1, 30), time(2, 30)),
    ("Europe/London", (2,), time(12, 0), time(13, 0)),
    ("Australia/Sydney", (0,), time(2, 30), time(3, 30)),
    ("Australia/Sydney", (2, 4), time(18, 0), time(19, 30)),
    ("Asia/Kolkata", (1, 4), time(18, 30), time(19, 30)),
    ("America/Phoenix", (2,), time(6, 30), time(7, 30)),
]


def _meetings() -> list[Meeting]:
    found = []
    for i, (zone, days, start, end) in enumerate(CASES):
        m = meeting(
            f"case-{i:02d}", days=list(days), start=start, end=end, timezone=zone, updated=UPDATED
        )
        found.append(m)
    return found


def test_reparses_with_icalendar_and_strict_ical() -> None:
    meetings = _meetings()
    data = calendar_for(meetings, name="Springfield, meetings; all")
    cal = Calendar.from_ical(data)
    assert len(cal.events) == len(meetings)
    assert str(cal["METHOD"]) == "PUBLISH"
    # TEXT escaping (RFC 5545 §3.3.11); icalendar reads NAME / X-WR-CALNAME as raw values.
    assert cal["X-WR-CALNAME"].to_ical() == b"Springfield\\, meetings\\; all"
    assert cal.refresh_interval == timedelta(hours=12)
    assert cal.get_missing_tzids() == set()
    assert {tz.tz_name for tz in cal.timezones} == {z for z, *_ in CASES}
    for event in cal.events:
        assert not event.errors
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert len(strict.events) == len(meetings)
    assert {e.uid for e in strict.events} == {f"{m.slug}@stepbot" for m in meetings}
    assert all(e.rrule is not None and e.rrule.freq.value == "WEEKLY" for e in strict.events)


def test_lines_are_folded_and_crlf() -> None:
    long_name = "Grupo Esperanza — reunión de mujeres en español, café y lectura " * 3
    data = calendar_for([meeting("long", name=long_name, updated=UPDATED)], name="x")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # never split inside a character
    event = Calendar.from_ical(data).events[0]
    assert str(event["SUMMARY"]) == long_name.strip()


def test_escaping_and_folding_helpers() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("X:" + "é" * 80)
    assert all(len(part) <= 75 for part in folded.split(b"\r\n"))
    assert folded.endswith(b"\r\n")


@pytest.mark.parametrize("index", range(len(CASES)))
def test_expansion_matches_core_schedule(index: int) -> None:
    m = _meetings()[index]
    cal = Calendar.from_ical(calendar_for([m], name="one"))
    expanded = recurring_ical_events.of(cal).between(*WINDOW)
    got = sorted((e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in expanded)
    want = [
        (o.start.astimezone(UTC), o.end.astimezone(UTC)) for o in occurrences_between(m, *WINDOW)
    ]
    assert len(want) >= 50 * len(m.days)
    assert [s for s, _ in got] == [s for s, _ in want]
    # Ends match too, except where a meeting's own hour straddles a DST change (the calendar
    # keeps the exact duration, core the local end time).
    mismatched = [(g, w) for g, w in zip(got, want, strict=True) if g[1] != w[1]]
    assert len(mismatched) <= 2


def test_whole_calendar_expansion_matches_core_schedule() -> None:
    meetings = _meetings()
    cal = Calendar.from_ical(calendar_for(meetings, name="all"))
    expanded = recurring_ical_events.of(cal).between(*WINDOW)
    got = sorted((str(e["UID"]), e.start.astimezone(UTC)) for e in expanded)
    want = sorted(
        (f"{m.slug}@stepbot", o.start.astimezone(UTC))
        for m in meetings
        for o in occurrences_between(m, *WINDOW)
    )
    assert got == want


def test_byte_identical_and_order_independent() -> None:
    meetings = _meetings()
    first = calendar_for(meetings, name="all")
    assert calendar_for(list(reversed(meetings)), name="all") == first
    assert calendar_for(meetings, name="all") == first


def test_uid_stable_sequence_and_stamps_follow_the_record() -> None:
    m = meeting("serenity", updated=UPDATED)
    changed = replace(
        m,
        start=time(20, 0),
        end=time(21, 0),
        sequence=3,
        updated=datetime(2026, 2, 2, 10, 30, tzinfo=UTC),
    )
    before = Calendar.from_ical(meeting_ics(m)).events[0]
    after = Calendar.from_ical(meeting_ics(changed)).events[0]
    assert str(before["UID"]) == str(after["UID"]) == "serenity@stepbot"
    assert int(before["SEQUENCE"]) == 0 and int(after["SEQUENCE"]) == 3
    assert after["DTSTAMP"].dt == datetime(2026, 2, 2, 10, 30, tzinfo=UTC)
    assert after["LAST-MODIFIED"].dt == datetime(2026, 2, 2, 10, 30, tzinfo=UTC)


def test_event_content() -> None:
    m = meeting(
        "hybrid-women",
        online=ZOOM,
        notes="Bring a friend.",
        url="https://example.org/m",
        types=["O", "W", "X"],
        updated=UPDATED,
        location=Location(
            name="Community Hall (demo)",
            address="1 Example Street",
            latitude=42.1,
            longitude=-72.59,
            notes="Side door",
        ),
    )
    event = Calendar.from_ical(meeting_ics(m)).events[0]
    description = str(event["DESCRIPTION"])
    assert "Bring a friend." in description
    assert "https://zoom.us/j/5550001234" in description and "+1 555 000 1234" in description
    assert "Side door" in description and "Women" in description
    assert str(event["LOCATION"]) == "Community Hall (demo), 1 Example Street"
    assert str(event["URL"]) == "https://example.org/m"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (42.1, -72.59)
    categories = [str(c) for c in event["CATEGORIES"].cats]
    assert categories[0] == "AA" and "Women" in categories and "Open" in categories
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert str(event["RRULE"].to_ical().decode()) == "FREQ=WEEKLY;BYDAY=MO"


def test_online_only_meeting_location_is_the_link_and_spanish_labels() -> None:
    m = meeting(
        "online",
        location=Location(),
        online=OnlineAccess(url="https://zoom.us/j/1"),
        updated=UPDATED,
        types=["S"],
    )
    event = Calendar.from_ical(meeting_ics(m, lang="es")).events[0]
    assert str(event["LOCATION"]) == "https://zoom.us/j/1"
    assert "Conectarse: https://zoom.us/j/1" in str(event["DESCRIPTION"])


def test_utc_meeting_has_no_vtimezone() -> None:
    m = meeting("utc", timezone="UTC", updated=UPDATED)
    data = calendar_for([m], name="x")
    assert b"VTIMEZONE" not in data
    cal = Calendar.from_ical(data)
    assert cal.events[0].start.tzinfo is not None
    IcsCalendarStream.calendar_from_ics(data.decode())


def test_first_start_is_an_occurrence_on_or_after_the_update() -> None:
    m = meeting(
        "tue-thu", days=["tuesday", "thursday"], updated=datetime(2026, 3, 4, 12, tzinfo=UTC)
    )
    event = Calendar.from_ical(meeting_ics(m)).events[0]
    assert event.start.replace(tzinfo=None) == datetime(2026, 3, 5, 19, 0)  # Thursday


def test_empty_calendar_is_still_valid() -> None:
    data = calendar_for([], name="nothing")
    cal = Calendar.from_ical(data)
    assert cal.events == []
    IcsCalendarStream.calendar_from_ics(data.decode())
