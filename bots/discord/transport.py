"""Outbound delivery on Discord (core.outbound.Transport): daily reflections posted into the
channel a server subscribed, personal ones into the DM channel of the member who asked (the
address's chat_id is always a channel id: a server channel or the member's DM channel).

Platform answers → SendResult: 403 (50007 cannot DM this user, 50001 missing access, 50013
missing permissions) and a deleted channel/user (404 10003/10013) → blocked, so the delivery
engine deactivates the subscription; 429 → retry_after (discord.py itself waits out short
limits and raises RateLimited beyond the client's max_ratelimit_timeout); anything else → failed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord

from bots.discord.render import render_reply
from core.change_reports import register_profile_link
from core.outbound import Address, OutboundMessage, SendKind, SendResult
from core.replies import Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
GONE_CODES = frozenset({10003, 10013})  # Unknown Channel, Unknown User
DEFAULT_RETRY_SECONDS = 5.0

register_profile_link(PLATFORM, "https://discord.com/users/{id}")

Compose = Callable[[OutboundMessage], Reply | None | Awaitable[Reply | None]]


class DiscordTransport:
    """`send(address, message) -> SendResult`; never raises for platform errors."""

    platform = PLATFORM

    def __init__(self, client: discord.Client, compose: Compose) -> None:
        self.client = client
        self.compose: Compose = compose

    async def send(self, address: Address, message: OutboundMessage | Reply) -> SendResult:
        """Send an unprompted message (composed from an OutboundMessage, or a ready Reply)."""
        if isinstance(message, Reply):
            reply: Reply | None = message
        else:
            composed = self.compose(message)
            reply = await composed if inspect.isawaitable(composed) else composed
        if reply is None:
            return SendResult.ok()  # nothing to say
        try:
            channel_id = int(address.thread_id or address.chat_id)
        except ValueError:
            return SendResult.blocked("invalid_address")
        result = await self.send_reply(channel_id, reply)
        if result.kind is not SendKind.OK:
            log.info("discord send: %s (%s)", result.kind.value, result.reason)
        return result

    async def admin_addresses(self, community_id: str) -> list[Address]:
        """The server owner's DM channel (other admins are only known with the privileged
        members intent; a server that wants them all sets a reports channel)."""
        try:
            guild = self.client.get_guild(int(community_id)) or await self.client.fetch_guild(
                int(community_id))
            if guild.owner_id is None:
                return []
            dm = await self.client.create_dm(discord.Object(id=guild.owner_id))
        except (discord.HTTPException, ValueError, TimeoutError, aiohttp.ClientError) as exc:
            log.info("discord admins: %s", type(exc).__name__)
            return []
        return [Address(PLATFORM, str(dm.id))]

    async def send_reply(self, channel_id: int, reply: Reply) -> SendResult:
        """Post a rendered Reply into a channel (server channel, thread or DM channel)."""
        rendered = render_reply(reply)
        channel = self.client.get_partial_messageable(channel_id)
        try:
            await channel.send(**rendered.send_kwargs())
        except discord.RateLimited as exc:
            return SendResult.retry(exc.retry_after)
        except discord.Forbidden as exc:
            return SendResult.blocked(f"{exc.status}/{exc.code}")
        except discord.NotFound as exc:
            if exc.code in GONE_CODES:
                return SendResult.blocked(f"{exc.status}/{exc.code}")
            return SendResult.failed(f"{exc.status}/{exc.code}")
        except discord.HTTPException as exc:
            if exc.status == 429:
                return SendResult.retry(_retry_after(exc))
            return SendResult.failed(f"{exc.status}/{exc.code}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return SendResult.failed(type(exc).__name__)
        return SendResult.ok()


def _retry_after(exc: discord.HTTPException) -> float:
    """discord.py gave up retrying a 429 (after several tries): back off a little."""
    value: Any = getattr(exc, "retry_after", None)
    try:
        return max(float(value), 0.0) if value is not None else DEFAULT_RETRY_SECONDS
    except (TypeError, ValueError):
        return DEFAULT_RETRY_SECONDS
