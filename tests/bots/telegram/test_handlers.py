"""Update → Request pieces that need no server: command parsing, deep links, settings."""

from __future__ import annotations

import pytest

from bots.telegram.app import DEFAULT_BASE_FILE_URL, DEFAULT_BASE_URL, TelegramSettings
from bots.telegram.commands import bot_commands
from bots.telegram.handlers import AdminCache, DeepLinks, parse_command
from core.conversation.request import Request
from core.conversation.router import listed_commands
from core.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/meetings women today", ("meetings", "women today")),
        ("/Meetings@StepBot_Test_Bot  online ", ("meetings", "online")),
        ("/olvídame", ("olvídame", "")),
        ("/addmeeting\nname: X\nday: mon", ("addmeeting", "name: X\nday: mon")),
        ("/help@other_bot", None),
        ("hello", None),
        ("/", None),
        ("/@stepbot_test_bot", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(text, "stepbot_test_bot") == expected


def test_deep_links_are_random_single_use_and_bound_to_the_member() -> None:
    links = DeepLinks()
    request = Request("telegram", "7", "-100", "-100", command="sobriety", args="set 2020-01-01")
    token = links.create(request)
    assert len(token) == 12 and "sobriety" not in token and "2020" not in token
    assert links.take(token, "8") is None
    pending = links.take(token, "7")
    assert pending is not None and (pending.command, pending.args) == ("sobriety", "set 2020-01-01")
    assert links.take(token, "7") is None
    expired = DeepLinks(ttl=-1)
    assert expired.take(expired.create(request), "7") is None


def test_admin_cache_expires_and_forgets_a_chat() -> None:
    cache = AdminCache(ttl=60)
    cache.put(-1, 2, True)
    assert cache.get(-1, 2) is True and cache.get(-1, 3) is None
    cache.forget_chat(-1)
    assert cache.get(-1, 2) is None
    assert AdminCache(ttl=-1).get(-1, 2) is None


def test_settings_from_config() -> None:
    default = TelegramSettings.from_config({}, environ={})
    assert (default.base_url, default.base_file_url) == (DEFAULT_BASE_URL, DEFAULT_BASE_FILE_URL)
    assert default.mode == "polling"
    local = TelegramSettings.from_config({"base_url": "http://127.0.0.1:8081/"}, environ={})
    assert local.base_url == "http://127.0.0.1:8081/bot"
    assert local.base_file_url == "http://127.0.0.1:8081/file/bot"
    with pytest.raises(ValidationError):
        TelegramSettings.from_config({"mode": "carrier-pigeon"}, environ={})
    with pytest.raises(ValidationError):
        TelegramSettings.from_config({"mode": "webhook"}, environ={})
    with pytest.raises(ValidationError):
        TelegramSettings.from_config({}, environ={"TELEGRAM_WEBHOOK_SECRET": "has spaces"})


def test_command_menus_follow_the_core_in_both_languages() -> None:
    specs = listed_commands()
    english = bot_commands(specs, "en", admin=False)
    spanish = bot_commands(specs, "es", admin=True)
    assert [c.command for c in english] == [s.name for s in specs if not s.admin]
    assert len(spanish) == len(specs)
    assert all(1 <= len(c.description) <= 256 for c in english + spanish)
    assert english != spanish[: len(english)]
