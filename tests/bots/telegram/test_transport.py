"""The delivery side: Bot API errors → SendResult, files, and a broadcast through the core's
delivery engine with a blocked chat, a 429 and a migrated group."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bots.telegram.app import TelegramAdapter
from bots.telegram.transport import classify
from core.clock import FakeClock
from core.delivery import DeliveryEngine
from core.outbound import Address, MessageKind, OutboundMessage, SendKind, SendResult
from core.reflections import builtin_pack
from core.replies import FileAttachment, Reply
from core.schedule import next_occurrences
from core.schedule_edits import cancel_sitting, save_schedule_edit
from core.services import Services
from core.store.subscriptions import Status
from core.subscriptions import Subscriptions
from tests.bots.telegram.fake_bot_api import FakeBotApi, UploadedFile


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RetryAfter(7), SendResult.retry(7)),
        (RetryAfter(timedelta(seconds=7.5)), SendResult.retry(7.5)),
        (ChatMigrated(-1001), SendResult.migrated("-1001")),
        (Forbidden("Forbidden: bot was blocked by the user"), SendResult.blocked("forbidden")),
        (
            Forbidden("Forbidden: bot was kicked from the group chat"),
            SendResult.blocked("forbidden"),
        ),
        (BadRequest("Chat not found"), SendResult.blocked("chat not found")),
        (BadRequest("Message is too long"), SendResult.failed("bad_request")),
        (TimedOut(), SendResult.failed("timed_out")),
        (NetworkError("connection reset"), SendResult.failed("network")),
    ],
)
def test_classify(error: Exception, expected: SendResult) -> None:
    assert classify(error) == expected  # type: ignore[arg-type]


async def test_send_maps_real_error_bodies(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = adapter.transport
    reply = Reply(title="Daily", blocks=["Just for today."])
    assert await transport.send(Address("telegram", "51"), reply) == SendResult.ok()

    fake_bot_api.fail_next("sendMessage", chat_id=52, error="forbidden")
    assert (await transport.send(Address("telegram", "52"), reply)).kind is SendKind.BLOCKED

    for timedeltas in ("false", "true"):  # PTB_TIMEDELTA: retry_after as int or timedelta
        monkeypatch.setenv("PTB_TIMEDELTA", timedeltas)
        fake_bot_api.fail_next("sendMessage", error="retry_after", retry_after=9)
        assert await transport.send(Address("telegram", "53"), reply) == SendResult.retry(9)

    fake_bot_api.fail_next(
        "sendMessage", chat_id=-4001, error="migrate", migrate_to_chat_id=-1004001
    )
    result = await transport.send(Address("telegram", "-4001"), reply)
    assert result == SendResult.migrated("-1004001")

    fake_bot_api.fail_next("sendMessage", error="bad_gateway")
    assert (await transport.send(Address("telegram", "54"), reply)).kind is SendKind.FAILED
    assert (await transport.send(Address("telegram", "not-a-chat"), reply)).kind is (
        SendKind.BLOCKED
    )

    topic = await transport.send(Address("telegram", "-100777", thread_id="12"), reply)
    assert topic.kind is SendKind.OK
    assert fake_bot_api.calls_for("sendMessage")[-1].params["message_thread_id"] == 12


async def test_outbound_messages_are_composed_by_the_core(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    transport = adapter.transport
    day = date(2026, 6, 4)
    reflection = OutboundMessage(
        MessageKind.REFLECTION,
        "en",
        1,
        day,
        "UTC",
        reflection=builtin_pack().reflection_for(day, "en"),
    )
    assert await transport.send(Address("telegram", "61"), reflection) == SendResult.ok()
    text = fake_bot_api.calls_for("sendMessage")[-1].result["text"]
    assert reflection.reflection is not None and reflection.reflection.title in text
    reminder = OutboundMessage(
        MessageKind.REMINDER, "es", 2, day, "America/New_York", meeting_slug="boston-women",
        minutes_before=30,
    )
    assert await transport.send(Address("telegram", "61"), reminder) == SendResult.ok()
    text = fake_bot_api.calls_for("sendMessage")[-1].result["text"]
    assert text.startswith("Recordatorio:") and "30 minutos" in text


async def test_a_schedule_heads_up_is_composed_by_the_core(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    meeting = await tg_services.meetings.get("boston-women")
    assert meeting is not None
    [sitting] = next_occurrences(meeting, tg_services.clock.now(), 1)
    day = sitting.key_date
    await save_schedule_edit(tg_services, meeting.slug, lambda m: cancel_sitting(m, day, "obras"))
    notice = OutboundMessage(MessageKind.NOTICE, "es", 3, day, "Europe/Madrid",
                             meeting_slug=meeting.slug)
    assert await adapter.transport.send(Address("telegram", "61"), notice) == SendResult.ok()
    text = fake_bot_api.calls_for("sendMessage")[-1].result["text"]
    assert text.startswith("Aviso:") and "cancelada (obras)" in text


async def test_files_are_sent_as_documents(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    reply = Reply(
        blocks=["Your calendar"],
        files=[FileAttachment("hope.ics", ics, "text/calendar", "Add <this> & that")],
    )
    await adapter.transport.deliver(71, reply, private_chat=True)
    [document] = fake_bot_api.calls_for("sendDocument")
    upload = document.params["document"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.content) == ("hope.ics", ics)
    assert document.result["caption"] == "Add <this> & that"
    assert fake_bot_api.calls_for("sendMessage")[-1].index < document.index


async def test_broadcast_through_the_delivery_engine_with_403_429_and_migration(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services, clock: FakeClock
) -> None:
    subscriptions = Subscriptions(tg_services.db, clock)
    members = [2001 + n for n in range(8)]
    blocked, old_group, new_group = 2003, -4_005_000_001, -1_005_000_000_001
    for chat in members:
        await subscriptions.subscribe(
            "telegram",
            str(chat),
            None,
            Address("telegram", str(chat)),
            time(7, 0),
            "Europe/London",
            "en",
        )
    await subscriptions.subscribe(
        "telegram",
        None,
        str(old_group),
        Address("telegram", str(old_group)),
        time(8, 0),
        "Europe/Madrid",
        "es",
    )
    fake_bot_api.fail_next("sendMessage", chat_id=blocked, error="forbidden", times=None)
    fake_bot_api.fail_next(
        "sendMessage", chat_id=old_group, error="migrate", migrate_to_chat_id=new_group, times=None
    )
    fake_bot_api.fail_next("sendMessage", error="retry_after", retry_after=3)
    mark = fake_bot_api.mark()

    clock.set(datetime(2026, 6, 4, 6, 0, 30, tzinfo=UTC))  # 07:00 London = 08:00 Madrid
    engine = DeliveryEngine(
        tg_services.db, clock, {"telegram": adapter.transport}, tg_services.config, builtin_pack()
    )
    await engine.run_once()

    calls = [c for c in fake_bot_api.calls[mark:] if c.method == "sendMessage"]
    delivered = Counter(c.params["chat_id"] for c in calls if c.ok)
    assert delivered == Counter({**dict.fromkeys(set(members) - {blocked}, 1), new_group: 1})
    statuses = Counter(c.error["error_code"] for c in calls if c.error)
    assert statuses == Counter({403: 1, 429: 1, 400: 1})
    assert engine.metrics["blocked"] == 1
    assert engine.metrics["rate_limited"] == 1
    assert engine.metrics["migrated"] == 1
    group_message = next(c for c in calls if c.ok and c.params["chat_id"] == new_group)
    reflection = builtin_pack().reflection_for(date(2026, 6, 4), "es")
    assert reflection.title in group_message.result["text"]

    [gone] = [s for s in await subscriptions.list_for_user("telegram", str(blocked))]
    assert gone.status is Status.BLOCKED
    # Nothing is sent twice when the engine runs again the same day.
    await engine.run_once()
    assert [c for c in fake_bot_api.calls[mark:] if c.method == "sendMessage"] == calls
