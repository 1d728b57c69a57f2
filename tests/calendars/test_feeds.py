"""Feeds: CRUD, config sync, refresh with conditional GET, failures isolated, the loop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from calendars.errors import FeedError
from calendars.feeds import FeedStore, refresh_due, refresh_feeds, run_feed_loop
from core.clock import FakeClock
from core.config import FeedConfig
from core.errors import StepbotError, ValidationError
from core.services import Services


class Upstream:
    """A local server whose feed content and status the test controls."""

    def __init__(self) -> None:
        self.items = [
            {
                "name": "Alpha",
                "slug": "alpha",
                "day": 1,
                "time": "19:00",
                "timezone": "America/New_York",
            }
        ]
        self.hits: dict[str, int] = {}
        self.use_etag = True

    def app(self) -> web.Application:
        app = web.Application()

        async def feed(request: web.Request) -> web.Response:
            self.hits[request.path] = self.hits.get(request.path, 0) + 1
            body = json.dumps(self.items).encode()
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if self.use_etag and request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag})
            headers = {"ETag": etag} if self.use_etag else {}
            return web.Response(body=body, content_type="application/json", headers=headers)

        async def broken(request: web.Request) -> web.Response:
            self.hits[request.path] = self.hits.get(request.path, 0) + 1
            return web.Response(status=500, text="upstream trouble")

        app.router.add_get("/feed.json", feed)
        app.router.add_get("/broken.json", broken)
        return app


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, TestServer]]:
    up = Upstream()
    srv = TestServer(up.app(), host="127.0.0.1")
    await srv.start_server()
    try:
        yield up, srv
    finally:
        await srv.close()


@pytest.fixture
def local(services: Services) -> Services:
    """Services whose config allows fetching from 127.0.0.1."""
    services.config = replace(services.config, import_allow_hosts=("127.0.0.1",))
    return services


async def test_add_list_remove(services: Services) -> None:
    store = FeedStore(services)
    feed = await store.add(
        "https://aa.example.org/meetings.json",
        fmt="mg",
        fellowship="AA",
        timezone="US/Eastern",
        refresh_minutes=60,
    )
    assert (feed.name, feed.format, feed.fellowship, feed.timezone) == (
        "aa-example-org-meetings-json",
        "meeting-guide",
        "aa",
        "America/New_York",
    )
    assert [f.id for f in await store.list()] == [feed.id]
    with pytest.raises(FeedError, match="already exists"):
        await store.add("https://aa.example.org/meetings.json")
    with pytest.raises(StepbotError) as bad_scheme:
        await store.add("ftp://aa.example.org/x")
    assert bad_scheme.value.key == "error.fetch_scheme"
    with pytest.raises(ValidationError):
        await store.add("https://x.example.org/", fmt="pdf")
    with pytest.raises(FeedError, match="at least"):
        await store.add("https://y.example.org/", refresh_minutes=1)
    assert (await store.get(feed.name)) == feed and (await store.get(str(feed.id))) == feed
    assert await store.remove(feed) == 0
    assert await store.list() == []


async def test_refresh_imports_then_uses_conditional_get(
    local: Services, upstream: tuple[Upstream, TestServer]
) -> None:
    up, srv = upstream
    store = FeedStore(local)
    feed = await store.add(f"http://127.0.0.1:{srv.port}/feed.json", name="intergroup")
    [outcome] = await refresh_feeds(local, [feed])
    assert outcome.status == "updated" and outcome.report is not None
    assert outcome.report.added == ["alpha"]
    alpha = await local.meetings.get("alpha")
    assert alpha is not None and alpha.source == "intergroup"
    feed = await store.get("intergroup")
    assert feed is not None and feed.etag and feed.last_success and feed.last_error is None
    [again] = await refresh_feeds(local, [feed])
    assert again.status == "not_modified"
    up.use_etag = False  # a server without ETags: the content hash catches "no change"
    [same] = await refresh_feeds(local, [feed])
    assert same.status == "unchanged"
    up.items.append(
        {"name": "Beta", "slug": "beta", "day": 2, "time": "07:00", "timezone": "America/New_York"}
    )
    feed = await store.get("intergroup")
    assert feed is not None
    [changed] = await refresh_feeds(local, [feed])
    assert changed.status == "updated" and changed.report and changed.report.added == ["beta"]


async def test_a_failing_feed_records_its_error_and_does_not_block_others(
    local: Services, upstream: tuple[Upstream, TestServer]
) -> None:
    up, srv = upstream
    store = FeedStore(local)
    bad = await store.add(f"http://127.0.0.1:{srv.port}/broken.json", name="bad")
    refused = await store.add("http://10.9.8.7/feed.json", name="private")
    good = await store.add(f"http://127.0.0.1:{srv.port}/feed.json", name="good")
    outcomes = {o.feed: o for o in await refresh_feeds(local, [bad, refused, good])}
    assert outcomes["good"].status == "updated"
    assert outcomes["bad"].status == "error" and "HTTP 500" in (outcomes["bad"].error or "")
    assert outcomes["private"].status == "error" and "private" in (outcomes["private"].error or "")
    stored_bad = await store.get("bad")
    assert stored_bad is not None and stored_bad.failures == 1
    assert stored_bad.last_error is not None and "HTTP 500" in stored_bad.last_error
    assert await local.meetings.get("alpha") is not None


async def test_refresh_due_syncs_config_feeds(
    local: Services, upstream: tuple[Upstream, TestServer], clock: FakeClock
) -> None:
    up, srv = upstream
    local.config = replace(
        local.config,
        feeds=(
            FeedConfig(
                url=f"http://127.0.0.1:{srv.port}/feed.json",
                format="meeting-guide",
                fellowship="aa",
                name="from-config",
                refresh_minutes=60,
            ),
        ),
    )
    outcomes = await refresh_due(local)
    assert [(o.feed, o.status) for o in outcomes] == [("from-config", "updated")]
    assert await refresh_due(local) == []  # not due yet
    clock.advance(minutes=61)
    assert [o.status for o in await refresh_due(local)] == ["not_modified"]
    local.config = replace(local.config, feeds=())
    await refresh_due(local)
    assert await FeedStore(local).list() == []  # removed from config → forgotten
    assert await local.meetings.get("alpha") is not None  # …but its meetings stay


async def test_feed_loop_runs_and_stops(
    local: Services, upstream: tuple[Upstream, TestServer]
) -> None:
    up, srv = upstream
    await FeedStore(local).add(f"http://127.0.0.1:{srv.port}/feed.json", name="loop")
    stop = asyncio.Event()
    task = asyncio.create_task(run_feed_loop(local, stop, min_sleep=0.01, max_sleep=0.05))
    for _ in range(200):
        if await local.meetings.get("alpha") is not None:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert await local.meetings.get("alpha") is not None


async def test_remove_with_purge(local: Services, upstream: tuple[Upstream, TestServer]) -> None:
    up, srv = upstream
    store = FeedStore(local)
    feed = await store.add(f"http://127.0.0.1:{srv.port}/feed.json", name="purge-me")
    await refresh_feeds(local, [feed])
    assert await store.remove(feed, purge=True) == 1
    assert await local.meetings.get("alpha") is None
    assert await local.db.scalar("SELECT count(*) FROM import_sources") == 0


def test_failing_feeds_back_off() -> None:
    from datetime import UTC, datetime, timedelta

    from calendars.feeds import Feed

    checked = datetime(2026, 6, 3, tzinfo=UTC)
    ok = Feed(1, "f", None, "https://x.example.org/", refresh_minutes=60, last_checked=checked)
    assert ok.next_due(checked) == checked + timedelta(hours=1)
    failing = replace(ok, failures=2)
    assert failing.next_due(checked) == checked + timedelta(hours=4)
    assert not failing.due(checked + timedelta(hours=3)) and failing.due(
        checked + timedelta(hours=4)
    )
    daily = replace(ok, refresh_minutes=1440, failures=9)
    assert daily.next_due(checked) == checked + timedelta(days=2)
    assert Feed(2, "new", None, "https://y.example.org/").due(checked)


async def test_runner_component_starts_and_stops(
    local: Services, upstream: tuple[Upstream, TestServer]
) -> None:
    from calendars.feeds import build_component

    up, srv = upstream
    await FeedStore(local).add(f"http://127.0.0.1:{srv.port}/feed.json", name="bg")
    component = build_component(local)
    assert component.name == "feeds"
    await component.start()
    for _ in range(300):
        if await local.meetings.get("alpha") is not None:
            break
        await asyncio.sleep(0.01)
    await asyncio.wait_for(component.stop(), timeout=5)
    assert await local.meetings.get("alpha") is not None
