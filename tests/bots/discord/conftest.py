"""Fixtures: a fake Discord API on 127.0.0.1 and a harness factory for real discord.py clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest

from .fake_discord import FakeDiscord, point_discord_at
from .harness import DiscordHarness

MakeHarness = Callable[..., Awaitable[DiscordHarness]]


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started :class:`FakeDiscord`; ``discord.http.Route.BASE`` points at it for the test."""
    async with FakeDiscord() as fake:
        with point_discord_at(fake.base_url):
            yield fake


@pytest.fixture
async def make_harness(fake_discord: FakeDiscord) -> AsyncIterator[MakeHarness]:
    """``await make_harness(bot, **kwargs)`` → a started :class:`DiscordHarness`, closed at teardown."""
    harnesses: list[DiscordHarness] = []

    async def make(client: discord.Client, **kwargs: Any) -> DiscordHarness:
        harness = DiscordHarness(client, fake_discord, **kwargs)
        harnesses.append(harness)
        return await harness.start()

    yield make
    for harness in reversed(harnesses):
        await harness.close()


# --------------------------------------------------------------------------- stepbot's bot

from bots.discord.bot import StepbotClient, build_bot  # noqa: E402
from core.conversation.request import Request  # noqa: E402
from core.model import Location  # noqa: E402
from core.services import Services  # noqa: E402
from tests.helpers import ZOOM, add_meeting  # noqa: E402  (re-exported for the tests)


@pytest.fixture
async def seeded(services: Services) -> Services:
    """Twelve Wednesday-evening meetings in Boston (the fake clock is Wednesday 11:00 there)."""
    for hour in range(12):
        await add_meeting(
            services, f"evening-{hour:02d}", start=f"{12 + hour // 2}:{hour % 2 * 30:02d}"
        )
    await add_meeting(
        services,
        "women-online",
        types=["W"],
        location=Location(),
        online=ZOOM,
        start="20:00",
        notes="Bring a friend",
    )
    await add_meeting(services, "spanish-group", types=["S"], start="21:00")
    return services


@pytest.fixture
def bot(services: Services) -> StepbotClient:
    return build_bot(services)


@pytest.fixture
def requests(bot: StepbotClient) -> list[Request]:
    """Every Request the bot hands to the conversation, in order."""
    seen: list[Request] = []
    conversation = bot.stepbot.conversation
    original = conversation.handle

    async def spy(request: Request) -> Any:
        seen.append(request)
        return await original(request)

    conversation.handle = spy  # type: ignore[method-assign]
    return seen


@pytest.fixture
async def h(make_harness: MakeHarness, bot: StepbotClient) -> DiscordHarness:
    return await make_harness(bot)
