"""Routes a Request to its command or button handler and turns errors into kind replies."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from core.conversation.context import Context
from core.conversation.request import Request
from core.errors import PermissionDenied, StepbotError
from core.i18n import catalogue
from core.replies import Button, Reply
from core.services import Services

log = logging.getLogger(__name__)

Handler = Callable[[Context], Awaitable[Reply | None]]
ActionHandler = Callable[[Context, list[str]], Awaitable[Reply | None]]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

# The command families; each module registers its commands when imported.
COMMAND_MODULES = (
    "core.conversation.help",
    "core.conversation.meetings",
    "core.conversation.settings",
    "core.conversation.privacy",
    "core.conversation.admin",
    "core.conversation.schedule_admin",
    "core.conversation.reflections",
    "core.conversation.subscriptions",
    "core.conversation.calendars",
    "core.conversation.report",
)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    admin: bool = False  # community admins only (in a community)
    personal: bool = False  # about the member: answered in private
    listed: bool = True  # shown in menus (setMyCommands, help)
    order: int = 100


COMMANDS: dict[str, CommandSpec] = {}
_ALIASES: dict[str, str] = {}
ACTIONS: dict[str, ActionHandler] = {}
_location_handler: list[Handler] = []


def command(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    admin: bool = False,
    personal: bool = False,
    listed: bool = True,
    order: int = 100,
) -> Callable[[F], F]:
    def register(fn: F) -> F:
        COMMANDS[name] = CommandSpec(name, fn, aliases, admin, personal, listed, order)
        for alias in (name, *aliases):
            _ALIASES[alias] = name
        return fn

    return register


def action(prefix: str) -> Callable[[F], F]:
    """Register a button handler for tokens 'prefix:arg:arg…' (tokens ≤ 64 bytes)."""

    def register(fn: F) -> F:
        ACTIONS[prefix] = fn
        return fn

    return register


def on_location(fn: F) -> F:
    _location_handler[:] = [fn]
    return fn


# How each platform spells a command when it differs from '/name' (Discord groups commands:
# '/meetings now'); None hides it there (no /start on Discord). Adapters register these.
_LABELS: dict[str, dict[str, str | None]] = {}


def register_command_labels(platform: str, labels: dict[str, str | None]) -> None:
    _LABELS.setdefault(platform, {}).update(labels)


def command_label(platform: str, name: str) -> str | None:
    labels = _LABELS.get(platform, {})
    return labels[name] if name in labels else f"/{name}"


def load_commands() -> None:
    for module in COMMAND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def resolve_command(name: str) -> CommandSpec | None:
    key = _ALIASES.get(name.lower().lstrip("/").split("@")[0])
    return COMMANDS.get(key) if key else None


def listed_commands() -> list[CommandSpec]:
    load_commands()
    return sorted((c for c in COMMANDS.values() if c.listed), key=lambda c: (c.order, c.name))


def error_reply(ctx: Context, exc: StepbotError) -> Reply:
    """A translated message for an error a user can cause."""
    params = dict(exc.params)
    suggestions = params.pop("suggestions", None)
    if exc.key in catalogue("en"):
        text = ctx.t(exc.key, **params)
    else:
        text = ctx.t("error.invalid", field=params.get("field", "?"), detail=str(exc))
    reply = ctx.error("error.prefix", message=text)
    if suggestions:
        reply.blocks.append(ctx.t("error.did_you_mean", options=", ".join(suggestions)))
    return reply


class Conversation:
    """The whole behaviour of the bot, platform-free: Request → Reply."""

    def __init__(self, services: Services) -> None:
        self.services = services
        load_commands()

    async def handle(self, request: Request) -> Reply | None:
        ctx = await Context.build(request, self.services)
        try:
            return await self._dispatch(ctx)
        except PermissionDenied:
            return ctx.error("error.admin_only")
        except StepbotError as exc:
            return error_reply(ctx, exc)
        except Exception:
            # Never a traceback to the user; never the message text in the log.
            log.exception("command failed (platform=%s command=%s action=%s)",
                          request.platform, request.command, (request.action or "")[:12])
            return ctx.error("error.unexpected")

    async def _dispatch(self, ctx: Context) -> Reply | None:
        request = ctx.request
        if request.action:
            prefix, _, rest = request.action.partition(":")
            handler = ACTIONS.get(prefix)
            if handler is None:
                return ctx.error("error.button_expired")
            return await handler(ctx, rest.split(":") if rest else [])
        if request.command:
            spec = resolve_command(request.command)
            if spec is None:
                return ctx.error("error.unknown_command", command=request.command[:32])
            return await run_command(ctx, spec)
        if request.location is not None and _location_handler:
            return await _location_handler[0](ctx)
        if request.text and request.is_private:
            return Reply(lang=ctx.lang, blocks=[ctx.t("help.free_text")],
                         buttons=[[Button(ctx.t("help.button_meetings"), action="cmd:meetings"),
                                   Button(ctx.t("help.button_help"), action="cmd:help")]])
        return None


async def run_command(ctx: Context, spec: CommandSpec) -> Reply | None:
    """Run a command after the checks every way of invoking it shares (typed or a button):
    admin commands only by a community's admins, personal ones only in private."""
    request = ctx.request
    if spec.admin and request.is_private:
        return ctx.error("error.admin_in_community")
    if spec.admin and not request.is_admin:
        return ctx.error("error.admin_only")
    if spec.personal and not request.is_private:
        return ctx.continue_in_private()
    return await spec.handler(ctx)


@action("cmd")
async def _button_command(ctx: Context, parts: list[str]) -> Reply | None:
    """A button that runs a command: 'cmd:meetings:today'."""
    spec = resolve_command(parts[0]) if parts else None
    if spec is None:
        return ctx.error("error.button_expired")
    ctx.request = replace(ctx.request, command=parts[0], args=" ".join(parts[1:]), action=None)
    return await run_command(ctx, spec)
