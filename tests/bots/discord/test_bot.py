"""The client around the commands: the runner component, slow answers (deferred in time),
empty answers, unexpected failures, and no tokens in the logs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bots.discord import interactions
from bots.discord.bot import StepbotClient, _RedactTokens, build_adapter, minimal_intents
from core.conversation.request import Request
from core.replies import Reply
from core.services import Services

from .fake_discord import FakeDiscord, point_discord_at
from .harness import DiscordHarness


async def test_adapter_logs_in_connects_and_stops(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapter = build_adapter(services, "secret-token")
    assert adapter.name == "discord" and adapter.transport.platform == "discord"
    assert "secret-token" not in repr(adapter)
    intents = adapter.client.intents
    assert intents == minimal_intents() and not intents.message_content
    connected = asyncio.Event()

    async def connect(*, reconnect: bool = True) -> None:  # no gateway in tests
        connected.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(adapter.client, "connect", connect)
    async with FakeDiscord(token="secret-token") as fake:
        with point_discord_at(fake.base_url):
            await adapter.start()
            await asyncio.wait_for(connected.wait(), 1)
            assert adapter.client.user is not None
            assert adapter.client.user.id == fake.bot_id
            await adapter.stop()
    assert adapter.client.is_closed()


def slow(bot: StepbotClient, reply: Reply | None, seconds: float = 0.2) -> None:
    conversation = bot.stepbot.conversation

    async def handle(request: Request) -> Reply | None:
        await asyncio.sleep(seconds)
        return reply

    conversation.handle = handle  # type: ignore[method-assign]


async def test_a_slow_answer_is_deferred_in_time(
    h: DiscordHarness, bot: StepbotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interactions, "AUTO_DEFER_SECONDS", 0.02)
    slow(bot, Reply(title="Late but here", blocks=["x"]))
    result = await h.invoke("help")
    assert result.callback.type == 5 and result.callback.ephemeral
    [followup] = result.followups
    assert followup.embeds[0]["title"] == "Late but here"
    assert followup.allowed_mentions == {"parse": []}


async def test_a_slow_page_is_deferred_then_edited(
    h: DiscordHarness, bot: StepbotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = await h.invoke("help")
    message_id = int(shown.original["id"])  # type: ignore[index]
    monkeypatch.setattr(interactions, "AUTO_DEFER_SECONDS", 0.02)
    slow(bot, Reply(title="Page 2", edit=True))
    clicked = await h.click("cmd:now", message_id)
    assert clicked.callback.type == 6  # deferred update
    [edit] = clicked.edits
    assert edit.path.endswith("/messages/@original") and edit.embeds[0]["title"] == "Page 2"
    assert h.fake.messages[message_id]["embeds"][0]["title"] == "Page 2"


async def test_nothing_to_say(h: DiscordHarness, bot: StepbotClient) -> None:
    shown = await h.invoke("help")
    slow(bot, None, 0)
    result = await h.invoke("help")
    assert result.callback.type == 5
    assert [c.method for c in result.calls] == ["POST", "DELETE"]  # acknowledged, then removed
    click = await h.click("cmd:now", int(shown.original["id"]))  # type: ignore[index]
    assert click.callback.type == 6  # acknowledged, nothing changes


async def test_an_unexpected_failure_is_a_kind_private_message(
    h: DiscordHarness, bot: StepbotClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: Request) -> Any:
        raise RuntimeError("boom")

    shown = await h.invoke("help")
    bot.stepbot.conversation.handle = broken  # type: ignore[method-assign]
    click = await h.click("cmd:now", int(shown.original["id"]))  # type: ignore[index]
    assert click.callback.ephemeral
    assert click.callback.embeds[0]["description"].startswith("Sorry")
    result = await h.invoke("help", locale="es-ES", raise_errors=False)
    assert result.callback.ephemeral
    assert result.callback.embeds[0]["description"].startswith("Lo siento")
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bots.discord")]
    assert logged == [
        "button failed: RuntimeError",
        "slash command /help failed: CommandInvokeError",
    ]


def test_tokens_are_redacted_from_discord_logs() -> None:
    record = logging.LogRecord(
        "discord.http",
        logging.WARNING,
        __file__,
        1,
        "We are being rate limited. %s %s",
        ("POST", "https://discord.com/api/v10/webhooks/123/aW50ZXJhY3Rpb246secret/messages"),
        None,
    )
    assert _RedactTokens().filter(record)
    assert "secret" not in record.getMessage()
    assert "/webhooks/123/<token>/messages" in record.getMessage()
