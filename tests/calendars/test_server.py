"""The feed server with aiohttp's test server on 127.0.0.1: content type, ETag, 304,
Last-Modified, filters, 404, 400, cache invalidation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar

from calendars.server import create_app, subscribe_links
from core.model import Location, OnlineAccess
from core.services import Services
from tests.calendars.conftest import meeting


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    await services.meetings.add(
        meeting("boston-women", types=["W", "C"], updated=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    )
    await services.meetings.add(
        meeting(
            "online-men",
            types=["M"],
            location=Location(),
            online=OnlineAccess(url="https://zoom.us/j/1"),
            updated=datetime(2026, 2, 1, tzinfo=UTC),
        )
    )
    await services.meetings.add(
        meeting(
            "na-tuesday",
            fellowship="na",
            days=["tuesday"],
            types=["O"],
            updated=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    await services.meetings.add(
        meeting("guild-only", community="guild-1", updated=datetime(2026, 1, 1, tzinfo=UTC))
    )
    app = create_app(services, check_seconds=0)
    test_client = TestClient(TestServer(app, host="127.0.0.1"))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


def uids(body: bytes) -> list[str]:
    return sorted(str(e["UID"]).split("@")[0] for e in Calendar.from_ical(body).events)


async def test_calendar_feed_etag_and_304(client: TestClient) -> None:
    resp = await client.get("/calendar.ics")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = await resp.read()
    assert uids(body) == ["boston-women", "na-tuesday", "online-men"]
    etag = resp.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert resp.headers["Last-Modified"] == "Sun, 01 Feb 2026 00:00:00 GMT"
    again = await client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    assert again.headers["ETag"] == etag
    weak = await client.get("/calendar.ics", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status == 304
    since = await client.get(
        "/calendar.ics", headers={"If-Modified-Since": resp.headers["Last-Modified"]}
    )
    assert since.status == 304
    other = await client.get("/calendar.ics", headers={"If-None-Match": '"nope"'})
    assert other.status == 200 and await other.read() == body


async def test_filters(client: TestClient) -> None:
    women = await client.get("/calendar.ics?type=women")
    assert uids(await women.read()) == ["boston-women"]
    na = await client.get("/calendar.ics?fellowship=na")
    assert uids(await na.read()) == ["na-tuesday"]
    online = await client.get("/calendar.ics?attendance=online&name=Online%20meetings")
    body = await online.read()
    assert uids(body) == ["online-men"] and b"X-WR-CALNAME:Online meetings" in body
    tuesday = await client.get("/calendar.ics?day=tuesday&tz=America/New_York")
    assert uids(await tuesday.read()) == ["na-tuesday"]
    guild = await client.get("/calendar.ics?community=guild-1")
    assert "guild-only" in uids(await guild.read())
    near = await client.get("/calendar.ics?near=42.1,-72.59&radius_km=5")
    assert uids(await near.read()) == ["boston-women", "na-tuesday"]


async def test_bad_filters_are_400(client: TestClient) -> None:
    for query in (
        "colour=red",
        "fellowship=zz",
        "attendance=teleport",
        "near=north",
        "tz=Mars/Base",
        "type=nonsense-type",
        "day=someday",
    ):
        resp = await client.get(f"/calendar.ics?{query}")
        assert resp.status == 400, query
        assert "bad filter" in await resp.text()


async def test_single_meeting_and_404(client: TestClient) -> None:
    resp = await client.get("/meetings/boston-women.ics")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/calendar")
    assert uids(await resp.read()) == ["boston-women"]
    assert resp.headers["Last-Modified"] == "Fri, 02 Jan 2026 03:04:05 GMT"
    not_modified = await client.get(
        "/meetings/boston-women.ics", headers={"If-None-Match": resp.headers["ETag"]}
    )
    assert not_modified.status == 304
    missing = await client.get("/meetings/no-such-meeting.ics")
    assert missing.status == 404


async def test_meeting_guide_json_and_healthz(client: TestClient) -> None:
    resp = await client.get("/meetings.json")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("application/json")
    assert [m["slug"] for m in json.loads(await resp.read())] == [
        "boston-women",
        "na-tuesday",
        "online-men",
    ]
    assert (await client.get("/meetings.json?bogus=1")).status == 400
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json()) == {"status": "ok", "meetings": 4}


async def test_cache_follows_changes(client: TestClient, services: Services) -> None:
    first = await client.get("/calendar.ics")
    etag = first.headers["ETag"]
    await services.meetings.add(meeting("new-one", updated=datetime(2026, 3, 1, tzinfo=UTC)))
    second = await client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert second.status == 200 and second.headers["ETag"] != etag
    assert "new-one" in uids(await second.read())
    assert await services.meetings.remove("new-one")
    third = await client.get("/calendar.ics")
    assert third.headers["ETag"] == etag  # same data → same bytes → same tag


def test_subscribe_links() -> None:
    links = subscribe_links("https://cal.example.org/", "fellowship=aa&type=women")
    assert links["https"] == "https://cal.example.org/calendar.ics?fellowship=aa&type=women"
    assert links["webcal"] == "webcal://cal.example.org/calendar.ics?fellowship=aa&type=women"


async def test_runner_component_only_when_enabled(services: Services) -> None:
    import socket
    from dataclasses import replace

    import aiohttp

    from calendars.server import build_component

    assert build_component(services) is None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    services.config = replace(
        services.config, server_enabled=True, server_host="127.0.0.1", server_port=port
    )
    component = build_component(services)
    assert component is not None and component.name == "calendar-server"
    await component.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
    finally:
        await component.stop()
