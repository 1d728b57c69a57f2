"""The core services, wired once and shared by every adapter, the CLI and the runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.change_reports import ChangeReports
from core.clock import Clock, SystemClock
from core.config import Config
from core.outbound import Address
from core.ports import CalendarPort
from core.reflections import Pack, pack_from_config
from core.search import MeetingSearch
from core.store.db import Database
from core.store.meetings import MeetingStore
from core.store.settings import SettingsStore
from core.subscriptions import Subscriptions


@dataclass
class Services:
    config: Config
    db: Database
    clock: Clock
    meetings: MeetingStore
    search: MeetingSearch
    settings: SettingsStore
    reflections: Pack
    subscriptions: Subscriptions
    reports: ChangeReports
    # The calendars edge, plugged in by the bots layer (core never imports calendars/).
    calendars: CalendarPort | None = None
    # Each feature that stores something about a member adds a hook that deletes it.
    forget_hooks: list[Callable[[str, str], Awaitable[dict[str, int]]]] = field(
        default_factory=list
    )

    @classmethod
    async def open(cls, config: Config, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        db = await Database.open(config.db_path)
        meetings = MeetingStore(db)
        config_dir = config.path.parent if config.path else None
        services = cls(
            config=config,
            db=db,
            clock=clock,
            meetings=meetings,
            search=MeetingSearch(meetings, clock),
            settings=SettingsStore(db),
            reflections=pack_from_config(config.raw, config_dir),
            subscriptions=Subscriptions(db, clock, meetings=meetings),
            reports=ChangeReports(db, clock.now),
        )
        services.forget_hooks.append(services.subscriptions.forget_user)
        services.forget_hooks.append(services.reports.forget_user)
        return services

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Delete everything stored about one member; returns counts per kind."""
        removed = await self.settings.forget_user(platform, user_id)
        for hook in self.forget_hooks:
            removed.update(await hook(platform, user_id))
        return removed

    async def migrate_community(self, platform: str, old_id: str, new_id: str) -> int:
        """A chat changed id (a Telegram group became a supergroup): its meetings, settings,
        imports, feeds and subscriptions follow. Returns how many rows moved."""
        old, new = f"{platform}:{old_id}", f"{platform}:{new_id}"
        moved = 0
        async with self.db.transaction() as conn:
            await conn.execute(  # the stored record carries its community too
                "UPDATE meetings SET data = json_set(data, '$.community', ?) WHERE community = ?",
                (new, old),
            )
            for table in ("meetings", "occurrences", "community_settings", "subscriptions",
                          "import_sources", "feeds", "change_reports"):
                cur = await conn.execute(
                    f"UPDATE {table} SET community = ? WHERE community = ?", (new, old)
                )
                moved += max(cur.rowcount, 0)
        moved += await self.subscriptions.migrate_address(Address(platform, old_id), new_id)
        return moved

    async def close(self) -> None:
        await self.db.close()
