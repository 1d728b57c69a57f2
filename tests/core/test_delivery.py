"""The delivery engine, driven by a fake clock and fake transports (plus one real crash)."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import signal
import subprocess
import sys
import time as timer
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.clock import FakeClock
from core.config import Config, RateLimits
from core.delivery import DeliveryEngine, TokenBucket
from core.model import build_meeting
from core.outbound import Address, MessageKind, OutboundMessage, SendKind, SendResult
from core.reflections import Pack, load_pack
from core.schedule_edits import cancel_sitting, move_sitting
from core.services import Services
from core.store.subscriptions import Status
from core.subscriptions import Owner, Subscriptions
from tests.core.fixtures import delivery_worker
from tests.core.fixtures.packs import write_dir_pack

NY = ZoneInfo("America/New_York")
REPO = Path(__file__).resolve().parents[2]


class FakeTransport:
    """Records every call; answers from a per-chat script of results (default: ok)."""

    def __init__(self, platform: str, clock: FakeClock) -> None:
        self.platform = platform
        self.clock = clock
        self.calls: list[tuple[datetime, Address, OutboundMessage]] = []
        self.sent: list[tuple[datetime, Address, OutboundMessage]] = []
        self.script: dict[str, list[SendResult]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.real_delay = 0.0
        self.admins: dict[str, list[Address]] = {}

    async def admin_addresses(self, community_id: str) -> list[Address]:
        return list(self.admins.get(community_id, ()))

    async def send(self, address: Address, message: OutboundMessage) -> SendResult:
        self.calls.append((self.clock.now(), address, message))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.real_delay)
        finally:
            self.in_flight -= 1
        queue = self.script.get(address.chat_id)
        result = queue.pop(0) if queue else SendResult.ok()
        if result.kind is SendKind.OK:
            self.sent.append((self.clock.now(), address, message))
        return result


class ManualClock(FakeClock):
    """Time moves only when the test says so; `sleep` waits for it (like real time)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.changed = asyncio.Condition()
        self.sleepers = 0

    async def sleep(self, seconds: float) -> None:
        target = self.now() + timedelta(seconds=max(0.0, seconds))
        async with self.changed:
            self.sleepers += 1
            try:
                await self.changed.wait_for(lambda: self.now() >= target)
            finally:
                self.sleepers -= 1

    async def move_to(self, instant: datetime) -> None:
        self.set(instant)
        async with self.changed:
            self.changed.notify_all()


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = timer.monotonic() + seconds
    while not condition():
        if timer.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.005)


@dataclass
class Rig:
    services: Services
    clock: FakeClock
    engine: DeliveryEngine
    subs: Subscriptions
    tg: FakeTransport
    dc: FakeTransport

    async def run_until(self, until: datetime) -> None:
        """Jump from due instant to due instant, serving each, up to `until`."""
        for _ in range(10_000):
            dues = [await self.engine.store.earliest_due(p) for p in ("telegram", "discord")]
            nxt = min((d for d in dues if d is not None), default=None)
            if nxt is None or nxt > until:
                break
            if nxt > self.clock.now():
                self.clock.set(nxt)
            await self.engine.run_once()
        if until > self.clock.now():
            self.clock.set(until)


@pytest.fixture
def pack(tmp_path: Path) -> Pack:
    return load_pack(write_dir_pack(tmp_path / "pack"))


def make_engine(
    services: Services,
    clock: FakeClock,
    pack: Pack,
    transports: list[FakeTransport],
    limits: dict[str, RateLimits | None] | None = None,
    **kw: object,
) -> DeliveryEngine:
    return DeliveryEngine(
        services.db,
        clock,
        {t.platform: t for t in transports},
        services.config,
        pack,
        meetings=services.meetings,
        limits=limits if limits is not None else {t.platform: None for t in transports},
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def rig(services: Services, clock: FakeClock, pack: Pack) -> AsyncIterator[Rig]:
    tg, dc = FakeTransport("telegram", clock), FakeTransport("discord", clock)
    engine = make_engine(services, clock, pack, [tg, dc])
    subs = Subscriptions(services.db, clock, meetings=services.meetings, on_change=engine.wake)
    yield Rig(services, clock, engine, subs, tg, dc)
    await engine.stop()


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


async def personal(
    rig: Rig,
    user: str = "u1",
    at: time = time(7),
    zone: str = "America/New_York",
    platform: str = "telegram",
    lang: str = "en",
) -> int:
    sub = await rig.subs.subscribe(
        platform, user, None, Address(platform, f"dm-{user}"), at, zone, lang
    )
    return sub.id


# ---------------------------------------------------------------------------------------------


async def test_one_reflection_per_local_day_with_that_days_text(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, 0, 0, tzinfo=UTC))
    await personal(rig, lang="es")
    await rig.engine.run_once()
    assert rig.tg.calls == []
    await rig.run_until(datetime(2026, 6, 6, 0, 0, tzinfo=UTC))
    days = [m.local_date for _, _, m in rig.tg.sent]
    assert days == [date(2026, 6, 3), date(2026, 6, 4), date(2026, 6, 5)]
    for at, address, message in rig.tg.sent:
        assert local(at, "America/New_York").time() == time(7)
        assert address == Address("telegram", "dm-u1")
        assert message.kind is MessageKind.REFLECTION and message.language == "es"
        assert message.reflection is not None
        assert message.reflection.title == f"es title {message.local_date:%m-%d}"
    # Serving again at the same instant sends nothing more.
    await rig.engine.run_once()
    assert len(rig.tg.sent) == 3
    statuses = await rig.services.db.fetchall("SELECT status FROM deliveries")
    assert [r[0] for r in statuses] == ["sent"] * 3


@pytest.mark.parametrize(
    "start, end",
    [
        (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC)),  # spring forward
        (datetime(2026, 10, 29, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC)),  # fall back
    ],
)
async def test_seven_am_stays_seven_am_local_across_dst(
    rig: Rig, start: datetime, end: datetime
) -> None:
    rig.clock.set(start)
    await personal(rig)
    await rig.run_until(end)
    assert len(rig.tg.sent) == 7
    assert {local(at, "America/New_York").time() for at, _, _ in rig.tg.sent} == {time(7)}
    offsets = {at.astimezone(NY).utcoffset() for at, _, _ in rig.tg.sent}
    assert len(offsets) == 2  # both standard and daylight time were crossed


async def test_time_in_the_spring_gap_moves_forward_that_day_only(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 3, 7, tzinfo=UTC))
    await personal(rig, at=time(2, 30))
    await rig.run_until(datetime(2026, 3, 10, tzinfo=UTC))
    times = [local(at, "America/New_York").strftime("%m-%d %H:%M") for at, _, _ in rig.tg.sent]
    assert times == ["03-07 02:30", "03-08 03:30", "03-09 02:30"]


async def test_member_zone_differs_from_the_community_zone(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await rig.subs.subscribe(
        "telegram", None, "-100", Address("telegram", "-100"), time(7), "America/New_York", "en"
    )
    await rig.subs.subscribe(
        "discord", "42", None, Address("discord", "dm-42"), time(7), "Asia/Tokyo", "es"
    )
    await rig.run_until(datetime(2026, 6, 5, 12, tzinfo=UTC))
    assert [m.local_date for _, _, m in rig.tg.sent] == [
        date(2026, 6, 3),
        date(2026, 6, 4),
        date(2026, 6, 5),
    ]
    # 00:00 UTC on the 3rd is already 09:00 in Tokyo: the member's first morning is the 4th.
    assert [m.local_date for _, _, m in rig.dc.sent] == [date(2026, 6, 4), date(2026, 6, 5)]
    for at, _, message in rig.tg.sent:
        assert local(at, "America/New_York").time() == time(7)
        assert local(at, "America/New_York").date() == message.local_date
    for at, _, message in rig.dc.sent:
        assert local(at, "Asia/Tokyo").time() == time(7)
        assert local(at, "Asia/Tokyo").date() == message.local_date
        assert message.reflection is not None and message.reflection.language == "es"


async def test_pause_and_resume(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    sub_id = await personal(rig)
    owner = Owner.user("telegram", "u1")
    await rig.run_until(datetime(2026, 6, 3, 12, tzinfo=UTC))
    assert len(rig.tg.sent) == 1
    paused = await rig.subs.pause(sub_id, owner)
    assert paused.status is Status.PAUSED and paused.next_due is None
    await rig.run_until(datetime(2026, 6, 6, 12, tzinfo=UTC))
    assert len(rig.tg.sent) == 1
    resumed = await rig.subs.resume(sub_id, owner)
    assert resumed.status is Status.ACTIVE
    assert resumed.due_date == date(2026, 6, 7)  # today's 07:00 has passed: no late copy
    await rig.run_until(datetime(2026, 6, 8, 12, tzinfo=UTC))
    assert [m.local_date for _, _, m in rig.tg.sent] == [
        date(2026, 6, 3),
        date(2026, 6, 7),
        date(2026, 6, 8),
    ]


async def test_changing_the_time_never_sends_a_second_message_that_day(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    sub_id = await personal(rig)
    await rig.run_until(datetime(2026, 6, 3, 12, tzinfo=UTC))
    await rig.subs.set_time(sub_id, Owner.user("telegram", "u1"), time(20))
    await rig.run_until(datetime(2026, 6, 4, 23, 0, tzinfo=UTC))  # 19:00 NY on the 4th
    assert [m.local_date for _, _, m in rig.tg.sent] == [date(2026, 6, 3)]
    await rig.run_until(datetime(2026, 6, 5, 1, tzinfo=UTC))
    assert [m.local_date for _, _, m in rig.tg.sent] == [date(2026, 6, 3), date(2026, 6, 4)]
    assert local(rig.tg.sent[-1][0], "America/New_York").time() == time(20)


async def test_catch_up_within_the_window_sends_late(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await personal(rig)
    rig.clock.set(datetime(2026, 6, 3, 16, 0, tzinfo=UTC))  # 5 h late (window: 6 h)
    await rig.engine.run_once()
    assert [m.local_date for _, _, m in rig.tg.sent] == [date(2026, 6, 3)]
    assert rig.engine.metrics["skipped_late"] == 0


async def test_beyond_the_window_skips_to_the_next_day(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    sub_id = await personal(rig)
    rig.clock.set(datetime(2026, 6, 3, 18, 0, tzinfo=UTC))  # 7 h late
    await rig.engine.run_once()
    assert rig.tg.calls == []
    assert rig.engine.metrics["skipped_late"] == 1
    row = await rig.services.db.fetchone(
        "SELECT status FROM deliveries WHERE local_date = ?", ("2026-06-03",)
    )
    assert row is not None and row[0] == "skipped"
    sub = await rig.subs.get(sub_id, Owner.user("telegram", "u1"))
    assert sub.due_date == date(2026, 6, 4)
    await rig.run_until(datetime(2026, 6, 4, 12, tzinfo=UTC))
    assert [m.local_date for _, _, m in rig.tg.sent] == [date(2026, 6, 4)]


async def test_days_of_downtime_send_only_the_day_still_in_the_window(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await personal(rig)
    rig.clock.set(datetime(2026, 6, 6, 13, 0, tzinfo=UTC))  # back 2 h after 07:00 on the 6th
    await rig.engine.run_once()
    assert [m.local_date for _, _, m in rig.tg.sent] == [date(2026, 6, 6)]


async def test_catch_up_window_is_configurable(
    services: Services, clock: FakeClock, pack: Pack
) -> None:
    tg = FakeTransport("telegram", clock)
    config = Config(db_path=services.config.db_path, catch_up_hours=1)
    engine = DeliveryEngine(
        services.db, clock, {"telegram": tg}, config, pack, limits={"telegram": None}
    )
    subs = Subscriptions(services.db, clock)
    clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await subs.subscribe(
        "telegram", "u", None, Address("telegram", "c"), time(7), "America/New_York", "en"
    )
    clock.set(datetime(2026, 6, 3, 13, 0, tzinfo=UTC))  # 2 h late
    await engine.run_once()
    assert tg.calls == [] and engine.metrics["skipped_late"] == 1


async def test_blocked_deactivates_everything_to_that_chat(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="core")
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await rig.services.meetings.add(
        build_meeting(
            name="Daily Hope",
            fellowship="aa",
            days=list(range(7)),
            start="19:00",
            timezone="America/New_York",
            slug="daily-hope",
        )
    )
    sub_id = await personal(rig, user="secret-user")
    reminder = await rig.subs.add_reminder(
        "telegram",
        "secret-user",
        Address("telegram", "dm-secret-user"),
        "daily-hope",
        30,
        "America/New_York",
        "en",
    )
    other = await personal(rig, user="other")
    rig.tg.script["dm-secret-user"] = [SendResult.blocked("bot was blocked by the user")]
    await rig.run_until(datetime(2026, 6, 5, tzinfo=UTC))
    owner = Owner.user("telegram", "secret-user")
    assert (await rig.subs.get(sub_id, owner)).status is Status.BLOCKED
    assert (await rig.subs.get(reminder.id, owner)).status is Status.BLOCKED
    assert len([c for c in rig.tg.calls if c[1].chat_id == "dm-secret-user"]) == 1
    assert len([s for s in rig.tg.sent if s[1].chat_id == "dm-other"]) == 2
    assert rig.engine.metrics["blocked"] == 1
    assert (await rig.subs.get(other, Owner.user("telegram", "other"))).status is Status.ACTIVE
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("core"))
    assert "blocked" in ours and "secret-user" not in ours
    # The member comes back and resumes: delivery starts again.
    await rig.subs.resume(sub_id, owner)
    await rig.run_until(datetime(2026, 6, 5, 12, tzinfo=UTC))
    back = [m.local_date for _, a, m in rig.tg.sent if a.chat_id == "dm-secret-user"]
    assert back == [date(2026, 6, 5)]


async def test_retry_after_backs_off_that_platform_only(services: Services, pack: Pack) -> None:
    due = datetime(2026, 6, 3, 11, tzinfo=UTC)
    clock = ManualClock(datetime(2026, 6, 3, tzinfo=UTC))
    tg, dc = FakeTransport("telegram", clock), FakeTransport("discord", clock)
    config = Config(db_path=services.config.db_path, max_concurrency=1)
    engine = DeliveryEngine(
        services.db,
        clock,
        {"telegram": tg, "discord": dc},
        config,
        pack,
        limits={"telegram": None, "discord": None},
    )
    subs = Subscriptions(services.db, clock)
    for user, platform in (
        ("a", "telegram"),
        ("b", "telegram"),
        ("c", "telegram"),
        ("d", "discord"),
    ):
        await subs.subscribe(
            platform, user, None, Address(platform, f"dm-{user}"), time(7), "America/New_York", "en"
        )
    tg.script["dm-a"] = [SendResult.retry(30)]
    await clock.move_to(due)
    run = asyncio.create_task(engine.run_once())
    # Telegram answered 429 to the first message: its queue waits, Discord's does not.
    await wait_for(lambda: len(dc.sent) == 1 and clock.sleepers > 0)
    await asyncio.sleep(0.05)
    assert [c[1].chat_id for c in tg.calls] == ["dm-a"] and tg.sent == []
    await clock.move_to(due + timedelta(seconds=29))
    await asyncio.sleep(0.05)
    assert len(tg.calls) == 1
    await clock.move_to(due + timedelta(seconds=30))
    await asyncio.wait_for(run, 5)
    assert sorted(s[1].chat_id for s in tg.sent) == ["dm-a", "dm-b", "dm-c"]  # once each
    assert engine.metrics["rate_limited"] == 1 and engine.metrics["sent"] == 4


async def test_migrated_chat_is_followed_and_stored(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    sub = await rig.subs.subscribe(
        "telegram", None, "-1", Address("telegram", "-1"), time(7), "America/New_York", "en"
    )
    rig.tg.script["-1"] = [SendResult.migrated("-1001")]
    await rig.run_until(datetime(2026, 6, 4, 12, tzinfo=UTC))
    assert [s[1].chat_id for s in rig.tg.sent] == ["-1001", "-1001"]
    moved = await rig.subs.get(sub.id, Owner.of_community("telegram", "-1001"))
    assert moved.address == Address("telegram", "-1001")
    assert rig.engine.metrics["migrated"] == 1


async def test_failed_sends_retry_with_backoff_then_give_up_for_the_day(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    sub_id = await personal(rig)
    rig.tg.script["dm-u1"] = [SendResult.failed("500")] * 5
    slot = datetime(2026, 6, 3, 11, tzinfo=UTC)
    await rig.run_until(datetime(2026, 6, 3, 23, tzinfo=UTC))
    offsets = [(at - slot).total_seconds() for at, _, _ in rig.tg.calls]
    assert offsets == [0, 30, 90, 210, 450]
    assert rig.tg.sent == []
    assert rig.engine.metrics["failed_attempts"] == 4 and rig.engine.metrics["gave_up"] == 1
    row = await rig.services.db.fetchone("SELECT status, attempts FROM deliveries")
    assert row is not None and tuple(row) == ("failed", 5)
    sub = await rig.subs.get(sub_id, Owner.user("telegram", "u1"))
    assert sub.due_date == date(2026, 6, 4) and sub.attempts == 0
    await rig.run_until(datetime(2026, 6, 4, 12, tzinfo=UTC))
    assert [m.local_date for _, _, m in rig.tg.sent] == [date(2026, 6, 4)]


async def test_a_transport_exception_counts_as_failed(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await personal(rig)

    async def boom(address: Address, message: OutboundMessage) -> SendResult:
        raise RuntimeError("network down")

    rig.tg.send = boom  # type: ignore[method-assign]
    rig.clock.set(datetime(2026, 6, 3, 11, tzinfo=UTC))
    await rig.engine.run_once()
    assert rig.engine.metrics["errors"] == 1 and rig.engine.metrics["failed_attempts"] == 1


async def test_weekly_meeting_reminder_before_each_occurrence(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, 15, tzinfo=UTC))  # a Wednesday
    await rig.services.meetings.add(
        build_meeting(
            name="Monday Night",
            fellowship="na",
            days=["monday"],
            start="19:00",
            timezone="America/New_York",
            slug="monday-night",
        )
    )
    reminder = await rig.subs.add_reminder(
        "discord", "7", Address("discord", "dm-7"), "monday-night", 30, "Europe/London", "en"
    )
    assert reminder.next_due == datetime(2026, 6, 8, 22, 30, tzinfo=UTC)
    await rig.run_until(datetime(2026, 6, 20, tzinfo=UTC))
    assert len(rig.dc.sent) == 2
    for at, _, message in rig.dc.sent:
        assert message.kind is MessageKind.REMINDER and message.meeting_slug == "monday-night"
        assert message.occurrence_start is not None
        assert message.occurrence_start.astimezone(NY).time() == time(19)
        assert message.occurrence_start - at == timedelta(minutes=30)
        # 23:00 UTC start is already the next day in London
        assert (
            message.local_date
            == message.occurrence_start.astimezone(ZoneInfo("Europe/London")).date()
        )
    starts = [m.occurrence_start for _, _, m in rig.dc.sent]
    assert [s.date() for s in starts if s is not None] == [date(2026, 6, 8), date(2026, 6, 15)]


async def test_reminder_follows_a_moved_meeting_and_ends_with_a_removed_one(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, 15, tzinfo=UTC))
    meeting = await rig.services.meetings.add(
        build_meeting(
            name="Friday",
            fellowship="aa",
            days=["friday"],
            start="19:00",
            timezone="America/New_York",
            slug="friday",
        )
    )
    reminder = await rig.subs.add_reminder(
        "telegram", "9", Address("telegram", "dm-9"), "friday", 60, "America/New_York", "en"
    )

    async def move(start: time) -> None:
        async with rig.services.db.transaction() as conn:
            await rig.services.meetings.update(
                conn, replace(meeting, start=start, end=time(start.hour + 1))
            )

    # Moved later without telling anyone: the engine notices at the stale instant.
    await move(time(20))
    await rig.run_until(datetime(2026, 6, 7, tzinfo=UTC))
    assert len(rig.tg.sent) == 1
    at, _, message = rig.tg.sent[0]
    assert message.occurrence_start is not None
    assert message.occurrence_start.astimezone(NY).time() == time(20)
    assert at == message.occurrence_start - timedelta(minutes=60)
    # Moved earlier, with the meetings layer calling refresh_reminders.
    await move(time(18))
    assert await rig.subs.refresh_reminders("friday") == 1
    await rig.run_until(datetime(2026, 6, 14, tzinfo=UTC))
    at, _, message = rig.tg.sent[-1]
    assert len(rig.tg.sent) == 2 and message.occurrence_start is not None
    assert message.occurrence_start.astimezone(NY).time() == time(18)
    assert at == message.occurrence_start - timedelta(minutes=60)
    await rig.services.meetings.remove("friday")
    await rig.run_until(datetime(2026, 6, 30, tzinfo=UTC))
    assert len(rig.tg.sent) == 2
    ended = await rig.subs.get(reminder.id, Owner.user("telegram", "9"))
    assert ended.status is Status.ENDED and rig.engine.metrics["ended"] == 1


async def test_reminders_skip_a_cancelled_sitting_and_follow_one_moved_to_another_day(
    rig: Rig,
) -> None:
    """Thursday 19:00 New York: 11 Jun cancelled, 18 Jun moved to Friday 19 Jun at 21:00."""
    rig.clock.set(datetime(2026, 6, 3, 15, tzinfo=UTC))
    meeting = await rig.services.meetings.add(
        build_meeting(name="Thursday", fellowship="aa", days=["thursday"], start="19:00",
                      end="20:00", timezone="America/New_York", slug="thursday")
    )
    changed = cancel_sitting(meeting, date(2026, 6, 11), "holiday")
    changed = move_sitting(changed, date(2026, 6, 18), "21:00", "22:00",
                           new_date=date(2026, 6, 19))
    async with rig.services.db.transaction() as conn:
        await rig.services.meetings.update(conn, changed)
    await rig.subs.add_reminder(
        "telegram", "9", Address("telegram", "dm-9"), "thursday", 30, "America/New_York", "en"
    )
    await rig.run_until(datetime(2026, 6, 27, tzinfo=UTC))
    starts = [m.occurrence_start.astimezone(NY) for _, _, m in rig.tg.sent
              if m.occurrence_start is not None]
    assert starts == [
        datetime(2026, 6, 4, 19, tzinfo=NY),
        datetime(2026, 6, 19, 21, tzinfo=NY),  # moved: a day later, two hours later
        datetime(2026, 6, 25, 19, tzinfo=NY),
    ]
    for at, _, message in rig.tg.sent:
        assert message.occurrence_start is not None
        assert message.occurrence_start - at == timedelta(minutes=30)


async def test_late_reminder_is_skipped_once_the_meeting_started(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, 15, tzinfo=UTC))
    await rig.services.meetings.add(
        build_meeting(
            name="Daily",
            fellowship="aa",
            days=list(range(7)),
            start="19:00",
            timezone="America/New_York",
            slug="daily",
        )
    )
    await rig.subs.add_reminder(
        "telegram", "9", Address("telegram", "dm-9"), "daily", 60, "America/New_York", "en"
    )
    rig.clock.set(datetime(2026, 6, 3, 23, 5, tzinfo=UTC))  # 19:05 NY: already started
    await rig.engine.run_once()
    assert rig.tg.calls == [] and rig.engine.metrics["skipped_late"] == 1
    await rig.run_until(datetime(2026, 6, 4, 23, tzinfo=UTC))
    assert len(rig.tg.sent) == 1


async def test_milestones_arrive_on_the_day_at_the_chosen_local_time(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, 15, tzinfo=UTC))
    await rig.subs.set_sobriety(
        "telegram",
        "5",
        date(2026, 5, 4),
        "Europe/Madrid",
        milestones=True,
        address=Address("telegram", "dm-5"),
        language="es",
    )
    await rig.run_until(datetime(2027, 6, 1, tzinfo=UTC))
    got = [
        (m.milestone.key, m.local_date, m.sober_days)
        for _, _, m in rig.tg.sent
        if m.milestone is not None
    ]
    assert got == [
        ("60d", date(2026, 7, 3), 60),
        ("90d", date(2026, 8, 2), 90),
        ("6m", date(2026, 11, 4), 184),
        ("9m", date(2027, 2, 4), 276),
        ("1y", date(2027, 5, 4), 365),
    ]
    for at, _, message in rig.tg.sent:
        assert local(at, "Europe/Madrid").time() == time(9)
        assert message.kind is MessageKind.MILESTONE and message.language == "es"


async def test_concurrency_is_bounded(services: Services, clock: FakeClock, pack: Pack) -> None:
    tg = FakeTransport("telegram", clock)
    tg.real_delay = 0.001
    config = Config(db_path=services.config.db_path, max_concurrency=4)
    engine = DeliveryEngine(
        services.db, clock, {"telegram": tg}, config, pack, limits={"telegram": None}
    )
    subs = Subscriptions(services.db, clock)
    clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    for i in range(60):
        await subs.subscribe(
            "telegram",
            f"u{i}",
            None,
            Address("telegram", f"c{i}"),
            time(7),
            "America/New_York",
            "en",
        )
    clock.set(datetime(2026, 6, 3, 11, tzinfo=UTC))
    await engine.run_once()
    assert len(tg.sent) == 60
    assert tg.max_in_flight == 4


async def test_rate_limits_per_chat_per_group_and_overall(
    services: Services, clock: FakeClock, pack: Pack
) -> None:
    tg = FakeTransport("telegram", clock)
    limits = RateLimits(overall_per_second=10, per_chat_per_second=1, per_group_per_minute=20)
    engine = DeliveryEngine(
        services.db, clock, {"telegram": tg}, services.config, pack, limits={"telegram": limits}
    )
    subs = Subscriptions(services.db, clock)
    clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    for i in range(30):
        await subs.subscribe(
            "telegram",
            f"u{i}",
            None,
            Address("telegram", f"c{i}"),
            time(7),
            "America/New_York",
            "en",
        )
    for topic in ("1", "2", "3"):  # one group, three forum topics
        await subs.subscribe(
            "telegram",
            None,
            "-500",
            Address("telegram", "-500", topic),
            time(7),
            "America/New_York",
            "en",
        )
    start = datetime(2026, 6, 3, 11, tzinfo=UTC)
    clock.set(start)
    await engine.run_once()
    assert len(tg.sent) == 33
    # Each send happens no earlier than its token: the k-th group message at least 3k s in
    # (20/min), the k-th message overall at least (k - 10)/10 s in (10/s after a burst of 10).
    group = sorted(at for at, address, _ in tg.sent if address.chat_id == "-500")
    assert all(at >= start + timedelta(seconds=3 * k) for k, at in enumerate(group))
    everyone = sorted(at for at, _, _ in tg.sent)
    assert all(at >= start + timedelta(seconds=(k - 10) / 10) for k, at in enumerate(everyone))
    assert everyone[-1] >= start + timedelta(seconds=6)


def test_token_bucket_spaces_reservations() -> None:
    bucket = TokenBucket(2.0, burst=2)
    waits = [bucket.reserve(100.0) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.5, 1.0, 1.5]
    assert not bucket.idle(101.0) and bucket.idle(103.0)


async def test_due_work_is_found_through_the_index(rig: Rig) -> None:
    plan = await rig.services.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT s.id FROM subscriptions AS s LEFT JOIN deliveries AS d "
        "ON d.subscription_id = s.id AND d.local_date = s.due_key WHERE s.platform = ? "
        "AND s.next_due_utc <= ? ORDER BY s.next_due_utc LIMIT 10",
        ("telegram", 0),
    )
    text = " ".join(str(r[3]) for r in plan)
    assert "subscriptions_due" in text and "SCAN s" not in text


async def test_old_delivery_records_are_pruned(rig: Rig) -> None:
    rig.clock.set(datetime(2026, 6, 3, tzinfo=UTC))
    await personal(rig)
    await rig.run_until(datetime(2026, 6, 30, tzinfo=UTC))
    assert await rig.services.db.scalar("SELECT count(*) FROM deliveries") < 27
    oldest = await rig.services.db.scalar("SELECT min(local_date) FROM deliveries")
    assert oldest >= "2026-06-10"


# ---------------------------------------------------------------------------------------------
# The scheduler task: sleeps until the earliest due item, wakes early for a sooner one.


async def test_scheduler_sleeps_until_due_and_wakes_for_sooner_work(
    services: Services, pack: Pack
) -> None:
    clock = ManualClock(datetime(2026, 6, 3, 10, 0, tzinfo=UTC))
    tg = FakeTransport("telegram", clock)
    engine = DeliveryEngine(
        services.db, clock, {"telegram": tg}, services.config, pack, limits={"telegram": None}
    )
    subs = Subscriptions(services.db, clock, on_change=engine.wake)
    await engine.start()
    try:
        await wait_for(lambda: clock.sleepers == 1)  # idle: nothing queued
        await subs.subscribe(
            "telegram", "u", None, Address("telegram", "c"), time(7), "America/New_York", "en"
        )  # due 11:00 UTC
        await wait_for(lambda: clock.sleepers == 1)
        await asyncio.sleep(0.05)
        assert tg.calls == []
        # A sooner one (10:30 UTC) wakes the sleeping task early.
        await subs.subscribe(
            "telegram", "v", None, Address("telegram", "d"), time(6, 30), "America/New_York", "en"
        )
        await asyncio.sleep(0.05)
        await clock.move_to(datetime(2026, 6, 3, 10, 30, tzinfo=UTC))
        await wait_for(lambda: len(tg.sent) == 1)
        assert tg.sent[0][1].chat_id == "d"
        await clock.move_to(datetime(2026, 6, 3, 11, 0, tzinfo=UTC))
        await wait_for(lambda: len(tg.sent) == 2)
        assert tg.sent[1][1].chat_id == "c"
    finally:
        await engine.stop(grace_seconds=1)
    assert engine.metrics["sent"] == 2


# ---------------------------------------------------------------------------------------------
# Crash safety: a real process, killed with SIGKILL mid-broadcast, then restarted.


def _worker(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.core.fixtures.delivery_worker", *args]


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_sigkill_mid_broadcast_loses_nothing_and_duplicates_at_most_in_flight(
    tmp_path: Path,
) -> None:
    count = 1500
    db, out = tmp_path / "crash.db", tmp_path / "sent.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        _worker("setup", str(db), str(count)), check=True, cwd=REPO, env=env, timeout=120
    )
    proc = subprocess.Popen(
        _worker("run", str(db), str(out)), cwd=REPO, env=env, stdout=subprocess.PIPE
    )
    deadline = timer.monotonic() + 60
    while len(_lines(out)) < count // 3:
        assert proc.poll() is None, "the worker finished before it could be killed"
        assert timer.monotonic() < deadline
        timer.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    first_run = set(_lines(out))
    assert len(first_run) < count, "killed too late to prove anything"
    done = subprocess.run(
        _worker("run", str(db), str(out)),
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    sent = collections.Counter(_lines(out))
    assert len(sent) == count  # every subscriber got the reflection
    duplicates = sum(n - 1 for n in sent.values())
    assert duplicates <= delivery_worker.CONCURRENCY
    # The restart sent exactly what had no 'sent' record: the rest, plus what was in flight.
    assert count <= metrics["sent"] + len(first_run) <= count + delivery_worker.CONCURRENCY
    # And the database agrees: one 'sent' record per subscriber for the day.
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
    assert rows == [("sent", count)]
