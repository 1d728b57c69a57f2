"""Fixtures for Telegram tests: a fake Bot API server and a PTB ``Bot`` pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.bots.telegram.fake_bot_api import TEST_TOKEN, FakeBotApi


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
