"""Shared fixtures: real SQLite files in a temp dir, a fake clock, the core services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calendars.port import install as install_calendars
from core.clock import FakeClock
from core.config import Config
from core.services import Services


@pytest.fixture
def clock() -> FakeClock:
    # A Wednesday afternoon in UTC, far from any DST change.
    return FakeClock(datetime(2026, 6, 3, 15, 0, tzinfo=UTC))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(db_path=str(tmp_path / "stepbot.db"), default_timezone="America/New_York")


@pytest.fixture
async def services(config: Config, clock: FakeClock) -> AsyncIterator[Services]:
    svc = install_calendars(await Services.open(config, clock))
    try:
        yield svc
    finally:
        await svc.close()
