"""The Discord adapter (discord.py 2.7): slash commands, autocomplete, buttons and channel
posts, translating between Discord interactions and the neutral conversation in
core.conversation. See bots/discord/README.md to run it."""

from bots.discord.bot import DiscordAdapter, StepbotClient, build_adapter, build_bot

__all__ = ["DiscordAdapter", "StepbotClient", "build_adapter", "build_bot"]
