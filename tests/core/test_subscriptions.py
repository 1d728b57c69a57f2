"""The subscriptions service: reflections, reminders, sobriety, privacy, platform events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from core.clock import FakeClock
from core.errors import NotFoundError, ValidationError
from core.model import build_meeting
from core.outbound import Address, MessageKind
from core.services import Services
from core.store.subscriptions import Status
from core.subscriptions import (
    Milestone,
    Owner,
    Subscriptions,
    milestone_on,
    milestones,
    next_milestone,
)

TG = "telegram"


@pytest.fixture
def subs(services: Services, clock: FakeClock) -> Subscriptions:
    return Subscriptions(services.db, clock, meetings=services.meetings)


def dm(user: str) -> Address:
    return Address(TG, f"dm-{user}")


async def test_subscribe_personal_and_community(subs: Subscriptions) -> None:
    # Clock: Wednesday 2026-06-03 15:00 UTC = 11:00 in New York; 07:00 has passed.
    mine = await subs.subscribe(
        TG, "u1", None, dm("u1"), time(7, 0, 42), "US/Eastern", "es", neutral_steps=True
    )
    assert mine.kind is MessageKind.REFLECTION and mine.status is Status.ACTIVE
    assert mine.timezone == "America/New_York"  # links are stored canonical
    assert mine.local_time == time(7) and mine.language == "es" and mine.neutral_steps
    assert mine.due_date == date(2026, 6, 4)
    assert mine.next_due == datetime(2026, 6, 4, 11, tzinfo=UTC)
    channel = await subs.subscribe(
        TG, None, "-100", Address(TG, "-100", "7"), time(18), "Europe/Madrid", "en"
    )
    assert channel.community == "-100" and channel.user_id is None
    assert channel.address.thread_id == "7"
    assert channel.due_date == date(2026, 6, 3)  # 18:00 Madrid is still ahead today
    assert [s.id for s in await subs.list_for_user(TG, "u1")] == [mine.id]
    assert [s.id for s in await subs.list_for_community(TG, "-100")] == [channel.id]
    assert await subs.list_for_user("discord", "u1") == []


async def test_subscribing_again_updates_the_same_destination(subs: Subscriptions) -> None:
    first = await subs.subscribe(TG, "u1", None, dm("u1"), time(7), "America/New_York", "en")
    again = await subs.subscribe(TG, "u1", None, dm("u1"), time(21), "Europe/London", "es")
    assert again.id == first.id
    assert (again.local_time, again.timezone, again.language) == (time(21), "Europe/London", "es")
    assert len(await subs.list_for_user(TG, "u1")) == 1


@pytest.mark.parametrize("zone, language", [("Mars/Olympus", "en"), ("UTC", "english!")])
async def test_subscribe_rejects_bad_input(subs: Subscriptions, zone: str, language: str) -> None:
    with pytest.raises(ValidationError):
        await subs.subscribe(TG, "u1", None, dm("u1"), time(7), zone, language)


async def test_owner_must_be_a_user_or_a_community(subs: Subscriptions) -> None:
    with pytest.raises(ValueError):
        await subs.subscribe(TG, "u1", "-100", dm("u1"), time(7), "UTC", "en")
    with pytest.raises(ValueError):
        await subs.subscribe(TG, None, None, dm("u1"), time(7), "UTC", "en")


async def test_only_the_owner_can_change_a_subscription(subs: Subscriptions) -> None:
    sub = await subs.subscribe(TG, "u1", None, dm("u1"), time(7), "UTC", "en")
    for stranger in (
        Owner.user(TG, "u2"),
        Owner.user("discord", "u1"),
        Owner.of_community(TG, "u1"),
    ):
        with pytest.raises(NotFoundError):
            await subs.pause(sub.id, stranger)
        with pytest.raises(NotFoundError):
            await subs.set_time(sub.id, stranger, time(8))
    with pytest.raises(NotFoundError):
        await subs.pause(999, Owner.user(TG, "u1"))


async def test_pause_resume_and_set_time(subs: Subscriptions) -> None:
    owner = Owner.user(TG, "u1")
    sub = await subs.subscribe(TG, "u1", None, dm("u1"), time(7), "America/New_York", "en")
    paused = await subs.pause(sub.id, owner)
    assert paused.status is Status.PAUSED and paused.next_due is None
    changed = await subs.set_time(sub.id, owner, time(20), "Asia/Tokyo")
    assert changed.status is Status.PAUSED and changed.timezone == "Asia/Tokyo"
    resumed = await subs.resume(sub.id, owner)
    assert resumed.status is Status.ACTIVE
    assert resumed.next_due == datetime(2026, 6, 4, 11, tzinfo=UTC)  # 20:00 JST on the 4th
    moved = await subs.set_time(sub.id, owner, time(12, 30))
    assert moved.next_due == datetime(2026, 6, 4, 3, 30, tzinfo=UTC)


async def test_unsubscribe(subs: Subscriptions) -> None:
    await subs.subscribe(TG, None, "-100", Address(TG, "-100"), time(7), "UTC", "en")
    await subs.subscribe(TG, None, "-100", Address(TG, "-100", "9"), time(7), "UTC", "en")
    assert await subs.unsubscribe(TG, community="-100", address=Address(TG, "-100", "9")) == 1
    assert len(await subs.list_for_community(TG, "-100")) == 1
    assert await subs.unsubscribe(TG, user_id="-100") == 0  # a user is not the community
    assert await subs.unsubscribe(TG, community="-100") == 1
    assert await subs.list_for_community(TG, "-100") == []


async def test_changes_wake_the_engine(services: Services, clock: FakeClock) -> None:
    woken: list[int] = []
    subs = Subscriptions(services.db, clock, on_change=lambda: woken.append(1))
    sub = await subs.subscribe(TG, "u1", None, dm("u1"), time(7), "UTC", "en")
    await subs.set_time(sub.id, Owner.user(TG, "u1"), time(8))
    assert len(woken) >= 2


# -- reminders ----------------------------------------------------------------------------------


@pytest.fixture
async def meeting_slug(services: Services) -> str:
    meeting = await services.meetings.add(
        build_meeting(
            name="Tuesday Step",
            fellowship="aa",
            days=["tuesday"],
            start="19:30",
            timezone="America/Chicago",
            slug="tuesday-step",
        )
    )
    return meeting.slug


async def test_reminders_add_list_cancel(subs: Subscriptions, meeting_slug: str) -> None:
    reminder = await subs.add_reminder(
        TG, "u1", dm("u1"), meeting_slug, 45, "America/New_York", "en"
    )
    assert reminder.kind is MessageKind.REMINDER and reminder.minutes_before == 45
    # Tuesday 2026-06-09 19:30 CDT = 00:30 UTC on the 10th; minus 45 minutes.
    assert reminder.next_due == datetime(2026, 6, 9, 23, 45, tzinfo=UTC)
    assert reminder.due_date == date(2026, 6, 9)  # the meeting's local date
    again = await subs.add_reminder(TG, "u1", dm("u1"), meeting_slug, 10, "America/New_York", "es")
    assert again.id == reminder.id and again.minutes_before == 10 and again.language == "es"
    assert [r.id for r in await subs.list_reminders(TG, "u1")] == [reminder.id]
    assert await subs.list_for_user(TG, "u1") == []  # reflections only
    assert not await subs.cancel_reminder(reminder.id, TG, "u2")
    assert await subs.cancel_reminder(reminder.id, TG, "u1")
    assert await subs.list_reminders(TG, "u1") == []


async def test_reminder_validation(subs: Subscriptions, meeting_slug: str) -> None:
    with pytest.raises(NotFoundError):
        await subs.add_reminder(TG, "u1", dm("u1"), "no-such-meeting", 30, "UTC", "en")
    for minutes in (-1, 24 * 60 + 1):
        with pytest.raises(ValidationError):
            await subs.add_reminder(TG, "u1", dm("u1"), meeting_slug, minutes, "UTC", "en")


# -- sobriety -----------------------------------------------------------------------------------


def test_milestone_list() -> None:
    got = [(m.key, m.date) for m, _ in zip(milestones(date(2024, 2, 29)), range(10), strict=False)]
    assert got == [
        ("24h", date(2024, 3, 1)),
        ("30d", date(2024, 3, 30)),
        ("60d", date(2024, 4, 29)),
        ("90d", date(2024, 5, 29)),
        ("6m", date(2024, 8, 29)),
        ("9m", date(2024, 11, 29)),
        ("1y", date(2025, 2, 28)),  # no 29 February in 2025
        ("2y", date(2026, 2, 28)),
        ("3y", date(2027, 2, 28)),
        ("4y", date(2028, 2, 29)),
    ]
    assert next_milestone(date(2020, 1, 1), date(2026, 6, 3)) == Milestone(
        "years", 7, date(2027, 1, 1)
    )
    assert milestone_on(date(2026, 1, 1), date(2026, 1, 31)) == Milestone(
        "days", 30, date(2026, 1, 31)
    )
    assert milestone_on(date(2026, 1, 1), date(2026, 2, 1)) is None


async def test_sobriety_days_count_in_the_members_zone(
    subs: Subscriptions, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 6, 3, 13, 0, tzinfo=UTC))  # already the 4th in Auckland
    east = await subs.set_sobriety(TG, "kiwi", date(2026, 5, 4), "Pacific/Auckland")
    west = await subs.set_sobriety(TG, "la", date(2026, 5, 4), "America/Los_Angeles")
    assert (east.today, east.days) == (date(2026, 6, 4), 31)
    assert (west.today, west.days) == (date(2026, 6, 3), 30)
    assert west.reached_today == Milestone("days", 30, date(2026, 6, 3))
    assert west.next_milestone == Milestone("days", 60, date(2026, 7, 3))
    assert east.reached_today is None and not east.milestones
    shown = await subs.sobriety_status(TG, "la")
    assert shown == west


async def test_sobriety_set_replace_clear(subs: Subscriptions) -> None:
    assert await subs.sobriety_status(TG, "u1") is None
    with pytest.raises(ValidationError):
        await subs.set_sobriety(TG, "u1", date(2026, 6, 10), "UTC")  # the future
    with pytest.raises(ValidationError):
        await subs.set_sobriety(TG, "u1", date(2020, 1, 1), "UTC", milestones=True)  # where to?
    status = await subs.set_sobriety(
        TG, "u1", date(2020, 1, 1), "UTC", milestones=True, address=dm("u1")
    )
    assert status.milestones
    [row] = await subs.store.list_owned(TG, user_id="u1", kinds=[MessageKind.MILESTONE])
    assert row.due_date == date(2027, 1, 1) and row.local_time == time(9)
    assert row.next_due == datetime(2027, 1, 1, 9, tzinfo=UTC)
    # Turning milestones off removes the schedule, keeps the date.
    status = await subs.set_sobriety(TG, "u1", date(2021, 1, 1), "UTC", milestones=False)
    assert status.sober_date == date(2021, 1, 1) and not status.milestones
    assert await subs.store.list_owned(TG, user_id="u1", kinds=[MessageKind.MILESTONE]) == []
    assert await subs.clear_sobriety(TG, "u1")
    assert not await subs.clear_sobriety(TG, "u1")
    assert await subs.sobriety_status(TG, "u1") is None


# -- privacy and platform events ----------------------------------------------------------------


async def test_forget_user_removes_everything_personal(
    subs: Subscriptions, services: Services, meeting_slug: str
) -> None:
    await subs.subscribe(TG, "u1", None, dm("u1"), time(7), "UTC", "en")
    await subs.add_reminder(TG, "u1", dm("u1"), meeting_slug, 30, "UTC", "en")
    await subs.set_sobriety(TG, "u1", date(2025, 1, 1), "UTC", milestones=True, address=dm("u1"))
    community = await subs.subscribe(TG, None, "-100", Address(TG, "-100"), time(7), "UTC", "en")
    other = await subs.subscribe(TG, "u2", None, dm("u2"), time(7), "UTC", "en")
    await services.db.conn.execute(
        "INSERT INTO deliveries (subscription_id, local_date, status, updated_utc) "
        "SELECT id, '2026-06-01', 'sent', 0 FROM subscriptions"
    )
    counts = await subs.forget_user(TG, "u1")
    assert counts == {"subscriptions": 1, "reminders": 1, "milestones": 1, "sobriety": 1}
    assert await subs.forget_user(TG, "u1") == {
        "subscriptions": 0,
        "reminders": 0,
        "milestones": 0,
        "sobriety": 0,
    }
    left = {r[0] for r in await services.db.fetchall("SELECT id FROM subscriptions")}
    assert left == {community.id, other.id}
    kept = {r[0] for r in await services.db.fetchall("SELECT subscription_id FROM deliveries")}
    assert kept == left


async def test_deactivate_and_migrate_address(subs: Subscriptions) -> None:
    group = await subs.subscribe(TG, None, "-5", Address(TG, "-5"), time(7), "UTC", "en")
    topic = await subs.subscribe(TG, None, "-5", Address(TG, "-5", "3"), time(7), "UTC", "en")
    assert await subs.deactivate_address(Address(TG, "-5", "3")) == 1
    owner = Owner.of_community(TG, "-5")
    assert (await subs.get(topic.id, owner)).status is Status.BLOCKED
    assert (await subs.get(group.id, owner)).status is Status.ACTIVE
    assert await subs.migrate_address(Address(TG, "-5"), "-1005") == 2
    new_owner = Owner.of_community(TG, "-1005")
    moved = await subs.get(group.id, new_owner)
    assert moved.address == Address(TG, "-1005") and moved.community == "-1005"
    assert await subs.deactivate_address(Address(TG, "-1005")) == 1  # the active one
    assert (await subs.get(group.id, new_owner)).status is Status.BLOCKED


async def test_migrating_onto_an_existing_destination_merges(subs: Subscriptions) -> None:
    await subs.subscribe(TG, None, "-5", Address(TG, "-5"), time(7), "UTC", "en")
    kept = await subs.subscribe(TG, None, "-1005", Address(TG, "-1005"), time(8), "UTC", "en")
    await subs.migrate_address(Address(TG, "-5"), "-1005")
    assert [s.id for s in await subs.list_for_community(TG, "-1005")] == [kept.id]
    assert await subs.list_for_community(TG, "-5") == []
