"""The core services, wired once and shared by every adapter, the CLI and the runner."""

from __future__ import annotations

from dataclasses import dataclass

from core.clock import Clock, SystemClock
from core.config import Config
from core.search import MeetingSearch
from core.store.db import Database
from core.store.meetings import MeetingStore


@dataclass
class Services:
    config: Config
    db: Database
    clock: Clock
    meetings: MeetingStore
    search: MeetingSearch

    @classmethod
    async def open(cls, config: Config, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        db = await Database.open(config.db_path)
        meetings = MeetingStore(db)
        return cls(
            config=config,
            db=db,
            clock=clock,
            meetings=meetings,
            search=MeetingSearch(meetings, clock),
        )

    async def close(self) -> None:
        await self.db.close()
