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

Connections pass a guard in front of aiohttp (`ServerLimits`): a request head must be complete
within ``header_timeout`` of the connection (or of the request's first byte), idle kept-alive
connections close after ``keepalive_timeout``, a client that stops reading is dropped after
``send_timeout``; at most ``max_connections`` (and ``max_connections_per_ip``) at once, others
get a 503 and are closed at once; an oversized request line gets 414, an oversized head 431.
Trouble is logged as one short line (client address and reason, never the URL) at most once
per ``log_interval`` per kind, with a count of the lines held back.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

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
log = logging.getLogger(__name__)


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


async def _entry_off_loop(
    build: Callable[[], bytes], meetings: Sequence[Meeting], content_type: str
) -> Entry:
    """Build a body and its ETag in a worker thread: exports of thousands of meetings are
    CPU-bound and must not stall the other connections."""

    def entry() -> Entry:
        body = build()
        return Entry((), body, strong_etag(body), _newest(meetings), content_type)

    return await asyncio.to_thread(entry)


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
            return await _entry_off_loop(
                lambda: calendar_for(meetings, name=name, lang=lang, uid_domain=self.uid_domain),
                meetings,
                ICS_TYPE,
            )

        entry = await self.cache.get(_key("ics", params), build)
        return respond(request, entry, filename="meetings.ics")

    async def meeting(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["slug"]
        lang = request.query.get("lang", "en")[:10]

        async def build() -> Entry:
            meeting = await self.services.meetings.get(slug)
            if meeting is None:
                raise web.HTTPNotFound(text=f"no meeting {slug!r}")
            return await _entry_off_loop(
                lambda: meeting_ics(meeting, lang=lang, uid_domain=self.uid_domain),
                [meeting],
                ICS_TYPE,
            )

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
            return await _entry_off_loop(lambda: meeting_guide_json(meetings), meetings, JSON_TYPE)

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


# --- Connection limits --------------------------------------------------------------------
#
# aiohttp on its own waits for a request head as long as its keep-alive timeout, has no cap on
# connections and logs every malformed request at ERROR with a traceback that quotes the
# request line. Every accepted socket therefore goes through a small asyncio protocol in front
# of aiohttp's own (`_GuardedProtocol`): it enforces the limits below on the raw bytes and
# hands everything else to aiohttp unchanged.


@dataclass(frozen=True)
class ServerLimits:
    """Limits of the feed server (the defaults suit a public feed; tests shrink the times)."""

    header_timeout: float = 10.0  # connect, or a request's first byte → end of its head
    keepalive_timeout: float = 15.0  # an idle kept-alive connection is closed after this
    send_timeout: float = 30.0  # a client that stops reading the response is dropped
    max_connections: int = 256  # beyond: 503 and close, at once
    max_connections_per_ip: int = 64  # per IPv4 address / IPv6 /64; 0 = no per-address cap
    max_request_line: int = 8190  # bytes, without the CRLF → 414
    max_header_bytes: int = 16384  # the whole head, request line included → 431
    max_headers: int = 100  # header fields → 431
    log_interval: float = 60.0  # at most one line per kind of trouble per interval

    def aiohttp_options(self) -> dict[str, Any]:
        # The same limits in aiohttp's parser as a backstop; the guard meets them first.
        return {
            "keepalive_timeout": self.keepalive_timeout,
            "max_line_size": self.max_request_line,
            "max_field_size": self.max_header_bytes,
            "max_headers": self.max_headers + 1,
        }


class _LogLimiter:
    """At most one line per kind (``rejected``, ``timeout``, ``refused``, ``stalled``) per
    interval; the next line of that kind counts the ones held back meanwhile."""

    LABELS = {
        "rejected": "rejected requests",
        "timeout": "timed-out connections",
        "refused": "refused connections",
        "stalled": "stalled connections",
    }

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def emit(self, kind: str, level: int, msg: str, *args: object) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._held[kind] = self._held.get(kind, 0) + 1
            return
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        if held:
            msg += " (+%d more since the last report)"
            args = (*args, held)
        log.log(level, msg, *args)

    def flush(self) -> None:
        for kind, held in sorted(self._held.items()):
            log.info("feed server: %d more %s not reported", held, self.LABELS.get(kind, kind))
        self._held.clear()


def _client_of(transport: asyncio.BaseTransport) -> tuple[str, str]:
    """The peer's address for logs and the key its connections are counted under (an IPv4
    address, or an IPv6 /64: one host usually has a whole /64)."""
    peer = transport.get_extra_info("peername")
    host = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host, host
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped), str(addr.ipv4_mapped)
        return host, str(ipaddress.IPv6Network((addr, 64), strict=False))
    return host, host


def _plain_response(status: int, reason: str, text: str) -> bytes:
    body = text.encode() + b"\n"
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


_BUSY = _plain_response(503, "Service Unavailable", "too many connections, try again later")
_HEAD, _IDLE, _BODY, _OPAQUE, _DRAIN, _CLOSED = range(6)
_KEEP = 64  # bytes of each header line kept, enough for Content-Length / Transfer-Encoding
_DRAIN_SECONDS = 1.0  # after our own 414/431: read and drop the rest briefly, then close
_DRAIN_BYTES = 1 << 18


class _ConnectionGuard:
    """Counts connections, makes their protocols, holds the log limiter."""

    def __init__(self, limits: ServerLimits) -> None:
        self.limits = limits
        self.logs = _LogLimiter(limits.log_interval)
        self.inner: Callable[[], asyncio.Protocol] | None = None  # aiohttp's web.Server
        self.connections: set[_GuardedProtocol] = set()
        self._per_key: dict[str, int] = {}

    def protocol(self) -> _GuardedProtocol:
        return _GuardedProtocol(self)

    def admit(self, conn: _GuardedProtocol) -> str | None:
        """None when the connection may stay; otherwise why not."""
        limits = self.limits
        if len(self.connections) >= limits.max_connections:
            return f"{len(self.connections)} connections open"
        count = self._per_key.get(conn.key, 0)
        if limits.max_connections_per_ip and count >= limits.max_connections_per_ip:
            return f"{count} connections open from this address"
        self.connections.add(conn)
        self._per_key[conn.key] = count + 1
        return None

    def release(self, conn: _GuardedProtocol) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            left = self._per_key.get(conn.key, 1) - 1
            if left > 0:
                self._per_key[conn.key] = left
            else:
                self._per_key.pop(conn.key, None)

    def rejected(self, client: str, reason: str, status: int | None) -> None:
        answer = f"HTTP {status}" if status else "connection closed"
        self.logs.emit(
            "rejected",
            logging.WARNING,
            "feed server: rejected a request from %s: %s (%s)",
            client,
            reason,
            answer,
        )

    def close(self) -> None:
        """At shutdown: close what aiohttp does not know about (refused, draining)."""
        for conn in list(self.connections):
            conn.shut_unhandled()
        self.logs.flush()


class _GuardedProtocol(asyncio.Protocol):
    """One connection: the guard's checks on the raw bytes, then aiohttp's RequestHandler.

    States: _HEAD (inside a request head, header timer running), _IDLE (between requests:
    aiohttp's keep-alive timer applies), _BODY (skipping a Content-Length body), _OPAQUE
    (chunked or unclear framing: only aiohttp's limits from here on), _DRAIN (our own error
    answer sent), _CLOSED.
    """

    def __init__(self, guard: _ConnectionGuard) -> None:
        self.guard = guard
        self.limits = guard.limits
        self.client = "?"
        self.key = "?"
        self.transport: asyncio.Transport | None = None
        self.inner: asyncio.Protocol | None = None
        self.state = _HEAD
        self.heads = 0  # complete request heads seen
        self._head_timer: asyncio.TimerHandle | None = None
        self._send_timer: asyncio.TimerHandle | None = None
        self._drained = 0
        self._reset_head()

    def _reset_head(self) -> None:
        self._line_bytes = 0
        self._head_bytes = 0
        self._fields = 0
        self._request_line = False
        self._line = bytearray()
        self._lengths: list[bytes] = []
        self._chunked = False
        self._unclear = False

    # asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.client, self.key = _client_of(transport)
        refusal = self.guard.admit(self)
        if refusal is not None or self.guard.inner is None:
            self.state = _CLOSED
            self.guard.logs.emit(
                "refused",
                logging.WARNING,
                "feed server: refused a connection from %s: %s",
                self.client,
                refusal or "not ready",
            )
            transport.write(_BUSY)
            transport.close()
            return
        self._head_timer = asyncio.get_running_loop().call_later(
            self.limits.header_timeout, self._head_timeout
        )
        self.inner = self.guard.inner()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.state == _CLOSED:
            return
        if self.state == _DRAIN:
            self._drained += len(data)
            if self._drained > _DRAIN_BYTES:
                self._shut(abort=True)
            return
        if self.state != _OPAQUE:
            problem = self._scan(data)
            if problem is not None:
                self._reject(*problem)
                return
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        if self.state in (_DRAIN, _CLOSED) or self.inner is None:
            return None
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.state = _CLOSED
        self._cancel_timers()
        self.guard.release(self)
        inner, self.inner = self.inner, None
        if inner is not None:
            inner.connection_lost(exc)
        self.transport = None

    def pause_writing(self) -> None:
        if self._send_timer is None and self.transport is not None:
            self._send_timer = asyncio.get_running_loop().call_later(
                self.limits.send_timeout, self._send_stalled
            )
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None
        if self.inner is not None:
            self.inner.resume_writing()

    # the checks ------------------------------------------------------------------------

    def _scan(self, data: bytes) -> tuple[int | None, str] | None:
        """Follow request heads and Content-Length bodies through `data`; (status, reason)
        when a head breaks a limit."""
        limits = self.limits
        i, n = 0, len(data)
        while i < n:
            if self.state == _BODY:
                take = min(self._body_left, n - i)
                self._body_left -= take
                i += take
                if self._body_left == 0:
                    self.state = _IDLE
                continue
            if self.state == _OPAQUE:
                return None
            if self.state == _IDLE:
                self.state = _HEAD
                self._reset_head()
                self._head_timer = asyncio.get_running_loop().call_later(
                    limits.header_timeout, self._head_timeout
                )
            newline = data.find(b"\n", i)
            end = n if newline < 0 else newline + 1
            size = end - i
            if len(self._line) < _KEEP:
                self._line += data[i : min(end, i + _KEEP - len(self._line))]
            self._line_bytes += size
            self._head_bytes += size
            if not self._request_line and self._line_bytes > limits.max_request_line + 2:
                return 414, "request line too long"
            if self._head_bytes > limits.max_header_bytes:
                return 431, "request head too large"
            i = end
            if newline < 0:
                break
            line = bytes(self._line).rstrip(b"\r\n")
            empty = self._line_bytes <= 2 and not line
            truncated = self._line_bytes > len(self._line)
            self._line_bytes = 0
            self._line = bytearray()
            if not self._request_line:
                # Empty lines before a request line are allowed (RFC 9112 section 2.2).
                self._request_line = not empty
            elif empty:
                self._head_done()
            else:
                self._fields += 1
                if self._fields > limits.max_headers:
                    return 431, "too many header fields"
                self._note_field(line, truncated)
        return None

    def _note_field(self, line: bytes, truncated: bool) -> None:
        name, colon, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            self._lengths.append(value.strip())
            self._unclear |= not colon or truncated
        elif name == b"transfer-encoding":
            self._chunked = True

    def _head_done(self) -> None:
        self.heads += 1
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        lengths = set(self._lengths)
        if self._chunked or self._unclear or len(lengths) > 1:
            self.state = _OPAQUE  # aiohttp judges (and usually refuses) the framing
            return
        length = lengths.pop() if lengths else b"0"
        if not length.isdigit():
            self.state = _OPAQUE
            return
        self._body_left = int(length)
        self.state = _BODY if self._body_left else _IDLE

    def _reject(self, status: int | None, reason: str) -> None:
        transport = self.transport
        if transport is None:
            return
        if self.heads:
            # A later request on a kept-alive connection: an earlier answer may still be on
            # its way through aiohttp, so no answer of ours can be slotted in; just close.
            self.guard.rejected(self.client, reason, None)
            self._shut()
            return
        self.guard.rejected(self.client, reason, status)
        self._cancel_timers()
        self.state = _DRAIN
        phrase = {414: "URI Too Long", 431: "Request Header Fields Too Large"}.get(
            status or 400, "Bad Request"
        )
        transport.write(_plain_response(status or 400, phrase, reason))
        if transport.can_write_eof():
            transport.write_eof()
        # Read and drop what is still coming for a moment, so the client sees the answer
        # rather than a reset.
        self._head_timer = asyncio.get_running_loop().call_later(_DRAIN_SECONDS, self._shut)

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.state != _HEAD:
            return
        self.guard.logs.emit(
            "timeout",
            logging.INFO,
            "feed server: closed a connection from %s: no complete request head within %gs",
            self.client,
            self.limits.header_timeout,
        )
        self._shut()

    def _send_stalled(self) -> None:
        self._send_timer = None
        self.guard.logs.emit(
            "stalled",
            logging.INFO,
            "feed server: dropped a connection from %s: the client stopped reading for %gs",
            self.client,
            self.limits.send_timeout,
        )
        self._shut(abort=True)

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._send_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._send_timer = None

    def _shut(self, abort: bool = False) -> None:
        transport = self.transport
        if transport is None or (transport.is_closing() and not abort):
            return
        self._cancel_timers()
        if abort or transport.get_write_buffer_size():
            transport.abort()  # nothing waits for a client that does not read
        else:
            transport.close()

    def shut_unhandled(self) -> None:
        if self.state in (_DRAIN, _CLOSED) or self.inner is None:
            self._shut(abort=True)


class _HttpLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server logger: a malformed request (any HttpProcessingError from the parser)
    becomes the guard's one short rate-limited line, without the traceback that quotes the
    request; anything else (a bug in a handler) is logged as aiohttp meant it."""

    def __init__(self, guard: _ConnectionGuard) -> None:
        super().__init__(log, {})
        self.guard = guard

    def log(
        self,
        level: int,
        msg: object,
        *args: object,
        exc_info: Any = None,
        stack_info: bool = False,
        stacklevel: int = 1,
        extra: Mapping[str, object] | None = None,
        **kwargs: object,
    ) -> None:
        if isinstance(exc_info, HttpProcessingError):
            client = args[0] if args and isinstance(args[0], str) else "?"
            name = type(exc_info).__name__
            self.guard.rejected(client[:64], f"malformed request ({name})", exc_info.code or 400)
            return
        super().log(
            level,
            msg,
            *args,
            exc_info=exc_info,
            stack_info=stack_info,
            stacklevel=stacklevel,
            extra=extra,
            **kwargs,
        )


class _GuardedSite(web.BaseSite):
    """A TCP site whose connections go through the guard."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, guard: _ConnectionGuard
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self.guard = guard

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self.guard.inner = server
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.guard.protocol, self._host, self._port, backlog=self._backlog
        )

    async def stop(self) -> None:
        await super().stop()
        self.guard.close()


def subscribe_links(public_url: str, query: str = "") -> dict[str, str]:
    """https:// and webcal:// links to the feed for a query string (for chat replies)."""
    base = public_url.rstrip("/") + "/calendar.ics" + (f"?{query}" if query else "")
    webcal = "webcal://" + base.split("://", 1)[1] if "://" in base else base
    return {"https": base, "webcal": webcal}


async def start_server(
    services: Services,
    host: str,
    port: int,
    *,
    limits: ServerLimits | None = None,
    **options: Any,
) -> web.AppRunner:
    """Start the server in the running loop; stop it with ``await runner.cleanup()``.

    `options` go to `create_app`; `limits` (ServerLimits()) to the connection guard and
    aiohttp. There is no access log: a query string can carry a token."""
    limits = limits or ServerLimits()
    guard = _ConnectionGuard(limits)
    runner = web.AppRunner(
        create_app(services, **options),
        access_log=None,
        logger=_HttpLog(guard),
        **limits.aiohttp_options(),
    )
    await runner.setup()
    site = _GuardedSite(runner, host, port, guard)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
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

    def __init__(
        self, services: Services, host: str, port: int, *, limits: ServerLimits | None = None
    ) -> None:
        self.services = services
        self.host = host
        self.port = port
        self.limits = limits
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = await start_server(self.services, self.host, self.port, limits=self.limits)

    @property
    def address(self) -> tuple[str, int] | None:
        """Where it listens once started (the real port when started with port 0)."""
        if self._runner is None or not self._runner.addresses:
            return None
        host, port = self._runner.addresses[0][:2]
        return str(host), int(port)

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
