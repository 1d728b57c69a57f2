"""The command menu (setMyCommands), from the core's listed commands, in English (the
default for every language) and Spanish. Written only when Telegram's copy differs, so a
restart costs a few getMyCommands calls and no writes.

Members see the commands anyone may use; group admins (scope all_chat_administrators) also
see the admin ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeDefault,
)

from core.conversation.router import CommandSpec, listed_commands
from core.i18n import translate

log = logging.getLogger(__name__)

#: (Telegram language_code, stepbot language). None = every language without its own list.
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, "en"), ("es", "es"))
DESCRIPTION_LIMIT = 256


def bot_commands(specs: Sequence[CommandSpec], lang: str, *, admin: bool) -> list[BotCommand]:
    """The menu for one language; admin commands only when `admin`."""
    commands = []
    for spec in specs:
        if spec.admin and not admin:
            continue
        description = translate(f"commands.{spec.name}", lang).strip() or spec.name
        commands.append(BotCommand(spec.name, description[:DESCRIPTION_LIMIT]))
    return commands


def _same(current: Sequence[BotCommand], wanted: Sequence[BotCommand]) -> bool:
    return [(c.command, c.description) for c in current] == [
        (c.command, c.description) for c in wanted
    ]


async def sync_commands(bot: Bot, specs: Sequence[CommandSpec] | None = None) -> int:
    """Make Telegram's command menus match the core; returns how many lists were written."""
    specs = list(listed_commands() if specs is None else specs)
    scopes: tuple[tuple[BotCommandScope, bool], ...] = (
        (BotCommandScopeDefault(), False),
        (BotCommandScopeAllChatAdministrators(), True),
    )
    written = 0
    for scope, admin in scopes:
        for language_code, lang in MENU_LANGUAGES:
            wanted = bot_commands(specs, lang, admin=admin)
            current = await bot.get_my_commands(scope=scope, language_code=language_code)
            if _same(current, wanted):
                continue
            if wanted:
                await bot.set_my_commands(wanted, scope=scope, language_code=language_code)
            else:
                await bot.delete_my_commands(scope=scope, language_code=language_code)
            written += 1
    if written:
        log.info("telegram command menus updated (%d lists)", written)
    return written
