"""`stepbot discord sync [--guild [ID]]`: register the slash commands (with their Spanish names)
with Discord. Run it after installing or upgrading, not on every start: it logs in over HTTP
only (no gateway) and replaces the application's command list.

Global commands can take a while to appear everywhere; `--guild ID` (or `--guild` alone, with
`[discord] dev_guild_id` in config.toml) registers them in one server at once, for testing;
`--clear` removes them again (from that server, or globally without `--guild`).
"""

from __future__ import annotations

import argparse
import os

from bots.cli import CliError
from core.services import Services

TOKEN_ENV = "DISCORD_TOKEN"
_FROM_CONFIG = -1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    discord_parser = sub.add_parser("discord", help="Discord bot maintenance")
    commands = discord_parser.add_subparsers(dest="discord_command", required=True)
    sync = commands.add_parser(
        "sync", help="register the slash commands with Discord (needs DISCORD_TOKEN)"
    )
    sync.add_argument(
        "--guild",
        type=int,
        nargs="?",
        const=_FROM_CONFIG,
        metavar="ID",
        help="only this server, at once (default ID: [discord] dev_guild_id)",
    )
    sync.add_argument(
        "--clear",
        action="store_true",
        help="remove the commands instead (e.g. a test server's copies)",
    )
    sync.set_defaults(handler=discord_sync)


def _guild_id(args: argparse.Namespace, services: Services) -> int | None:
    guild: int | None = args.guild
    if guild == _FROM_CONFIG:
        configured = services.config.discord.get("dev_guild_id")
        if not configured:
            raise CliError("--guild needs an ID (or [discord] dev_guild_id in config.toml)")
        guild = int(configured)
    return guild


async def discord_sync(args: argparse.Namespace, services: Services) -> int:
    import discord

    from bots.discord.bot import build_bot

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise CliError(
            f"{TOKEN_ENV} is not set: put the bot token from the Discord developer "
            "portal (Bot → Reset Token) in the environment"
        )
    guild_id = _guild_id(args, services)
    client = build_bot(services)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure as exc:
            raise CliError(f"Discord refused the token in {TOKEN_ENV}") from exc
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if getattr(args, "clear", False):
            client.tree.clear_commands(guild=guild)
        elif guild is not None:
            client.tree.copy_global_to(guild=guild)
        try:
            synced = await client.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            raise CliError(f"Discord refused the commands ({exc.status}/{exc.code})") from exc
    finally:
        await client.close()
    where = f"server {guild_id}" if guild_id is not None else "every server (global)"
    print(f"Synced {len(synced)} commands to {where}: " + ", ".join(f"/{c.name}" for c in synced))
    return 0
