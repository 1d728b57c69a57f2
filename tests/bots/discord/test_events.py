"""A server's meetings as Discord scheduled events: discord.py's own Guild and ScheduledEvent
objects against the fake Discord REST API, with the fake clock across a DST change."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bots.discord.bot import StepbotClient
from bots.discord.events import MISSING_PERMISSION, EventSync
from core.clock import FakeClock
from core.model import Location, OnlineAccess
from core.schedule_edits import cancel_sitting, move_sitting, save_schedule_edit
from core.services import Services
from tests.bots.discord.conftest import MakeHarness
from tests.bots.discord.fake_discord import FakeDiscord
from tests.bots.discord.harness import DEFAULT_GUILD_ID, GENERAL_CHANNEL_ID, DiscordHarness
from tests.helpers import ZOOM, add_meeting

COMMUNITY = f"discord:{DEFAULT_GUILD_ID}"
SERVER_ADMIN = "32"  # Manage Server


def event_calls(fake: FakeDiscord) -> list[str]:
    return [c.method for c in fake.recorded if "/scheduled-events" in c.path
            and c.method != "GET"]


def events(fake: FakeDiscord) -> list[dict[str, object]]:
    return sorted(fake.scheduled_events.values(), key=lambda e: str(e["scheduled_start_time"]))


def admin_messages(fake: FakeDiscord, words: str) -> list[str]:
    """What stepbot posted in the server's system channel containing `words`."""
    return [str(m.get("content")) for m in fake.messages_in(GENERAL_CHANNEL_ID)
            if words in str(m.get("content"))]


def start_of(event: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(event["scheduled_start_time"])).astimezone(UTC)


async def own_meeting(services: Services, slug: str, day: str, **kw: object) -> None:
    """A meeting of the test server, weekly on `day` at 19:00-20:00 New York, on Zoom."""
    await add_meeting(services, slug, days=[day], start="19:00", end="20:00",
                      community=COMMUNITY, online=ZOOM, **kw)


async def switch(h: DiscordHarness, value: str) -> str:
    result = await h.invoke("settings community", {"setting": "events", "value": value},
                            permissions=SERVER_ADMIN)
    return json.dumps(result.callback.json, ensure_ascii=False)  # content and embeds


@pytest.fixture
async def h(make_harness: MakeHarness, bot: StepbotClient) -> DiscordHarness:
    return await make_harness(bot)


@pytest.fixture
def sync(bot: StepbotClient, services: Services) -> EventSync:
    return EventSync(bot, services)


async def test_own_meetings_get_one_event_for_their_next_sitting(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
    bot: StepbotClient,
) -> None:
    await own_meeting(services, "friday-hope", "friday", types=["W", "O"],
                      notes="Ask @everyone to bring a friend")
    await add_meeting(services, "directory-only")  # the global directory: not mirrored
    assert (await sync.reconcile(DEFAULT_GUILD_ID)).created == []  # off by default
    refused = await h.invoke("settings community", {"setting": "events", "value": "on"})
    assert refused.callback.ephemeral and fake_discord.scheduled_events == {}
    assert "Scheduled events: on" in await switch(h, "on")
    report = await sync.reconcile(DEFAULT_GUILD_ID)
    assert report.created == ["friday-hope"]
    [event] = events(fake_discord)
    assert event["name"] == "Friday Hope" and event["entity_type"] == 3
    assert event["privacy_level"] == 2
    assert start_of(event) == datetime(2026, 6, 5, 23, 0, tzinfo=UTC)  # Fri 19:00 EDT
    assert event["entity_metadata"] == {"location": ZOOM.url}
    description = str(event["description"])
    assert "Women" in description and ZOOM.url in description
    assert "@everyone" not in description and "@\u200beveryone" in description
    # Again, and from a restarted process: nothing is written, nothing duplicated.
    before = event_calls(fake_discord)
    assert before == ["POST"]
    await sync.reconcile(DEFAULT_GUILD_ID)
    await EventSync(bot, services).reconcile(DEFAULT_GUILD_ID)
    assert event_calls(fake_discord) == before and len(fake_discord.scheduled_events) == 1


async def test_cancelled_moved_and_removed_meetings(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
) -> None:
    await own_meeting(services, "friday-hope", "friday")
    await switch(h, "on")
    await sync.reconcile(DEFAULT_GUILD_ID)
    [event] = events(fake_discord)
    await save_schedule_edit(services, "friday-hope",
                             lambda m: cancel_sitting(m, date(2026, 6, 5), "room booked"))
    assert (await sync.reconcile(DEFAULT_GUILD_ID)).edited == ["friday-hope"]
    [moved_on] = events(fake_discord)
    assert moved_on["id"] == event["id"]  # the same event, now the following Friday
    assert start_of(moved_on) == datetime(2026, 6, 12, 23, 0, tzinfo=UTC)
    await save_schedule_edit(services, "friday-hope",
                             lambda m: move_sitting(m, date(2026, 6, 12), "21:00", "22:30"))
    await sync.reconcile(DEFAULT_GUILD_ID)
    [later] = events(fake_discord)
    assert start_of(later) == datetime(2026, 6, 13, 1, 0, tzinfo=UTC)
    assert datetime.fromisoformat(str(later["scheduled_end_time"])).astimezone(UTC) == \
        datetime(2026, 6, 13, 2, 30, tzinfo=UTC)
    assert await services.meetings.remove("friday-hope", COMMUNITY)
    assert (await sync.reconcile(DEFAULT_GUILD_ID)).deleted == ["friday-hope"]
    assert fake_discord.scheduled_events == {}
    assert event_calls(fake_discord) == ["POST", "PATCH", "PATCH", "DELETE"]


async def test_rolled_forward_across_a_dst_change(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
    clock: FakeClock,
) -> None:
    await own_meeting(services, "sunday-serenity", "sunday")
    await switch(h, "on")
    clock.set(datetime(2026, 10, 24, 12, tzinfo=UTC))
    await sync.reconcile(DEFAULT_GUILD_ID)
    assert [start_of(e) for e in events(fake_discord)] == [
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC)]  # 19:00 EDT
    clock.set(datetime(2026, 10, 25, 23, 30, tzinfo=UTC))  # under way: the event stays
    await sync.reconcile(DEFAULT_GUILD_ID)
    assert event_calls(fake_discord) == ["POST"]
    clock.set(datetime(2026, 10, 26, 0, 5, tzinfo=UTC))  # over: the next Sunday, after DST
    await sync.reconcile(DEFAULT_GUILD_ID)
    assert [start_of(e) for e in events(fake_discord)] == [
        datetime(2026, 11, 2, 0, 0, tzinfo=UTC)]  # still 19:00 local, now EST


async def test_a_voice_channel_link_makes_a_voice_event(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
) -> None:
    url = f"https://discord.com/channels/{DEFAULT_GUILD_ID}/{GENERAL_CHANNEL_ID}"
    await add_meeting(services, "voice-room", community=COMMUNITY,
                      online=OnlineAccess(url=url), location=Location())
    await switch(h, "on")
    await sync.reconcile(DEFAULT_GUILD_ID)
    [event] = events(fake_discord)
    assert event["entity_type"] == 2 and str(event["channel_id"]) == str(GENERAL_CHANNEL_ID)
    assert "entity_metadata" not in event or not event["entity_metadata"]


async def test_events_edited_or_deleted_by_hand_are_left_alone_and_the_admins_told(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
) -> None:
    await own_meeting(services, "friday-hope", "friday")
    await own_meeting(services, "monday-steps", "monday")
    await switch(h, "on")
    await sync.reconcile(DEFAULT_GUILD_ID)
    friday, monday = sorted(fake_discord.scheduled_events.values(), key=lambda e: e["name"])
    friday["name"] = "Friday Hope (speaker night!)"  # edited in Discord
    del fake_discord.scheduled_events[int(str(monday["id"]))]  # deleted in Discord
    report = await sync.reconcile(DEFAULT_GUILD_ID)
    assert sorted(report.detached) == ["friday-hope", "monday-steps"]
    told = admin_messages(fake_discord, "leaves it alone")
    assert len(told) == 2 and {"“Friday Hope”", "“Monday Steps”"} == {
        "“" + t.split("“")[1].split("”")[0] + "”" for t in told}
    before = event_calls(fake_discord)
    await sync.reconcile(DEFAULT_GUILD_ID)  # not fought over, not told twice
    assert event_calls(fake_discord) == before
    assert len(admin_messages(fake_discord, "leaves it alone")) == 2
    assert friday["name"] == "Friday Hope (speaker night!)"
    await switch(h, "on")  # the admins hand them back
    report = await sync.reconcile(DEFAULT_GUILD_ID)
    assert report.edited == ["friday-hope"] and report.created == ["monday-steps"]


async def test_missing_manage_events_gives_one_admin_message_and_no_retry_loop(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
) -> None:
    await own_meeting(services, "friday-hope", "friday")
    await switch(h, "on")
    fake_discord.fail_next("/scheduled-events", 403, 50013, "Missing Permissions",
                           method="POST")
    report = await sync.reconcile(DEFAULT_GUILD_ID)
    assert report.problem == MISSING_PERMISSION and fake_discord.scheduled_events == {}
    assert len(admin_messages(fake_discord, "Manage Events")) == 1
    calls = len(fake_discord.recorded)
    await sync.reconcile(DEFAULT_GUILD_ID)
    await sync.reconcile(DEFAULT_GUILD_ID)
    assert len(fake_discord.recorded) == calls  # no requests until switched on again
    await switch(h, "on")
    assert (await sync.reconcile(DEFAULT_GUILD_ID)).created == ["friday-hope"]


async def test_rate_limits_are_waited_out_and_nothing_is_duplicated(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
) -> None:
    for day in ("monday", "tuesday", "thursday"):
        await own_meeting(services, f"{day}-group", day)
    await switch(h, "on")
    fake_discord.rate_limit_next("/scheduled-events", retry_after=0.05, method="POST", times=2)
    report = await sync.reconcile(DEFAULT_GUILD_ID)
    assert sorted(report.created) == ["monday-group", "thursday-group", "tuesday-group"]
    assert len(fake_discord.scheduled_events) == 3
    statuses = [c.status for c in fake_discord.recorded
                if "/scheduled-events" in c.path and c.method == "POST"]
    assert statuses.count(429) == 2 and statuses.count(200) == 3


async def test_switching_off_removes_the_events_stepbot_made(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
    clock: FakeClock,
) -> None:
    await own_meeting(services, "friday-hope", "friday")
    await switch(h, "on imported")
    await sync.reconcile_all()
    assert len(fake_discord.scheduled_events) == 1
    assert "off" in await switch(h, "off")
    clock.advance(timedelta(minutes=1).total_seconds())
    await sync.reconcile_all()
    assert fake_discord.scheduled_events == {}
    assert (await sync.reconcile(DEFAULT_GUILD_ID)).deleted == []


async def test_the_background_loop_reconciles_what_changed(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
    clock: FakeClock,
) -> None:
    await own_meeting(services, "friday-hope", "friday")
    await switch(h, "on")
    task = asyncio.create_task(sync.run())  # as the adapter starts it
    try:
        for _ in range(200):
            if fake_discord.scheduled_events:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert len(fake_discord.scheduled_events) == 1
    assert await sync.reconcile_changed() == 0  # nothing changed: no request at all
    await save_schedule_edit(services, "friday-hope",
                             lambda m: cancel_sitting(m, date(2026, 6, 5)))
    assert await sync.reconcile_changed() == 1
    [event] = events(fake_discord)
    assert start_of(event) == datetime(2026, 6, 12, 23, 0, tzinfo=UTC)
    assert await sync.reconcile_changed() == 0
    clock.set(datetime(2026, 6, 13, 0, 1, tzinfo=UTC))  # that sitting has ended
    assert await sync.reconcile_changed() == 1
    assert start_of(events(fake_discord)[0]) == datetime(2026, 6, 19, 23, 0, tzinfo=UTC)
    clock.advance(minutes=11)  # the periodic full round (hand edits)
    assert await sync.reconcile_changed() == 1


async def test_two_processes_reconciling_one_server_create_one_event(
    h: DiscordHarness, services: Services, fake_discord: FakeDiscord, bot: StepbotClient,
    clock: FakeClock,
) -> None:
    for day in ("monday", "friday"):
        await own_meeting(services, f"{day}-group", day)
    await switch(h, "on")
    other = await Services.open(services.config, clock)  # a second process's own connection
    try:
        first, second = await asyncio.gather(EventSync(bot, services).reconcile(DEFAULT_GUILD_ID),
                                             EventSync(bot, other).reconcile(DEFAULT_GUILD_ID))
    finally:
        await other.close()
    assert sorted(first.created + second.created) == ["friday-group", "monday-group"]
    assert len(fake_discord.scheduled_events) == 2


async def test_an_event_discord_completed_is_followed_by_a_new_one(
    h: DiscordHarness, sync: EventSync, services: Services, fake_discord: FakeDiscord,
    clock: FakeClock,
) -> None:
    await own_meeting(services, "friday-hope", "friday")
    await switch(h, "on")
    await sync.reconcile(DEFAULT_GUILD_ID)
    fake_discord.scheduled_events.clear()  # Discord ends and drops a finished event
    clock.set(datetime(2026, 6, 6, 0, 30, tzinfo=UTC))
    report = await sync.reconcile(DEFAULT_GUILD_ID)
    assert report.created == ["friday-hope"] and report.detached == []
    assert [start_of(e) for e in events(fake_discord)] == [
        datetime(2026, 6, 12, 23, 0, tzinfo=UTC)]
