"""Sending to Telegram: one place that turns a Reply into Bot API calls (used by the
interactive handlers and by the delivery engine) and maps Telegram's errors to the core's
SendResult (ok | blocked | retry_after | migrated | failed).

Never logs message text, chat ids or the token: only the kind of outcome.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bots.telegram.render import RenderedReply, render_reply
from core.change_reports import register_profile_link
from core.outbound import Address, OutboundMessage, SendResult
from core.replies import Reply

log = logging.getLogger(__name__)

PLATFORM = "telegram"
CAPTION_LIMIT = 1024
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

#: Turns an unprompted message into a Reply (None: nothing to send any more); may be a plain
#: function or a coroutine function (the Discord adapter's `Compose` fits too).
Composer = Callable[[OutboundMessage], Reply | None | Awaitable[Reply | None]]

# Bad Request descriptions meaning "this chat cannot receive our messages any more".
_UNREACHABLE = (
    "chat not found",
    "bot was kicked",
    "bot is not a member",
    "not enough rights to send",
    "have no rights to send",
    "chat_write_forbidden",
    "user is deactivated",
    "peer_id_invalid",
    "group chat was deactivated",
)


def retry_after_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB_TIMEDELTA: accept
    both (and never trigger the deprecation warning of the int form)."""
    raw: object = getattr(exc, "_retry_after", None)
    if raw is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = exc.retry_after
    if isinstance(raw, timedelta):
        return raw.total_seconds()
    return float(raw)  # type: ignore[arg-type]


def classify(exc: TelegramError) -> SendResult:
    """The core's view of a Bot API error."""
    if isinstance(exc, RetryAfter):
        return SendResult.retry(retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return SendResult.migrated(str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return SendResult.blocked("forbidden")
    if isinstance(exc, BadRequest):  # a NetworkError subclass: test it first
        description = exc.message.lower()
        for marker in _UNREACHABLE:
            if marker in description:
                return SendResult.blocked(marker)
        return SendResult.failed("bad_request")
    if isinstance(exc, TimedOut):
        return SendResult.failed("timed_out")
    if isinstance(exc, NetworkError):
        return SendResult.failed("network")
    return SendResult.failed(type(exc).__name__)


register_profile_link(PLATFORM, "tg://user?id={id}")

class TelegramTransport:
    """The Telegram side of `core.outbound.Transport`, plus the reply/edit helpers the
    interactive handlers use. `compose` renders OutboundMessages (see `Composer`)."""

    platform = PLATFORM

    def __init__(self, bot: Bot, compose: Composer) -> None:
        self.bot = bot
        self.compose: Composer = compose

    # -- the delivery engine's port -----------------------------------------------------------

    async def send(self, address: Address, message: OutboundMessage | Reply) -> SendResult:
        """Send an unprompted message; never raises for platform errors."""
        if isinstance(message, Reply):
            reply: Reply | None = message
        else:
            try:
                composed = self.compose(message)
                reply = await composed if inspect.isawaitable(composed) else composed
            except LookupError:
                return SendResult.failed("no_composer")
        if reply is None:
            return SendResult.ok()
        try:
            chat_id = int(address.chat_id)
            thread_id = int(address.thread_id) if address.thread_id else None
        except ValueError:
            return SendResult.blocked("invalid_address")
        try:
            await self.deliver(chat_id, reply, private_chat=chat_id > 0, thread_id=thread_id)
        except TelegramError as exc:
            result = classify(exc)
            log.info("telegram send: %s (%s)", result.kind.value, result.reason)
            return result
        return SendResult.ok()

    async def admin_addresses(self, community_id: str) -> list[Address]:
        """The group's human admins, privately (reaching one needs them to have started the
        bot; those who have not answer 'blocked')."""
        try:
            members = await self.bot.get_chat_administrators(int(community_id))
        except (TelegramError, ValueError) as exc:
            log.info("telegram admins: %s", type(exc).__name__)
            return []
        return [Address(PLATFORM, str(m.user.id)) for m in members if not m.user.is_bot]

    # -- replies ------------------------------------------------------------------------------

    async def deliver(
        self,
        chat_id: int,
        reply: Reply,
        *,
        private_chat: bool,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[Message]:
        """Send a Reply as new message(s), then its files. Raises TelegramError."""
        rendered = render_reply(reply, private_chat=private_chat)
        return await self._send_rendered(chat_id, rendered, thread_id=thread_id, reply_to=reply_to)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        reply: Reply,
        *,
        private_chat: bool,
        thread_id: int | None = None,
    ) -> list[Message]:
        """Replace the text and inline keyboard of message `message_id` with the Reply (pages,
        filters, confirmations). Parts that do not fit one message are sent after it.
        Raises TelegramError (BadRequest if the message cannot be edited)."""
        rendered = render_reply(reply, private_chat=private_chat)
        keyboard = rendered.keyboard
        if not rendered.messages or (
            keyboard is not None and not isinstance(keyboard, InlineKeyboardMarkup)
        ):
            return await self._send_rendered(chat_id, rendered, thread_id=thread_id)
        first, rest = rendered.messages[0], rendered.messages[1:]
        sent: list[Message] = []
        try:
            edited = await self.bot.edit_message_text(
                first,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=None if rest else keyboard,
                link_preview_options=NO_PREVIEW,
            )
            if isinstance(edited, Message):
                sent.append(edited)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        remaining = RenderedReply(
            rest, keyboard if rest else None, rendered.files, rendered.location_prompt
        )
        sent += await self._send_rendered(chat_id, remaining, thread_id=thread_id)
        return sent

    async def _send_rendered(
        self,
        chat_id: int,
        rendered: RenderedReply,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[Message]:
        sent: list[Message] = []
        last = len(rendered.messages) - 1
        for index, text in enumerate(rendered.messages):
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=rendered.keyboard if index == last else None,
                    message_thread_id=thread_id,
                    reply_parameters=(
                        ReplyParameters(reply_to, allow_sending_without_reply=True)
                        if reply_to is not None and index == 0
                        else None
                    ),
                    link_preview_options=NO_PREVIEW,
                )
            )
        if rendered.location_prompt is not None:
            text, keyboard = rendered.location_prompt
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    message_thread_id=thread_id,
                )
            )
        for file in rendered.files:
            sent.append(
                await self.bot.send_document(
                    chat_id,
                    document=file.data,
                    filename=file.filename,
                    caption=(file.description or "")[:CAPTION_LIMIT] or None,
                    message_thread_id=thread_id,
                )
            )
        return sent
