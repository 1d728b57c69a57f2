"""The feed server with aiohttp's test server on 127.0.0.1: content type, ETag, 304,
Last-Modified, filters, 404, 400, cache invalidation; and the real server's connection limits
(header and keep-alive timeouts, connection caps, size limits, short rate-limited logs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer
from icalendar import Calendar

from calendars.server import FeedServer, ServerLimits, create_app, subscribe_links
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


# --- Connection limits: real sockets on 127.0.0.1 -----------------------------------------

FAST = ServerLimits(
    header_timeout=0.5,
    keepalive_timeout=0.5,
    send_timeout=0.5,
    max_connections=256,
    max_connections_per_ip=256,
    log_interval=60.0,
)
MARGIN = 2.0  # seconds on top of a timeout before a test calls the connection "held"
SECRET = b"token=SECRET-VALUE"


@asynccontextmanager
async def running(services: Services, limits: ServerLimits) -> AsyncIterator[FeedServer]:
    server = FeedServer(services, "127.0.0.1", 0, limits=limits)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def where(server: FeedServer) -> tuple[str, int]:
    address = server.address
    assert address is not None
    return address


async def exchange(
    server: FeedServer,
    payload: bytes,
    *,
    local: tuple[str, int] | None = None,
    within: float = 3.0,
) -> bytes:
    """Send `payload`, then read until the server closes (asyncio.TimeoutError if it does
    not `within` that many seconds)."""
    reader, writer = await asyncio.open_connection(*where(server), local_addr=local)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), within)
    finally:
        writer.close()


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:80]
    return int(answer.split(b" ", 2)[1])


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: feeds\r\nConnection: close\r\n\r\n"


def server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("calendars.server", "aiohttp"))]


def assert_short(record: logging.LogRecord) -> None:
    text = record.getMessage()
    assert record.exc_info is None and record.exc_text is None, text
    assert record.levelno <= logging.WARNING, text
    assert len(text) < 160 and "\n" not in text, text
    assert "SECRET" not in text and "calendar.ics" not in text and "/" not in text, text


async def test_stalled_request_heads_are_closed_and_others_served(services: Services) -> None:
    async with running(services, FAST) as server:
        stalled = []
        for _ in range(50):
            reader, writer = await asyncio.open_connection(*where(server))
            writer.write(b"GET /calendar.ics?" + SECRET)  # … and nothing more
            stalled.append((reader, writer))
        silent = [await asyncio.open_connection(*where(server)) for _ in range(5)]  # no bytes
        started = time.monotonic()
        assert status_of(await exchange(server, HEALTHZ)) == 200  # served meanwhile
        try:
            answers = await asyncio.gather(
                *(
                    asyncio.wait_for(reader.read(), FAST.header_timeout + MARGIN)
                    for reader, _ in stalled + silent
                )
            )
        finally:
            for _, writer in stalled + silent:
                writer.close()
        assert answers == [b""] * 55  # closed by the server, without an answer
        assert time.monotonic() - started < FAST.header_timeout + MARGIN


async def test_a_trickled_head_is_closed_at_the_header_timeout(services: Services) -> None:
    async with running(services, FAST) as server:
        reader, writer = await asyncio.open_connection(*where(server))
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: feeds\r\n")
        started = time.monotonic()

        async def trickle() -> None:  # a byte every 50 ms: always active, never finished
            with contextlib.suppress(ConnectionError):
                while True:
                    writer.write(b"X")
                    await writer.drain()
                    await asyncio.sleep(0.05)

        task = asyncio.create_task(trickle())
        try:
            assert await asyncio.wait_for(reader.read(), FAST.header_timeout + MARGIN) == b""
        finally:
            task.cancel()
            writer.close()
        assert time.monotonic() - started < FAST.header_timeout + MARGIN


async def test_idle_kept_alive_connections_are_closed(services: Services) -> None:
    async with running(services, FAST) as server:
        reader, writer = await asyncio.open_connection(*where(server))
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: feeds\r\n\r\n")  # keep-alive
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
            assert status_of(head) == 200
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            started = time.monotonic()
            rest = await asyncio.wait_for(reader.read(), FAST.keepalive_timeout + MARGIN)
            assert rest == b"" and time.monotonic() - started >= FAST.keepalive_timeout * 0.8
        finally:
            writer.close()


async def test_oversized_request_line_is_414_with_one_short_log_line(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(services, FAST) as server:
        line = b"GET /calendar.ics?" + SECRET + b"&q=" + b"a" * 9000 + b" HTTP/1.1\r\n"
        answer = await exchange(server, line + b"Host: feeds\r\n\r\n")
        assert status_of(answer) == 414 and SECRET not in answer
        records = server_records(caplog)
        assert len(records) == 1, [r.getMessage() for r in records]
        assert_short(records[0])
        assert "request line too long" in records[0].getMessage()
        assert status_of(await exchange(server, HEALTHZ)) == 200


async def test_oversized_heads_are_431(services: Services) -> None:
    async with running(services, FAST) as server:
        start = b"GET /healthz HTTP/1.1\r\nHost: feeds\r\n"
        big = await exchange(server, start + b"X-Big: " + b"b" * 20_000 + b"\r\n\r\n")
        assert status_of(big) == 431
        many = b"".join(b"X-%d: 1\r\n" % i for i in range(150))
        assert status_of(await exchange(server, start + many + b"\r\n")) == 431
        fine = b"".join(b"X-%d: 1\r\n" % i for i in range(50))
        answer = await exchange(server, start + fine + b"Connection: close\r\n\r\n")
        assert status_of(answer) == 200


async def test_malformed_request_gives_one_short_log_line(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(services, FAST) as server:
        bad = b"GET /calendar.ics?" + SECRET + b" HTTP/1.1\r\nHost: feeds\r\nno colon here\r\n\r\n"
        assert status_of(await exchange(server, bad)) == 400
        records = server_records(caplog)
        assert len(records) == 1, [r.getMessage() for r in records]
        assert_short(records[0])


async def test_a_flood_of_bad_requests_logs_a_bounded_number_of_lines(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    line = b"GET /calendar.ics?" + SECRET + b"&q=" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n"
    async with running(services, FAST) as server:
        for _ in range(5):
            answers = await asyncio.gather(*(exchange(server, line) for _ in range(20)))
            assert all(status_of(a) in (400, 414) for a in answers)  # refused, anyway
        during = server_records(caplog)
        assert len(during) == 1, len(during)
    after = server_records(caplog)
    assert len(after) <= 2
    for record in after:
        assert_short(record)
    assert "99 more rejected requests" in after[-1].getMessage()


async def test_connection_cap(services: Services) -> None:
    limits = replace(FAST, header_timeout=30.0, max_connections=5, max_connections_per_ip=0)
    async with running(services, limits) as server:
        held = [await asyncio.open_connection(*where(server)) for _ in range(5)]
        try:
            await asyncio.sleep(0.1)
            started = time.monotonic()
            answer = await exchange(server, HEALTHZ, within=MARGIN)
            assert status_of(answer) == 503 and time.monotonic() - started < 1.0
            held.pop()[1].close()
            for _ in range(50):  # the slot frees when the server sees the close
                await asyncio.sleep(0.05)
                answer = await exchange(server, HEALTHZ)
                if status_of(answer) == 200:
                    break
            assert status_of(answer) == 200
        finally:
            for _, writer in held:
                writer.close()


async def test_per_address_connection_cap(services: Services) -> None:
    limits = replace(FAST, header_timeout=30.0, max_connections=100, max_connections_per_ip=3)
    async with running(services, limits) as server:
        held = [await asyncio.open_connection(*where(server)) for _ in range(3)]
        try:
            await asyncio.sleep(0.1)
            assert status_of(await exchange(server, HEALTHZ, within=MARGIN)) == 503
            # Another address is still welcome (all of 127/8 is loopback on Linux).
            other = await exchange(server, HEALTHZ, local=("127.0.0.2", 0))
            assert status_of(other) == 200
        finally:
            for _, writer in held:
                writer.close()


async def test_a_client_that_stops_reading_is_dropped(services: Services) -> None:
    async with running(services, FAST) as server:
        reader, writer = await asyncio.open_connection(*where(server))
        try:
            await asyncio.sleep(0.1)
            runner = server._runner
            assert runner is not None
            (site,) = runner.sites
            (conn,) = site.guard.connections  # type: ignore[attr-defined]
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: feeds\r\n\r\n")
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
            conn.pause_writing()  # as the transport does once the client's window is full
            started = time.monotonic()
            with contextlib.suppress(ConnectionError):
                while await asyncio.wait_for(reader.read(65536), FAST.send_timeout + MARGIN):
                    pass
            assert time.monotonic() - started < FAST.send_timeout + MARGIN
        finally:
            writer.close()


async def test_a_slow_export_does_not_stop_the_server(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exports are built in a worker thread: while one takes a second, /healthz answers."""
    import calendars.server as server

    real = server.calendar_for

    def slow(*args: object, **kwargs: object) -> bytes:
        time.sleep(1.0)  # a CPU-bound build of a huge calendar, as the loop would feel it
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(server, "calendar_for", slow)
    export = asyncio.ensure_future(client.get("/calendar.ics"))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    health = await client.get("/healthz")
    answered = time.monotonic() - started
    assert health.status == 200
    assert not export.done(), "the export should still be building"
    assert answered < 0.7, answered
    response = await export
    assert response.status == 200 and b"BEGIN:VCALENDAR" in await response.read()
