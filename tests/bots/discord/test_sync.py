"""Syncing the command tree: what Discord receives (names valid in every language, Spanish for
es-ES and es-419, admin permissions), and `stepbot discord sync`."""

from __future__ import annotations

import argparse
import re
from typing import Any

import pytest

from bots.cli import CliError, _parser
from bots.cli.discord import discord_sync
from bots.discord.translator import NAMES_ES, TEXTS_ES
from core.services import Services

from .fake_discord import FakeDiscord, point_discord_at
from .harness import DiscordHarness

NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
SPANISH = ("es-ES", "es-419")


def walk(items: list[dict[str, Any]], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for item in items:
        where = f"{path}/{item['name']}"
        found.append((where, item))
        found += walk(item.get("options") or [], where)
    return found


async def test_sync_sends_spanish_names_and_descriptions(h: DiscordHarness) -> None:
    synced = await h.tree.sync()
    assert len(synced) == 17
    [put] = h.fake.calls("/commands", method="PUT")
    assert put.status == 200  # the fake validates names, lengths and option order like Discord
    by_name = {c["name"]: c for c in put.json}
    assert by_name["meetings"]["name_localizations"] == {
        "es-ES": "reuniones",
        "es-419": "reuniones",
    }
    find = by_name["meetings"]["options"][0]
    assert (find["name"], find["name_localizations"]["es-419"]) == ("find", "buscar")
    when = find["options"][0]
    assert when["name_localizations"]["es-ES"] == "cuando"
    assert {c["name"]: c["name_localizations"]["es-ES"] for c in when["choices"]}[
        "Tomorrow"
    ] == "Mañana"
    missing = []
    for where, item in walk(put.json):
        for locale in SPANISH:
            if locale not in (item.get("name_localizations") or {}):
                missing.append(f"{where} name {locale}")
            if locale not in (item.get("description_localizations") or {}):
                missing.append(f"{where} description {locale}")
        for choice in item.get("choices") or []:
            if choice["name"] not in ("English", "Español") and "es-ES" not in (
                choice.get("name_localizations") or {}
            ):
                missing.append(f"{where} choice {choice['name']}")
    assert missing == []


async def test_admin_commands_are_for_manage_server(h: DiscordHarness) -> None:
    await h.tree.sync()
    admin = h.fake.synced_command("meetings-admin")
    assert admin["default_member_permissions"] == "32"
    assert admin["dm_permission"] is False  # servers only
    assert h.fake.synced_command("import")["default_member_permissions"] == "32"
    assert h.fake.synced_command("meetings")["default_member_permissions"] is None
    # Autocomplete is on where the core can suggest.
    [find, *_] = h.fake.synced_command("meetings")["options"]
    auto = {o["name"] for o in find["options"] if o.get("autocomplete")}
    assert auto == {"type", "fellowship"}


def test_spanish_names_are_valid_discord_names() -> None:
    for english, spanish in NAMES_ES.items():
        assert NAME_RE.match(english) and english == english.lower(), english
        assert NAME_RE.match(spanish) and spanish == spanish.lower(), spanish
    assert all(1 <= len(text) <= 100 for text in TEXTS_ES.values())


async def test_cli_sync_to_a_guild(
    services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with FakeDiscord(token="the-token") as fake:
        with point_discord_at(fake.base_url):
            monkeypatch.setenv("DISCORD_TOKEN", "the-token")
            assert await discord_sync(argparse.Namespace(guild=4242), services) == 0
            assert {c["name"] for c in fake.synced_commands(4242)} >= {"meetings", "help"}
            assert fake.synced_commands() == []  # the global list is untouched
            assert await discord_sync(argparse.Namespace(guild=None), services) == 0
            assert len(fake.synced_commands()) == 17
            cleared = argparse.Namespace(guild=4242, clear=True)
            assert await discord_sync(cleared, services) == 0
            assert fake.synced_commands(4242) == [] and len(fake.synced_commands()) == 17
            assert not fake.calls("/gateway")  # HTTP only
            monkeypatch.setenv("DISCORD_TOKEN", "wrong")
            with pytest.raises(CliError, match="refused the token"):
                await discord_sync(argparse.Namespace(guild=None), services)
    out = capsys.readouterr().out
    assert "Synced 17 commands to server 4242" in out and "the-token" not in out


async def test_cli_sync_needs_a_token(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(CliError, match="DISCORD_TOKEN is not set"):
        await discord_sync(argparse.Namespace(guild=None), services)
    with pytest.raises(CliError, match="dev_guild_id"):
        monkeypatch.setenv("DISCORD_TOKEN", "x")
        await discord_sync(argparse.Namespace(guild=-1), services)


def test_cli_arguments() -> None:
    args = _parser().parse_args(["discord", "sync", "--guild", "123"])
    assert args.guild == 123 and args.handler is discord_sync
    assert _parser().parse_args(["discord", "sync", "--guild"]).guild == -1
    assert _parser().parse_args(["discord", "sync"]).guild is None
    assert _parser().parse_args(["discord", "sync", "--guild", "1", "--clear"]).clear
