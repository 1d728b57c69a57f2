"""Meeting Guide JSON: a valid exported feed, and TSML's tolerant import rules."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time

import pytest

from calendars.errors import InvalidImport
from calendars.meeting_guide import meeting_guide_json, meeting_to_mg
from core.model import Attendance, Location, OnlineAccess
from core.services import Services
from tests.calendars.conftest import ZOOM, do_import, meeting, snapshot

SPEC_FIELDS = {
    "name",
    "slug",
    "day",
    "time",
    "end_time",
    "timezone",
    "types",
    "location",
    "location_notes",
    "formatted_address",
    "address",
    "city",
    "state",
    "postal_code",
    "country",
    "region",
    "sub_region",
    "regions",
    "latitude",
    "longitude",
    "approximate",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "notes",
    "group",
    "url",
    "updated",
    "attendance_option",
}


def test_export_is_a_valid_meeting_guide_feed() -> None:
    meetings = [
        meeting("b-hybrid", online=ZOOM, days=["monday", "friday"], notes="Plain text"),
        meeting(
            "a-online",
            location=Location(city="Boston", region="Back Bay"),
            online=OnlineAccess(url="https://zoom.us/j/1"),
            types=["W"],
        ),
    ]
    data = meeting_guide_json(meetings)
    assert data == meeting_guide_json(list(reversed(meetings)))  # byte-identical
    feed = json.loads(data)
    assert isinstance(feed, list) and [m["slug"] for m in feed] == ["a-online", "b-hybrid"]
    for item in feed:
        assert set(item) <= SPEC_FIELDS
        assert isinstance(item["name"], str) and item["name"]
        assert isinstance(item["slug"], str) and len(item["slug"]) <= 64
        days = item["day"] if isinstance(item["day"], list) else [item["day"]]
        assert all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        for key in ("time", "end_time"):
            hours, minutes = item[key].split(":")
            assert len(item[key]) == 5 and 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["updated"])
        assert item["approximate"] in ("yes", "no")
    hybrid = feed[1]
    assert hybrid["day"] == [1, 5] and hybrid["attendance_option"] == "hybrid"
    assert hybrid["conference_url"] == "https://zoom.us/j/5550001234"
    assert feed[0]["approximate"] == "yes" and feed[0]["attendance_option"] == "online"
    assert meeting_to_mg(meetings[0])["day"] == [1, 5]


async def test_tolerant_import_rules(services: Services) -> None:
    report = await do_import(services, "meeting_guide.json", fellowship="aa")
    found = {slug: await services.meetings.get(slug) for slug in report.added}
    sunrise = found["serenity-at-sunrise"]
    assert sunrise is not None and sunrise.days == (1, 3, 5)
    assert sunrise.location.region == "Springfield" and sunrise.location.sub_region == "Downtown"
    assert sunrise.notes == "Coffee at 6:15.\nUse the side door & take the stairs."
    # Day as a numeric string, "6:00 PM", type names, "EST", Open+Closed → Closed.
    women = found["womens-big-book"]
    assert women is not None
    assert (women.days, women.start, women.end) == ((2,), time(18), time(19))
    assert women.timezone == "America/New_York"
    assert women.types == ("B", "C", "W")
    assert women.location.address == "5 Sample Boulevard, Springfield, MA 01103, US"
    # Online: approximate address, room-only types dropped, fuzzy zone name.
    owls = found["night-owls"]
    assert owls is not None and owls.attendance is Attendance.ONLINE
    assert "X" not in owls.types and owls.timezone == "America/Los_Angeles"
    assert (owls.start, owls.end) == (time(23, 30), time(0, 30))
    # Explicit attendance_option accepted; coordinates as "lat,lng".
    hybrid = found["hybrid-steps"]
    assert hybrid is not None and hybrid.attendance is Attendance.HYBRID
    assert (hybrid.location.latitude, hybrid.location.longitude) == (51.539, -0.1426)
    # TC (temporarily closed) with a link: online, not in person.
    assert found["tc-room"] is not None and found["tc-room"].attendance is Attendance.ONLINE
    # Duplicate slugs made unique; int slugs; day names in Spanish; "7:30 pm".
    assert "serenity-at-sunrise-2" in found
    nueva = found["1042"]
    assert nueva is not None and nueva.days == (1, 3) and nueva.start == time(19, 30)
    assert nueva.types == ("C", "LIT", "S") and nueva.online.url is None
    reasons = dict(report.skipped)
    assert "by appointment" in reasons["by-appointment"]
    assert "25:99" in reasons["broken-time"]
    assert "--tz" in reasons["no-zone"]
    assert any("duplicate slugs" in w for w in report.warnings)
    assert any("'zoom' is not an http(s) link" in w for w in report.warnings)


async def test_default_zone_fills_missing_timezones(services: Services) -> None:
    report = await do_import(services, "meeting_guide.json", default_tz="America/Denver")
    assert "no-zone" in report.added
    m = await services.meetings.get("no-zone")
    assert m is not None and m.timezone == "America/Denver"


async def test_round_trip_export_import(services: Services) -> None:
    originals = [
        meeting("rt-one", online=ZOOM, days=["monday", "thursday"], types=["C", "W"]),
        meeting("rt-two", start="07:15", end="08:00", timezone="Europe/London"),
    ]
    data = meeting_guide_json(originals)
    report = await do_import(services, data=data, source="round-trip", fellowship="aa")
    assert sorted(report.added) == ["rt-one", "rt-two"]
    for original in originals:
        back = await services.meetings.get(original.slug)
        assert back is not None
        assert back.days == original.days and back.start == original.start
        assert back.end == original.end and back.timezone == original.timezone
        assert back.types == original.types and back.attendance == original.attendance
        assert back.online.url == original.online.url


async def test_not_json_or_not_a_list_is_a_clear_error(services: Services) -> None:
    before = await snapshot(services)
    with pytest.raises(InvalidImport, match="not valid JSON") as caught:
        await do_import(services, data=b'[{"name": "x",', fmt="meeting-guide")
    assert caught.value.params["where"].startswith("line 1")
    with pytest.raises(InvalidImport, match="JSON array"):
        await do_import(services, data=b'{"name": "x"}', fmt="meeting-guide")
    with pytest.raises(InvalidImport, match="no meetings"):
        await do_import(services, data=b"[]", fmt="meeting-guide")
    assert await snapshot(services) == before


async def test_updated_field_does_not_make_a_change(services: Services) -> None:
    feed = [
        {
            "name": "A",
            "slug": "a",
            "day": 1,
            "time": "19:00",
            "timezone": "UTC",
            "updated": "2026-01-01 00:00:00",
        }
    ]
    await do_import(services, data=json.dumps(feed).encode(), source="upd")
    feed[0]["updated"] = "2026-02-02 00:00:00"
    report = await do_import(services, data=json.dumps(feed).encode(), source="upd")
    assert report.unchanged == ["a"] and not report.updated
    stored = await services.meetings.get("a")
    assert stored is not None and stored.updated == datetime(2026, 6, 3, 15, tzinfo=UTC)
