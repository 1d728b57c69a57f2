"""Heads-ups to reminder holders when a sitting changes (core.schedule_notices), sent by the
real delivery engine over a real SQLite file and rendered by the real composer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.clock import FakeClock
from core.conversation.outbound import OutboundComposer
from core.delivery import DeliveryEngine
from core.model import Meeting, build_meeting
from core.outbound import Address, MessageKind, OutboundMessage, SendResult
from core.reflections import Pack, load_pack
from core.replies import Reply
from core.schedule_edits import (
    cancel_sitting,
    close_meeting,
    move_sitting,
    restore_sitting,
    save_schedule_edit,
)
from core.services import Services
from core.store.subscriptions import Status
from tests.core.fixtures.packs import write_dir_pack
from tests.core.test_delivery import FakeTransport, make_engine

NY = ZoneInfo("America/New_York")
THU = date(2026, 6, 4)  # the clock fixture is Wed 3 Jun 2026 15:00 UTC
DM = Address("telegram", "dm-9")


@dataclass
class Notices:
    services: Services
    clock: FakeClock
    engine: DeliveryEngine
    tg: FakeTransport

    async def remind(self, user: str = "9", zone: str = "America/New_York",
                     lang: str = "en") -> int:
        sub = await self.services.subscriptions.add_reminder(
            "telegram", user, Address("telegram", f"dm-{user}"), "thursday", 30, zone, lang)
        return sub.id

    async def edit(self, change: Callable[[Meeting], Meeting]) -> None:
        await save_schedule_edit(self.services, "thursday", change)

    async def run_until(self, until: datetime) -> None:
        """Serve every reminder falling due up to `until`, each at its own instant."""
        for _ in range(1000):
            due = await self.engine.store.earliest_due("telegram")
            if due is None or due > until:
                break
            self.clock.set(max(due, self.clock.now()))
            await self.engine.run_once()
        self.clock.set(until)

    def notices(self) -> list[OutboundMessage]:
        return [m for _, _, m in self.tg.sent if m.kind is MessageKind.NOTICE]

    async def rendered(self, message: OutboundMessage) -> Reply:
        return await OutboundComposer(self.services)(message)

    async def rows(self) -> list[tuple[str, int, str, str]]:
        found = await self.services.db.fetchall(
            "SELECT sitting_date, seq, state, status FROM schedule_notices "
            "ORDER BY sitting_date, seq")
        return [tuple(r) for r in found]  # type: ignore[misc]


@pytest.fixture
def pack(tmp_path: Path) -> Pack:
    return load_pack(write_dir_pack(tmp_path / "pack"))


@pytest.fixture
async def rig(services: Services, clock: FakeClock, pack: Pack) -> AsyncIterator[Notices]:
    await services.meetings.add(
        build_meeting(name="Thursday Steps", fellowship="aa", days=["thursday"], start="19:00",
                      end="20:00", timezone="America/New_York", slug="thursday")
    )
    tg = FakeTransport("telegram", clock)
    engine = make_engine(services, clock, pack, [tg])
    yield Notices(services, clock, engine, tg)
    await engine.stop()


async def test_a_cancellation_after_the_reminder_is_told_once(rig: Notices) -> None:
    await rig.remind()
    await rig.edit(lambda m: cancel_sitting(m, THU, "room booked"))
    await rig.engine.run_once()
    [message] = rig.notices()
    assert message.local_date == THU and message.meeting_slug == "thursday"
    assert rig.tg.sent[0][1] == DM  # the member's private chat
    reply = await rig.rendered(message)
    assert reply.private and reply.title == "Heads-up: “Thursday Steps”"
    assert reply.blocks[0] == "Thu 4 Jun: cancelled (room booked)"
    assert "stays on" in reply.blocks[1] and reply.cards == []
    # Scanning and serving again (another edit, the hourly scan) says nothing more.
    await rig.edit(lambda m: cancel_sitting(m, date(2026, 7, 30)))
    rig.clock.advance(hours=2)
    await rig.engine.run_once()
    assert len(rig.notices()) == 1
    assert await rig.rows() == [("2026-06-04", 1, "cancelled", "sent")]
    # …and the cancelled sitting gets no reminder; the next one does.
    await rig.run_until(datetime(2026, 6, 12, tzinfo=UTC))
    reminders = [m for _, _, m in rig.tg.sent if m.kind is MessageKind.REMINDER]
    assert [m.occurrence_start for m in reminders] == [datetime(2026, 6, 11, 19, tzinfo=NY)]


async def test_changes_known_when_the_reminder_was_set_are_not_news(rig: Notices) -> None:
    await rig.edit(lambda m: cancel_sitting(m, THU))
    await rig.edit(lambda m: move_sitting(m, date(2026, 6, 11), "21:00"))
    await rig.remind()
    await rig.engine.run_once()
    rig.clock.advance(days=6)  # 11 Jun is within the week now
    await rig.engine.run_once()
    assert rig.notices() == [] and await rig.rows() == []


async def test_a_change_weeks_ahead_is_told_when_it_comes_within_seven_days(
    rig: Notices,
) -> None:
    await rig.remind()
    await rig.edit(lambda m: close_meeting(m, date(2026, 6, 22), date(2026, 6, 28), "works"))
    await rig.engine.run_once()
    assert rig.notices() == []
    rig.clock.set(datetime(2026, 6, 17, 23, 30, tzinfo=UTC))  # 19:30 NY Wed: 25 Jun is 8 days
    await rig.engine.run_once()
    assert rig.notices() == []
    rig.clock.set(datetime(2026, 6, 18, 4, 30, tzinfo=UTC))  # 00:30 NY Thu 18: 7 days ahead
    await rig.engine.run_once()
    [message] = rig.notices()
    assert message.local_date == date(2026, 6, 25)
    reply = await rig.rendered(message)
    assert reply.blocks[0] == "Thu 25 Jun: closed (works)"


async def test_a_cancellation_taken_back_before_it_was_sent_is_never_mentioned(
    rig: Notices,
) -> None:
    await rig.remind()
    await rig.edit(lambda m: cancel_sitting(m, THU))
    await rig.edit(lambda m: restore_sitting(m, THU))
    await rig.engine.run_once()
    assert rig.notices() == []
    assert await rig.rows() == [("2026-06-04", 1, "cancelled", "dropped")]


async def test_a_sitting_put_back_after_the_heads_up_is_told_again(rig: Notices) -> None:
    await rig.remind(lang="es")
    await rig.edit(lambda m: cancel_sitting(m, THU))
    await rig.engine.run_once()
    [first] = rig.notices()
    assert (await rig.rendered(first)).blocks[0] == "jue 4 jun: cancelada"
    await rig.edit(lambda m: restore_sitting(m, THU))
    await rig.engine.run_once()
    second = rig.notices()[1]
    again = await rig.rendered(second)
    assert again.title == "Aviso: «Thursday Steps»"
    assert again.blocks[0] == "jue 4 jun: vuelve a ser como siempre, a las 19:00."
    assert [c.slug for c in again.cards] == ["thursday"]
    # Cancelled once more: that is news again (a third heads-up, not ignored as a repeat).
    await rig.edit(lambda m: cancel_sitting(m, THU))
    await rig.engine.run_once()
    assert len(rig.notices()) == 3
    assert [r[1:] for r in await rig.rows()] == [
        (1, "cancelled", "sent"), (2, "regular", "sent"), (3, "cancelled", "sent")]


async def test_a_moved_sitting_shows_its_new_time_in_the_members_zone(rig: Notices) -> None:
    await rig.remind(zone="Europe/Madrid")
    await rig.edit(lambda m: move_sitting(m, THU, "21:00", None, reason="speaker meeting"))
    await rig.engine.run_once()
    [message] = rig.notices()
    reply = await rig.rendered(message)
    assert reply.blocks[0] == "Thu 4 Jun: moved to 21:00 (speaker meeting)"
    [card] = reply.cards
    assert card.start_local == datetime(2026, 6, 4, 21, tzinfo=NY)
    assert card.start_viewer.isoformat() == "2026-06-05T03:00:00+02:00"
    assert "moved from 19:00" in card.when_text
    # The reminder follows the move: 30 minutes before 21:00 New York.
    await rig.run_until(datetime(2026, 6, 5, 2, tzinfo=UTC))
    reminders = [m for _, _, m in rig.tg.sent if m.kind is MessageKind.REMINDER]
    assert [m.occurrence_start for m in reminders] == [datetime(2026, 6, 4, 21, tzinfo=NY)]


async def test_a_sitting_already_over_or_changed_again_is_not_sent(rig: Notices) -> None:
    await rig.remind()
    await rig.edit(lambda m: move_sitting(m, THU, "21:00"))
    await rig.edit(lambda m: move_sitting(restore_sitting(m, THU), THU, "20:00"))
    await rig.engine.run_once()
    [message] = rig.notices()  # only the newest: moved to 20:00
    assert (await rig.rendered(message)).blocks[0] == "Thu 4 Jun: moved to 20:00"
    states = [r[2:] for r in await rig.rows()]
    assert states == [("moved 2026-06-04 21:00-22:00", "dropped"),
                      ("moved 2026-06-04 20:00-21:00", "sent")]


async def test_a_reminder_from_before_this_feature_takes_its_baseline_first(
    rig: Notices,
) -> None:
    sub_id = await rig.remind()
    async with rig.services.db.transaction() as conn:  # as a database upgraded to version 7
        await conn.execute("DELETE FROM reminder_baselines WHERE subscription_id = ?", (sub_id,))
    async with rig.services.db.transaction() as conn:
        meeting = await rig.services.meetings.get_in(conn, "thursday")
        assert meeting is not None
        await rig.services.meetings.update(conn, cancel_sitting(meeting, THU))
    await rig.engine.run_once()  # the hourly scan: the baseline is today's schedule
    assert rig.notices() == []
    rig.clock.advance(days=1)  # 11 Jun within the week
    await rig.edit(lambda m: cancel_sitting(m, date(2026, 6, 11)))
    await rig.engine.run_once()
    assert [m.local_date for m in rig.notices()] == [date(2026, 6, 11)]


async def test_a_blocked_chat_ends_the_reminder_and_failures_are_retried(
    rig: Notices,
) -> None:
    await rig.remind("1")
    await rig.remind("2")
    rig.tg.script["dm-1"] = [SendResult.blocked()]
    rig.tg.script["dm-2"] = [SendResult.failed("boom")]
    await rig.edit(lambda m: cancel_sitting(m, THU))
    await rig.engine.run_once()
    assert rig.notices() == []
    one = await rig.services.subscriptions.list_reminders("telegram", "1")
    assert [s.status for s in one] == [Status.BLOCKED]
    rig.clock.advance(seconds=rig.engine.retry_base_seconds)
    await rig.engine.run_once()
    assert [a.chat_id for _, a, m in rig.tg.sent if m.kind is MessageKind.NOTICE] == ["dm-2"]
    statuses = sorted(r[3] for r in await rig.rows())
    assert statuses == ["blocked", "sent"]


async def test_forgetme_removes_baselines_and_heads_ups(rig: Notices) -> None:
    await rig.remind()
    await rig.edit(lambda m: cancel_sitting(m, THU))
    await rig.engine.run_once()
    assert len(rig.notices()) == 1
    await rig.services.subscriptions.forget_user("telegram", "9")
    for table in ("schedule_notices", "reminder_baselines"):
        assert await rig.services.db.scalar(f"SELECT count(*) FROM {table}") == 0


async def test_scans_in_two_processes_queue_each_heads_up_once(
    rig: Notices, clock: FakeClock
) -> None:
    await rig.remind()
    async with rig.services.db.transaction() as conn:  # changed behind this process's back
        meeting = await rig.services.meetings.get_in(conn, "thursday")
        assert meeting is not None
        await rig.services.meetings.update(conn, cancel_sitting(meeting, THU))
    other = await Services.open(rig.services.config, clock)
    try:
        results = await asyncio.gather(
            rig.services.subscriptions.notices.scan(), other.subscriptions.notices.scan(),
            rig.services.subscriptions.notices.scan("thursday"),
            other.subscriptions.notices.scan("thursday"))
    finally:
        await other.close()
    assert sum(r.added for r in results) == 1
    await rig.engine.run_once()
    assert len(rig.notices()) == 1


async def test_only_sittings_within_the_week_and_still_to_come_count(rig: Notices) -> None:
    await rig.remind()
    rig.clock.set(datetime(2026, 6, 4, 23, 30, tzinfo=UTC))  # 19:30 NY: today's has begun
    await rig.edit(lambda m: cancel_sitting(cancel_sitting(m, THU), date(2026, 6, 18)))
    await rig.engine.run_once()
    assert rig.notices() == []  # 4 Jun is under way, 18 Jun two weeks off
    rig.clock.advance(days=7)
    await rig.engine.run_once()
    assert [m.local_date for m in rig.notices()] == [date(2026, 6, 18)]
