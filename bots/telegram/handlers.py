"""Telegram updates → the neutral Request, and the Reply back. Nothing here decides what to
say: every decision is core.conversation's, as it is for the console adapter.

- Commands: "/cmd@bot args" (commands for other bots are ignored); free text only in private.
- Buttons: callback_data is the core's action token → Request(action=…), then
  answerCallbackQuery; Reply.edit replaces the pressed message in place.
- Locations → Request(location=…); a document with the caption /import → Request(command=
  "import", attachment=…), downloaded only up to config.import_max_bytes.
- Groups: community_id = str(chat.id); is_admin from getChatMember (creator/administrator),
  cached briefly; Reply.continue_in_private → a t.me deep link with a short random token that
  replays the original request in the private chat (for the same member only).
- Platform events: a group upgraded to a supergroup (migrate_to_chat_id) and the bot being
  blocked or removed (my_chat_member) call hooks that update stored subscriptions.

Logs name update kinds and outcomes, never texts, names or ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bots.telegram.transport import PLATFORM, TelegramTransport, retry_after_seconds
from core.conversation.context import Context
from core.conversation.request import Attachment, GeoPoint, Request
from core.conversation.router import Conversation, error_reply, resolve_command
from core.errors import ValidationError
from core.i18n import translate
from core.outbound import Address
from core.replies import Button, Reply
from core.services import Services

log = logging.getLogger(__name__)

ADMIN_TTL_SECONDS = 60.0
DEEP_LINK_TTL_SECONDS = 15 * 60.0
MAX_INTERACTIVE_RETRY_SECONDS = 30.0
ALERT_LIMIT = 200  # answerCallbackQuery text
IMPORT_COMMAND = "import"
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_COMMAND = re.compile(r"/(\S+)\s*(.*)", re.DOTALL)

#: (old chat id, new chat id) after a group became a supergroup.
MigrateHook = Callable[[str, str], Awaitable[None]]
#: chat id the bot can no longer write to (blocked in private, removed from a group).
RemovedHook = Callable[[str], Awaitable[None]]


def parse_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """'/Meetings@MyBot women  today' → ('meetings', 'women  today'); None if the text is not
    a command or is addressed to another bot."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    head, rest = match.group(1), match.group(2)
    name, _, target = head.partition("@")
    if not name:
        return None
    if target and (bot_username is None or target.lower() != bot_username.lower()):
        return None
    return name.lower(), rest.strip()


@dataclass(frozen=True, slots=True)
class _Pending:
    user_id: str
    command: str | None
    args: str
    action: str | None
    expires: float


class DeepLinks:
    """Short-lived tokens for "continue in private" links (t.me/<bot>?start=<token>). The
    token is random and carries nothing; the original command stays in memory only, bound to
    the member who sent it, and is used once."""

    def __init__(self, ttl: float = DEEP_LINK_TTL_SECONDS, max_size: int = 10_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._pending: OrderedDict[str, _Pending] = OrderedDict()

    def create(self, request: Request) -> str:
        now = time.monotonic()
        while self._pending:
            oldest = next(iter(self._pending.values()))
            if oldest.expires > now and len(self._pending) < self.max_size:
                break
            self._pending.popitem(last=False)
        token = secrets.token_urlsafe(9)  # 12 characters of [A-Za-z0-9_-]
        self._pending[token] = _Pending(
            request.user_id, request.command, request.args, request.action, now + self.ttl
        )
        return token

    def take(self, token: str, user_id: str) -> _Pending | None:
        pending = self._pending.get(token)
        if pending is None or pending.user_id != user_id:
            return None
        del self._pending[token]
        return pending if pending.expires > time.monotonic() else None


class AdminCache:
    """getChatMember results, kept briefly (admins change rarely; commands come in bursts)."""

    def __init__(self, ttl: float = ADMIN_TTL_SECONDS, max_size: int = 4096) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._entries: OrderedDict[tuple[int, int], tuple[float, bool]] = OrderedDict()

    def get(self, chat_id: int, user_id: int) -> bool | None:
        entry = self._entries.get((chat_id, user_id))
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, chat_id: int, user_id: int, admin: bool) -> None:
        self._entries[(chat_id, user_id)] = (time.monotonic() + self.ttl, admin)
        self._entries.move_to_end((chat_id, user_id))
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def forget_chat(self, chat_id: int) -> None:
        for key in [k for k in self._entries if k[0] == chat_id]:
            del self._entries[key]


class FileTooBig(Exception):
    """A document over config.import_max_bytes (it is not downloaded)."""

    def __init__(self, request: Request) -> None:
        super().__init__("document over the import size limit")
        self.request = request


async def _answer(
    query: CallbackQuery, text: str | None = None, *, url: str | None = None, alert: bool = False
) -> None:
    """answerCallbackQuery; a query that is too old to answer is not worth failing for."""
    with contextlib.suppress(BadRequest):
        await query.answer(text, show_alert=alert or None, url=url)


def _thread_id(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


class TelegramHandlers:
    """The PTB callbacks. `on_migrate` / `on_removed` default to updating subscriptions."""

    def __init__(
        self,
        services: Services,
        transport: TelegramTransport,
        *,
        conversation: Conversation | None = None,
        on_migrate: MigrateHook | None = None,
        on_removed: RemovedHook | None = None,
    ) -> None:
        self.services = services
        self.transport = transport
        self.conversation = conversation or Conversation(services)
        self.admins = AdminCache()
        self.deep_links = DeepLinks()
        self.on_migrate: MigrateHook = on_migrate or self.migrate_subscriptions
        self.on_removed: RemovedHook = on_removed or self.deactivate_subscriptions

    @property
    def bot_username(self) -> str | None:
        try:
            return self.transport.bot.username
        except RuntimeError:  # not initialized (no getMe yet)
            return None

    # -- PTB callbacks ------------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        if message.migrate_to_chat_id:
            self.admins.forget_chat(message.chat.id)
            await self.on_migrate(str(message.chat.id), str(message.migrate_to_chat_id))
            return
        try:
            request = await self.request_for(message)
        except FileTooBig as too_big:
            request = too_big.request
            reply: Reply | None = await self._too_big_reply(request)
        else:
            if request is None:
                return
            reply = await self.conversation.handle(request)
        if reply is None:
            return
        await self.respond(message, request, reply)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        if message is None or not query.data:  # inline-mode messages: not ours
            await _answer(query)
            return
        chat = message.chat
        user = query.from_user
        request = Request(
            platform=PLATFORM,
            user_id=str(user.id),
            chat_id=str(chat.id),
            community_id=str(chat.id) if chat.type in GROUP_TYPES else None,
            locale=user.language_code,
            is_admin=await self.is_admin(chat, user, None),
            action=query.data,
            local_times=True,  # tg-time entities show each member their own time
            thread_id=(
                str(message.message_thread_id)
                if isinstance(message, Message) and message.is_topic_message
                else None
            ),
        )
        try:
            reply = await self.conversation.handle(request)
        except Exception:
            await _answer(query)
            raise
        private_chat = chat.type == ChatType.PRIVATE
        if reply is None:
            await _answer(query)
            return
        if reply.continue_in_private and not private_chat and self.bot_username:
            await _answer(query, url=self.deep_link(request))
            return
        if reply.error and len(reply.text()) <= ALERT_LIMIT:
            # A button's error is for whoever pressed it: an alert, not a message to the chat.
            await _answer(query, reply.text(), alert=True)
            return
        await _answer(query)
        thread = int(request.thread_id) if request.thread_id else None
        if reply.edit and isinstance(message, Message):
            try:
                await self._with_retry(
                    lambda: self.transport.edit(
                        chat.id,
                        message.message_id,
                        reply,
                        private_chat=private_chat,
                        thread_id=thread,
                    )
                )
                return
            except BadRequest:
                pass  # too old or no longer editable: send it as a new message instead
        await self._with_retry(
            lambda: self.transport.deliver(
                chat.id, reply, private_chat=private_chat, thread_id=thread
            )
        )

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was blocked by a member, or removed from a group."""
        change = update.my_chat_member
        if change is None:
            return
        if change.new_chat_member.status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            self.admins.forget_chat(change.chat.id)
            await self.on_removed(str(change.chat.id))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure's type only: an exception's text may quote the message."""
        error = context.error
        if isinstance(error, Forbidden):
            log.info("telegram: cannot reply in that chat (forbidden)")
            return
        where = ""
        if error is not None and error.__traceback__ is not None:
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        log.error("telegram handler failed: %s%s", type(error).__name__, where)

    # -- Update → Request ---------------------------------------------------------------------

    async def request_for(self, message: Message) -> Request | None:
        """The Request for a new message, or None when it is not for the bot."""
        chat, user = message.chat, message.from_user
        if user is None or chat.type == ChatType.CHANNEL:
            return None
        anonymous_admin = message.sender_chat is not None and message.sender_chat.id == chat.id
        if user.is_bot and not anonymous_admin:
            return None
        private = chat.type == ChatType.PRIVATE
        base = Request(
            platform=PLATFORM,
            user_id=str(user.id),
            chat_id=str(chat.id),
            community_id=None if private else str(chat.id),
            locale=user.language_code,
            thread_id=str(message.message_thread_id) if message.is_topic_message else None,
            local_times=True,  # tg-time entities show each member their own time
        )
        if message.location is not None:
            point = GeoPoint(message.location.latitude, message.location.longitude)
            return replace(base, location=point, is_admin=await self.is_admin(chat, user, message))
        text = message.text if message.text is not None else message.caption
        parsed = parse_command(text or "", self.bot_username)
        if parsed is None:
            if private and message.text and message.text.strip():
                return replace(base, text=message.text)
            return None
        command, args = parsed
        request = replace(
            base, command=command, args=args, is_admin=await self.is_admin(chat, user, message)
        )
        if private and command == "start" and args:
            return self._from_deep_link(request)
        if message.document is not None and command == IMPORT_COMMAND:
            return await self._with_document(request, message)
        return request

    def _from_deep_link(self, request: Request) -> Request:
        pending = self.deep_links.take(request.args.split()[0], request.user_id)
        if pending is None:
            return replace(request, args="")
        return replace(request, command=pending.command, args=pending.args, action=pending.action)

    async def _with_document(self, request: Request, message: Message) -> Request:
        """Attach the document's bytes when the command may use them (size-capped)."""
        document = message.document
        assert document is not None
        spec = resolve_command(IMPORT_COMMAND)
        if spec is None or (spec.admin and not request.is_admin):
            return request  # the core answers (unknown command / admins only): no download
        cap = self.services.config.import_max_bytes
        if document.file_size is not None and document.file_size > cap:
            raise FileTooBig(request)
        try:
            file = await document.get_file()
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:  # "file is too big": over the Bot API's own download limit
            raise FileTooBig(request) from exc
        if len(data) > cap:
            raise FileTooBig(request)
        return replace(request, attachment=Attachment(document.file_name or "upload", data))

    async def is_admin(self, chat: Chat, user: User, message: Message | None) -> bool:
        """Creator or administrator of this group (anonymous admins included)."""
        if chat.type not in GROUP_TYPES:
            return False
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id
        cached = self.admins.get(chat.id, user.id)
        if cached is not None:
            return cached
        try:
            member = await self.transport.bot.get_chat_member(chat.id, user.id)
        except TelegramError:
            return False
        admin = member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
        self.admins.put(chat.id, user.id, admin)
        return admin

    # -- Reply → Telegram ---------------------------------------------------------------------

    def deep_link(self, request: Request) -> str:
        return f"https://t.me/{self.bot_username}?start={self.deep_links.create(request)}"

    async def respond(self, message: Message, request: Request, reply: Reply) -> None:
        private_chat = request.is_private
        if reply.continue_in_private and not private_chat and self.bot_username:
            label = translate("privacy.button_continue", reply.lang, bot=self.bot_username)
            button = Button(label, url=self.deep_link(request))
            reply = replace(reply, buttons=[*reply.buttons, [button]])
        await self._with_retry(
            lambda: self.transport.deliver(
                message.chat.id,
                reply,
                private_chat=private_chat,
                thread_id=_thread_id(message),
                reply_to=None if private_chat else message.message_id,
            )
        )

    async def _too_big_reply(self, request: Request) -> Reply:
        ctx = await Context.build(request, self.services)
        limit = self.services.config.import_max_bytes
        return error_reply(
            ctx,
            ValidationError(
                "file",
                f"the file is larger than the limit of {limit:,} bytes",
                key="error.import_too_big",
                megabytes=f"{limit / 1_000_000:g}",
            ),
        )

    async def _with_retry(self, send: Callable[[], Awaitable[object]]) -> None:
        """Answer a member even after a 429: wait as told (bounded) and try once more."""
        try:
            await send()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if wait > MAX_INTERACTIVE_RETRY_SECONDS:
                raise
            await asyncio.sleep(wait)
            await send()

    # -- platform events → storage ------------------------------------------------------------

    async def migrate_subscriptions(self, old_chat_id: str, new_chat_id: str) -> None:
        moved = await self.services.migrate_community(PLATFORM, old_chat_id, new_chat_id)
        log.info("telegram group migrated to a supergroup: %d rows moved", moved)

    async def deactivate_subscriptions(self, chat_id: str) -> None:
        stopped = await self.services.subscriptions.deactivate_address(
            Address(PLATFORM, chat_id)
        )
        log.info("telegram chat unreachable: %d subscriptions deactivated", stopped)
