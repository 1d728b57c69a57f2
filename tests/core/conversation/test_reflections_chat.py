"""/reflection, /step, /steps, /subscribe, /subscriptions, /remind, /sobriety, and /forgetme
removing all of it — through Request → Reply."""

from __future__ import annotations

from datetime import UTC, datetime

from core.services import Services
from core.store.subscriptions import Status
from tests.core.conversation.conftest import Ask


async def test_reflection_today_tomorrow_and_date(ask: Ask) -> None:
    today = await ask("/reflection", timezone="America/New_York")
    assert today.title is not None and today.title.startswith("2026-06-03 · Step 6 — ")
    assert any(b.startswith("To reflect on:") for b in today.blocks)
    assert "stepbot contributors" in today.text()
    leap = await ask("/reflection 2028-02-29")
    assert leap.title is not None and leap.title.startswith("2028-02-29 · Step 2")
    spanish = await ask("/reflexion mañana", locale="es")
    assert spanish.title is not None and "Paso 6" in spanish.title
    assert any(b.startswith("Para reflexionar:") for b in spanish.blocks)
    bad = await ask("/reflection someday")
    assert bad.error


async def test_steps_original_and_neutral(ask: Ask) -> None:
    one = await ask("/step 1")
    assert "powerless over alcohol" in one.text() and "1939" in one.text()
    neutral = await ask("/step 1 neutral")
    assert "alcohol" not in neutral.blocks[0]
    everything = await ask("/steps")
    assert everything.blocks[0].count("\n") == 11
    assert "Paso" in (await ask("/paso 12", locale="es")).text()
    assert (await ask("/step 13")).error


async def test_personal_subscription_lifecycle(ask: Ask, services: Services) -> None:
    done = await ask("/subscribe 07:15 Europe/Madrid")
    assert "07:15" in done.text() and "Europe/Madrid" in done.text() and done.private
    listing = await ask("/subscriptions")
    assert "Daily reflection at 07:15 (Europe/Madrid)" in listing.text()
    pause = next(b for row in listing.buttons for b in row if b.action and ":pause:" in b.action)
    paused = await ask(action=pause.action)
    assert "paused" in paused.text() and paused.edit
    subs = await services.subscriptions.list_for_user("test", "u1")
    assert subs[0].status is Status.PAUSED
    resume = next(b for row in paused.buttons for b in row if b.action and ":resume:" in b.action)
    await ask(action=resume.action)
    assert (await services.subscriptions.list_for_user("test", "u1"))[0].status is Status.ACTIVE
    stranger = await ask(action=resume.action, user_id="u2")
    assert stranger.error
    gone = await ask("/unsubscribe")
    assert "no more" in gone.text()
    assert await services.subscriptions.list_for_user("test", "u1") == []


async def test_channel_subscription_needs_an_admin(ask: Ask, services: Services) -> None:
    member = await ask("/subscribe", community_id="g1")
    assert member.continue_in_private  # a member subscribes in private
    refused = await ask("/subscribe channel 08:00", community_id="g1")
    assert refused.error
    assert await services.subscriptions.list_for_community("test", "test:g1") == []
    done = await ask("/subscribe channel 08:00 America/Chicago", community_id="g1", is_admin=True)
    assert "this chat" in done.text() and not done.private
    subs = await services.subscriptions.list_for_community("test", "test:g1")
    assert subs[0].address.chat_id == "g1" and subs[0].timezone == "America/Chicago"


async def test_reminder_from_a_card_button(seeded: Services, ask: Ask) -> None:
    results = await ask("/meetings women")
    remind = next(b for b in results.cards[0].buttons if b.action and b.action.startswith("rm:"))
    added = await ask(action=remind.action)
    assert "30 minutes before" in added.text()
    reminders = await seeded.subscriptions.list_reminders("test", "u1")
    assert [r.meeting_slug for r in reminders] == [results.cards[0].slug]
    in_group = await ask(action=remind.action, community_id="g1")
    assert in_group.continue_in_private
    changed = await ask(f"/remind {results.cards[0].slug} 10")
    assert "10 minutes" in changed.text()
    assert (await ask("/remind no-such-meeting")).error
    cancel = next(b for row in changed.buttons for b in row)
    await ask(action=cancel.action)
    assert await seeded.subscriptions.list_reminders("test", "u1") == []


async def test_sobriety_is_private_and_counted_in_the_members_zone(
    ask: Ask, services: Services
) -> None:
    in_group = await ask("/sobriety set 2026-01-01", community_id="g1")
    assert in_group.continue_in_private
    assert await services.subscriptions.sobriety_status("test", "u1") is None
    saved = await ask("/sobriety set 2026-01-01", timezone="Pacific/Auckland")
    # 2026-06-03 15:00 UTC is already 06-04 in Auckland: 154 days.
    assert "154 days" in saved.text() and saved.private
    assert "Next milestone: 6 months on 2026-07-01" in saved.text()
    future = await ask("/sobriety set 2030-01-01")
    assert future.error and "future" in future.text()
    off = await ask("/sobriety milestones off")
    assert "Milestone messages: off" in off.text()
    cleared = await ask("/sobriety clear")
    assert "deleted" in cleared.text()


async def test_forgetme_removes_subscriptions_reminders_and_sobriety(
    seeded: Services, ask: Ask
) -> None:
    await ask("/subscribe 07:00")
    await ask("/remind boston-women 15")
    await ask("/sobriety set 2025-12-01")
    await ask("/forgetme")
    done = await ask(action="forget:yes")
    text = done.text()
    assert "subscriptions: 1" in text and "meeting reminders: 1" in text
    assert "sobriety date: 1" in text
    assert await seeded.subscriptions.list_for_user("test", "u1") == []
    assert await seeded.subscriptions.list_reminders("test", "u1") == []
    assert await seeded.subscriptions.sobriety_status("test", "u1") is None


async def test_reminder_delivery_composes_a_card(seeded: Services, ask: Ask) -> None:
    from core.conversation.outbound import OutboundComposer
    from core.outbound import MessageKind, OutboundMessage

    meeting = await seeded.meetings.get("boston-women")
    assert meeting is not None
    composer = OutboundComposer(seeded)
    reply = await composer(OutboundMessage(
        kind=MessageKind.REMINDER, language="es", subscription_id=1,
        local_date=datetime(2026, 6, 3, tzinfo=UTC).date(), timezone="Europe/Madrid",
        meeting_slug="boston-women",
        occurrence_start=datetime(2026, 6, 3, 23, 0, tzinfo=UTC), minutes_before=30))
    assert reply.title == "Recordatorio: «Boston Women» empieza en 30 minutos"
    assert reply.cards[0].slug == "boston-women"


async def test_change_the_time_with_buttons(ask: Ask, services: Services) -> None:
    await ask("/subscribe 07:00 Europe/Madrid")
    listing = await ask("/subscriptions")
    change = next(b for row in listing.buttons for b in row if b.action and ":times:" in b.action)
    choices = await ask(action=change.action)
    nine = next(b for row in choices.buttons for b in row if b.label == "09:00")
    updated = await ask(action=nine.action)
    assert "09:00 (Europe/Madrid)" in updated.text()
    [sub] = await services.subscriptions.list_for_user("test", "u1")
    assert sub.local_time.hour == 9


async def test_remind_list_and_cancel_by_number(seeded: Services, ask: Ask) -> None:
    await ask("/remind boston-women 15")
    await ask("/remind online-women")
    listing = await ask("/remind list")
    assert "1. Reminder 15 min before boston-women" in listing.text()
    assert "2. Reminder 30 min before online-women" in listing.text()
    await ask("/remind cancel 1")
    left = await seeded.subscriptions.list_reminders("test", "u1")
    assert [r.meeting_slug for r in left] == ["online-women"]
    assert (await ask("/remind cancel 7")).error
