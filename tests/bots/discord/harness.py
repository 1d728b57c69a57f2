"""Drive a real discord.py client offline: real INTERACTION_CREATE payloads, real CommandTree.

:class:`DiscordHarness` logs an already-built ``discord.Client`` / ``commands.Bot`` in against a
:class:`~tests.bots.discord.fake_discord.FakeDiscord` (``client.login`` → ``GET /users/@me`` and
``GET /oauth2/applications/@me``; no gateway), seeds a guild into the client's cache the way
GUILD_CREATE would, builds interaction payloads shaped like Discord's and feeds them to
``ConnectionState.parse_interaction_create`` — the same entry point the gateway's
INTERACTION_CREATE uses in discord.py 2.7.  From there discord.py does everything itself: the
CommandTree looks the command up, converts options (Namespace/transformers), runs checks and
autocomplete callbacks, error handlers; the ViewStore routes component clicks by ``custom_id``;
every response goes over HTTP to the fake, which records it.

Typical use::

    async with FakeDiscord() as fake, DiscordHarness(bot, fake) as h:
        result = await h.invoke("meetings", {"city": "Madrid"})
        assert result.callback.type == 4
"""

from __future__ import annotations

import asyncio
import copy
import logging
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands
from discord.http import Route

from .fake_discord import (
    Call,
    FakeDiscord,
    JsonDict,
    UploadedFile,
    iso_now,
    user_payload,
    walk_components,
)

# Fixed, realistic snowflakes so failures are readable.
DEFAULT_GUILD_ID = 1_200_000_000_000_000_001
GENERAL_CHANNEL_ID = 1_200_000_000_000_000_101
MEETINGS_CHANNEL_ID = 1_200_000_000_000_000_102
MODERATOR_ROLE_ID = 1_200_000_000_000_000_201
OWNER_ID = 1_300_000_000_000_000_001
DEFAULT_USER_ID = 1_300_000_000_000_000_002

ADMINISTRATOR = str(discord.Permissions(administrator=True).value)  # "8"
MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)  # "32"
NO_PERMISSIONS = "0"
MEMBER_PERMISSIONS = str(
    discord.Permissions(
        view_channel=True,
        send_messages=True,
        read_message_history=True,
        embed_links=True,
        attach_files=True,
        add_reactions=True,
        use_external_emojis=True,
        use_application_commands=True,
    ).value
)
BOT_APP_PERMISSIONS = MEMBER_PERMISSIONS

_OPTION_TYPES = discord.AppCommandOptionType
PermissionsLike = str | int | discord.Permissions


def _perm_str(value: PermissionsLike) -> str:
    if isinstance(value, discord.Permissions):
        return str(value.value)
    return str(int(value))


class InvalidOptions(ValueError):
    """Options Discord would not send for this command (its client validates them first)."""


class DispatchError(AssertionError):
    """discord.py logged an unhandled error while handling a dispatched interaction."""


class DispatchTimeout(AssertionError):
    """The handlers discord.py started for an interaction did not finish in time."""


@dataclass
class Dispatched:
    """What happened while one interaction was handled.

    Iterating / indexing gives the calls tied to the interaction (its callback, followups,
    ``@original`` edits), in order.
    """

    payload: JsonDict
    calls: list[Call]
    other_calls: list[Call]
    errors: list[logging.LogRecord]
    """ERROR records discord.py logged meanwhile (e.g. the default ``on_error`` tracebacks)."""
    raised: list[BaseException]
    """Exceptions that escaped the handler tasks (e.g. re-raised from ``tree.on_error``)."""
    fake: FakeDiscord = field(repr=False)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def callback(self) -> Call:
        """The interaction callback; AssertionError if the bot never answered."""
        found = [c for c in self.calls if c.is_callback]
        assert found, (
            f"no interaction callback was recorded (calls: {[c.path for c in self.calls]})"
        )
        return found[0]

    @property
    def responded(self) -> bool:
        return any(c.is_callback and c.status < 300 for c in self.calls)

    @property
    def followups(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.startswith("/webhooks/")]

    @property
    def edits(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PATCH"]

    @property
    def original(self) -> JsonDict | None:
        """The original response message as the fake stores it now (after edits/followups)."""
        rec = self.fake.interactions.get(self.id)
        if rec is None or rec.original_id is None:
            return None
        return self.fake.messages.get(rec.original_id)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    def __getitem__(self, index: int) -> Call:
        return self.calls[index]


class _ErrorCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class DiscordHarness:
    """Log a real discord.py client in against :class:`FakeDiscord` and feed it interactions.

    ``client`` must already have its ``CommandTree`` (``commands.Bot`` has one as ``bot.tree``).
    The harness points ``discord.http.Route.BASE`` at the fake until :meth:`close`, which also
    closes the client (its aiohttp session).  With ``guild=True`` a guild with ``#general`` and
    ``#meetings`` is put in the client's cache (``interaction.guild`` / ``.channel`` resolve).
    """

    def __init__(
        self,
        client: discord.Client,
        fake: FakeDiscord,
        *,
        token: str = "fake-bot-token",
        guild: bool = True,
        guild_locale: str = "en-US",
    ) -> None:
        self.client = client
        self.fake = fake
        self.token = token
        self._want_guild = guild
        self._guild_locale = guild_locale
        self.guild_id: int | None = None
        self.channel_id: int | None = None
        self.user_id = DEFAULT_USER_ID
        self._previous_base: str | None = None
        self._errors = _ErrorCapture()
        self._command_ids: dict[tuple[str, int | None], int] = {}
        self._started = False
        self._owns_fake = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def state(self) -> Any:
        """discord.py's ``ConnectionState`` (private API, stable across 2.x)."""
        return self.client._connection

    @property
    def tree(self) -> app_commands.CommandTree[Any]:
        tree: app_commands.CommandTree[Any] | None = self.state._command_tree
        if tree is None:
            raise RuntimeError("the client has no CommandTree")
        return tree

    @property
    def errors(self) -> list[logging.LogRecord]:
        """ERROR records discord.py logged since :meth:`start` (unhandled handler exceptions)."""
        return self._errors.records

    async def start(self) -> DiscordHarness:
        """Log in (runs ``setup_hook``), mark the client ready, seed the default guild."""
        if self.fake.port == 0:
            await self.fake.start()
            self._owns_fake = True
        self._previous_base = Route.BASE
        Route.BASE = self.fake.base_url
        logging.getLogger("discord").addHandler(self._errors)
        await self.client.login(self.token)
        app_id = self.client.application_id
        if app_id != self.fake.app_id:
            raise RuntimeError(
                f"client.application_id={app_id} but the fake application is {self.fake.app_id}"
            )
        ready = getattr(self.client, "_ready", None)
        if isinstance(ready, asyncio.Event):
            ready.set()  # wait_until_ready() must not hang: there is no gateway READY here
        if self._want_guild:
            self.guild_id = self.add_guild(DEFAULT_GUILD_ID, locale=self._guild_locale)
            self.channel_id = GENERAL_CHANNEL_ID
        self._started = True
        return self

    async def close(self) -> None:
        """Close the client (its HTTP session) and restore ``Route.BASE``."""
        try:
            if not self.client.is_closed():
                await self.client.close()
        finally:
            logging.getLogger("discord").removeHandler(self._errors)
            if self._previous_base is not None:
                Route.BASE = self._previous_base
                self._previous_base = None
            if self._owns_fake:
                await self.fake.close()

    async def __aenter__(self) -> DiscordHarness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ world building

    def member_payload(
        self,
        user_id: int,
        *,
        permissions: PermissionsLike | None = None,
        roles: Sequence[int] = (),
        with_user: bool = True,
    ) -> JsonDict:
        """A guild member object; ``permissions`` makes it the interaction variant."""
        member: JsonDict = {
            "roles": [str(r) for r in roles],
            "joined_at": iso_now(),
            "premium_since": None,
            "nick": None,
            "avatar": None,
            "banner": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            member["user"] = self.fake.user(user_id)
        if permissions is not None:
            member["permissions"] = _perm_str(permissions)
        return member

    def text_channel_payload(
        self, channel_id: int, name: str, guild_id: int, position: int = 0
    ) -> JsonDict:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "topic": None,
            "parent_id": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def add_guild(
        self,
        guild_id: int | None = None,
        *,
        name: str = "Test Guild",
        channels: Mapping[int, str] | None = None,
        locale: str = "en-US",
        owner_id: int = OWNER_ID,
        everyone_permissions: PermissionsLike = MEMBER_PERMISSIONS,
    ) -> int:
        """Put a GUILD_CREATE-like guild into the client's cache and the fake; return its id.

        ``channels`` maps channel id → name (text channels); the default guild has
        ``#general`` and ``#meetings``.  Roles: ``@everyone`` and ``Moderators`` (Manage Guild).
        """
        gid = guild_id or self.fake.new_id()
        if channels is None:
            channels = (
                {GENERAL_CHANNEL_ID: "general", MEETINGS_CHANNEL_ID: "meetings"}
                if gid == DEFAULT_GUILD_ID
                else {self.fake.new_id(): "general"}
            )
        self.fake.add_user(user_payload(owner_id, "owner"))
        roles = [
            {
                "id": str(gid),
                "name": "@everyone",
                "permissions": _perm_str(everyone_permissions),
                "position": 0,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(MODERATOR_ROLE_ID if gid == DEFAULT_GUILD_ID else self.fake.new_id()),
                "name": "Moderators",
                "permissions": MANAGE_GUILD,
                "position": 1,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
        ]
        payload: JsonDict = {
            "id": str(gid),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": locale,
            "system_channel_id": str(next(iter(channels))),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "features": [],
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": 2,
            "members": [
                self.member_payload(self.fake.bot_id),
                self.member_payload(owner_id),
            ],
            "channels": [
                self.text_channel_payload(cid, cname, gid, pos)
                for pos, (cid, cname) in enumerate(channels.items())
            ],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
        self.fake.add_guild(payload)
        self.state._add_guild_from_data(copy.deepcopy(payload))
        return gid

    # ------------------------------------------------------------------ payload builders

    def _new_token(self) -> str:
        return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)

    def _channel_for_interaction(
        self, channel_id: int, guild_id: int | None, user_id: int, permissions: str
    ) -> JsonDict:
        if guild_id is None:
            dm_id = self.fake.dm_channel_id(user_id)
            return copy.deepcopy(self.fake.channels[dm_id])
        channel = self.fake.channels.get(channel_id)
        if channel is None:
            channel = self.text_channel_payload(channel_id, f"channel-{channel_id}", guild_id)
            self.fake.add_channel(channel)
        return {**copy.deepcopy(channel), "permissions": permissions}

    def _base(
        self,
        itype: int,
        data: JsonDict,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int | None,
        permissions: PermissionsLike,
        locale: str,
        roles: Sequence[int] = (),
        message: JsonDict | None = None,
    ) -> JsonDict:
        uid = user_id or self.user_id
        perms = _perm_str(permissions)
        if guild_id is None:
            cid = self.fake.dm_channel_id(uid)
        else:
            cid = channel_id or self.channel_id or self.fake.new_id()
        payload: JsonDict = {
            "id": str(self.fake.new_id()),
            "application_id": str(self.fake.app_id),
            "type": itype,
            "data": data,
            "token": self._new_token(),
            "version": 1,
            "locale": locale,
            "app_permissions": BOT_APP_PERMISSIONS,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(cid),
            "channel": self._channel_for_interaction(cid, guild_id, uid, perms),
        }
        if guild_id is not None:
            guild = self.fake.guilds.get(guild_id, {})
            payload["guild_id"] = str(guild_id)
            payload["guild"] = {
                "id": str(guild_id),
                "locale": guild.get("preferred_locale", "en-US"),
                "features": guild.get("features", []),
            }
            payload["guild_locale"] = guild.get("preferred_locale", "en-US")
            payload["member"] = self.member_payload(uid, permissions=perms, roles=roles)
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
            payload["context"] = 0
        else:
            payload["user"] = self.fake.user(uid)
            payload["authorizing_integration_owners"] = {"0": "0"}
            payload["context"] = 1
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    def _find_command(
        self, name: str, guild_id: int | None
    ) -> tuple[app_commands.Command[Any, ..., Any] | app_commands.Group | None, bool]:
        """(command, registered_for_guild)."""
        tree = self.tree
        if guild_id is not None:
            cmd = tree.get_command(name, guild=discord.Object(guild_id))
            if cmd is not None:
                return cmd, True
        return tree.get_command(name), False

    def _command_id(self, name: str, guild_id: int | None) -> int:
        try:
            return int(self.fake.synced_command(name, guild_id)["id"])
        except KeyError:
            pass
        key = (name, guild_id)
        if key not in self._command_ids:
            self._command_ids[key] = self.fake.new_id()
        return self._command_ids[key]

    def _option_value(
        self,
        otype: discord.AppCommandOptionType,
        value: Any,
        resolved: JsonDict,
        guild_id: int | None,
    ) -> Any:
        if otype in (_OPTION_TYPES.user, _OPTION_TYPES.mentionable) and not isinstance(
            value, discord.Role
        ):
            uid = int(getattr(value, "id", value))
            resolved.setdefault("users", {})[str(uid)] = self.fake.user(uid)
            if guild_id is not None:
                member = self.member_payload(uid, permissions=MEMBER_PERMISSIONS, with_user=False)
                resolved.setdefault("members", {})[str(uid)] = member
            return str(uid)
        if otype in (_OPTION_TYPES.role, _OPTION_TYPES.mentionable):
            rid = int(getattr(value, "id", value))
            roles = (self.fake.guilds.get(guild_id or 0) or {}).get("roles", [])
            role = next((r for r in roles if int(r["id"]) == rid), None)
            if role is None:
                raise ValueError(f"unknown role {rid}")
            resolved.setdefault("roles", {})[str(rid)] = role
            return str(rid)
        if otype is _OPTION_TYPES.channel:
            cid = int(getattr(value, "id", value))
            channel = self.fake.channels.get(cid)
            if channel is None:
                raise ValueError(f"unknown channel {cid}")
            resolved.setdefault("channels", {})[str(cid)] = {
                "id": channel["id"],
                "type": channel["type"],
                "name": channel.get("name", ""),
                "permissions": MEMBER_PERMISSIONS,
                "parent_id": channel.get("parent_id"),
                "flags": 0,
            }
            return str(cid)
        if otype is _OPTION_TYPES.attachment:
            if isinstance(value, tuple):
                attachment = self.fake.store_attachment(*value)
            elif isinstance(value, UploadedFile):
                attachment = self.fake.store_attachment(
                    value.filename, value.data, value.content_type or "application/octet-stream"
                )
            else:
                attachment = dict(value)
            resolved.setdefault("attachments", {})[attachment["id"]] = attachment
            return attachment["id"]
        if otype is _OPTION_TYPES.integer:
            return int(value)
        if otype is _OPTION_TYPES.number:
            return float(value)
        if otype is _OPTION_TYPES.boolean:
            return bool(value)
        return str(value)

    @staticmethod
    def _guess_type(value: Any) -> discord.AppCommandOptionType:
        if isinstance(value, bool):
            return _OPTION_TYPES.boolean
        if isinstance(value, int):
            return _OPTION_TYPES.integer
        if isinstance(value, float):
            return _OPTION_TYPES.number
        if isinstance(value, tuple | UploadedFile):
            return _OPTION_TYPES.attachment
        return _OPTION_TYPES.string

    @staticmethod
    def _check_discord_rules(
        command: app_commands.Command[Any, ..., Any],
        options: Mapping[str, Any],
        focused: str | None,
    ) -> None:
        """Refuse options Discord's client would never send (it validates before sending)."""
        params = {p.name: p for p in command.parameters}
        params.update({p.display_name: p for p in command.parameters})
        unknown = [k for k in options if k not in params]
        if unknown:
            raise InvalidOptions(f"/{command.qualified_name} has no option(s) {unknown}")
        given = {params[k].name for k in options}
        missing = [p.display_name for p in command.parameters if p.required and p.name not in given]
        if missing and focused is None:
            raise InvalidOptions(f"/{command.qualified_name}: required option(s) {missing} missing")
        for key, value in options.items():
            param = params[key]
            if key == focused or param.name == focused:
                continue
            if param.choices and value not in [c.value for c in param.choices]:
                raise InvalidOptions(f"{param.display_name}={value!r} is not one of its choices")
            if param.type in (_OPTION_TYPES.integer, _OPTION_TYPES.number):
                measure: float | None = float(value)
                what = "value"
            elif param.type is _OPTION_TYPES.string:
                measure = float(len(str(value)))
                what = "length"
            else:
                measure = None
                what = ""
            if measure is not None:
                if param.min_value is not None and measure < param.min_value:
                    raise InvalidOptions(f"{param.display_name} {what} below {param.min_value}")
                if param.max_value is not None and measure > param.max_value:
                    raise InvalidOptions(f"{param.display_name} {what} above {param.max_value}")

    def _build_options(
        self,
        command: Any,
        options: Mapping[str, Any],
        resolved: JsonDict,
        guild_id: int | None,
        focused: str | None = None,
        validate: bool = True,
    ) -> list[JsonDict]:
        params: dict[str, Any] = {}
        if isinstance(command, app_commands.Command):
            for p in command.parameters:
                params[p.name] = p
                params[p.display_name] = p
            if validate:
                self._check_discord_rules(command, options, focused)
        out: list[JsonDict] = []
        for key, value in options.items():
            param = params.get(key)
            name = param.display_name if param is not None else key
            otype = param.type if param is not None else self._guess_type(value)
            option: JsonDict = {"name": name, "type": otype.value}
            if key == focused or name == focused:
                # Autocomplete sends what the user has typed so far, as typed.
                option["value"] = str(value)
                option["focused"] = True
            else:
                option["value"] = self._option_value(otype, value, resolved, guild_id)
            out.append(option)
        return out

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        *,
        subcommand: str | None,
        group: str | None,
        guild_id: int | None,
        focused: str | None = None,
        validate: bool = True,
    ) -> JsonDict:
        parts = name.split()
        name = parts[0]
        if len(parts) == 3:
            group, subcommand = parts[1], parts[2]
        elif len(parts) == 2:
            subcommand = parts[1]
        command, for_guild = self._find_command(name, guild_id)
        target: Any = command
        if group is not None and isinstance(target, app_commands.Group):
            target = target.get_command(group)
        if subcommand is not None and isinstance(target, app_commands.Group):
            target = target.get_command(subcommand)
        resolved: JsonDict = {}
        leaf = self._build_options(target, options or {}, resolved, guild_id, focused, validate)
        if subcommand is not None:
            leaf = [{"name": subcommand, "type": 1, "options": leaf}]
            if group is not None:
                leaf = [{"name": group, "type": 2, "options": leaf}]
        registered_guild = guild_id if for_guild else None
        data: JsonDict = {
            "id": str(self._command_id(name, registered_guild)),
            "name": name,
            "type": 1,
            "options": leaf,
        }
        if registered_guild is not None:
            data["guild_id"] = str(registered_guild)
        if resolved:
            data["resolved"] = resolved
        return data

    def _guild(self, guild_id: int | None | bool) -> int | None:
        return self.guild_id if guild_id is True else (guild_id or None)

    def slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        guild_id: int | None | bool = True,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: PermissionsLike = MEMBER_PERMISSIONS,
        roles: Sequence[int] = (),
        locale: str = "en-US",
        validate: bool = True,
    ) -> JsonDict:
        """An APPLICATION_COMMAND (type 2) INTERACTION_CREATE payload.

        ``name`` may be ``"group sub"`` or ``"group subgroup sub"``.  ``options`` are keyed by
        parameter name (python or display name); values are typed using the command's real
        parameters (users/channels/roles by id, with ``resolved`` data; attachments as
        ``(filename, bytes[, content_type])``).  ``guild_id=True`` is the default guild,
        ``None`` a DM.  ``permissions``: the member's permissions ("8" admin, "32" Manage Guild).
        Options Discord's client would refuse (unknown, missing required, out of min/max,
        not a choice) raise :class:`InvalidOptions` unless ``validate=False``.
        """
        gid = self._guild(guild_id)
        data = self._command_data(
            name, options, subcommand=subcommand, group=group, guild_id=gid, validate=validate
        )
        return self._base(
            2,
            data,
            guild_id=gid,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
            roles=roles,
        )

    def dm_slash(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        user_id: int | None = None,
        locale: str = "en-US",
    ) -> JsonDict:
        """A slash command used in the bot's DM (no guild, ``user`` instead of ``member``)."""
        return self.slash(
            name,
            options,
            subcommand=subcommand,
            group=group,
            guild_id=None,
            user_id=user_id,
            locale=locale,
        )

    def autocomplete(
        self,
        name: str,
        focused_option: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        guild_id: int | None | bool = True,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: PermissionsLike = MEMBER_PERMISSIONS,
        locale: str = "en-US",
    ) -> JsonDict:
        """An APPLICATION_COMMAND_AUTOCOMPLETE (type 4) payload with ``focused_option`` typed as ``value``."""
        gid = self._guild(guild_id)
        all_options = {**(options or {}), focused_option: value}
        data = self._command_data(
            name,
            all_options,
            subcommand=subcommand,
            group=group,
            guild_id=gid,
            focused=focused_option,
        )
        return self._base(
            4,
            data,
            guild_id=gid,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
        )

    def component(
        self,
        custom_id: str,
        message_id: int | None = None,
        *,
        values: Sequence[str] | None = None,
        user_id: int | None = None,
        permissions: PermissionsLike = MEMBER_PERMISSIONS,
        locale: str = "en-US",
    ) -> JsonDict:
        """A MESSAGE_COMPONENT (type 3) payload: a click on a component of a message the bot sent.

        The message comes from the fake (``message_id``, or the newest one carrying
        ``custom_id``); like Discord, clicking a missing or disabled component is impossible
        (LookupError / ValueError).  ``values`` makes it a select-menu choice.
        """
        if message_id is not None:
            message = self.fake.messages.get(message_id)
        else:
            message = self.fake.find_message_with_component(custom_id)
        if message is None:
            raise LookupError(f"no message the bot sent has a component {custom_id!r}")
        comp = next(
            (
                c
                for c in walk_components(message.get("components") or [])
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if comp is None:
            raise LookupError(f"message {message['id']} has no component {custom_id!r}")
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled; Discord would not send a click")
        data: JsonDict = {"custom_id": custom_id, "component_type": int(comp["type"])}
        if "id" in comp:
            data["id"] = comp["id"]
        if values is not None or comp["type"] in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        channel_id = int(message["channel_id"])
        guild_id = message.get("guild_id") or self.fake.channels.get(channel_id, {}).get("guild_id")
        return self._base(
            3,
            data,
            guild_id=int(guild_id) if guild_id else None,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
            message=message,
        )

    def modal_submit(
        self,
        values: Mapping[str, str | Sequence[str]],
        custom_id: str | None = None,
        *,
        guild_id: int | None | bool = True,
        channel_id: int | None = None,
        user_id: int | None = None,
        permissions: PermissionsLike = MEMBER_PERMISSIONS,
        locale: str = "en-US",
    ) -> JsonDict:
        """A MODAL_SUBMIT (type 5) payload answering the newest modal the bot opened.

        ``values`` maps a text input's ``custom_id`` to its text (or a select's to its values).
        """
        modal = self.fake.last_modal()
        if modal is None:
            raise LookupError("the bot has not opened a modal")
        custom_id = custom_id or modal["custom_id"]

        def submitted(comp: JsonDict) -> JsonDict:
            ctype = int(comp["type"])
            if ctype == 1:
                return {"type": 1, "components": [submitted(c) for c in comp["components"]]}
            if ctype == 18:
                return {
                    "type": 18,
                    "id": comp.get("id", 0),
                    "component": submitted(comp["component"]),
                }
            out: JsonDict = {"type": ctype, "custom_id": comp.get("custom_id")}
            value = values.get(comp.get("custom_id", ""), "")
            if ctype == 4:
                out["value"] = str(value)
            else:
                out["values"] = [value] if isinstance(value, str) else list(value)
            return out

        data = {
            "custom_id": custom_id,
            "components": [submitted(c) for c in modal.get("components") or []],
        }
        gid = self._guild(guild_id)
        return self._base(
            5,
            data,
            guild_id=gid,
            channel_id=channel_id,
            user_id=user_id,
            permissions=permissions,
            locale=locale,
        )

    # ------------------------------------------------------------------ dispatch

    async def _run_new_tasks(
        self, before: set[asyncio.Task[Any]], limit: float, what: str
    ) -> list[BaseException]:
        """Wait for the tasks created since ``before``; return the exceptions they raised."""
        new = asyncio.all_tasks() - before
        if not new:
            return []
        done, pending = await asyncio.wait(new, timeout=limit)
        if pending:
            names = sorted(t.get_name() for t in pending)
            raise DispatchTimeout(f"{what}: handlers still running after {limit}s: {names}")
        # Retrieving the exception also stops asyncio's "exception was never retrieved" noise.
        return [exc for t in done if not t.cancelled() and (exc := t.exception()) is not None]

    async def dispatch(
        self,
        payload: JsonDict,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - bounds the handlers, not one await
        raise_errors: bool = True,
    ) -> Dispatched:
        """Feed ``payload`` to discord.py as the gateway would and wait for its handlers.

        Calls ``ConnectionState.parse_interaction_create`` (what discord.py's gateway does for
        INTERACTION_CREATE), then waits for the tasks it started (CommandTree invoker, View item
        callback, modal submit, ``on_interaction`` listeners) to finish.  Returns the calls tied
        to this interaction.  If discord.py logged an unhandled exception meanwhile (tree/view
        default ``on_error``) or an exception escaped a handler task, raises
        :class:`DispatchError` (chained to the exception) unless ``raise_errors=False``.
        """
        if not self._started:
            raise RuntimeError("call start() first (or use 'async with')")
        self.fake.register_interaction(payload)
        first_call = len(self.fake.recorded)
        first_error = len(self._errors.records)
        before = asyncio.all_tasks()
        self.state.parse_interaction_create(copy.deepcopy(payload))
        raised = await self._run_new_tasks(before, timeout, f"interaction type {payload['type']}")
        new_calls = self.fake.recorded[first_call:]
        markers = (f"/interactions/{payload['id']}/", f"/{payload['token']}")
        mine = [c for c in new_calls if any(m in c.path for m in markers)]
        others = [c for c in new_calls if c not in mine]
        errors = self._errors.records[first_error:]
        result = Dispatched(payload, mine, others, errors, raised, self.fake)
        if raise_errors and (raised or errors):
            if raised:
                exc: BaseException | None = raised[0]
                summary = "a handler raised"
            else:
                first = errors[0]
                exc = first.exc_info[1] if first.exc_info else None
                summary = f"discord.py logged {len(errors)} error(s); first: {first.getMessage()}"
            detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
            raise DispatchError(summary + detail) from exc
        return result

    async def invoke(
        self, name: str, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Dispatched:
        """``dispatch(slash(name, options, **kwargs))``; ``raise_errors``/``timeout`` pass through."""
        dispatch_kw = {k: kwargs.pop(k) for k in ("raise_errors", "timeout") if k in kwargs}
        return await self.dispatch(self.slash(name, options, **kwargs), **dispatch_kw)

    async def click(
        self, custom_id: str, message_id: int | None = None, **kwargs: Any
    ) -> Dispatched:
        """``dispatch(component(custom_id, message_id, **kwargs))``."""
        dispatch_kw = {k: kwargs.pop(k) for k in ("raise_errors", "timeout") if k in kwargs}
        return await self.dispatch(self.component(custom_id, message_id, **kwargs), **dispatch_kw)

    async def emit(
        self,
        event: str,
        *args: Any,
        timeout: float = 5.0,  # noqa: ASYNC109 - bounds the listeners, not one await
    ) -> None:
        """``client.dispatch(event, *args)`` and wait for the listeners it started."""
        before = asyncio.all_tasks()
        self.client.dispatch(event, *args)
        raised = await self._run_new_tasks(before, timeout, f"event {event}")
        if raised:
            raise DispatchError(f"a listener for {event!r} raised") from raised[0]

    # ------------------------------------------------------------------ Discord-side rules

    def can_invoke(
        self, name: str, permissions: PermissionsLike = MEMBER_PERMISSIONS, *, dm: bool = False
    ) -> bool:
        """Would Discord show ``/name`` to this member (or in a DM)?

        Applies what the tree syncs: ``default_member_permissions`` (administrators bypass it)
        and ``contexts`` / ``dm_permission``.  Guild-level overrides are not modelled.
        """
        command, _ = self._find_command(name, None if dm else self.guild_id)
        if command is None:
            return False
        data = command.to_dict(self.tree)
        if dm:
            contexts = data.get("contexts")
            if contexts is not None:
                return 1 in contexts
            return bool(data.get("dm_permission", True))
        required = data.get("default_member_permissions")
        if required is None:
            return True
        have = int(_perm_str(permissions))
        if have & discord.Permissions(administrator=True).value:
            return True
        return int(required) != 0 and (have & int(required)) == int(required)
