"""The calendar feed server (`stepbot serve`, or inside `stepbot run` when enabled).

Routes:
- ``/calendar.ics?<filters>``: the meetings matching the search filters (calendars.filters)
  as one subscribable calendar; unknown or invalid filters → 400 with a message;
- ``/meetings/<slug>.ics``: one meeting; unknown slug → 404;
- ``/meetings.json?<filters>``: the same selection as a Meeting Guide feed;
- ``/healthz``: liveness and the meeting count.

Bodies are built once and cached per normalised query until the data changes (a cheap
aggregate over the meetings table, re-checked at most every ``check_seconds``). Every answer
carries a strong ETag over the bytes and Last-Modified (the newest meeting update inside);
If-None-Match (or, without it, If-Modified-Since) gives 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from aiohttp import web

from calendars.filters import matching_meetings, query_from_params
from calendars.ics_export import calendar_for, meeting_ics
from calendars.meeting_guide import meeting_guide_json
from core.errors import StepbotError
from core.model import Meeting
from core.services import Services

ICS_TYPE = "text/calendar"
JSON_TYPE = "application/json"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SERVICES_KEY: web.AppKey[Services] = web.AppKey("services", Services)


@dataclass(frozen=True)
class Entry:
    version: tuple[Any, ...]
    body: bytes
    etag: str
    last_modified: datetime
    content_type: str


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _newest(meetings: Sequence[Meeting]) -> datetime:
    return max((m.updated for m in meetings), default=EPOCH).replace(microsecond=0)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    wanted = etag.strip('"')
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == wanted:
            return True
    return False


class FeedCache:
    """Built bodies per key, dropped when the meetings table changes."""

    def __init__(
        self, services: Services, *, check_seconds: float = 5.0, max_entries: int = 256
    ) -> None:
        self.services = services
        self.check_seconds = check_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()

    async def version(self) -> tuple[Any, ...]:
        now = time.monotonic()
        if self._version is None or now - self._checked >= self.check_seconds:
            row = await self.services.db.fetchone(
                "SELECT count(*), coalesce(max(id), 0), coalesce(max(updated), ''),"
                " coalesce(sum(sequence), 0), coalesce(sum(id), 0) FROM meetings"
            )
            self._version = tuple(row) if row is not None else ()
            self._checked = now
        return self._version

    def invalidate(self) -> None:
        self._version = None
        self._entries.clear()

    async def get(self, key: str, build: Callable[[], Awaitable[Entry]]) -> Entry:
        version = await self.version()
        entry = self._entries.get(key)
        if entry is not None and entry.version == version:
            self._entries.move_to_end(key)
            return entry
        async with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.version == version:
                return entry
            entry = await build()
            entry = Entry(version, entry.body, entry.etag, entry.last_modified, entry.content_type)
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return entry


def _entry(body: bytes, meetings: Sequence[Meeting], content_type: str) -> Entry:
    return Entry((), body, strong_etag(body), _newest(meetings), content_type)


def respond(
    request: web.Request, entry: Entry, *, max_age: int = 300, filename: str | None = None
) -> web.Response:
    headers = {
        "ETag": entry.etag,
        "Last-Modified": format_datetime(entry.last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": f"public, max-age={max_age}",
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if _etag_matches(if_none_match, entry.etag):
            return web.Response(status=304, headers=headers)
    else:
        since = request.headers.get("If-Modified-Since")
        if since:
            try:
                when = parsedate_to_datetime(since)
            except (TypeError, ValueError):
                when = None
            if when is not None and when.tzinfo is not None and entry.last_modified <= when:
                return web.Response(status=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return web.Response(
        body=entry.body, headers=headers, content_type=entry.content_type, charset="utf-8"
    )


def _params(request: web.Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query.items():
        params.setdefault(key, []).append(value)
    return params


def _key(prefix: str, params: dict[str, list[str]]) -> str:
    return prefix + "?" + json.dumps(sorted((k, sorted(v)) for k, v in params.items()))


class FeedHandlers:
    def __init__(
        self,
        services: Services,
        cache: FeedCache,
        *,
        uid_domain: str = "stepbot",
        default_name: str = "stepbot meetings",
    ) -> None:
        self.services = services
        self.cache = cache
        self.uid_domain = uid_domain
        self.default_name = default_name

    async def _select(self, params: dict[str, list[str]]) -> list[Meeting]:
        filters = {k: v for k, v in params.items() if k not in ("name", "lang")}
        query = query_from_params(filters, self.services.config.default_timezone)
        return await matching_meetings(self.services, query)

    async def calendar(self, request: web.Request) -> web.StreamResponse:
        params = _params(request)
        try:
            # Validate before the cache so a bad filter is always a 400.
            query_from_params(
                {k: v for k, v in params.items() if k not in ("name", "lang")},
                self.services.config.default_timezone,
            )
        except StepbotError as exc:
            raise web.HTTPBadRequest(text=f"bad filter: {exc}") from exc
        name = (params.get("name") or [self.default_name])[-1][:100]
        lang = (params.get("lang") or ["en"])[-1][:10]

        async def build() -> Entry:
            meetings = await self._select(params)
            body = calendar_for(meetings, name=name, lang=lang, uid_domain=self.uid_domain)
            return _entry(body, meetings, ICS_TYPE)

        entry = await self.cache.get(_key("ics", params), build)
        return respond(request, entry, filename="meetings.ics")

    async def meeting(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        lang = request.query.get("lang", "en")[:10]

        async def build() -> Entry:
            meeting = await self.services.meetings.get(slug)
            if meeting is None:
                raise web.HTTPNotFound(text=f"no meeting {slug!r}")
            body = meeting_ics(meeting, lang=lang, uid_domain=self.uid_domain)
            return _entry(body, [meeting], ICS_TYPE)

        entry = await self.cache.get(f"meeting:{slug}:{lang}", build)
        return respond(request, entry, filename=f"{slug}.ics")

    async def meetings_json(self, request: web.Request) -> web.StreamResponse:
        params = _params(request)
        try:
            query_from_params(
                {k: v for k, v in params.items() if k not in ("name", "lang")},
                self.services.config.default_timezone,
            )
        except StepbotError as exc:
            raise web.HTTPBadRequest(text=f"bad filter: {exc}") from exc

        async def build() -> Entry:
            meetings = await self._select(params)
            return _entry(meeting_guide_json(meetings), meetings, JSON_TYPE)

        entry = await self.cache.get(_key("json", params), build)
        return respond(request, entry)

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        count = await self.services.meetings.count()
        return web.json_response({"status": "ok", "meetings": count})


def create_app(
    services: Services, *, check_seconds: float = 5.0, uid_domain: str | None = None
) -> web.Application:
    """The aiohttp application (routes above)."""
    # The same UID domain as calendar_for's default, so a meeting downloaded from the chat and
    # the same meeting in a subscribed feed are one event in the user's calendar.
    domain = uid_domain or "stepbot"
    cache = FeedCache(services, check_seconds=check_seconds)
    handlers = FeedHandlers(services, cache, uid_domain=domain)
    app = web.Application()
    app[SERVICES_KEY] = services
    app.router.add_get("/calendar.ics", handlers.calendar)
    app.router.add_get("/meetings/{slug}.ics", handlers.meeting)
    app.router.add_get("/meetings.json", handlers.meetings_json)
    app.router.add_get("/healthz", handlers.healthz)
    return app


def subscribe_links(public_url: str, query: str = "") -> dict[str, str]:
    """https:// and webcal:// links to the feed for a query string (for chat replies)."""
    base = public_url.rstrip("/") + "/calendar.ics" + (f"?{query}" if query else "")
    webcal = "webcal://" + base.split("://", 1)[1] if "://" in base else base
    return {"https": base, "webcal": webcal}


async def start_server(services: Services, host: str, port: int, **options: Any) -> web.AppRunner:
    """Start the server in the running loop; stop it with ``await runner.cleanup()``."""
    runner = web.AppRunner(create_app(services, **options), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


async def serve(
    services: Services, host: str, port: int, stop: asyncio.Event, **options: Any
) -> None:
    """Serve until `stop` is set."""
    runner = await start_server(services, host, port, **options)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


class FeedServer:
    """`stepbot run`'s component for the feed server ([server] enabled = true)."""

    name = "calendar-server"

    def __init__(self, services: Services, host: str, port: int) -> None:
        self.services = services
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = await start_server(self.services, self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def build_component(services: Services) -> FeedServer | None:
    """Factory used by bots.runner (BACKGROUND): the server runs only when enabled."""
    config = services.config
    if not config.server_enabled:
        return None
    return FeedServer(services, config.server_host, config.server_port)
