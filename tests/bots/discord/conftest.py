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
