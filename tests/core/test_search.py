"""Search over a real SQLite store: when, time of day, concepts, attendance, text, near,
community scope, inactive, paging and the 'nothing left today' fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import ValidationError
from core.model import Attendance, Location, OnlineAccess
from core.search import MeetingQuery, When, parse_type_filters
from core.services import Services
from tests.helpers import BOSTON, ZOOM, add_meeting

CAMBRIDGE = Location(address="2 Sample Road, Cambridge", city="Cambridge", region="Harvard",
                     latitude=42.3736, longitude=-71.1097)
LONDON = Location(address="3 Demo Way, London", city="London", region="Camden",
                  latitude=51.539, longitude=-0.1426)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def add(services: Services, slug: str, **kw) -> None:
    await add_meeting(services, slug, **kw)


@pytest.fixture
async def seeded(services: Services) -> Services:
    await add(services, "boston-women", types=["W", "C"], notes="Bring a friend")
    await add(services, "boston-men", types=["M"], start="07:00", days=[1, 2, 3, 4, 5])
    await add(services, "cambridge-lgbtq", types=["LGBTQ"], location=CAMBRIDGE, start="12:00",
              end="13:00")
    await add(services, "online-spanish", types=["S", "W"], location=Location(), online=ZOOM,
              start="20:30", timezone="America/Chicago")
    await add(services, "na-hybrid", fellowship="na", types=["GL", "BEG"], online=ZOOM,
              start="18:00")
    await add(services, "london-late", location=LONDON, timezone="Europe/London",
              start="23:30", end="00:30", days=["tuesday"])
    await add(services, "closed-room", types=["TC"], location=BOSTON)  # inactive
    await add(services, "server-only", community="discord:1", start="19:30", location=Location(),
              online=OnlineAccess(url="https://discord.gg/abc"))
    return services


async def slugs(services: Services, at: datetime, **kw) -> list[str]:
    result = await services.search.search(MeetingQuery(**kw), at)
    return [h.meeting.slug for h in result.hits]


async def test_today_in_viewer_zone_is_ordered_by_start(seeded: Services) -> None:
    at = utc(2026, 6, 3, 14)  # Wednesday 10:00 in Boston
    found = await slugs(seeded, at, when=When.TODAY, viewer_tz="America/New_York")
    assert found == ["cambridge-lgbtq", "na-hybrid", "boston-women", "online-spanish"]


async def test_inactive_hidden_unless_asked(seeded: Services) -> None:
    at = utc(2026, 6, 3, 14)
    found = await slugs(seeded, at, when=When.TODAY, viewer_tz="America/New_York",
                        include_inactive=True)
    assert "closed-room" in found


async def test_concepts_across_fellowships(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    assert await slugs(seeded, at, concepts=("women",)) == ["boston-women", "online-spanish"]
    assert await slugs(seeded, at, concepts=("lgbtq",)) == ["cambridge-lgbtq", "na-hybrid"]
    assert await slugs(seeded, at, concepts=("language:es",)) == ["online-spanish"]
    assert await slugs(seeded, at, concepts=("newcomer",)) == ["na-hybrid"]
    assert await slugs(seeded, at, concepts=("women", "language:es")) == ["online-spanish"]


async def test_attendance_online_includes_hybrid(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    assert await slugs(seeded, at, attendance=Attendance.ONLINE) == ["na-hybrid",
                                                                       "online-spanish"]
    assert await slugs(seeded, at, attendance=Attendance.HYBRID) == ["na-hybrid"]
    in_person = await slugs(seeded, at, attendance=Attendance.IN_PERSON)
    assert "online-spanish" not in in_person and "na-hybrid" in in_person


async def test_now_includes_in_progress(seeded: Services) -> None:
    at = utc(2026, 6, 3, 16, 30)  # 12:30 in Boston: the noon meeting is running
    result = await seeded.search.search(MeetingQuery(when=When.NOW), at)
    assert [h.meeting.slug for h in result.hits] == ["cambridge-lgbtq"]
    assert result.hits[0].in_progress


async def test_viewer_weekday_differs_from_meeting_day(seeded: Services) -> None:
    # Wednesday 19:00 Boston = Thursday 00:00 London: a Thursday meeting for a London viewer.
    at = utc(2026, 6, 1, 12)
    thursday = await slugs(seeded, at, when=When.WEEKDAY, weekday=4, viewer_tz="Europe/London")
    assert "boston-women" in thursday
    wednesday = await slugs(seeded, at, when=When.WEEKDAY, weekday=3, viewer_tz="Europe/London")
    assert "boston-women" not in wednesday and "cambridge-lgbtq" in wednesday


async def test_time_of_day_in_viewer_zone(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    morning = await slugs(seeded, at, when=When.TODAY, time_of_day=frozenset({"morning"}),
                          viewer_tz="America/New_York")
    assert morning == ["boston-men"]
    evening = await slugs(seeded, at, when=When.TODAY, time_of_day=frozenset({"evening"}),
                          viewer_tz="America/New_York")
    assert evening == ["na-hybrid", "boston-women"]


async def test_text_region_and_near(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    assert await slugs(seeded, at, text="friend") == ["boston-women"]
    assert await slugs(seeded, at, region="harvard") == ["cambridge-lgbtq"]
    near = await seeded.search.search(
        MeetingQuery(near=(42.3736, -71.1097), radius_km=1.0), at)
    assert [h.meeting.slug for h in near.hits] == ["cambridge-lgbtq"]
    assert near.hits[0].distance_km is not None and near.hits[0].distance_km < 0.1
    wide = await slugs(seeded, at, near=(42.3736, -71.1097), radius_km=10)
    assert "boston-women" in wide and "london-late" not in wide


async def test_community_scope(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    assert "server-only" not in await slugs(seeded, at, limit=50)
    assert "server-only" in await slugs(seeded, at, community="discord:1", limit=50)
    assert "server-only" not in await slugs(seeded, at, community="discord:2", limit=50)


async def test_paging(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    first = await seeded.search.search(MeetingQuery(limit=2), at)
    assert first.has_more and first.next_offset == 2
    second = await seeded.search.search(MeetingQuery(limit=2, offset=2), at)
    together = [h.meeting.slug for h in first.hits + second.hits]
    assert len(set(together)) == 4
    everything = await slugs(seeded, at, limit=50)
    assert together == everything[:4]


async def test_nothing_left_today_falls_back_to_tomorrow(seeded: Services) -> None:
    at = utc(2026, 6, 4, 3, 30)  # Wednesday 23:30 in Boston: nothing left today
    result = await seeded.search.search(
        MeetingQuery(when=When.TODAY, viewer_tz="America/New_York"), at)
    assert result.fell_back_to is When.TOMORROW
    assert [h.meeting.slug for h in result.hits] == ["boston-men"]  # Thursday 07:00 (weekdays)


async def test_upcoming_wraps_the_week_and_shows_each_meeting_once(seeded: Services) -> None:
    at = utc(2026, 6, 4, 12)  # Thursday
    found = await slugs(seeded, at, limit=50)
    assert len(found) == len(set(found))
    assert "boston-women" in found  # next Wednesday


async def test_bad_queries_are_explicit() -> None:
    with pytest.raises(ValidationError) as err:
        MeetingQuery(viewer_tz="Mars/Olympus").validated()
    assert err.value.field == "timezone"
    with pytest.raises(ValidationError):
        MeetingQuery(time_of_day=frozenset({"brunch"})).validated()
    with pytest.raises(ValidationError):
        MeetingQuery(fellowships=("xyz",)).validated()


def test_type_filters_map_words_and_codes() -> None:
    assert parse_type_filters(["women", "spanish"]) == (("women", "language:es"), ())
    assert parse_type_filters(["mujeres"])[0] == ("women",)
    assert parse_type_filters(["W"])[0] == ("women",)
    with pytest.raises(ValidationError):
        parse_type_filters(["not-a-type"])


async def test_matching_meetings_lists_each_meeting_once(seeded: Services) -> None:
    at = utc(2026, 6, 3, 4)
    everything = await seeded.search.matching_meetings(MeetingQuery(), at)
    slugs = [m.slug for m in everything]
    assert len(slugs) == len(set(slugs)) == 6  # all active global meetings, once each
    women = await seeded.search.matching_meetings(MeetingQuery(concepts=("women",)), at)
    assert [m.slug for m in women] == ["boston-women", "online-spanish"]
    scoped = await seeded.search.matching_meetings(MeetingQuery(community="discord:1"), at)
    assert "server-only" in [m.slug for m in scoped]
