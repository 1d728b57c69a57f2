"""The neutral side of unprompted messages: where they go (`Address`), what they carry
(`OutboundMessage`), how a platform answers (`SendResult`) and the adapter port (`Transport`).

Adapters implement `Transport`; the delivery engine reacts to the result without knowing the
platform (deactivate on blocked, back off on retry_after, follow a migrated chat, retry failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.reflections import Reflection
    from core.replies import Reply
    from core.subscriptions import Milestone


@dataclass(frozen=True, slots=True)
class Address:
    """A platform chat (and optionally a thread/topic in it); only opaque platform ids."""

    platform: str
    chat_id: str
    thread_id: str | None = None

    def with_chat(self, chat_id: str) -> Address:
        return Address(self.platform, chat_id, self.thread_id)


class MessageKind(StrEnum):
    REFLECTION = "reflection"
    REMINDER = "reminder"
    MILESTONE = "milestone"
    NOTICE = "notice"  # a heads-up about a changed sitting (core.schedule_notices), not a row kind


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """What to say, not how: the conversation layer (or the transport) renders it.

    reflection: `reflection` (+ `neutral_steps`); reminder: `meeting_slug`, `occurrence_start`
    (aware, in the meeting's zone) and `minutes_before`; milestone: `milestone` and
    `sober_days`; notice: `meeting_slug`, and `local_date` is the scheduled date (meeting's
    zone) of the sitting that changed. Otherwise `local_date` is the member's date the message
    is for; `timezone` is their zone (for showing times)."""

    kind: MessageKind
    language: str
    subscription_id: int
    local_date: date
    timezone: str
    reflection: Reflection | None = None
    neutral_steps: bool = False
    meeting_slug: str | None = None
    occurrence_start: datetime | None = None
    minutes_before: int | None = None
    milestone: Milestone | None = None
    sober_days: int | None = None


class SendKind(StrEnum):
    OK = "ok"
    BLOCKED = "blocked"  # the bot was blocked, kicked, or cannot message this chat any more
    RETRY_AFTER = "retry_after"  # rate limited by the platform: wait `retry_after` seconds
    MIGRATED = "migrated"  # the chat moved (Telegram group → supergroup): use `new_chat_id`
    FAILED = "failed"  # anything else; retried a few times with backoff


@dataclass(frozen=True, slots=True)
class SendResult:
    kind: SendKind
    retry_after: float = 0.0
    new_chat_id: str | None = None
    reason: str = ""

    @classmethod
    def ok(cls) -> SendResult:
        return _OK

    @classmethod
    def blocked(cls, reason: str = "") -> SendResult:
        return cls(SendKind.BLOCKED, reason=reason)

    @classmethod
    def retry(cls, seconds: float) -> SendResult:
        return cls(SendKind.RETRY_AFTER, retry_after=max(0.0, float(seconds)))

    @classmethod
    def migrated(cls, new_chat_id: str) -> SendResult:
        return cls(SendKind.MIGRATED, new_chat_id=str(new_chat_id))

    @classmethod
    def failed(cls, reason: str = "") -> SendResult:
        return cls(SendKind.FAILED, reason=reason)


_OK = SendResult(SendKind.OK)


class Transport(Protocol):
    """One platform's outbound port. `send` must not raise for platform errors: it maps
    them to a SendResult (an exception is treated as `failed`)."""

    platform: str

    async def send(self, address: Address, message: OutboundMessage | Reply) -> SendResult: ...

    async def admin_addresses(self, community_id: str) -> list[Address]:
        """Private chats with the admins of a community (for change reports); [] when the
        platform cannot tell or the bot may not write to them. Never raises."""
        ...
