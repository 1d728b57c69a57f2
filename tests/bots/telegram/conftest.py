"""Fixtures for Telegram tests: a fake Bot API server, a PTB ``Bot`` pointed at it, and the
real stepbot adapter running against it with seeded core services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from telegram import Bot

from calendars.port import install as install_calendars
from core.clock import FakeClock
from core.config import Config
from core.model import Location
from core.services import Services
from tests.bots.telegram.fake_bot_api import TEST_TOKEN, FakeBotApi
from tests.helpers import ZOOM, add_meeting

if TYPE_CHECKING:
    from bots.telegram.app import TelegramAdapter


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A started :class:`FakeBotApi` on 127.0.0.1; stopped after the test."""
    fake = FakeBotApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def fake_bot(fake_bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    """An initialized ``telegram.Bot`` talking to :func:`fake_bot_api`."""
    bot = Bot(TEST_TOKEN, base_url=fake_bot_api.base_url, base_file_url=fake_bot_api.base_file_url)
    async with bot:
        yield bot


# --------------------------------------------------------------------------- the adapter


async def seed_meetings(services: Services) -> None:
    """A few meetings around Wednesday 2026-06-03 (the clock starts at 15:00 UTC), one of them
    with a name full of HTML, as imported data can be."""

    async def add(slug: str, **kw: Any) -> None:
        await add_meeting(services, slug, **kw)

    await add("boston-women", types=["W", "C"])
    await add("online-women", types=["W"], location=Location(), online=ZOOM, start="20:00")
    await add("html-name", name="<b>Tom & Jerry</b> @everyone", start="18:00")
    await add("thursday-morning", days=["thursday"], start="08:00")
    for n in range(8):
        await add(f"extra-{n}", start=f"{13 + n}:30", types=["O"])


@pytest.fixture
async def tg_services(
    fake_bot_api: FakeBotApi, config: Config, clock: FakeClock
) -> AsyncIterator[Services]:
    """Core services whose config points the Telegram adapter at the fake, with meetings."""
    cfg = replace(
        config,
        telegram={"base_url": fake_bot_api.base_url, "base_file_url": fake_bot_api.base_file_url},
    )
    services = install_calendars(await Services.open(cfg, clock))
    await seed_meetings(services)
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def adapter(tg_services: Services) -> AsyncIterator[TelegramAdapter]:
    """The real adapter (Application, long polling) running against the fake."""
    from bots.telegram.app import build_adapter

    running = build_adapter(tg_services, TEST_TOKEN)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
