"""Feeds: calendars and meeting lists kept in sync in the background.

A feed is a URL plus the import settings (format, fellowship, community, default zone) and a
refresh interval; its meetings are the import source named after the feed. Feeds come from
``[[feeds]]`` in config.toml (origin "config", re-read on every refresh round) or are added
from the CLI or chat (origin "cli"/"chat"). A refresh uses a conditional GET and skips the
import when the bytes did not change; a failing feed records its error (and a failure count)
and never blocks the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from calendars.errors import FeedError
from calendars.fetch import FetchPolicy, check_url, fetch
from calendars.records import normalize_format
from calendars.sync import (
    ImportReport,
    bmlt_url,
    check_source_name,
    default_source_name,
    import_bytes,
)
from core import types as mtypes
from core.config import FeedConfig
from core.errors import StepbotError
from core.services import Services
from core.timezones import canonical_zone

log = logging.getLogger(__name__)
MIN_REFRESH_MINUTES = 5
DEFAULT_CONCURRENCY = 4


@dataclass(frozen=True)
class Feed:
    id: int
    name: str
    community: str | None
    url: str
    format: str = "auto"
    fellowship: str | None = None
    timezone: str | None = None
    refresh_minutes: int = 360
    origin: str = "cli"
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    last_checked: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failures: int = 0

    def _wait(self) -> timedelta:
        # Back off on repeated failures: 2×, 4×, 8×, 16× the interval, at most a day more.
        interval = timedelta(minutes=self.refresh_minutes)
        factor: int = 2 ** min(self.failures, 4)
        return min(interval * factor, interval + timedelta(days=1))

    def next_due(self, now: datetime) -> datetime:
        return now if self.last_checked is None else self.last_checked + self._wait()

    def due(self, now: datetime) -> bool:
        return now >= self.next_due(now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "community": self.community,
            "url": self.url,
            "format": self.format,
            "fellowship": self.fellowship,
            "timezone": self.timezone,
            "refresh_minutes": self.refresh_minutes,
            "origin": self.origin,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "last_error": self.last_error,
            "failures": self.failures,
        }


@dataclass
class FeedOutcome:
    feed: str
    status: str  # updated, unchanged, not_modified, error
    report: ImportReport | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "status": self.status,
            "error": self.error,
            "report": self.report.to_dict() if self.report else None,
        }


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _feed(row: aiosqlite.Row) -> Feed:
    return Feed(
        id=int(row["id"]),
        name=str(row["name"]),
        community=row["community"] or None,
        url=str(row["url"]),
        format=str(row["format"]),
        fellowship=row["fellowship"],
        timezone=row["timezone"],
        refresh_minutes=int(row["refresh_minutes"]),
        origin=str(row["origin"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        content_hash=row["content_hash"],
        last_checked=_ts(row["last_checked"]),
        last_success=_ts(row["last_success"]),
        last_error=row["last_error"],
        failures=int(row["failures"]),
    )


class FeedStore:
    """CRUD over the feeds table."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.db = services.db

    async def list(
        self, community: str | None = None, *, all_communities: bool = True
    ) -> list[Feed]:
        if all_communities and community is None:
            rows = await self.db.fetchall("SELECT * FROM feeds ORDER BY community, name")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM feeds WHERE community = ? ORDER BY name", (community or "",)
            )
        return [_feed(r) for r in rows]

    async def get(self, name_or_id: str, community: str | None = None) -> Feed | None:
        if name_or_id.isdigit():
            row = await self.db.fetchone("SELECT * FROM feeds WHERE id = ?", (int(name_or_id),))
            if row is not None:
                return _feed(row)
        row = await self.db.fetchone(
            "SELECT * FROM feeds WHERE name = ? AND community = ?", (name_or_id, community or "")
        )
        return _feed(row) if row is not None else None

    async def add(
        self,
        url: str,
        *,
        name: str | None = None,
        community: str | None = None,
        fmt: str = "auto",
        fellowship: str | None = None,
        timezone: str | None = None,
        refresh_minutes: int = 360,
        origin: str = "cli",
    ) -> Feed:
        """Validate and store a feed (it is not fetched here)."""
        check_url(url, FetchPolicy(allow_hosts=("0.0.0.0/0", "::/0")))
        kind = normalize_format(fmt)
        fellowship_key: str | None = None
        if fellowship:
            known = mtypes.fellowship(fellowship)
            if known is None:
                raise FeedError(
                    f"unknown fellowship {fellowship!r}",
                    key="error.fellowship_unknown",
                    value=fellowship,
                )
            fellowship_key = known.key
        zone = canonical_zone(timezone) if timezone else None
        if refresh_minutes < MIN_REFRESH_MINUTES:
            raise FeedError(
                f"refresh interval must be at least {MIN_REFRESH_MINUTES} minutes",
                key="error.feed_refresh",
                value=refresh_minutes,
            )
        feed_name = check_source_name(name or default_source_name(url))
        now = self.services.clock.now().isoformat()
        try:
            async with self.db.transaction() as conn:
                cur = await conn.execute(
                    "INSERT INTO feeds (name, community, url, format, fellowship, timezone,"
                    " refresh_minutes, origin, created) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        feed_name,
                        community or "",
                        url,
                        kind,
                        fellowship_key,
                        zone,
                        refresh_minutes,
                        origin,
                        now,
                    ),
                )
                feed_id = cur.lastrowid
        except aiosqlite.IntegrityError as exc:
            raise FeedError(
                f"a feed with this name or URL already exists"
                f"{' in community ' + community if community else ''}",
                key="error.feed_exists",
                name=feed_name,
                url=url,
            ) from exc
        assert feed_id is not None
        found = await self.get(str(feed_id))
        assert found is not None
        return found

    async def remove(self, feed: Feed, *, purge: bool = False) -> int:
        """Forget a feed; with purge, remove its meetings too. Returns meetings removed."""

        removed = 0
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))
            if purge:
                async with conn.execute(
                    "SELECT id FROM meetings WHERE source = ? AND community = ?",
                    (feed.name, feed.community or ""),
                ) as cur:
                    ids = [int(r[0]) for r in await cur.fetchall()]
                await self.services.meetings.delete_many(conn, ids)
                await conn.execute(
                    "DELETE FROM import_sources WHERE name = ? AND community = ?",
                    (feed.name, feed.community or ""),
                )
                removed = len(ids)
        return removed

    async def sync_config(self, feeds: Sequence[FeedConfig]) -> None:
        """Make the origin="config" rows match config.toml's [[feeds]]."""
        wanted = {(f.url, f.community or ""): f for f in feeds}
        rows = await self.db.fetchall("SELECT * FROM feeds WHERE origin = 'config'")
        current = {(str(r["url"]), str(r["community"])): _feed(r) for r in rows}
        for key, feed in current.items():
            if key not in wanted:
                async with self.db.transaction() as conn:
                    await conn.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))
        for key, spec in wanted.items():
            existing = current.get(key)
            if existing is None:
                try:
                    await self.add(
                        spec.url,
                        name=spec.name,
                        community=spec.community,
                        fmt=spec.format,
                        fellowship=spec.fellowship,
                        timezone=spec.timezone,
                        refresh_minutes=spec.refresh_minutes,
                        origin="config",
                    )
                except StepbotError as exc:
                    log.warning("config feed %s not added: %s", spec.url, exc)
                continue
            async with self.db.transaction() as conn:
                await conn.execute(
                    "UPDATE feeds SET format = ?, fellowship = ?, timezone = ?,"
                    " refresh_minutes = ? WHERE id = ?",
                    (
                        normalize_format(spec.format),
                        spec.fellowship,
                        canonical_zone(spec.timezone) if spec.timezone else None,
                        max(MIN_REFRESH_MINUTES, spec.refresh_minutes),
                        existing.id,
                    ),
                )

    async def record(
        self,
        feed: Feed,
        *,
        ok: bool,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        content_hash: str | None = None,
    ) -> None:
        now = self.services.clock.now().isoformat()
        async with self.db.transaction() as conn:
            if ok:
                await conn.execute(
                    "UPDATE feeds SET last_checked = ?, last_success = ?, last_error = NULL,"
                    " failures = 0, etag = coalesce(?, etag),"
                    " last_modified = coalesce(?, last_modified),"
                    " content_hash = coalesce(?, content_hash) WHERE id = ?",
                    (now, now, etag, last_modified, content_hash, feed.id),
                )
            else:
                await conn.execute(
                    "UPDATE feeds SET last_checked = ?, last_error = ?, failures = failures + 1"
                    " WHERE id = ?",
                    (now, (error or "error")[:500], feed.id),
                )


def _hash(data: bytes, feed: Feed) -> str:
    digest = hashlib.sha256(data)
    digest.update(f"|{feed.format}|{feed.fellowship}|{feed.timezone}".encode())
    return digest.hexdigest()


async def refresh_feed(
    services: Services, feed: Feed, *, force: bool = False, policy: FetchPolicy | None = None
) -> FeedOutcome:
    """Fetch and import one feed; errors are recorded on the feed and returned, not raised."""
    store = FeedStore(services)
    policy = policy or FetchPolicy.from_config(services.config)
    try:
        url = (
            bmlt_url(feed.url)
            if feed.format in ("bmlt", "auto") and "client_interface/json" in feed.url
            else feed.url
        )
        result = await fetch(
            url,
            policy,
            etag=None if force else feed.etag,
            last_modified=None if force else feed.last_modified,
        )
        if result.not_modified:
            await store.record(feed, ok=True)
            return FeedOutcome(feed.name, "not_modified")
        content_hash = _hash(result.data, feed)
        if not force and content_hash == feed.content_hash:
            await store.record(feed, ok=True, etag=result.etag, last_modified=result.last_modified)
            return FeedOutcome(feed.name, "unchanged")
        report = await import_bytes(
            services,
            result.data,
            filename=result.url,
            fmt=feed.format,
            source_name=feed.name,
            community=feed.community,
            fellowship=feed.fellowship,
            default_tz=feed.timezone,
        )
        await store.record(
            feed,
            ok=True,
            etag=result.etag,
            last_modified=result.last_modified,
            content_hash=content_hash,
        )
        return FeedOutcome(feed.name, "updated" if report.changed else "unchanged", report)
    except StepbotError as exc:
        await store.record(feed, ok=False, error=str(exc))
        log.warning("feed %s failed: %s", feed.id, exc.key)
        return FeedOutcome(feed.name, "error", error=str(exc))
    except Exception as exc:  # a bug or an unexpected library error: never stop other feeds
        await store.record(feed, ok=False, error=f"{exc.__class__.__name__}: {exc}")
        log.exception("feed %s failed unexpectedly", feed.id)
        return FeedOutcome(feed.name, "error", error=f"{exc.__class__.__name__}: {exc}")


async def refresh_feeds(
    services: Services,
    feeds: Sequence[Feed],
    *,
    force: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    policy: FetchPolicy | None = None,
) -> list[FeedOutcome]:
    """Refresh several feeds concurrently (bounded); one failing never blocks another."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(feed: Feed) -> FeedOutcome:
        async with gate:
            return await refresh_feed(services, feed, force=force, policy=policy)

    return list(await asyncio.gather(*(one(f) for f in feeds)))


async def refresh_due(
    services: Services, *, policy: FetchPolicy | None = None
) -> list[FeedOutcome]:
    """Sync config feeds, then refresh every feed that is due."""
    store = FeedStore(services)
    await store.sync_config(services.config.feeds)
    now = services.clock.now()
    due = [f for f in await store.list() if f.due(now)]
    return await refresh_feeds(services, due, policy=policy)


async def run_feed_loop(
    services: Services,
    stop: asyncio.Event,
    *,
    min_sleep: float = 60.0,
    max_sleep: float = 3600.0,
    policy: FetchPolicy | None = None,
) -> None:
    """The background task of `stepbot run` / `stepbot serve --feeds`: refresh feeds as they
    fall due until `stop` is set."""
    store = FeedStore(services)
    while not stop.is_set():
        try:
            await refresh_due(services, policy=policy)
            now = services.clock.now()
            feeds = await store.list()
            if feeds:
                soonest = min(f.next_due(now) for f in feeds)
                delay = max(min_sleep, min(max_sleep, (soonest - now).total_seconds()))
            else:
                delay = max_sleep
        except Exception:  # keep the loop alive whatever happens
            log.exception("feed refresh round failed")
            delay = max_sleep
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            continue


class FeedRefresher:
    """`stepbot run`'s background component: run_feed_loop until stopped."""

    name = "feeds"

    def __init__(
        self, services: Services, *, min_sleep: float = 60.0, max_sleep: float = 900.0
    ) -> None:
        self.services = services
        self.min_sleep = min_sleep
        self.max_sleep = max_sleep
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(
            run_feed_loop(
                self.services, self._stop, min_sleep=self.min_sleep, max_sleep=self.max_sleep
            ),
            name="feeds",
        )

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=30)
            except TimeoutError:
                self._task.cancel()
            self._task = None


def build_component(services: Services) -> FeedRefresher:
    """Factory used by bots.runner (BACKGROUND): feeds are refreshed whenever the bot runs;
    with no feeds configured or added, the loop only wakes up now and then to look."""
    return FeedRefresher(services)
