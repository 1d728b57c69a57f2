"""The bridge between Discord interactions and the neutral conversation: build the Request,
ask core.conversation, show the Reply. Nothing here decides what to say.

Two platform translations live here:

* ``continue_in_private``: on Discord an ephemeral reply *is* a private conversation (only the
  member sees it), so when the conversation asks to continue in private the same request is
  asked again as a private one (community none, chat = the member's DM channel with the bot)
  and the answer is shown ephemerally where the member asked.
* ownership of buttons: a message answering someone's interaction can only be driven (paged,
  filtered, confirmed) by that person; a message without an owner (a channel post) by anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import Any

import discord

from bots.discord.render import COLOUR_DEFAULT, NO_MENTIONS, render_reply
from core.conversation.context import Context
from core.conversation.request import Request
from core.conversation.router import Conversation
from core.i18n import normalize_language, translate
from core.replies import Reply
from core.services import Services

log = logging.getLogger(__name__)

PLATFORM = "discord"
AUTO_DEFER_SECONDS = 2.0  # Discord allows 3 s before the first answer


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Manage Server (or Administrator) in this guild; never in a DM."""
    if interaction.guild_id is None:
        return False
    perms = interaction.permissions
    return bool(perms.administrator or perms.manage_guild)


async def apologise(interaction: discord.Interaction[Any]) -> None:
    """Tell the member something went wrong (if the interaction can still be answered)."""
    if interaction.is_expired():
        return
    lang = normalize_language(interaction.locale.value) or "en"
    embed = discord.Embed(
        description=translate("error.unexpected", lang), colour=discord.Colour.red()
    )
    response = interaction.response
    with contextlib.suppress(discord.HTTPException):
        if not response.is_done():
            await response.send_message(embed=embed, ephemeral=True)
        elif response.type in (
            discord.InteractionResponseType.deferred_channel_message,
            discord.InteractionResponseType.deferred_message_update,
        ):
            await interaction.followup.send(embed=embed, ephemeral=True)


class Bridge:
    """One per client. ``request()`` builds Requests; ``run()`` answers a slash command;
    ``on_component()`` answers a button or select click."""

    def __init__(self, services: Services, conversation: Conversation | None = None) -> None:
        self.services = services
        self.conversation = conversation or Conversation(services)

    # ------------------------------------------------------------------ requests

    def request(self, interaction: discord.Interaction[Any], **fields: Any) -> Request:
        """The Request for this interaction (who, where, locale, admin) plus `fields`."""
        guild_id = interaction.guild_id
        return Request(
            platform=PLATFORM,
            user_id=str(interaction.user.id),
            chat_id=str(interaction.channel_id or interaction.user.id),
            community_id=str(guild_id) if guild_id is not None else None,
            locale=interaction.locale.value if interaction.locale else None,
            is_admin=is_admin(interaction),
            local_times=True,  # <t:…> timestamps show every reader their own time
            **fields,
        )

    async def private_request(
        self, interaction: discord.Interaction[Any], request: Request
    ) -> Request:
        """The same request as if sent in the member's DM with the bot."""
        if request.is_private:
            return request
        dm = interaction.user.dm_channel or await interaction.user.create_dm()
        return replace(request, community_id=None, chat_id=str(dm.id), is_admin=False)

    async def language(self, interaction: discord.Interaction[Any]) -> str:
        """The language the conversation would answer this member in."""
        ctx = await Context.build(self.request(interaction), self.services)
        return ctx.lang

    # ------------------------------------------------------------------ answering

    async def _converse(
        self, interaction: discord.Interaction[Any], request: Request
    ) -> Reply | None:
        reply = await self.conversation.handle(request)
        if reply is not None and reply.continue_in_private and not request.is_private:
            private = await self.private_request(interaction, request)
            reply = await self.conversation.handle(private)
            if reply is not None:
                reply.private = True
        return reply

    async def _converse_in_time(
        self, interaction: discord.Interaction[Any], request: Request, *, component: bool
    ) -> Reply | None:
        """Ask the conversation; if it takes long, defer so the interaction stays alive."""
        task = asyncio.ensure_future(self._converse(interaction, request))
        done, _ = await asyncio.wait({task}, timeout=AUTO_DEFER_SECONDS)
        if not done and not interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                if component:
                    await interaction.response.defer()
                else:
                    # The answer's visibility is unknown yet: private is the safe default.
                    await interaction.response.defer(ephemeral=True, thinking=True)
        return await task

    async def run(
        self, interaction: discord.Interaction[Any], request: Request, *, defer: bool = False
    ) -> None:
        """Answer a slash command. `defer` first for slow work (import, export)."""
        if defer and not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await self._converse_in_time(interaction, request, component=False)
        await self.respond(interaction, reply, component=False)

    async def allow_component(self, interaction: discord.Interaction[Any]) -> bool:
        """Only the member who asked drives the buttons of an answer to them."""
        message = interaction.message
        meta = message.interaction_metadata if message is not None else None
        if meta is None or meta.user.id == interaction.user.id:
            return True
        lang = await self.language(interaction)
        await interaction.response.send_message(
            embed=discord.Embed(
                description=translate("discord.not_yours", lang or "en"), colour=COLOUR_DEFAULT
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        return False

    async def on_component(self, interaction: discord.Interaction[Any], token: str | None) -> None:
        if not token:
            await interaction.response.defer()
            return
        try:
            request = self.request(interaction, action=token)
            reply = await self._converse_in_time(interaction, request, component=True)
            await self.respond(interaction, reply, component=True)
        except Exception as exc:  # never a traceback to the member, never the token's text
            log.error("button failed: %s", type(exc).__name__, exc_info=exc)
            await apologise(interaction)

    async def respond(
        self, interaction: discord.Interaction[Any], reply: Reply | None, *, component: bool
    ) -> None:
        """Show `reply`: edit the clicked message in place, answer, or follow up."""
        response = interaction.response
        if reply is None:
            if not response.is_done():
                if component:
                    await response.defer()
                else:
                    await response.defer(ephemeral=True, thinking=True)
                    await interaction.delete_original_response()
            return
        rendered = render_reply(reply)
        message = interaction.message if component else None
        if (
            message is not None
            and reply.edit
            and (
                # Private content never replaces a message everyone in a channel can see.
                not rendered.ephemeral or message.flags.ephemeral or interaction.guild_id is None
            )
        ):
            if not response.is_done():
                await response.edit_message(**rendered.edit_kwargs())
            else:
                await interaction.edit_original_response(**rendered.edit_kwargs())
            return
        if not response.is_done():
            await response.send_message(**rendered.send_kwargs(), ephemeral=rendered.ephemeral)
        else:
            await interaction.followup.send(**rendered.send_kwargs(), ephemeral=rendered.ephemeral)
