"""An in-process fake of the Telegram Bot API for tests.

The fake is an aiohttp server on 127.0.0.1 that speaks the Bot API wire protocol closely
enough for the *real* python-telegram-bot ``Application`` (long polling) to run against it:

    fake = FakeBotApi()
    await fake.start()
    app = fake.application_builder().build()      # token + base_url + base_file_url set
    app.add_handler(...)
    async with run_polling(app):
        fake.push_update(fake.command("/start", chat_id=42, user_id=42))
        call = await fake.wait_for_call("sendMessage")
    await fake.stop()

What it models (and where it deliberately mirrors Telegram's strictness, so adapter bugs
surface in tests rather than in production):

* every request is recorded as a :class:`Call`; ``wait_for_call`` lets tests await one;
* ``getUpdates`` long polling with ``offset``/``limit``/``timeout``/``allowed_updates``;
  it returns as soon as an update is pushed, and 409s while a webhook is set;
* per-chat message ids, stored messages, edits ("message is not modified"), deletions;
* ``parse_mode="HTML"`` is parsed like Telegram does: unsupported or unbalanced tags give
  ``400 Bad Request: can't parse entities: ...``; the returned message carries plain text
  plus entities; text over 4096 characters (caption over 1024) is rejected;
* inline ``callback_data`` over 64 bytes gives ``BUTTON_DATA_INVALID``;
* callback queries can be answered once; ``setMyCommands`` validates command names;
* document uploads are stored and can be fetched back via ``getFile`` + the file URL;
* ``fail_next`` injects the real 403 / 429 / 400-migrate error bodies;
* unknown methods get Telegram's ``404 Not Found``.

Markdown parse modes are not parsed (text is echoed as sent). Nothing here logs message text
or tokens; the aiohttp access log (which would contain the token in the URL) is disabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import mimetypes
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

if TYPE_CHECKING:
    from telegram.ext import Application, ApplicationBuilder

__all__ = [
    "TEST_TOKEN",
    "ApiError",
    "Call",
    "FakeBotApi",
    "StoredFile",
    "UploadedFile",
    "parse_html",
    "run_polling",
]

#: A token-shaped string that can never be mistaken for a real token.
TEST_TOKEN = "123456:TEST-TOKEN"

ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]
FaultKind = Literal["forbidden", "retry_after", "migrate", "bad_request", "bad_gateway"]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
# Update types Telegram leaves out unless explicitly listed in ``allowed_updates``.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")

# Form fields PTB sends as plain strings; everything else arrives JSON-encoded.
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "file_id", "inline_message_id",
        "language_code", "action", "url", "secret_token", "ip_address", "title", "description",
        "short_description", "name", "query_id", "emoji", "business_connection_id",
        "message_effect_id", "custom_title", "address", "first_name", "last_name",
        "phone_number", "question", "explanation", "sticker", "document", "photo", "audio",
        "video", "animation", "voice", "video_note", "thumbnail", "certificate",
    }
)  # fmt: skip


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (e.g. ``sendDocument``'s ``document``)."""

    filename: str | None
    content: bytes
    content_type: str | None


@dataclass
class StoredFile:
    """A file known to the fake: uploaded by the bot or attached to a pushed update."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class Call:
    """One recorded Bot API request.

    ``params`` holds the decoded parameters (JSON-encoded form values are decoded, uploaded
    files are :class:`UploadedFile`). ``result`` is what the fake answered on success,
    ``error`` the error body (``{"ok": false, "error_code": ..., ...}``) on failure.
    """

    method: str
    params: dict[str, Any]
    index: int = 0
    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


class ApiError(Exception):
    """Raised by method handlers; becomes a Bot API error response."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _Fault:
    method: str
    chat_id: str | None
    error: ApiError
    remaining: int | None  # None = until cleared


# --------------------------------------------------------------------------- HTML parse mode

_HTML_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
    }
)  # fmt: skip
_SIMPLE_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_TAG_NAME = re.compile(r"[a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z0-9_-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_CHAR_REF = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram's HTML parse mode into ``(plain_text, entities)``.

    Raises :class:`ApiError` (400 "can't parse entities") where Telegram would.
    Entity offsets/lengths are in UTF-16 code units, as in the Bot API.
    """

    def fail(reason: str) -> ApiError:
        return _bad_request(f"can't parse entities: {reason}")

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    plain: list[str] = []
    utf16_pos = 0
    stack: list[tuple[str, dict[str, str], int]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            match = _CHAR_REF.match(source, i)
            if match:
                decoded = html.unescape(match.group(0))
                plain.append(decoded)
                utf16_pos += _utf16_len(decoded)
                i = match.end()
                continue
        if char != "<":
            plain.append(char)
            utf16_pos += _utf16_len(char)
            i += 1
            continue
        start = i
        closing = source.startswith("</", i)
        name_match = _TAG_NAME.match(source, i + (2 if closing else 1))
        assert name_match is not None  # the pattern accepts the empty string
        name = name_match.group(0).lower()
        i = name_match.end()
        if closing:
            while i < len(source) and source[i].isspace():
                i += 1
            if i >= len(source) or source[i] != ">":
                raise fail(f"Unclosed end tag at byte offset {byte_offset(start)}")
            i += 1
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(start)}")
            open_name, open_attributes, entity_start = stack.pop()
            if open_name != name:
                raise fail(
                    f"Unmatched end tag at byte offset {byte_offset(start)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            entity = _entity_for(open_name, open_attributes, entity_start, utf16_pos - entity_start)
            if entity is not None:
                entities.append(entity)
            continue
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(start)}')
        attributes: dict[str, str] = {}
        while True:
            attribute = _ATTRIBUTE.match(source, i)
            if attribute is None:
                break
            value = attribute.group(2) or ""
            if value[:1] in {'"', "'"}:
                value = value[1:-1]
            attributes[attribute.group(1).lower()] = html.unescape(value)
            i = attribute.end()
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source) or source[i] != ">":
            raise fail(f"Unclosed start tag at byte offset {byte_offset(start)}")
        i += 1
        stack.append((name, attributes, utf16_pos))
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(plain), entities


def _entity_for(
    tag: str, attributes: dict[str, str], offset: int, length: int
) -> dict[str, Any] | None:
    if length <= 0:  # Telegram drops empty entities
        return None
    entity: dict[str, Any] = {"offset": offset, "length": length}
    if tag in _SIMPLE_ENTITY:
        entity["type"] = _SIMPLE_ENTITY[tag]
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attributes else "blockquote"
    elif tag == "a":
        entity.update(type="text_link", url=attributes.get("href", ""))
    elif tag == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attributes.get("emoji-id", ""))
    elif tag == "tg-time":
        entity.update(type="date_time", unix_time=int(attributes.get("unix", "0") or 0))
        if "format" in attributes:
            entity["date_time_format"] = attributes["format"]
    return entity


# --------------------------------------------------------------------------- the fake


class FakeBotApi:
    """A fake Bot API server. See the module docstring for an overview."""

    def __init__(
        self,
        *,
        bot_id: int = 123456,
        bot_username: str = "stepbot_test_bot",
        bot_first_name: str = "Stepbot Test",
        token: str | None = None,
    ) -> None:
        """``token``: if given, requests with another token get 401 Unauthorized."""
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._token = token
        self.calls: list[Call] = []
        self.uploads: list[UploadedFile] = []
        self.files: dict[str, StoredFile] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.member_status: dict[tuple[int, int], MemberStatus] = {}
        self.webhook_url = ""
        self._updates: list[dict[str, Any]] = []
        self._allowed_updates: list[str] = []
        self._faults: list[_Fault] = []
        self._open_callback_queries: set[str] = set()
        self._next_message_id: dict[int, int] = {}
        self._update_ids = itertools.count(100_000_001)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(4_382_000_000_000_001)
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._extra_handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {}
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any]], Awaitable[Any]]]] = {}
        for name, handler in self._builtin_methods().items():
            self._methods[name.lower()] = (name, handler)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        address = self._runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def application_builder(
        self, token: str = TEST_TOKEN
    ) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """An ``ApplicationBuilder`` already pointed at this fake."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ recorded calls

    def calls_for(self, method: str) -> list[Call]:
        """All recorded calls of ``method`` (case-insensitive), oldest first."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def mark(self) -> int:
        """The current call count; pass it as ``since=`` to only wait for newer calls."""
        return len(self.calls)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper, mirrors the brief's API
        *,
        since: int = 0,
    ) -> Call:
        """Return the first call of ``method`` at index >= ``since`` matching ``predicate``.

        Already-recorded calls count, so this never misses a call made before it was awaited.
        Raises ``AssertionError`` (listing the methods seen) after ``timeout`` seconds.
        """
        wanted = method.lower()
        checked = since
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._call_event
                    for call in self.calls[checked:]:
                        if call.method.lower() == wanted and (predicate is None or predicate(call)):
                            return call
                    checked = max(checked, len(self.calls))
                    await event.wait()
        except TimeoutError:
            seen = Counter(
                call.method for call in self.calls[since:] if call.method != "getUpdates"
            )
            raise AssertionError(
                f"no matching {method} call within {timeout}s; calls seen: {dict(seen)}"
            ) from None

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Current state (after edits, minus deletions) of messages the bot sent."""
        return [
            message
            for (chat, _), message in sorted(self.messages.items())
            if message.get("from", {}).get("id") == self.bot_id
            and (chat_id is None or chat == chat_id)
        ]

    def get_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        return self.messages.get((chat_id, message_id))

    # ------------------------------------------------------------------ configuration

    def add_chat(
        self,
        chat_id: int,
        chat_type: ChatType = "private",
        *,
        title: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Register (or replace) a chat; unknown chats are otherwise created on first use."""
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name or f"User{chat_id}"
        else:
            chat["title"] = title or f"{chat_type.title()} {chat_id}"
        if username:
            chat["username"] = username
        self.chats[chat_id] = chat
        return chat

    def set_member_status(self, chat_id: int, user_id: int, status: MemberStatus) -> None:
        """What ``getChatMember(chat_id, user_id)`` reports (default ``"member"``)."""
        self.member_status[(chat_id, user_id)] = status

    def set_handler(self, method: str, handler: Callable[[dict[str, Any]], Awaitable[Any]]) -> None:
        """Serve an extra (or override a built-in) method: ``await handler(params) -> result``.

        The handler may raise :class:`ApiError`.
        """
        self._methods[method.lower()] = (method, handler)

    def fail_next(
        self,
        method: str,
        *,
        chat_id: int | str | None = None,
        error: FaultKind = "forbidden",
        retry_after: int = 5,
        migrate_to_chat_id: int = -1001234567890,
        description: str | None = None,
        times: int | None = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (for ``chat_id`` if given) fail.

        ``times=None`` fails every matching call until :meth:`clear_faults`. Errors carry
        Telegram's real bodies: ``forbidden`` 403 "bot was blocked by the user",
        ``retry_after`` 429 with ``parameters.retry_after``, ``migrate`` 400 with
        ``parameters.migrate_to_chat_id``, ``bad_request`` 400 (``description``),
        ``bad_gateway`` 502.
        """
        api_error: ApiError
        if error == "forbidden":
            api_error = ApiError(403, description or "Forbidden: bot was blocked by the user")
        elif error == "retry_after":
            api_error = ApiError(
                429,
                description or f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        elif error == "migrate":
            api_error = ApiError(
                400,
                description or "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": migrate_to_chat_id},
            )
        elif error == "bad_request":
            api_error = ApiError(400, description or "Bad Request: chat not found")
        elif error == "bad_gateway":
            api_error = ApiError(502, description or "Bad Gateway")
        else:
            raise ValueError(f"unknown fault kind {error!r}")
        self._faults.append(
            _Fault(method.lower(), None if chat_id is None else str(chat_id), api_error, times)
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    # ------------------------------------------------------------------ updates

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for ``getUpdates`` (assigning ``update_id`` if missing)."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        else:
            after = int(update["update_id"]) + 1
            current = next(self._update_ids)
            self._update_ids = itertools.count(max(after, current))
        self._updates.append(update)
        self._wake_pollers()
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a later ``getUpdates`` offset."""
        return list(self._updates)

    def command(
        self,
        text: str,
        chat_id: int | None = None,
        user_id: int = 1001,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A ``message`` update with a command (``/start``, ``/near 10``, ``/help@bot``)."""
        if not text.startswith("/"):
            raise ValueError("a command starts with '/'")
        return self.text_message(text, chat_id, user_id, chat_type, language_code, **kwargs)

    def text_message(
        self,
        text: str,
        chat_id: int | None = None,
        user_id: int = 1001,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        *,
        first_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A ``message`` update with text; a leading ``/command`` gets a bot_command entity."""
        message = self._user_message(
            chat_id, user_id, chat_type, language_code, first_name, username, title
        )
        message["text"] = text
        entities = _command_entities(text)
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            replied = self.messages.get((message["chat"]["id"], reply_to_message_id))
            if replied is not None:
                message["reply_to_message"] = replied
        return {"message": message}

    def location(
        self,
        latitude: float,
        longitude: float,
        chat_id: int | None = None,
        user_id: int = 1001,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        *,
        horizontal_accuracy: float | None = None,
        first_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A ``message`` update carrying a (static) location."""
        message = self._user_message(
            chat_id, user_id, chat_type, language_code, first_name, username, title
        )
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        message["location"] = location
        return {"message": message}

    def document(
        self,
        file_name: str,
        content: bytes,
        caption: str | None = None,
        chat_id: int | None = None,
        user_id: int = 1001,
        chat_type: ChatType = "private",
        language_code: str | None = "en",
        *,
        mime_type: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
    ) -> dict[str, Any]:
        """A ``message`` update with a document; the file is downloadable via ``getFile``."""
        message = self._user_message(
            chat_id, user_id, chat_type, language_code, first_name, username, title
        )
        stored = self.add_file(content, file_name=file_name, mime_type=mime_type)
        message["document"] = _document_dict(stored)
        if caption is not None:
            message["caption"] = caption
            entities = _command_entities(caption)
            if entities:
                message["caption_entities"] = entities
        return {"message": message}

    def callback_query(
        self,
        data: str,
        message_id: int,
        chat_id: int,
        user_id: int = 1001,
        language_code: str | None = "en",
        *,
        inaccessible: bool = False,
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """A ``callback_query`` update: the user pressed a button on message ``message_id``.

        The message must have been sent by the bot through this fake (its current state is
        embedded), unless ``inaccessible=True`` (Telegram's InaccessibleMessage, date 0).
        """
        chat = self._chat(chat_id)
        if inaccessible:
            message: dict[str, Any] = {"chat": chat, "message_id": message_id, "date": 0}
        else:
            stored = self.messages.get((chat_id, message_id))
            if stored is None:
                raise KeyError(
                    f"no message {message_id} in chat {chat_id}; use a message_id the bot sent"
                )
            message = copy.deepcopy(stored)
        user = self._user(user_id, language_code, first_name, username)
        query_id = str(next(self._callback_ids))
        self._open_callback_queries.add(query_id)
        return {
            "callback_query": {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": str(abs(chat_id) * 7919 + 17),
                "data": data,
            }
        }

    def add_file(
        self, content: bytes, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Register a downloadable file and return it."""
        number = next(self._file_ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        if mime_type is None and file_name:
            mime_type = _guess_mime_type(file_name)
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI-fake-{number:06d}",
            file_unique_id=f"AgAD-fake-{number:06d}",
            file_path=f"documents/file_{number}{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    # ------------------------------------------------------------------ internals: HTTP

    def _wake_pollers(self) -> None:
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    def _record(self, call: Call) -> None:
        call.index = len(self.calls)
        self.calls.append(call)
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()

    async def _handle_method(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        canonical, handler = self._methods.get(raw_method.lower(), (raw_method, None))
        params = await _read_params(request)
        call = Call(method=canonical, params=params)
        try:
            if self._token is not None and request.match_info["token"] != self._token:
                raise ApiError(401, "Unauthorized")
            fault = self._take_fault(canonical, params)
            if fault is not None:
                raise fault
            if handler is None:
                raise ApiError(404, "Not Found")
            call.result = copy.deepcopy(await handler(params))
        except ApiError as exc:
            call.error = exc.body()
            self._record(call)
            return web.json_response(call.error, status=exc.status)
        self._record(call)
        return web.json_response({"ok": True, "result": call.result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if self._token is not None and request.match_info["token"] != self._token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.content,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    def _take_fault(self, method: str, params: dict[str, Any]) -> ApiError | None:
        for fault in self._faults:
            if fault.method != method.lower():
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != fault.chat_id:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
            return fault.error
        return None

    # ------------------------------------------------------------------ internals: model

    def _user(
        self,
        user_id: int,
        language_code: str | None = "en",
        first_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"User{user_id}",
        }
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """The registered chat, or one inferred from the id (>0 private, -100… supergroup)."""
        if chat_id not in self.chats:
            if chat_id > 0:
                self.add_chat(chat_id, "private")
            elif str(chat_id).startswith("-100"):
                self.add_chat(chat_id, "supergroup")
            else:
                self.add_chat(chat_id, "group")
        return self.chats[chat_id]

    def _user_message(
        self,
        chat_id: int | None,
        user_id: int,
        chat_type: ChatType,
        language_code: str | None,
        first_name: str | None,
        username: str | None,
        title: str | None,
    ) -> dict[str, Any]:
        user = self._user(user_id, language_code, first_name, username)
        if chat_id is None:
            chat_id = {
                "private": user_id,
                "group": -4_001_234_567,
                "supergroup": -1_001_234_567_890,
                "channel": -1_009_876_543_210,
            }[chat_type]
        existing = self.chats.get(chat_id)
        if existing is None or existing["type"] != chat_type:
            if chat_type == "private":
                self.add_chat(chat_id, "private", first_name=user["first_name"], username=username)
            else:
                self.add_chat(chat_id, chat_type, title=title)
        return self._new_message(chat_id, sender=user)

    def _new_message(self, chat_id: int, *, sender: dict[str, Any]) -> dict[str, Any]:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": dict(self._chat(chat_id)),
            "date": int(time.time()),
        }
        self.messages[(chat_id, message_id)] = message
        return message

    # ------------------------------------------------------------------ Bot API methods

    def _builtin_methods(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "sendChatAction": _returns_true,
            "close": _returns_true,
            "logOut": _returns_true,
        }

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), 50.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._updates = [u for u in self._updates if self._is_allowed(u)]
            if self._updates or self._closing:
                return self._updates[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._update_event
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kinds = [key for key in update if key != "update_id"]
        if self._allowed_updates:
            return any(kind in self._allowed_updates for kind in kinds)
        return not any(kind in _OPT_IN_UPDATE_TYPES for kind in kinds)

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_NAME.match(name) or not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _target_chat(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            if str(raw).startswith("@"):
                for chat in self.chats.values():
                    if chat.get("username") == str(raw)[1:]:
                        return int(chat["id"])
            raise _bad_request("chat not found") from None
        self._chat(chat_id)
        return chat_id

    def _stored_bot_message(self, params: dict[str, Any], action: str) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        try:
            message_id = int(params.get("message_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _bad_request("message identifier is not specified") from None
        message = self.messages.get((chat_id, message_id))
        if message is None:
            raise _bad_request(f"message to {action} not found")
        return message

    def _inline_markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """Validate ``reply_markup``; return it if it is an inline keyboard (echoed back)."""
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        for row in rows:
            for button in row:
                if not str(button.get("text", "")):
                    raise _bad_request("BUTTON_TEXT_EMPTY")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    @staticmethod
    def _formatted(
        params: dict[str, Any], key: str, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get(key)
        text = "" if raw is None else str(raw)
        entities_key = "caption_entities" if key == "caption" else "entities"
        entities: list[dict[str, Any]] = list(params.get(entities_key) or [])
        if str(params.get("parse_mode") or "").lower() == "html":
            text, entities = parse_html(text)
        if len(text) > limit:
            raise _bad_request(too_long)
        return text, entities

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH, "message is too long")
        if not text.strip():
            raise _bad_request("message text is empty")
        markup = self._inline_markup(params)
        message = self._new_message(chat_id, sender=self.bot_user)
        message["text"] = text
        if entities:
            message["entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._attach_reply(message, chat_id, params)
        return message

    def _attach_reply(self, message: dict[str, Any], chat_id: int, params: dict[str, Any]) -> None:
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if reply_id is not None:
            replied = self.messages.get((chat_id, int(reply_id)))
            if replied is not None:
                message["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            return True
        message = self._stored_bot_message(params, "edit")
        if message.get("from", {}).get("id") != self.bot_id or "text" not in message:
            raise _bad_request("message can't be edited")
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH, "MESSAGE_TOO_LONG")
        if not text.strip():
            raise _bad_request("message text is empty")
        markup = self._inline_markup(params)
        if (
            text == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = text
        _set_or_drop(message, "entities", entities or None)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            return True
        message = self._stored_bot_message(params, "edit")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        markup = self._inline_markup(params)
        if markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        _set_or_drop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return message

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._stored_bot_message(params, "delete")
        del self.messages[(message["chat"]["id"], message["message_id"])]
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callback_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_callback_queries.discard(query_id)
        return True

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        document = params.get("document")
        if isinstance(document, UploadedFile):
            if not document.content:
                raise _bad_request("file must be non-empty")
            self.uploads.append(document)
            stored = self.add_file(
                document.content,
                file_name=document.filename,
                mime_type=_upload_mime_type(document),
            )
        elif isinstance(document, str) and document in self.files:
            stored = self.files[document]
        elif isinstance(document, str) and document:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise _bad_request("there is no document in the request")
        caption, entities = self._formatted(
            params, "caption", MAX_CAPTION_LENGTH, "message caption is too long"
        )
        markup = self._inline_markup(params)
        message = self._new_message(chat_id, sender=self.bot_user)
        message["document"] = _document_dict(stored)
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        if markup is not None:
            message["reply_markup"] = markup
        self._attach_reply(message, chat_id, params)
        return message

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("chat_id")
        try:
            chat_id = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            chat_id = self._target_chat(params)
        if chat_id not in self.chats:
            raise _bad_request("chat not found")
        return {
            **self.chats[chat_id],
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        try:
            user_id = int(params.get("user_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _bad_request("user not found") from None
        if user_id == self.bot_id:
            user = self.bot_user
        else:
            user = self.users.get(user_id) or {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User{user_id}",
            }
        status = self.member_status.get((chat_id, user_id), "member")
        return _chat_member(status, user)

    async def _get_chat_administrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The creator and administrators set with set_member_status, and the bot (an admin
        of every group here), as Telegram lists them; private chats have none."""
        chat_id = self._target_chat(params)
        if self._chat(chat_id).get("type") == "private":
            raise _bad_request("there are no administrators in the private chat")
        found = [
            _chat_member(status, self.users.get(user_id)
                         or {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"})
            for (chat, user_id), status in sorted(self.member_status.items())
            if chat == chat_id and status in ("creator", "administrator")
        ]
        return [*found, _chat_member("administrator", self.bot_user)]


# --------------------------------------------------------------------------- helpers


async def _returns_true(params: dict[str, Any]) -> bool:
    return True


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _command_entities(text: str) -> list[dict[str, Any]]:
    """Telegram marks a leading ``/command[@bot]`` with a bot_command entity at offset 0."""
    match = re.match(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


def _guess_mime_type(file_name: str) -> str:
    if file_name.lower().endswith(".ics"):
        return "text/calendar"
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def _upload_mime_type(upload: UploadedFile) -> str | None:
    if upload.filename:
        return _guess_mime_type(upload.filename)
    return upload.content_type


def _document_dict(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def _chat_member(status: MemberStatus, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            dict.fromkeys(
                (
                    "can_be_edited", "is_anonymous", "can_restrict_members",
                    "can_promote_members", "can_post_stories", "can_edit_stories",
                    "can_delete_stories",
                ),
                False,
            )
        )  # fmt: skip
        member.update(
            dict.fromkeys(
                (
                    "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                    "can_change_info", "can_invite_users", "can_pin_messages",
                ),
                True,
            )
        )  # fmt: skip
    elif status == "restricted":
        member.update(
            dict.fromkeys(
                (
                    "can_change_info", "can_invite_users", "can_pin_messages",
                    "can_send_messages", "can_send_polls", "can_send_other_messages",
                    "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
                    "can_send_documents", "can_send_photos", "can_send_videos",
                    "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                ),
                False,
            )
        )  # fmt: skip
        member.update(is_member=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Decode a Bot API request the way the server does: query, JSON, form or multipart."""
    params: dict[str, Any] = {}
    for key, value in request.query.items():
        params[key] = _decode_field(key, value)
    if request.method != "POST" or not request.can_read_body:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    form = await request.post()
    for key, field_value in form.items():
        if isinstance(field_value, web.FileField):
            params[key] = UploadedFile(
                filename=field_value.filename,
                content=field_value.file.read(),
                content_type=field_value.content_type,
            )
        elif isinstance(field_value, bytes | bytearray):
            params[key] = UploadedFile(filename=None, content=bytes(field_value), content_type=None)
        else:
            params[key] = _decode_field(key, str(field_value))
    return params


def _decode_field(key: str, value: str) -> Any:
    """PTB JSON-encodes non-string values in form fields; decode those back."""
    if key in _STRING_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


# --------------------------------------------------------------------------- PTB helper


@contextlib.asynccontextmanager
async def run_polling(
    application: Application[Any, Any, Any, Any, Any, Any], **polling_kwargs: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Run a PTB ``Application`` with long polling for the body of the ``async with``.

    initialize → start → ``updater.start_polling(poll_interval=0, ...)``; on exit the
    reverse, so no tasks are left pending.
    """
    polling_kwargs.setdefault("poll_interval", 0.0)
    updater = application.updater
    if updater is None:
        raise RuntimeError("the application was built without an Updater")
    await application.initialize()
    try:
        await application.start()
        try:
            await updater.start_polling(**polling_kwargs)
            try:
                yield application
            finally:
                await updater.stop()
        finally:
            await application.stop()
    finally:
        await application.shutdown()
