"""Zone names from real files, and export filters agreeing with search."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from calendars.filters import matching_meetings, query_from_params
from calendars.server import start_server
from calendars.zones import (
    ABBREVIATIONS,
    OUTLOOK_DISPLAY_NAMES,
    WINDOWS_ZONES,
    fuzzy_zone,
    known_zone,
    zone_matching,
)
from core.errors import ValidationError
from core.model import Attendance, Location, OnlineAccess
from core.search import MeetingQuery, When
from core.services import Services
from core.timezones import canonical_zone
from tests.calendars.conftest import do_import, meeting


def test_every_mapped_zone_is_canonical_iana() -> None:
    for table in (WINDOWS_ZONES, OUTLOOK_DISPLAY_NAMES, ABBREVIATIONS):
        for name, zone in table.items():
            assert canonical_zone(zone) == canonical_zone(canonical_zone(zone)), name


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ("Eastern Standard Time", "America/New_York"),
        ('"Central Standard Time"', "America/Chicago"),
        ("Mountain Standard Time", "America/Denver"),
        ("US Mountain Standard Time", "America/Phoenix"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("GMT Standard Time", "Europe/London"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Romance Standard Time", "Europe/Paris"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("India Standard Time", "Asia/Kolkata"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("China Standard Time", "Asia/Shanghai"),
        ("SA Pacific Standard Time", "America/Bogota"),
        ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
        ("E. South America Standard Time", "America/Sao_Paulo"),
        ("Central Standard Time (Mexico)", "America/Mexico_City"),
        ("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("(UTC+10:00) Canberra, Melbourne, Sydney", "Australia/Sydney"),
        ("(UTC) Dublin, Edinburgh, Lisbon, London", "Europe/London"),
        ("/mozilla.org/20050126_1/America/New_York", "America/New_York"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("EST", "America/New_York"),
        ("pacific", "America/Los_Angeles"),
    ],
)
def test_known_zone(raw: str, zone: str) -> None:
    assert known_zone(raw) == zone


def test_unknown_and_fuzzy_zones() -> None:
    assert known_zone("Springfield Local Time") is None
    assert known_zone("") is None
    assert fuzzy_zone("america/new york") == ("America/New_York", None)
    zone, note = fuzzy_zone("America/New_Yrok")
    assert zone == "America/New_York" and note is not None
    with pytest.raises(ValidationError):
        fuzzy_zone("qqqqqqqq")


def test_zone_matching_by_rules() -> None:
    assert zone_matching(ZoneInfo("Europe/Berlin"), 2026, ["Europe/Paris"]) == "Europe/Paris"
    assert zone_matching(ZoneInfo("Europe/Berlin"), 2026) == "Europe/Berlin"
    assert zone_matching(ZoneInfo("Etc/GMT-11"), 2026) == "Etc/GMT-11"
    assert zone_matching(ZoneInfo("Asia/Kolkata"), 2026) == "Asia/Kolkata"


async def test_fixed_offset_vtimezone_is_matched(services: Services) -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:UTC+11\r\n"
        b"BEGIN:STANDARD\r\nDTSTART;VALUE=DATE:20170101\r\nTZNAME:UTC+11\r\n"
        b"TZOFFSETFROM:+1100\r\nTZOFFSETTO:+1100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        b"BEGIN:VEVENT\r\nUID:court-4\r\nDTSTART;TZID=UTC+11:20250106T183000\r\n"
        b"RRULE:FREQ=WEEKLY\r\nSUMMARY:Court Four Group (fictional)\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    report = await do_import(services, data=data)
    m = await services.meetings.get(report.added[0])
    assert m is not None and m.timezone == "Etc/GMT-11"


@pytest.fixture
async def seeded(services: Services) -> Services:
    zoom = OnlineAccess(url="https://zoom.us/j/1")
    await services.meetings.add(meeting("women-evening", types=["W"], start="19:00"))
    await services.meetings.add(
        meeting("men-morning", types=["M"], start="07:00", days=["tuesday"])
    )
    await services.meetings.add(
        meeting("online-spanish", types=["S"], location=Location(), online=zoom, days=["wednesday"])
    )
    await services.meetings.add(meeting("inactive", location=Location(), days=["friday"]))
    camden = Location(
        address="3 Demo Way, London",
        city="London",
        region="Camden",
        latitude=51.539,
        longitude=-0.14,
    )
    await services.meetings.add(
        meeting("london", timezone="Europe/London", location=camden, types=["O"])
    )
    return services


async def slugs(services: Services, **kw: object) -> list[str]:
    query = MeetingQuery(viewer_tz="America/New_York", **kw)  # type: ignore[arg-type]
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)  # a Monday
    return [m.slug for m in await matching_meetings(services, query, at)]


async def test_matching_meetings_uses_the_search_filters(seeded: Services) -> None:
    assert await slugs(seeded) == ["london", "men-morning", "online-spanish", "women-evening"]
    assert await slugs(seeded, include_inactive=True) == [
        "inactive",
        "london",
        "men-morning",
        "online-spanish",
        "women-evening",
    ]
    assert await slugs(seeded, concepts=("women",)) == ["women-evening"]
    assert await slugs(seeded, concepts=("language:es",)) == ["online-spanish"]
    assert await slugs(seeded, attendance=Attendance.ONLINE) == ["online-spanish"]
    assert await slugs(seeded, region="Camden") == ["london"]
    assert await slugs(seeded, text="women evening") == ["women-evening"]
    assert await slugs(seeded, near=(51.5, -0.1), radius_km=20) == ["london"]
    assert await slugs(seeded, when=When.WEEKDAY, weekday=2) == ["men-morning"]
    assert await slugs(seeded, time_of_day=frozenset({"morning"})) == ["men-morning"]
    # 19:00 in London is 14:00 in New York: both are still ahead "today" for this viewer.
    assert await slugs(seeded, when=When.TODAY) == ["london", "women-evening"]


def test_query_from_params() -> None:
    q = query_from_params(
        {
            "type": ["women,spanish"],
            "fellowship": ["aa"],
            "day": ["monday"],
            "tz": ["Europe/London"],
        },
        "America/New_York",
    )
    assert q.concepts == ("women", "language:es") and q.weekday == 1
    assert q.viewer_tz == "Europe/London" and q.when is When.WEEKDAY
    with pytest.raises(ValidationError, match="unknown filter"):
        query_from_params({"limit": ["5"]}, "UTC")


async def test_start_server_on_localhost(services: Services) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    runner = await start_server(services, "127.0.0.1", port)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["status"] == "ok"
    finally:
        await runner.cleanup()


def test_query_to_params_round_trips() -> None:
    from urllib.parse import parse_qs

    from calendars.filters import query_to_params

    original = MeetingQuery(
        when=When.WEEKDAY,
        weekday=3,
        time_of_day=frozenset({"evening"}),
        concepts=("women", "language:es"),
        fellowships=("aa",),
        attendance=Attendance.IN_PERSON,
        region="Back Bay",
        text="serenity",
        near=(42.35, -71.08),
        radius_km=10,
        community="guild-1",
        include_inactive=True,
        viewer_tz="Europe/London",
    ).validated()
    text = query_to_params(original)
    assert "day=wednesday" in text and "tz=Europe%2FLondon" in text
    back = query_from_params(parse_qs(text), "UTC")
    assert back == original
    assert query_to_params(MeetingQuery()) == ""
