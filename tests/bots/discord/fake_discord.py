"""A fake Discord HTTP API (v10) served by aiohttp on 127.0.0.1, for offline tests.

discord.py builds every REST URL from ``discord.http.Route.BASE`` (bot routes, webhook routes and
interaction callbacks alike), so pointing that at :attr:`FakeDiscord.base_url` (see
:func:`point_discord_at`) sends all of discord.py's requests here.  The fake:

* answers the routes a slash-command bot uses with realistic JSON that discord.py parses
  (users, application, command sync, interaction callbacks, followups, ``@original``, channel
  messages, DM channels, guilds, attachments served from ``/attachments/...``);
* records every request as a :class:`Call` (method, path without the ``/api/v10`` prefix, JSON
  body or multipart ``payload_json``, uploaded files);
* behaves like Discord where it matters for bot code: the 3 s interaction deadline and
  "already acknowledged" (``10062`` / ``40060``), the first followup after a defer resolving the
  "thinking" message, message validation (content ≤ 2000, ≤ 10 embeds, ≤ 25 autocomplete choices,
  custom_id ≤ 100, ... → ``400``/``50035``), ``Via`` + ``X-RateLimit-*`` headers so discord.py's
  own 429 handling runs;
* injects faults with :meth:`FakeDiscord.fail_next` (403/50007, 404, 429 with a tiny
  ``retry_after`` ...).

Message text and tokens are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import discord.http
from aiohttp import BodyPartReader, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000

# Message flags (https://discord.com/developers/docs/resources/message#message-object-message-flags)
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_EMBEDS = 1 << 2

# Interaction callback types.
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

JsonDict = dict[str, Any]


def snowflake(ms: int | None = None, increment: int = 0) -> int:
    """A Discord snowflake for ``ms`` (Unix milliseconds, default now) and a 12-bit increment."""
    if ms is None:
        ms = int(time.time() * 1000)
    return ((ms - DISCORD_EPOCH_MS) << 22) | (increment & 0xFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, username: str | None = None, *, bot: bool = False) -> JsonDict:
    """A full Discord user object."""
    name = username or f"user{str(user_id)[-4:]}"
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
    }


@dataclass(frozen=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class Call:
    """One request discord.py sent to the fake.

    ``path`` has no ``/api/v10`` prefix (e.g. ``/channels/1/messages``); ``json`` is the JSON body,
    or the ``payload_json`` part of a multipart body; ``files`` holds the uploaded files.
    The properties read the message fields whether the body is an interaction callback
    (``{"type": 4, "data": {...}}``) or a plain message body.
    """

    method: str
    path: str
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0
    response: Any = None

    @property
    def is_callback(self) -> bool:
        return self.path.startswith("/interactions/") and self.path.endswith("/callback")

    @property
    def type(self) -> int | None:
        """The interaction callback type (4 message, 5 defer, 7 update, 8 autocomplete, 9 modal)."""
        if self.is_callback and isinstance(self.json, dict):
            return self.json.get("type")
        return None

    @property
    def data(self) -> JsonDict:
        """The message-ish body: ``json["data"]`` for callbacks, else ``json`` (never None)."""
        if not isinstance(self.json, dict):
            return {}
        if self.is_callback:
            return self.json.get("data") or {}
        return self.json

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def embeds(self) -> list[JsonDict]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[JsonDict]:
        return list(self.data.get("components") or [])

    @property
    def allowed_mentions(self) -> JsonDict | None:
        return self.data.get("allowed_mentions")

    @property
    def choices(self) -> list[JsonDict]:
        """Autocomplete choices (callback type 8)."""
        return list(self.data.get("choices") or [])

    @property
    def attachments(self) -> list[JsonDict]:
        return list(self.data.get("attachments") or [])

    @property
    def filenames(self) -> list[str]:
        return [f.filename for f in self.files]

    def file_bytes(self, filename: str) -> bytes:
        for f in self.files:
            if f.filename == filename:
                return f.data
        raise KeyError(filename)

    def custom_ids(self) -> list[str]:
        """Every ``custom_id`` in the components, depth first."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]


def walk_components(components: list[JsonDict]) -> Iterator[JsonDict]:
    """Yield every component in a components tree (action rows, sections, labels...)."""
    for comp in components:
        yield comp
        yield from walk_components(comp.get("components") or [])
        if isinstance(comp.get("component"), dict):
            yield from walk_components([comp["component"]])
        if isinstance(comp.get("accessory"), dict):
            yield from walk_components([comp["accessory"]])


@dataclass
class Fault:
    """A canned error response for the next matching request(s)."""

    path_contains: str
    status: int
    body: JsonDict
    headers: dict[str, str]
    method: str | None = None
    remaining: int = 1

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0
            and self.path_contains in path
            and (self.method is None or self.method.upper() == method)
        )


class FakeDiscordError(Exception):
    """A Discord-style error response raised inside a handler."""

    def __init__(self, status: int, code: int, message: str, errors: JsonDict | None = None):
        super().__init__(message)
        self.status = status
        body: JsonDict = {"message": message, "code": code}
        if errors:
            body["errors"] = errors
        self.body = body


def _form_error(errors: JsonDict) -> FakeDiscordError:
    return FakeDiscordError(400, 50035, "Invalid Form Body", errors)


def _error(code: str, message: str) -> JsonDict:
    return {"_errors": [{"code": code, "message": message}]}


def _max_len_error(limit: int) -> JsonDict:
    return {
        "_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
        ]
    }


@dataclass
class InteractionRecord:
    """What the fake knows about an interaction the harness delivered."""

    id: int
    token: str
    type: int
    channel_id: int
    guild_id: int | None
    user: JsonDict
    name: str | None
    created: float
    acked: bool = False
    callback_type: int | None = None
    original_id: int | None = None
    loading: bool = False


Handler = Callable[[web.Request, re.Match[str], Call], Awaitable[web.StreamResponse]]


class FakeDiscord:
    """An in-process fake of the Discord REST API.  Use as ``async with FakeDiscord() as fake``."""

    def __init__(
        self,
        *,
        bot_id: int = 1_100_000_000_000_000_001,
        bot_name: str = "StepBot",
        token: str | None = None,
        interaction_deadline: float = 3.0,
    ) -> None:
        self.bot_id = bot_id
        self.app_id = bot_id  # modern applications share the bot user's id
        self.bot_user = user_payload(bot_id, bot_name, bot=True)
        self.bot_user.update({"verified": True, "mfa_enabled": False, "locale": "en-US"})
        self.token = token
        """If set, bot routes require ``Authorization: Bot <token>`` (else 401)."""
        self.interaction_deadline = interaction_deadline
        """Seconds allowed between delivery and the first callback, like Discord's 3 s."""

        self.recorded: list[Call] = []
        self.faults: list[Fault] = []
        self.messages: dict[int, JsonDict] = {}
        self.users: dict[int, JsonDict] = {bot_id: self.bot_user}
        self.guilds: dict[int, JsonDict] = {}
        self.channels: dict[int, JsonDict] = {}
        self.members: dict[tuple[int, int], JsonDict] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.interactions: dict[int, InteractionRecord] = {}
        self.global_commands: list[JsonDict] = []
        self.guild_commands: dict[int, list[JsonDict]] = {}
        self.attachments: dict[int, tuple[str, bytes, str]] = {}
        self.scheduled_events: dict[int, JsonDict] = {}  # id -> GUILD_SCHEDULED_EVENT

        self._increment = itertools.count(1)
        self._component_ids = itertools.count(1)
        self._command_ids: dict[tuple[str, int, int | None], int] = {}
        self._new_call = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port: int = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        """Start listening on 127.0.0.1 (a free port); return :attr:`base_url`."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What ``discord.http.Route.BASE`` should be set to."""
        return self.origin + API_PREFIX

    # ------------------------------------------------------------------ recording

    def calls(self, path_contains: str | None = None, method: str | None = None) -> list[Call]:
        """Recorded calls, optionally filtered by a path substring and/or HTTP method."""
        return [
            c
            for c in self.recorded
            if (path_contains is None or path_contains in c.path)
            and (method is None or c.method == method.upper())
        ]

    def callbacks(self) -> list[Call]:
        """Every interaction callback (``POST /interactions/{id}/{token}/callback``)."""
        return [c for c in self.recorded if c.is_callback]

    async def wait_for(
        self,
        predicate: Callable[[Call], bool] | str,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented API; uses asyncio.timeout
        *,
        start: int = 0,
    ) -> Call:
        """Wait for a recorded call (from index ``start``) matching ``predicate``.

        ``predicate`` may be a path substring.  Raises :class:`TimeoutError`.
        """
        check: Callable[[Call], bool]
        if isinstance(predicate, str):
            needle = predicate

            def check(c: Call) -> bool:
                return needle in c.path
        else:
            check = predicate

        def find() -> Call | None:
            return next((c for c in self.recorded[start:] if check(c)), None)

        async with asyncio.timeout(timeout), self._new_call:
            while (found := find()) is None:
                await self._new_call.wait()
            return found

    def clear_calls(self) -> None:
        self.recorded.clear()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        path_contains: str,
        status: int = 403,
        code: int = 50007,
        message: str = "Cannot send messages to this user",
        *,
        method: str | None = None,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> Fault:
        """Answer the next ``times`` requests whose path contains ``path_contains`` with an error.

        ``status=429`` sends Discord's rate-limit body (``retry_after`` seconds, ``global``) and
        headers, so discord.py sleeps ``retry_after`` and retries by itself.  Other statuses send
        ``{"message": message, "code": code}`` (e.g. 403/50007 → ``discord.Forbidden``).
        """
        headers: dict[str, str] = {}
        if status == 429:
            body: JsonDict = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
            }
            headers = {
                "Retry-After": str(max(1, int(retry_after + 0.999))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": "fake-bucket",
                "X-RateLimit-Scope": "global" if is_global else "user",
            }
            if is_global:
                headers["X-RateLimit-Global"] = "true"
        else:
            body = {"message": message, "code": code}
        fault = Fault(path_contains, status, body, headers, method, times)
        self.faults.append(fault)
        return fault

    def rate_limit_next(
        self,
        path_contains: str,
        retry_after: float = 0.05,
        *,
        method: str | None = None,
        times: int = 1,
        is_global: bool = False,
    ) -> Fault:
        """Shorthand for ``fail_next(path_contains, 429, retry_after=...)``."""
        return self.fail_next(
            path_contains,
            429,
            method=method,
            times=times,
            retry_after=retry_after,
            is_global=is_global,
        )

    # ------------------------------------------------------------------ world state

    def new_id(self) -> int:
        return snowflake(increment=next(self._increment))

    def add_user(self, payload: JsonDict) -> JsonDict:
        self.users[int(payload["id"])] = payload
        return payload

    def user(self, user_id: int) -> JsonDict:
        """The user object for ``user_id`` (synthesised and remembered if unknown)."""
        if user_id not in self.users:
            self.users[user_id] = user_payload(user_id)
        return self.users[user_id]

    def add_guild(self, payload: JsonDict) -> None:
        """Register a GUILD_CREATE-like payload (its channels and members too)."""
        gid = int(payload["id"])
        self.guilds[gid] = payload
        for ch in payload.get("channels", []):
            self.channels[int(ch["id"])] = {**ch, "guild_id": str(gid)}
        for m in payload.get("members", []):
            self.add_user(m["user"])
            self.members[(gid, int(m["user"]["id"]))] = m

    def add_channel(self, payload: JsonDict) -> None:
        self.channels[int(payload["id"])] = payload

    def dm_channel_id(self, user_id: int) -> int:
        """The DM channel id the fake uses (or will use) for ``user_id``."""
        if user_id not in self.dm_channels:
            cid = self.new_id()
            self.dm_channels[user_id] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.user(user_id)],
            }
        return self.dm_channels[user_id]

    def store_attachment(
        self, filename: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> JsonDict:
        """Host ``data`` on the fake CDN; return an attachment object (``Attachment.read()`` works)."""
        aid = self.new_id()
        self.attachments[aid] = (filename, data, content_type)
        url = f"{self.origin}/attachments/{aid}/{filename}"
        return {
            "id": str(aid),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    def register_interaction(self, payload: JsonDict) -> InteractionRecord:
        """Remember an INTERACTION_CREATE payload so callbacks/followups can be checked."""
        iid = int(payload["id"])
        if iid in self.interactions:
            return self.interactions[iid]
        user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
        channel = payload.get("channel") or {}
        channel_id = int(payload.get("channel_id") or channel.get("id") or 0)
        guild_id = int(payload["guild_id"]) if payload.get("guild_id") else None
        rec = InteractionRecord(
            id=iid,
            token=payload["token"],
            type=int(payload["type"]),
            channel_id=channel_id,
            guild_id=guild_id,
            user=user,
            name=(payload.get("data") or {}).get("name"),
            created=time.monotonic(),
        )
        message = payload.get("message")
        if message is not None:
            # For component interactions @original is the message the component is on.
            rec.original_id = int(message["id"])
            self.messages.setdefault(rec.original_id, message)
        self.interactions[iid] = rec
        return rec

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        return next((r for r in self.interactions.values() if r.token == token), None)

    def synced_commands(self, guild_id: int | None = None) -> list[JsonDict]:
        """The command JSON last synced globally (or for ``guild_id``), with ids."""
        if guild_id is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(guild_id, []))

    def synced_command(self, name: str, guild_id: int | None = None) -> JsonDict:
        for cmd in self.synced_commands(guild_id):
            if cmd["name"] == name:
                return cmd
        raise KeyError(name)

    def messages_in(self, channel_id: int) -> list[JsonDict]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def add_message(
        self,
        channel_id: int,
        *,
        content: str = "",
        embeds: list[JsonDict] | None = None,
        components: list[JsonDict] | None = None,
        flags: int = 0,
    ) -> JsonDict:
        """Store a message "the bot sent earlier" (e.g. before a restart, for persistent views)."""
        body = {"content": content, "embeds": embeds or [], "components": components or []}
        return self._make_message(channel_id=channel_id, body=body, files=[], flags=flags)

    def find_message_with_component(self, custom_id: str) -> JsonDict | None:
        """The newest stored message carrying a component with ``custom_id``."""
        for msg in reversed(list(self.messages.values())):
            for comp in walk_components(msg.get("components") or []):
                if comp.get("custom_id") == custom_id:
                    return msg
        return None

    def last_modal(self) -> JsonDict | None:
        """The ``data`` of the newest modal callback (type 9)."""
        for call in reversed(self.recorded):
            if call.type == MODAL and call.status < 300:
                return call.data
        return None

    # ------------------------------------------------------------------ HTTP plumbing

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/users/@me", self._get_me),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("GET", r"/users/(?P<user_id>\d+)", self._get_user),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands),
            ("POST", r"/applications/(?P<app>\d+)/commands", self._post_command),
            (
                "GET",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._get_commands,
            ),
            (
                "PUT",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._put_commands,
            ),
            (
                "POST",
                r"/applications/(?P<app>\d+)/guilds/(?P<guild_id>\d+)/commands",
                self._post_command,
            ),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self._callback),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
                self._delete_webhook_message,
            ),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
            ("GET", r"/channels/(?P<channel_id>\d+)", self._get_channel),
            ("POST", r"/channels/(?P<channel_id>\d+)/messages", self._create_message),
            ("GET", r"/channels/(?P<channel_id>\d+)/messages/(?P<mid>\d+)", self._get_message),
            ("PATCH", r"/channels/(?P<channel_id>\d+)/messages/(?P<mid>\d+)", self._edit_message),
            (
                "DELETE",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<mid>\d+)",
                self._delete_message,
            ),
            ("POST", r"/channels/(?P<channel_id>\d+)/typing", self._no_content),
            ("GET", r"/guilds/(?P<guild_id>\d+)", self._get_guild),
            ("GET", r"/guilds/(?P<guild_id>\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(?P<guild_id>\d+)/roles", self._get_guild_roles),
            ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", self._get_member),
            ("GET", r"/guilds/(?P<guild_id>\d+)/scheduled-events", self._list_events),
            ("POST", r"/guilds/(?P<guild_id>\d+)/scheduled-events", self._create_event),
            ("GET", r"/guilds/(?P<guild_id>\d+)/scheduled-events/(?P<eid>\d+)", self._get_event),
            ("PATCH", r"/guilds/(?P<guild_id>\d+)/scheduled-events/(?P<eid>\d+)",
             self._edit_event),
            ("DELETE", r"/guilds/(?P<guild_id>\d+)/scheduled-events/(?P<eid>\d+)",
             self._delete_event),
        ]
        return [(m, re.compile(p + r"/?"), h) for m, p, h in table]

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # discord.py only decodes bodies whose Content-Type is exactly "application/json".
        hdrs = {"Content-Type": "application/json", "Via": "1.1 google"}
        hdrs.update(headers or {})
        return web.Response(status=status, body=json.dumps(data).encode(), headers=hdrs)

    @staticmethod
    def _ratelimit_headers(method: str, path: str) -> dict[str, str]:
        template = re.sub(r"\d{5,}", "{id}", path)
        bucket = hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]
        return {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket,
        }

    async def _read_body(self, request: web.Request, call: Call) -> None:
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read(decode=False)
                name = part.name or ""
                if name == "payload_json":
                    call.json = json.loads(bytes(data).decode())
                else:
                    call.files.append(
                        UploadedFile(
                            field=name,
                            filename=part.filename or "",
                            data=bytes(data),
                            content_type=part.headers.get("Content-Type"),
                        )
                    )
        elif request.can_read_body:
            raw = await request.read()
            if raw:
                call.json = json.loads(raw.decode())

    async def _record(self, call: Call) -> None:
        async with self._new_call:
            self.recorded.append(call)
            self._new_call.notify_all()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/attachments/"):
            return await self._serve_attachment(path)
        if path.startswith(API_PREFIX):
            path = path[len(API_PREFIX) :]
        method = request.method.upper()
        call = Call(method=method, path=path, query=dict(request.query))
        await self._read_body(request, call)

        response = await self._respond(request, call, method, path)
        call.status = response.status
        if isinstance(response, web.Response) and response.body is not None:
            with contextlib.suppress(ValueError, TypeError):
                call.response = json.loads(bytes(response.body).decode())  # type: ignore[arg-type]
        await self._record(call)
        return response

    async def _respond(
        self, request: web.Request, call: Call, method: str, path: str
    ) -> web.StreamResponse:
        fault = next((f for f in self.faults if f.matches(method, path)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
            return self._json(fault.body, fault.status, fault.headers)

        token_route = path.startswith(("/interactions/", "/webhooks/"))
        if self.token is not None and not token_route:
            if request.headers.get("Authorization") != f"Bot {self.token}":
                return self._json({"message": "401: Unauthorized", "code": 0}, 401)

        for route_method, pattern, handler in self._routes:
            if route_method != method:
                continue
            match = pattern.fullmatch(path)
            if match is None:
                continue
            try:
                response = await handler(request, match, call)
            except FakeDiscordError as exc:
                return self._json(exc.body, exc.status)
            if response.status < 300:
                response.headers.update(self._ratelimit_headers(method, path))
            return response
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    async def _serve_attachment(self, path: str) -> web.StreamResponse:
        parts = path.split("/")
        try:
            filename, data, ctype = self.attachments[int(parts[2])]
        except (IndexError, ValueError, KeyError):
            return web.Response(status=404)
        return web.Response(body=data, headers={"Content-Type": ctype})

    async def _no_content(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        return web.Response(status=204, headers={"Via": "1.1 google"})

    # ------------------------------------------------------------------ users / app

    async def _get_me(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        return self._json(self.bot_user)

    async def _get_user(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        uid = int(m["user_id"])
        if uid not in self.users:
            raise FakeDiscordError(404, 10013, "Unknown User")
        return self._json(self.users[uid])

    async def _get_application(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        owner = user_payload(1_000_000_000_000_000_001, "owner")
        return self._json(
            {
                "id": str(self.app_id),
                "name": self.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
                "owner": owner,
                "team": None,
                "bot": self.bot_user,
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "integration_types_config": {"0": {}},
            }
        )

    async def _open_dm(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        recipient = int((call.json or {}).get("recipient_id", 0))
        if not recipient:
            raise _form_error({"recipient_id": {"_errors": [{"code": "BASE_TYPE_REQUIRED"}]}})
        return self._json(self.channels[self.dm_channel_id(recipient)])

    # ------------------------------------------------------------------ commands

    def _with_ids(self, commands: list[JsonDict], guild_id: int | None) -> list[JsonDict]:
        out = []
        for raw in commands:
            cmd = copy.deepcopy(raw)
            ctype = int(cmd.get("type", 1))
            perms = cmd.get("default_member_permissions")
            key = (cmd["name"], ctype, guild_id)
            if key not in self._command_ids:
                self._command_ids[key] = self.new_id()
            cmd.update(
                {
                    "id": str(self._command_ids[key]),
                    "application_id": str(self.app_id),
                    "version": str(self.new_id()),
                    "type": ctype,
                    "description": cmd.get("description", ""),
                    "default_member_permissions": (
                        None if perms is None else str(perms)  # Discord answers with a string
                    ),
                    "nsfw": cmd.get("nsfw", False),
                }
            )
            if guild_id is not None:
                cmd["guild_id"] = str(guild_id)
            out.append(cmd)
        return out

    _NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
    _LOCALES = frozenset(loc.value for loc in discord.Locale)

    def _name_errors(self, name: Any, *, chat_input: bool) -> list[JsonDict]:
        if not isinstance(name, str):
            ok = False
        elif chat_input:
            ok = bool(self._NAME_RE.match(name)) and name == name.lower()
        else:
            ok = 1 <= len(name) <= 32
        if ok:
            return []
        return [{"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"}]

    def _option_errors(self, options: list[JsonDict]) -> JsonDict:
        errors: JsonDict = {}
        if len(options) > 25:
            errors["_errors"] = _max_len_error(25)["_errors"]
        seen_optional = False
        for i, opt in enumerate(options):
            o_err = self._localized_errors(opt, chat_input=True)
            if opt.get("type") in (1, 2):
                if sub := self._option_errors(opt.get("options") or []):
                    o_err["options"] = sub
            else:
                if not opt.get("required"):
                    seen_optional = True
                elif seen_optional:
                    o_err["required"] = _error(
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                choices = opt.get("choices") or []
                if len(choices) > 25:
                    o_err["choices"] = _max_len_error(25)
                if choices and opt.get("autocomplete"):
                    o_err["autocomplete"] = _error(
                        "AUTOCOMPLETE_CHOICES", "Autocomplete cannot be set with choices"
                    )
            if o_err:
                errors[str(i)] = o_err
        return errors

    def _localized_errors(self, item: JsonDict, *, chat_input: bool) -> JsonDict:
        errors: JsonDict = {}
        if name_err := self._name_errors(item.get("name"), chat_input=chat_input):
            errors["name"] = {"_errors": name_err}
        description = item.get("description") or ""
        if chat_input and not 1 <= len(description) <= 100:
            errors["description"] = _max_len_error(100)
        for key in ("name_localizations", "description_localizations"):
            for locale, text in (item.get(key) or {}).items():
                if locale not in self._LOCALES:
                    errors.setdefault(key, {})[locale] = _error("LOCALE_INVALID", "Invalid locale")
                elif key == "name_localizations":
                    if err := self._name_errors(text, chat_input=chat_input):
                        errors.setdefault(key, {})[locale] = {"_errors": err}
                elif not 1 <= len(text) <= 100:
                    errors.setdefault(key, {})[locale] = _max_len_error(100)
        return errors

    def _validate_commands(self, commands: list[JsonDict]) -> None:
        """Discord's checks on synced commands: names, lengths, option order, counts."""
        errors: JsonDict = {}
        names: set[tuple[str, int]] = set()
        for i, cmd in enumerate(commands):
            ctype = int(cmd.get("type", 1))
            c_err = self._localized_errors(cmd, chat_input=ctype == 1)
            if ctype == 1 and (o_err := self._option_errors(cmd.get("options") or [])):
                c_err["options"] = o_err
            key = (str(cmd.get("name")), ctype)
            if key in names:
                c_err["name"] = _error(
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            names.add(key)
            if c_err:
                errors[str(i)] = c_err
        if sum(1 for c in commands if int(c.get("type", 1)) == 1) > 100:
            errors["_errors"] = _max_len_error(100)["_errors"]
        if errors:
            raise _form_error(errors)

    async def _get_commands(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        gid = int(m["guild_id"]) if m.groupdict().get("guild_id") else None
        return self._json(self.synced_commands(gid))

    async def _put_commands(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        gid = int(m["guild_id"]) if m.groupdict().get("guild_id") else None
        self._validate_commands(list(call.json or []))
        commands = self._with_ids(list(call.json or []), gid)
        if gid is None:
            self.global_commands = commands
        else:
            self.guild_commands[gid] = commands
        return self._json(commands)

    async def _post_command(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        gid = int(m["guild_id"]) if m.groupdict().get("guild_id") else None
        self._validate_commands([call.json or {}])
        [cmd] = self._with_ids([call.json or {}], gid)
        target = self.global_commands if gid is None else self.guild_commands.setdefault(gid, [])
        target[:] = [c for c in target if c["name"] != cmd["name"]] + [cmd]
        return self._json(cmd, 201)

    # ------------------------------------------------------------------ messages

    def _validate_message(
        self, body: JsonDict, files: list[UploadedFile], *, creating: bool
    ) -> None:
        errors: JsonDict = {}
        content = body.get("content")
        if isinstance(content, str) and len(content) > 2000:
            errors["content"] = _max_len_error(2000)
        embeds = body.get("embeds") or []
        if len(embeds) > 10:
            errors["embeds"] = _max_len_error(10)
        for i, embed in enumerate(embeds):
            e_errors: JsonDict = {}
            limits = {"title": 256, "description": 4096}
            for key, limit in limits.items():
                if len(embed.get(key) or "") > limit:
                    e_errors[key] = _max_len_error(limit)
            fields = embed.get("fields") or []
            if len(fields) > 25:
                e_errors["fields"] = _max_len_error(25)
            for j, fld in enumerate(fields):
                if len(fld.get("name") or "") > 256 or len(fld.get("value") or "") > 1024:
                    e_errors.setdefault("fields", {})[str(j)] = _max_len_error(1024)
            total = sum(len(embed.get(k) or "") for k in ("title", "description"))
            total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
            total += len((embed.get("footer") or {}).get("text") or "")
            total += len((embed.get("author") or {}).get("name") or "")
            if total > 6000:
                e_errors["_errors"] = [
                    {
                        "code": "MAX_EMBED_SIZE_EXCEEDED",
                        "message": "Embed size exceeds maximum size of 6000",
                    }
                ]
            if e_errors:
                errors.setdefault("embeds", {})[str(i)] = e_errors
        components = body.get("components") or []
        flags = int(body.get("flags") or 0)
        if not flags & (1 << 15) and len(components) > 5:  # not components v2
            errors["components"] = _max_len_error(5)
        for comp in walk_components(components):
            cid = comp.get("custom_id")
            if isinstance(cid, str) and len(cid) > 100:
                errors.setdefault("components", {})[cid[:20]] = _max_len_error(100)
            if comp.get("type") == 1 and len(comp.get("components") or []) > 5:
                errors.setdefault("components", {})["row"] = _max_len_error(5)
            if comp.get("type") == 2 and len(comp.get("label") or "") > 80:
                errors.setdefault("components", {})["label"] = _max_len_error(80)
            if len(comp.get("options") or []) > 25:
                errors.setdefault("components", {})["options"] = _max_len_error(25)
        if errors:
            raise _form_error(errors)
        if creating and not (
            content or embeds or files or components or body.get("sticker_ids") or body.get("poll")
        ):
            raise FakeDiscordError(400, 50006, "Cannot send an empty message")

    def _attachments(self, channel_id: int, files: list[UploadedFile]) -> list[JsonDict]:
        return [self._attachment_object(channel_id, f) for f in files]

    def _attachment_object(self, channel_id: int, file: UploadedFile) -> JsonDict:
        aid = self.new_id()
        self.attachments[aid] = (
            file.filename,
            file.data,
            file.content_type or "application/octet-stream",
        )
        url = f"{self.origin}/attachments/{aid}/{file.filename}"
        return {
            "id": str(aid),
            "filename": file.filename,
            "size": len(file.data),
            "url": url,
            "proxy_url": url,
            "content_type": file.content_type or "application/octet-stream",
        }

    def _with_component_ids(self, components: list[JsonDict]) -> list[JsonDict]:
        out = copy.deepcopy(components)
        for comp in walk_components(out):
            comp.setdefault("id", next(self._component_ids))
        return out

    def _make_message(
        self,
        *,
        channel_id: int,
        body: JsonDict,
        files: list[UploadedFile],
        flags: int | None = None,
        interaction: InteractionRecord | None = None,
        message_id: int | None = None,
    ) -> JsonDict:
        mid = message_id or self.new_id()
        channel = self.channels.get(channel_id) or {}
        msg: JsonDict = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": self.bot_user,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel_id, files),
            "embeds": copy.deepcopy(body.get("embeds") or []),
            "components": self._with_component_ids(body.get("components") or []),
            "pinned": False,
            "flags": int(body.get("flags") or 0) if flags is None else flags,
        }
        if channel.get("guild_id"):
            msg["guild_id"] = str(channel["guild_id"])
        if interaction is not None:
            msg["type"] = 20 if interaction.type == 2 else 0
            msg["webhook_id"] = str(self.app_id)
            msg["application_id"] = str(self.app_id)
            msg["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user,
                "authorizing_integration_owners": (
                    {"0": str(interaction.guild_id)} if interaction.guild_id else {"0": "0"}
                ),
                **({"name": interaction.name} if interaction.name else {}),
            }
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
            msg["type"] = 19
        self.messages[mid] = msg
        return msg

    def _apply_edit(self, msg: JsonDict, body: JsonDict, files: list[UploadedFile]) -> JsonDict:
        for key in ("content", "embeds"):
            if key in body:
                msg[key] = (
                    copy.deepcopy(body[key])
                    if body[key] is not None
                    else ("" if key == "content" else [])
                )
        if "components" in body:
            msg["components"] = self._with_component_ids(body["components"] or [])
        if "attachments" in body:
            keep_ids = {str(a["id"]) for a in body["attachments"] or [] if "filename" not in a}
            kept = [a for a in msg.get("attachments", []) if str(a["id"]) in keep_ids]
            new = [self._attachment_object(int(msg["channel_id"]), f) for f in files]
            msg["attachments"] = kept + new
        elif files:
            msg["attachments"] = msg.get("attachments", []) + [
                self._attachment_object(int(msg["channel_id"]), f) for f in files
            ]
        if "flags" in body and body["flags"] is not None:
            # Only SUPPRESS_EMBEDS can be changed on an existing message.
            old = int(msg.get("flags") or 0)
            msg["flags"] = (old & ~FLAG_SUPPRESS_EMBEDS) | (
                int(body["flags"]) & FLAG_SUPPRESS_EMBEDS
            )
        msg["flags"] = int(msg.get("flags") or 0) & ~FLAG_LOADING
        msg["edited_timestamp"] = iso_now()
        return msg

    def _channel_or_404(self, channel_id: int) -> JsonDict:
        if channel_id not in self.channels:
            raise FakeDiscordError(404, 10003, "Unknown Channel")
        return self.channels[channel_id]

    def _message_or_404(self, message_id: int | None) -> JsonDict:
        if message_id is None or message_id not in self.messages:
            raise FakeDiscordError(404, 10008, "Unknown Message")
        return self.messages[message_id]

    async def _get_channel(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        return self._json(self._channel_or_404(int(m["channel_id"])))

    async def _create_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        channel_id = int(m["channel_id"])
        body = call.json or {}
        self._validate_message(body, call.files, creating=True)
        msg = self._make_message(channel_id=channel_id, body=body, files=call.files)
        if channel_id in self.channels:
            self.channels[channel_id]["last_message_id"] = msg["id"]
        return self._json(msg)

    async def _get_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        return self._json(self._message_or_404(int(m["mid"])))

    async def _edit_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        msg = self._message_or_404(int(m["mid"]))
        body = call.json or {}
        self._validate_message(body, call.files, creating=False)
        return self._json(self._apply_edit(msg, body, call.files))

    async def _delete_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        self._message_or_404(int(m["mid"]))
        del self.messages[int(m["mid"])]
        return web.Response(status=204, headers={"Via": "1.1 google"})

    # ------------------------------------------------------------------ interactions

    def _callback_result(
        self, rec: InteractionRecord, cb_type: int, message: JsonDict | None
    ) -> JsonDict:
        info: JsonDict = {"id": str(rec.id), "type": rec.type}
        result: JsonDict = {"interaction": info}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = bool(int(message["flags"]) & FLAG_LOADING)
            info["response_message_ephemeral"] = bool(int(message["flags"]) & FLAG_EPHEMERAL)
            result["resource"] = {"type": cb_type, "message": message}
        return result

    async def _callback(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        rec = self.interactions.get(int(m["iid"]))
        if rec is None or rec.token != m["token"]:
            raise FakeDiscordError(404, 10062, "Unknown interaction")
        if rec.acked:
            raise FakeDiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - rec.created > self.interaction_deadline:
            raise FakeDiscordError(404, 10062, "Unknown interaction")
        body = call.json or {}
        cb_type = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = {
            1: {PONG},
            2: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            3: {
                CHANNEL_MESSAGE,
                DEFERRED_CHANNEL_MESSAGE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
                MODAL,
            },
            4: {AUTOCOMPLETE_RESULT},
            5: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
        }
        if cb_type not in allowed.get(rec.type, set()):
            raise _form_error(
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": "Invalid interaction response type",
                            }
                        ]
                    }
                }
            )
        message: JsonDict | None = None
        if cb_type == CHANNEL_MESSAGE:
            self._validate_message(data, call.files, creating=True)
            flags = int(data.get("flags") or 0)
            message = self._make_message(
                channel_id=rec.channel_id, body=data, files=call.files, flags=flags, interaction=rec
            )
            rec.original_id = int(message["id"])
        elif cb_type == DEFERRED_CHANNEL_MESSAGE:
            flags = (int(data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
            message = self._make_message(
                channel_id=rec.channel_id, body={}, files=[], flags=flags, interaction=rec
            )
            rec.original_id = int(message["id"])
            rec.loading = True
        elif cb_type == UPDATE_MESSAGE:
            self._validate_message(data, call.files, creating=False)
            target = self._message_or_404(rec.original_id)
            message = self._apply_edit(target, data, call.files)
        elif cb_type == AUTOCOMPLETE_RESULT:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise _form_error({"data": {"choices": _max_len_error(25)}})
            for choice in choices:
                if not 1 <= len(str(choice.get("name", ""))) <= 100:
                    raise _form_error({"data": {"choices": _max_len_error(100)}})
        elif cb_type == MODAL:
            if not data.get("custom_id") or not data.get("title"):
                raise _form_error({"data": {"_errors": [{"code": "BASE_TYPE_REQUIRED"}]}})
        rec.acked = True
        rec.callback_type = cb_type
        if call.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204, headers={"Via": "1.1 google"})
        return self._json(self._callback_result(rec, cb_type, message))

    def _webhook_interaction(self, m: re.Match[str]) -> InteractionRecord:
        if int(m["app"]) != self.app_id:
            raise FakeDiscordError(404, 10015, "Unknown Webhook")
        rec = self.interaction_by_token(m["token"])
        if rec is None or not rec.acked:
            raise FakeDiscordError(404, 10015, "Unknown Webhook")
        return rec

    def _webhook_message_id(self, rec: InteractionRecord, mid: str) -> int | None:
        return rec.original_id if mid == "@original" else int(mid)

    async def _followup(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        rec = self._webhook_interaction(m)
        body = call.json or {}
        self._validate_message(body, call.files, creating=True)
        if rec.loading and rec.original_id is not None:
            # The first followup after a defer resolves the "thinking" message; its ephemeral
            # state was fixed by the defer.
            rec.loading = False
            msg = self._message_or_404(rec.original_id)
            eph = int(msg["flags"]) & FLAG_EPHEMERAL
            msg = self._apply_edit(msg, body, call.files)
            msg["flags"] = (int(msg["flags"]) & ~FLAG_EPHEMERAL) | eph
            msg["edited_timestamp"] = None
        else:
            flags = int(body.get("flags") or 0) & (
                FLAG_EPHEMERAL | FLAG_SUPPRESS_EMBEDS | (1 << 12) | (1 << 15)
            )
            msg = self._make_message(
                channel_id=rec.channel_id, body=body, files=call.files, flags=flags, interaction=rec
            )
        if call.query.get("wait") in ("0", "false", "False"):
            return web.Response(status=204, headers={"Via": "1.1 google"})
        return self._json(msg)

    async def _get_webhook_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        rec = self._webhook_interaction(m)
        return self._json(self._message_or_404(self._webhook_message_id(rec, m["mid"])))

    async def _edit_webhook_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        rec = self._webhook_interaction(m)
        msg = self._message_or_404(self._webhook_message_id(rec, m["mid"]))
        body = call.json or {}
        self._validate_message(body, call.files, creating=False)
        if m["mid"] == "@original":
            rec.loading = False
        return self._json(self._apply_edit(msg, body, call.files))

    async def _delete_webhook_message(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        rec = self._webhook_interaction(m)
        mid = self._webhook_message_id(rec, m["mid"])
        self._message_or_404(mid)
        assert mid is not None
        del self.messages[mid]
        return web.Response(status=204, headers={"Via": "1.1 google"})

    # ------------------------------------------------------------------ guilds

    def _guild_or_404(self, guild_id: int) -> JsonDict:
        if guild_id not in self.guilds:
            raise FakeDiscordError(404, 10004, "Unknown Guild")
        return self.guilds[guild_id]

    async def _get_guild(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        guild = self._guild_or_404(int(m["guild_id"]))
        rest = {k: v for k, v in guild.items() if k not in ("channels", "members", "threads")}
        return self._json(rest)

    async def _get_guild_channels(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        gid = int(m["guild_id"])
        self._guild_or_404(gid)
        return self._json([c for c in self.channels.values() if str(c.get("guild_id")) == str(gid)])

    async def _get_guild_roles(
        self, request: web.Request, m: re.Match[str], call: Call
    ) -> web.Response:
        return self._json(self._guild_or_404(int(m["guild_id"])).get("roles", []))

    async def _get_member(self, request: web.Request, m: re.Match[str], call: Call) -> web.Response:
        key = (int(m["guild_id"]), int(m["user_id"]))
        self._guild_or_404(key[0])
        if key not in self.members:
            raise FakeDiscordError(404, 10007, "Unknown Member")
        return self._json(self.members[key])


    # ------------------------------------------------------------------ scheduled events

    def _event_or_404(self, guild_id: int, event_id: int) -> JsonDict:
        self._guild_or_404(guild_id)
        event = self.scheduled_events.get(event_id)
        if event is None or event["guild_id"] != str(guild_id):
            raise FakeDiscordError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    def _check_event(self, event: JsonDict) -> None:
        """Discord's rules: a name of 1-100, a description up to 1000, an external event
        needs a location (1-100) and an end time, a voice event a channel."""
        errors: JsonDict = {}
        if not 1 <= len(event.get("name") or "") <= 100:
            errors["name"] = _max_len_error(100)
        if len(event.get("description") or "") > 1000:
            errors["description"] = _max_len_error(1000)
        if event.get("entity_type") == 3:
            location = (event.get("entity_metadata") or {}).get("location") or ""
            if not 1 <= len(location) <= 100 or not event.get("scheduled_end_time"):
                errors["entity_metadata"] = _error("BASE_TYPE_REQUIRED", "location and end")
        elif not event.get("channel_id"):
            errors["channel_id"] = _error("BASE_TYPE_REQUIRED", "This field is required")
        if errors:
            raise _form_error(errors)

    async def _list_events(self, request: web.Request, m: re.Match[str], call: Call
                           ) -> web.Response:
        gid = m["guild_id"]
        self._guild_or_404(int(gid))
        return self._json([e for e in self.scheduled_events.values() if e["guild_id"] == gid])

    async def _get_event(self, request: web.Request, m: re.Match[str], call: Call
                         ) -> web.Response:
        return self._json(self._event_or_404(int(m["guild_id"]), int(m["eid"])))

    async def _create_event(self, request: web.Request, m: re.Match[str], call: Call
                            ) -> web.Response:
        gid = m["guild_id"]
        self._guild_or_404(int(gid))
        body = dict(call.json or {})
        event_id = self.new_id()
        event: JsonDict = {
            "id": str(event_id), "guild_id": gid, "creator_id": str(self.bot_id),
            "creator": self.bot_user, "status": 1, "entity_id": None, "image": None,
            "channel_id": None, "entity_metadata": None, "description": None,
            "scheduled_end_time": None, "privacy_level": 2, **body,
        }
        self._check_event(event)
        self.scheduled_events[event_id] = event
        return self._json(event)

    async def _edit_event(self, request: web.Request, m: re.Match[str], call: Call
                          ) -> web.Response:
        event = self._event_or_404(int(m["guild_id"]), int(m["eid"]))
        changed = {**event, **(call.json or {})}
        self._check_event(changed)
        event.update(changed)
        return self._json(event)

    async def _delete_event(self, request: web.Request, m: re.Match[str], call: Call
                            ) -> web.Response:
        self._event_or_404(int(m["guild_id"]), int(m["eid"]))
        del self.scheduled_events[int(m["eid"])]
        return web.Response(status=204)


@contextlib.contextmanager
def point_discord_at(base_url: str) -> Iterator[None]:
    """Temporarily set ``discord.http.Route.BASE`` (all of discord.py's REST URLs) to ``base_url``."""
    previous = discord.http.Route.BASE
    discord.http.Route.BASE = base_url
    try:
        yield
    finally:
        discord.http.Route.BASE = previous
