"""The Discord client and its runner component.

`build_bot(services)` builds the client with its CommandTree, translator and button routing
without connecting (tests and `stepbot discord sync` use it); `build_adapter(services, token)`
is what `stepbot run` starts: log in, connect to the gateway with minimal intents (no message
content: everything arrives as interactions), close on stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import discord
from discord import app_commands

from bots.discord.commands import build_commands
from bots.discord.events import EventSync
from bots.discord.interactions import Bridge, apologise
from bots.discord.render import NO_MENTIONS, ActionItem
from bots.discord.translator import StepbotTranslator
from bots.discord.transport import Compose, DiscordTransport
from core.config import Config
from core.conversation.outbound import OutboundComposer
from core.services import Services

log = logging.getLogger(__name__)

# Rate limits longer than this raise RateLimited (the delivery engine backs off) instead of
# blocking a send; 30 s is discord.py's minimum.
MAX_RATELIMIT_WAIT = 30.0


class _RedactTokens(logging.Filter):
    """discord.py logs request URLs on rate limits; webhook/interaction URLs carry a token."""

    _TOKEN_URL = re.compile(r"(/(?:webhooks|interactions)/\d+/)[^/\s]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN_URL.sub(r"\1<token>", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


_REDACT = _RedactTokens()


def minimal_intents() -> discord.Intents:
    """Guilds only: slash commands, buttons and autocomplete are interactions, which need no
    intent; the guild cache lets discord.py resolve channels. No message content."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class StepbotClient(discord.Client):
    """discord.Client + CommandTree; `stepbot` is the bridge to the conversation."""

    def __init__(self, services: Services, config: Config | None = None, **options: Any) -> None:
        options.setdefault("intents", minimal_intents())
        options.setdefault("allowed_mentions", NO_MENTIONS)
        options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
        super().__init__(**options)
        self.services = services
        self.config = config or services.config
        self.stepbot = Bridge(services)
        self.tree: app_commands.CommandTree[StepbotClient] = app_commands.CommandTree(self)
        for command in build_commands(self.stepbot):
            self.tree.add_command(command)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        logging.getLogger("discord.http").addFilter(_REDACT)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(StepbotTranslator())
        # Any button or select stepbot ever sent is routed by custom_id, also after a restart.
        self.add_dynamic_items(ActionItem)

    async def _on_tree_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Never a traceback to the member, never the message text in the log."""
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("slash command /%s failed: %s", command, type(error).__name__, exc_info=error)
        await apologise(interaction)


def build_bot(services: Services, config: Config | None = None, **options: Any) -> StepbotClient:
    """The client with every command, the Spanish translator and button routing; not
    connected (call `login` for HTTP only, or `start` for the gateway too)."""
    return StepbotClient(services, config, **options)


class DiscordAdapter:
    """The runner component: `start()` logs in and connects; `stop()` closes.

    `transport` delivers subscriptions (channel posts and DMs) through the same client."""

    name = "discord"

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        client: StepbotClient | None = None,
        compose: Compose | None = None,
    ) -> None:
        self.client = client or build_bot(services)
        self.transport = DiscordTransport(self.client, compose or OutboundComposer(services))
        self.events = EventSync(self.client, services)
        self.__token = token
        self._task: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:  # never show the token
        return "DiscordAdapter()"

    async def start(self) -> None:
        await self.client.login(self.__token)
        self._task = asyncio.create_task(
            self.client.connect(reconnect=True), name="discord-gateway"
        )
        self._task.add_done_callback(_report_gateway_end)
        self._events_task = asyncio.create_task(self._events_when_ready(),
                                                name="discord-events")

    async def _events_when_ready(self) -> None:
        """Scheduled events are reconciled once the guild cache is filled."""
        await self.client.wait_until_ready()
        await self.events.run()

    async def stop(self) -> None:
        if self._events_task is not None:
            self._events_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._events_task
            self._events_task = None
        await self.client.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None


def _report_gateway_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        exc = task.exception()
        log.error("discord gateway stopped: %s", type(exc).__name__)


def build_adapter(services: Services, token: str) -> DiscordAdapter:
    """The factory `stepbot run` calls when DISCORD_TOKEN is set."""
    return DiscordAdapter(services, token)
