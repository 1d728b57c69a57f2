"""ICS import: Google, Outlook and Apple exports, the icalendar package's real-world files,
DST edges and broken files. The fake clock says 2026-06-03 15:00 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import recurring_ical_events

from calendars.errors import InvalidImport
from calendars.ics_import import base_uid
from calendars.sync import ImportReport, detect_format
from core.model import Attendance, Meeting
from core.recurrence import Frequency
from core.schedule import occurrence_on
from core.services import Services
from tests.calendars.conftest import do_import, fixture_bytes, snapshot

RIE_CALENDARS = Path(recurring_ical_events.__file__).parent / "test" / "calendars"


async def _meetings(services: Services, slugs: list[str]) -> dict[str, Meeting]:
    found = {}
    for slug in slugs:
        m = await services.meetings.get(slug)
        assert m is not None
        found[m.source_ref or slug] = m
    return found


def _skipped(report: ImportReport, fragment: str) -> list[str]:
    return [ref for ref, reason in report.skipped if fragment in reason]


# ------------------------------------------------------------------------------------ Google


@pytest.fixture
async def google(services: Services):
    report = await do_import(services, "google_export.ics", source="google")
    return report, await _meetings(services, report.added)


async def test_google_weekly_series_with_overrides_exdate_and_cancelled_occurrence(google):
    report, meetings = google
    m = meetings["1a2b3c4d5e6f7g8h9i0jk@google.com"]
    assert m.days == (1, 3, 5) and m.start == time(7) and m.end == time(8)
    assert m.timezone == "America/New_York"
    # The moved and the cancelled occurrence (RECURRENCE-ID) do not become meetings or change
    # the weekly rule; the EXDATE does not either.
    assert m.name == "Early Risers (fictional)"
    assert sum(1 for r in meetings if r.startswith("1a2b3c4d")) == 1
    assert m.attendance is Attendance.HYBRID
    assert m.online.url == "https://zoom.us/j/5551234567"
    assert m.notes is not None and "<b>" not in m.notes and "Daily reflection" in m.notes


async def test_google_split_series_becomes_one_meeting(google):
    report, meetings = google
    # "This and following" split: the old part ended, the _R part is the meeting, under the
    # base UID so the meeting keeps its identity across splits.
    assert (
        base_uid("split0123456789abcdef_R20250311T233000@google.com")
        == "split0123456789abcdef@google.com"
    )
    m = meetings["split0123456789abcdef@google.com"]
    assert m.start == time(19, 30) and m.days == (2,)
    assert m.types == ("B", "C")
    assert "split0123456789abcdef@google.com" in _skipped(report, "ended on 2025-03-03")
    # A split whose second part starts next month: the part in effect now is kept.
    pair = meetings["pairabcdef0123456789@google.com"]
    assert pair.start == time(18, 0)
    assert _skipped(report, "split in two") == ["pairabcdef0123456789_R20260702T223000@google.com"]
    assert not any("starts on" in w for w in report.warnings)


async def test_google_utc_and_floating_times_use_x_wr_timezone(google):
    _, meetings = google
    utc = meetings["utc0123456789@google.com"]
    # DTSTART 01:30Z on a Tuesday is Monday 20:30 in New York: BYDAY=TU shifts to Monday.
    assert (utc.days, utc.start, utc.timezone) == ((1,), time(20, 30), "America/New_York")
    assert utc.attendance is Attendance.ONLINE
    assert utc.online.url == "https://meet.google.com/abc-defg-hij"
    floating = meetings["floating0123456789@google.com"]
    assert (floating.days, floating.start, floating.end) == ((0,), time(10), time(11, 30))
    assert floating.timezone == "America/New_York"


async def test_google_non_weekly_events_are_imported_or_skipped_with_reasons(google):
    report, meetings = google
    reasons = dict(report.skipped)
    # Monthly, every-other-week and future one-off events are meetings with a schedule now
    # (tests/calendars/test_ics_schedules_import.py has the details).
    monthly = meetings["monthly0123456789@google.com"].schedule.recurrence
    assert (monthly.frequency, monthly.ordinals) == (Frequency.MONTHLY, (1,))
    biweekly = meetings["biweekly0123456789@google.com"].schedule.recurrence
    assert (biweekly.interval, biweekly.anchor) == (2, date(2025, 1, 4))
    oneoff = meetings["oneoff0123456789@google.com"].schedule.recurrence
    assert (oneoff.frequency, oneoff.dates) == (Frequency.ONCE, (date(2026, 6, 10),))
    assert "all-day" in reasons["allday0123456789@google.com"]
    assert "ended on 2023-12-31" in reasons["ended0123456789@google.com"]
    assert "cancelled" in reasons["cancelled0123456789@google.com"]
    assert len(meetings) == 8 and len(report.skipped) == 5


# ------------------------------------------------------------------------------------ Outlook


async def test_outlook_windows_zones_quoted_tzids_and_custom_vtimezone(services: Services) -> None:
    report = await do_import(services, "outlook_export.ics", fellowship="aa")
    by_name = {m.name: m for m in (await _meetings(services, report.added)).values()}
    # Windows name, with a VTIMEZONE carrying pre-2007 US rules: the name wins.
    lunch = by_name["Lunchtime Serenity (fictional)"]
    assert (lunch.timezone, lunch.days, lunch.start) == ("America/New_York", (2, 4), time(12))
    occ = occurrence_on(lunch, datetime(2026, 3, 10).date())
    assert occ is not None and occ.start.utcoffset().total_seconds() == -4 * 3600  # EDT
    # Quoted TZID, no VTIMEZONE at all.
    women = by_name["Westside Women (fictional)"]
    assert women.timezone == "America/Los_Angeles" and women.types == ("W",)
    assert women.attendance is Attendance.ONLINE
    # Outlook display name with commas inside the quoted TZID.
    berlin = by_name["Freitagsgruppe (fiktiv)"]
    assert (berlin.timezone, berlin.start, berlin.end) == ("Europe/Berlin", time(20), time(21, 30))
    # "Customized Time Zone": matched to an IANA zone by its rules, with a warning.
    london = by_name["Sunday Morning Group (fictional)"]
    assert london.timezone == "Europe/London"
    assert any("Customized Time Zone" in w and "Europe/London" in w for w in report.warnings)
    # FREQ=DAILY;BYDAY=MO..FR is a meeting on weekdays; COUNT=10 from 2025 has ended.
    weekdays = by_name["Weekday Noon Online (fictional)"]
    assert weekdays.days == (1, 2, 3, 4, 5) and weekdays.online.url is not None
    assert any("COUNT=10" in reason for _, reason in report.skipped)


async def test_undefined_tzid_is_detected_not_floating(services: Services) -> None:
    report = await do_import(services, "undefined_tzid.ics")
    reasons = dict(report.skipped)
    assert "'Springfield Local Time' is not defined" in reasons["undefined-tzid-1@example.org"]
    assert len(report.added) == 1
    # With an explicit default zone the event is kept, and the report says so.
    again = await do_import(
        services, "undefined_tzid.ics", source="with-default", default_tz="America/Chicago"
    )
    assert len(again.added) == 2
    assert any("Springfield Local Time" in w and "America/Chicago" in w for w in again.warnings)


# ------------------------------------------------------------------------------------ Apple


async def test_apple_export_bom_multibyte_fold_geo_categories(services: Services) -> None:
    data = fixture_bytes("apple_icloud.ics")
    assert data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # folded inside a character: only byte-level unfolding works
    report = await do_import(services, "apple_icloud.ics", fellowship="aa")
    meetings = {m.timezone: m for m in (await _meetings(services, report.added)).values()}
    sydney = meetings["Australia/Sydney"]
    assert sydney.name == "Grupo Esperanza — reunión de mujeres en español y lectura, café ñandú"
    assert sydney.days == (0, 6)
    assert (sydney.location.latitude, sydney.location.longitude) == (-33.897, 151.179)
    assert sydney.types == ("O", "S", "W")
    assert "Newtown NSW 2042" in (sydney.location.address or "")
    assert meetings["Asia/Kolkata"].days == (1, 4)
    assert meetings["America/Phoenix"].start == time(6, 30)
    assert not report.skipped


async def test_dst_edge_times_import_as_local_wall_times(services: Services) -> None:
    report = await do_import(services, "dst_edges.ics")
    meetings = {m.source_ref: m for m in (await _meetings(services, report.added)).values()}
    gap = meetings["ny-gap@example.org"]
    assert gap.start == time(2, 30)
    occ = occurrence_on(gap, datetime(2026, 3, 8).date())
    assert occ is not None and occ.start.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    fold = meetings["ny-fold@example.org"]
    occ = occurrence_on(fold, datetime(2026, 11, 1).date())
    assert occ is not None and occ.start.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert meetings["syd-gap@example.org"].timezone == "Australia/Sydney"
    midnight = meetings["ldn-midnight@example.org"]
    assert (midnight.start, midnight.end) == (time(23, 30), time(0, 30))


# ------------------------------------------------------------------------------------ broken files


async def test_several_vcalendars_are_read_together(services: Services) -> None:
    report = await do_import(services, "several_calendars.ics")
    zones = sorted(m.timezone for m in (await _meetings(services, report.added)).values())
    assert zones == ["Europe/Madrid", "Europe/Paris"]
    assert any("2 calendars" in w for w in report.warnings)


async def test_truncated_file_is_a_clear_error_and_changes_nothing(services: Services) -> None:
    await do_import(services, "google_export.ics", source="same")
    before = await snapshot(services)
    with pytest.raises(InvalidImport) as caught:
        await do_import(services, "truncated.ics", source="same")
    assert "line 11" in str(caught.value) and "END:VEVENT" in str(caught.value)
    assert caught.value.key == "error.import_invalid"
    assert caught.value.params["where"] == "line 11"
    assert await snapshot(services) == before


async def test_missing_end_in_the_middle_is_repaired_with_a_warning(services: Services) -> None:
    report = await do_import(services, "missing_end_event.ics")
    assert len(report.added) == 2
    assert any("line 4" in w and "END:VEVENT" in w for w in report.warnings)


async def test_broken_values_skip_that_event_or_warn(services: Services) -> None:
    report = await do_import(services, "broken_values.ics")
    reasons = dict(report.skipped)
    assert "broken DTSTART" in reasons["broken-start@example.org"]
    assert "broken RRULE" in reasons["broken-rule@example.org"]
    assert len(report.added) == 1
    assert any("broken GEO" in w for w in report.warnings)


async def test_bom_and_garbage(services: Services) -> None:
    with pytest.raises(InvalidImport, match="no meetings"):
        await do_import(services, "icalendar_pkg/bom_calendar.ics")
    with pytest.raises(InvalidImport, match="outside a VCALENDAR"):
        await do_import(services, data=b"hello world\r\n", fmt="ics")
    with pytest.raises(InvalidImport, match="END:VEVENT without"):
        await do_import(services, data=b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


# ------------------------------------------------------------------------------------ icalendar's files


async def test_icalendar_package_calendars(services: Services) -> None:
    zurich = await do_import(services, "icalendar_pkg/x_location.ics")
    m = await services.meetings.get(zurich.added[0])
    assert m is not None and m.timezone == "Europe/Zurich" and m.days == (1, 2, 3, 4, 5)
    assert m.location.address == "Roadstar 16, 12764 Happyville, Denmark"

    with pytest.raises(InvalidImport, match="one-off event"):
        await do_import(services, "icalendar_pkg/issue_836_do_not_quote_tzid.ics")
    with pytest.raises(InvalidImport, match="one-off event"):
        await do_import(services, "icalendar_pkg/timezone_same_start.ics")
    with pytest.raises(InvalidImport, match="broken RRULE"):
        await do_import(services, "icalendar_pkg/issue_165_missing_event.ics")
    with pytest.raises(InvalidImport, match="no DTSTART"):
        await do_import(services, "icalendar_pkg/issue_1050_multiple_calendars.ics")
    with pytest.raises(InvalidImport, match="never closed"):
        await do_import(services, "icalendar_pkg/small_bad_calendar.ics")
    with pytest.raises(InvalidImport, match="no DTSTART"):
        await do_import(services, "icalendar_pkg/broken_ical.ics")


@pytest.mark.skipif(not RIE_CALENDARS.is_dir(), reason="recurring-ical-events test data absent")
async def test_recurring_ical_events_package_calendars(services: Services) -> None:
    """LGPL-licensed, so read in place from the installed package rather than copied."""

    def data(name: str) -> bytes:
        return (RIE_CALENDARS / name).read_bytes()

    # COUNT=8 from 2019, with an EXDATE: long ended.
    with pytest.raises(InvalidImport, match=r"ended on 2019-04-22 \(COUNT=8\)"):
        await do_import(services, data=data("each_week_but_one_deleted.ics"))
    # Google one-off events with UTC times and X-WR-TIMEZONE.
    with pytest.raises(InvalidImport, match="one-off"):
        await do_import(services, data=data("x_wr_timezone_simple_events_issue_59.ics"))
    # Google monthly series ("last Friday") with a moved occurrence (RECURRENCE-ID) in 2021:
    # a monthly meeting now; the old change is dropped (it is years past).
    report = await do_import(services, data=data("issue_62_moved_event.ics"))
    karaoke = await services.meetings.get(report.added[0])
    assert karaoke is not None and karaoke.days == (5,)
    recurrence = karaoke.schedule.recurrence
    assert (recurrence.frequency, recurrence.ordinals) == (Frequency.MONTHLY, (-1,))
    assert karaoke.schedule.changes == ()


def test_detect_format() -> None:
    assert detect_format(fixture_bytes("apple_icloud.ics")) == "ics"
    assert detect_format(fixture_bytes("meeting_guide.json")) == "meeting-guide"
    assert detect_format(fixture_bytes("bmlt_search.json")) == "bmlt"
    assert detect_format(fixture_bytes("bmlt_tsml.json")) == "meeting-guide"
    assert detect_format(fixture_bytes("tsml.csv")) == "csv"
    assert detect_format(b"anything", "list.csv") == "csv"
    with pytest.raises(InvalidImport, match="--format"):
        detect_format(b"\x00\x01binary")
