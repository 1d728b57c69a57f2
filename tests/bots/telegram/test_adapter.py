"""The real adapter (python-telegram-bot Application, long polling) against the fake Bot API:
real update JSON in, recorded Bot API calls out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from bots.telegram.app import TelegramAdapter, TelegramSettings, build_adapter
from core.outbound import Address
from core.services import Services
from core.subscriptions import Subscriptions
from tests.bots.telegram.fake_bot_api import TEST_TOKEN, Call, FakeBotApi

USER = 4242
ADMIN = 777
GROUP = -1_001_234_567_890
BOT = "stepbot_test_bot"


async def ask(fake: FakeBotApi, update: dict[str, Any], method: str = "sendMessage") -> Call:
    """Push an update and return the first `method` call made after it."""
    mark = fake.mark()
    fake.push_update(update)
    call = await fake.wait_for_call(method, since=mark)
    assert call.ok, call.error
    return call


def keyboard(call: Call) -> list[dict[str, Any]]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button(call: Call, prefix: str) -> str:
    """The callback data of the first button whose token starts with `prefix`."""
    for item in keyboard(call):
        if str(item.get("callback_data", "")).startswith(prefix):
            return str(item["callback_data"])
    raise AssertionError(f"no {prefix!r} button in {keyboard(call)}")


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Updates are processed concurrently: wait (up to 3 s) until `check` holds."""
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached within 3 s")


def plain(call: Call) -> str:
    """The message text as members see it (HTML parsed by the fake)."""
    return str(call.result["text"])


# ---------------------------------------------------------------------------- start-up


async def test_start_registers_menus_in_english_and_spanish(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    sets = fake_bot_api.calls_for("setMyCommands")
    assert len(sets) == 4  # members and admins, default language and Spanish
    by_key = {
        (str((c.params.get("scope") or {}).get("type")), c.params.get("language_code")): {
            cmd["command"]: cmd["description"] for cmd in c.params["commands"]
        }
        for c in sets
    }
    members_en = by_key[("default", None)]
    members_es = by_key[("default", "es")]
    admins_en = by_key[("all_chat_administrators", None)]
    assert members_en["meetings"].startswith("find meetings")
    assert members_es["meetings"].startswith("buscar reuniones")
    assert "addmeeting" not in members_en and "addmeeting" in admins_en
    assert [c.method for c in fake_bot_api.calls][:1] == ["getMe"]


async def test_menus_are_written_only_when_changed(
    fake_bot_api: FakeBotApi, tg_services: Services
) -> None:
    for _ in range(2):
        adapter = build_adapter(tg_services, TEST_TOKEN)
        await adapter.start()
        await adapter.stop()
    assert len(fake_bot_api.calls_for("setMyCommands")) == 4
    assert len(fake_bot_api.calls_for("getMyCommands")) == 8


# ---------------------------------------------------------------------------- private chats


async def test_start_and_help_in_english_and_spanish(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/start", user_id=USER))
    assert call.params["chat_id"] == USER
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"].startswith("<b>Welcome to stepbot</b>")
    assert {"text": "Now", "callback_data": "cmd:now"} in keyboard(call)

    call = await ask(fake_bot_api, fake_bot_api.command("/help", user_id=5, language_code="es"))
    assert "/reuniones" in plain(call) or "reuniones" in plain(call)
    assert plain(call).startswith("stepbot — reuniones y reflexiones diarias")

    call = await ask(fake_bot_api, fake_bot_api.command("/ayuda", user_id=5, language_code="es"))
    assert plain(call).startswith("stepbot — reuniones")


async def test_meetings_with_filters_dates_and_paging_in_place(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/meetings women", user_id=USER))
    text = plain(call)
    assert text.startswith("Meetings: Women")
    assert "Boston Women" in text and "Online Women" in text and "Extra" not in text
    # Each start time is a date_time entity (the member's own zone), the meeting's zone inside.
    times = [e for e in call.result["entities"] if e["type"] == "date_time"]
    assert times and times[0]["date_time_format"] == "wt"
    assert times[0]["unix_time"] == 1780527600  # Wed 2026-06-03 19:00 EDT
    start = times[0]["offset"]
    assert text[start : start + times[0]["length"]] == "Wed 19:00 EDT"
    assert "1. Details" in [b["text"] for b in keyboard(call)]

    call = await ask(fake_bot_api, fake_bot_api.command("/meetings", user_id=USER))
    more = button(call, "pg:")
    first_page = plain(call)
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query(more, call.result["message_id"], USER, USER)
    )
    answered = await fake_bot_api.wait_for_call("answerCallbackQuery", since=mark)
    edited = await fake_bot_api.wait_for_call("editMessageText", since=mark)
    assert answered.ok and edited.ok
    assert edited.params["message_id"] == call.result["message_id"]
    assert plain(edited) != first_page
    assert "◀ Back" in [b["text"] for b in keyboard(edited)]
    assert not fake_bot_api.calls_for("sendMessage")[-1].index > mark

    # A filter button narrows the same search, in place too.
    online = button(edited, "fl:")
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query(online, call.result["message_id"], USER, USER)
    )
    refined = await fake_bot_api.wait_for_call("editMessageText", since=mark)
    assert refined.ok and refined.params["message_id"] == call.result["message_id"]


async def test_now_today_tomorrow_and_one_meeting(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    today = await ask(fake_bot_api, fake_bot_api.command("/today", user_id=USER))
    assert plain(today).startswith("Meetings: today")
    tomorrow = await ask(fake_bot_api, fake_bot_api.command("/tomorrow", user_id=USER))
    assert "Thursday Morning" in plain(tomorrow)
    now = await ask(fake_bot_api, fake_bot_api.command("/now", user_id=USER))
    assert plain(now).startswith("Meetings: ")

    details = await ask(fake_bot_api, fake_bot_api.command("/meeting boston-women", user_id=USER))
    assert "Boston Women" in plain(details) and "Next dates" in plain(details)
    assert any(e["type"] == "code" for e in details.result["entities"])
    missing = await ask(fake_bot_api, fake_bot_api.command("/meeting nope", user_id=USER))
    assert "couldn't find" in plain(missing)


async def test_imported_text_is_escaped(fake_bot_api: FakeBotApi, adapter: TelegramAdapter) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/meeting html-name", user_id=USER))
    assert "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt; @everyone" in call.params["text"]
    assert "<b>Tom & Jerry</b> @everyone" in plain(call)


async def test_settings_language_button_switches_to_spanish(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/settings", user_id=USER))
    assert plain(call).startswith("Your settings")
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query("set:lang:es", call.result["message_id"], USER, USER)
    )
    answered = await fake_bot_api.wait_for_call("answerCallbackQuery", since=mark)
    reply = await fake_bot_api.wait_for_call("sendMessage", since=mark)
    assert answered.ok
    assert plain(reply).startswith("Tus ajustes")
    helpline = await ask(fake_bot_api, fake_bot_api.command("/helpline", user_id=USER))
    assert plain(helpline).startswith("Líneas de ayuda")


async def test_helpline(fake_bot_api: FakeBotApi, adapter: TelegramAdapter) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/helpline", user_id=USER))
    assert plain(call).startswith("Helplines")
    assert "988" in plain(call)


async def test_forgetme_confirms_with_a_button_and_edits(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    await ask(fake_bot_api, fake_bot_api.command("/settings timezone Europe/Madrid", user_id=USER))
    assert (await tg_services.settings.user("telegram", str(USER))).timezone == "Europe/Madrid"
    call = await ask(fake_bot_api, fake_bot_api.command("/forgetme", user_id=USER))
    assert button(call, "forget:yes") == "forget:yes"
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query("forget:yes", call.result["message_id"], USER, USER)
    )
    edited = await fake_bot_api.wait_for_call("editMessageText", since=mark)
    assert edited.ok and plain(edited).startswith("Your data is deleted")
    assert keyboard(edited) == []
    assert (await tg_services.settings.user("telegram", str(USER))).timezone is None


async def test_expired_button_is_an_alert_for_the_presser(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/help", user_id=USER))
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query("zz:1", call.result["message_id"], USER, USER)
    )
    answered = await fake_bot_api.wait_for_call("answerCallbackQuery", since=mark)
    assert answered.params.get("show_alert") is True
    assert "expired" in answered.params["text"]
    assert fake_bot_api.calls_for("sendMessage")[-1].index < mark


async def test_free_text_in_private_and_silence_in_groups(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.text_message("hello there", user_id=USER))
    assert plain(call).startswith("I answer commands")
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(fake_bot_api.text_message("hello group", GROUP, USER, "supergroup"))
    fake_bot_api.push_update(fake_bot_api.command("/help@other_bot", GROUP, USER, "supergroup"))
    fake_bot_api.push_update(fake_bot_api.command(f"/helpline@{BOT}", GROUP, USER, "supergroup"))
    reply = await fake_bot_api.wait_for_call("sendMessage", since=mark)
    assert plain(reply).startswith("Helplines")  # only the command addressed to us
    assert [c.method for c in fake_bot_api.calls[mark:] if c.method == "sendMessage"] == [
        "sendMessage"
    ]


# ---------------------------------------------------------------------------- locations


async def test_near_asks_for_location_then_answers_a_shared_location(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/meetings near", user_id=USER))
    markup = call.params["reply_markup"]
    assert markup["keyboard"][0][0]["request_location"] is True
    assert markup["one_time_keyboard"] is True

    reply = await ask(fake_bot_api, fake_bot_api.location(42.35, -71.08, user_id=USER))
    assert plain(reply).startswith("Meetings: upcoming · within 25 km")
    assert "0.1 km away" in plain(reply)
    assert button(reply, "set:tz:") == "set:tz:America/New_York"


async def test_near_in_a_group_continues_in_private(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(
        fake_bot_api, fake_bot_api.command("/meetings near", GROUP, USER, "supergroup")
    )
    assert "keyboard" not in call.params["reply_markup"]
    assert keyboard(call)[-1]["url"].startswith(f"https://t.me/{BOT}?start=")


# ---------------------------------------------------------------------------- groups


async def test_personal_command_in_a_group_continues_in_private_via_deep_link(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    group_call = await ask(
        fake_bot_api,
        fake_bot_api.command(
            "/forgetme", GROUP, USER, "supergroup", first_name="Alice", username="alice"
        ),
    )
    assert group_call.params["chat_id"] == GROUP
    assert group_call.params["reply_parameters"]["message_id"] > 0
    link = keyboard(group_call)[-1]["url"]
    token = link.rsplit("=", 1)[1]
    assert link == f"https://t.me/{BOT}?start={token}" and 8 <= len(token) <= 64
    assert "Alice" not in group_call.params["text"] and "alice" not in group_call.params["text"]
    assert str(USER) not in group_call.params["text"] + link

    # Someone else following the link just gets the welcome.
    other = await ask(fake_bot_api, fake_bot_api.command(f"/start {token}", user_id=99))
    assert plain(other).startswith("Welcome to stepbot")
    # The member who asked continues where they were, in private.
    private = await ask(fake_bot_api, fake_bot_api.command(f"/start {token}", user_id=USER))
    assert private.params["chat_id"] == USER
    assert plain(private).startswith("Delete your data?")
    # A token works once.
    again = await ask(fake_bot_api, fake_bot_api.command(f"/start {token}", user_id=USER))
    assert plain(again).startswith("Welcome to stepbot")


async def test_personal_button_in_a_group_opens_the_private_chat(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/help", GROUP, USER, "supergroup"))
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query("set:lang:es", call.result["message_id"], GROUP, USER)
    )
    answered = await fake_bot_api.wait_for_call("answerCallbackQuery", since=mark)
    assert answered.params["url"].startswith(f"https://t.me/{BOT}?start=")


async def test_forum_topics_are_answered_in_their_topic(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    update = fake_bot_api.command("/helpline", GROUP, USER, "supergroup")
    update["message"].update(message_thread_id=55, is_topic_message=True)
    call = await ask(fake_bot_api, update)
    assert call.params["message_thread_id"] == 55
    assert call.params["chat_id"] == GROUP


async def test_admin_commands_need_a_group_admin(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    fake_bot_api.set_member_status(GROUP, ADMIN, "administrator")
    add = "/addmeeting name: Friday Hope; day: friday; time: 19:00; tz: Europe/London"

    refused = await ask(fake_bot_api, fake_bot_api.command(add, GROUP, USER, "supergroup"))
    assert "Only this community's admins" in plain(refused)

    added = await ask(fake_bot_api, fake_bot_api.command(add, GROUP, ADMIN, "supergroup"))
    assert plain(added).startswith("Added “Friday Hope”")
    slug = plain(added).split("id: ")[1].rstrip(").")
    stored = await tg_services.meetings.get(slug)
    assert stored is not None and stored.community == f"telegram:{GROUP}"

    spanish = await ask(
        fake_bot_api,
        fake_bot_api.command(
            f"/removemeeting {slug}", GROUP, USER, "supergroup", language_code="es"
        ),
    )
    assert plain(spanish).startswith("Solo los administradores")
    removed = await ask(
        fake_bot_api, fake_bot_api.command(f"/removemeeting {slug}", GROUP, ADMIN, "supergroup")
    )
    assert plain(removed).startswith("Removed the meeting")
    # The creator counts as an admin too; results are cached per member.
    fake_bot_api.set_member_status(GROUP, 1, "creator")
    creator = await ask(fake_bot_api, fake_bot_api.command("/help", GROUP, 1, "supergroup"))
    assert "For community admins" in plain(creator)
    lookups = [c.params["user_id"] for c in fake_bot_api.calls_for("getChatMember")]
    assert sorted(lookups) == sorted({USER, ADMIN, 1})

    in_private = await ask(fake_bot_api, fake_bot_api.command(add, user_id=ADMIN))
    assert "inside the community" in plain(in_private)


async def test_group_migration_moves_the_community(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    from datetime import time

    from core.model import OnlineAccess, build_meeting

    old, new = -4_001_234_567, -1_009_999_999_999
    old_key, new_key = f"telegram:{old}", f"telegram:{new}"
    subscriptions = tg_services.subscriptions
    await subscriptions.subscribe(
        "telegram", None, old_key, Address("telegram", str(old)), time(7, 0), "UTC", "en"
    )
    await tg_services.settings.update_community(old_key, tg_services.clock.now(),
                                                timezone="Europe/Madrid")
    await tg_services.meetings.add(build_meeting(
        name="Group Hope", fellowship="aa", days=["monday"], start="19:00", timezone="UTC",
        online=OnlineAccess(url="https://zoom.us/j/1"), community=old_key))
    update = fake_bot_api.text_message("x", old, ADMIN, "group")
    del update["message"]["text"]
    update["message"]["migrate_to_chat_id"] = new
    fake_bot_api.push_update(update)

    async def moved() -> bool:
        subs = await subscriptions.list_for_community("telegram", new_key)
        return [s.address.chat_id for s in subs] == [str(new)]

    await eventually(moved)
    assert await subscriptions.list_for_community("telegram", old_key) == []
    assert (await tg_services.settings.community(new_key)).timezone == "Europe/Madrid"
    mine = await tg_services.meetings.list_meetings(community=new_key, include_global=False)
    assert [(m.name, m.community) for m in mine] == [("Group Hope", new_key)]


async def test_bot_removed_or_blocked_deactivates_subscriptions(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    from datetime import time

    subscriptions = Subscriptions(tg_services.db, tg_services.clock)
    sub = await subscriptions.subscribe(
        "telegram", str(USER), None, Address("telegram", str(USER)), time(7, 0), "UTC", "en"
    )
    user = {"id": USER, "is_bot": False, "first_name": "A"}
    member = {"status": "member", "user": fake_bot_api.bot_user}
    kicked = {"status": "kicked", "user": fake_bot_api.bot_user, "until_date": 0}
    fake_bot_api.push_update(
        {
            "my_chat_member": {
                "chat": {"id": USER, "type": "private", "first_name": "A"},
                "from": user,
                "date": 1,
                "old_chat_member": member,
                "new_chat_member": kicked,
            }
        }
    )

    async def blocked() -> bool:
        stored = await subscriptions.store.get(sub.id)
        return stored is not None and stored.status.value == "blocked"

    await eventually(blocked)


async def test_a_rate_limited_answer_is_sent_after_the_wait(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    fake_bot_api.fail_next("sendMessage", chat_id=USER, error="retry_after", retry_after=1)
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(fake_bot_api.command("/helpline", user_id=USER))
    sent = await fake_bot_api.wait_for_call("sendMessage", lambda c: c.ok, since=mark)
    assert plain(sent).startswith("Helplines")
    tries = [c for c in fake_bot_api.calls[mark:] if c.method == "sendMessage"]
    assert [c.ok for c in tries] == [False, True]


# ---------------------------------------------------------------------------- files


async def test_calendar_button_sends_a_document(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter
) -> None:
    call = await ask(fake_bot_api, fake_bot_api.command("/meeting boston-women", user_id=USER))
    token = button(call, "ics:")
    mark = fake_bot_api.mark()
    fake_bot_api.push_update(
        fake_bot_api.callback_query(token, call.result["message_id"], USER, USER)
    )
    document = await fake_bot_api.wait_for_call("sendDocument", since=mark)
    assert document.ok and document.params["chat_id"] == USER
    assert document.result["document"]["file_name"].endswith(".ics")


async def test_import_document_from_an_admin(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    fake_bot_api.set_member_status(GROUP, ADMIN, "administrator")
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:group-1@example.org\r\nSUMMARY:Group Hope\r\n"
        b"DTSTART;TZID=America/Chicago:20260105T190000\r\n"
        b"DTEND;TZID=America/Chicago:20260105T200000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
        b"LOCATION:https://zoom.us/j/42\r\nDESCRIPTION:Join https://zoom.us/j/42\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    mark = fake_bot_api.mark()
    reply = await ask(
        fake_bot_api,
        fake_bot_api.document(
            "meetings.ics",
            ics,
            caption=f"/import@{BOT}",
            chat_id=GROUP,
            user_id=ADMIN,
            chat_type="supergroup",
        ),
    )
    downloaded = [c for c in fake_bot_api.calls[mark:] if c.method == "getFile"]
    assert len(downloaded) == 1
    assert "Added 1" in plain(reply)
    stored = await tg_services.meetings.list_meetings(community=f"telegram:{GROUP}",
                                                      include_global=False)
    assert [m.name for m in stored] == ["Group Hope"]

    # A member who is not an admin: nothing is downloaded either way.
    mark = fake_bot_api.mark()
    await ask(
        fake_bot_api,
        fake_bot_api.document(
            "meetings.ics",
            ics,
            caption="/import",
            chat_id=GROUP,
            user_id=USER,
            chat_type="supergroup",
        ),
    )
    assert [c for c in fake_bot_api.calls[mark:] if c.method == "getFile"] == []


async def test_import_document_over_the_size_cap_is_not_downloaded(
    fake_bot_api: FakeBotApi, tg_services: Services
) -> None:
    from dataclasses import replace

    tg_services.config = replace(tg_services.config, import_max_bytes=10)
    adapter = build_adapter(tg_services, TEST_TOKEN)
    await adapter.start()
    try:
        fake_bot_api.set_member_status(GROUP, ADMIN, "administrator")
        mark = fake_bot_api.mark()
        reply = await ask(
            fake_bot_api,
            fake_bot_api.document(
                "big.ics",
                b"x" * 100,
                caption="/import",
                chat_id=GROUP,
                user_id=ADMIN,
                chat_type="supergroup",
            ),
        )
    finally:
        await adapter.stop()
    assert plain(reply).startswith("⚠️") and "too big" in plain(reply)
    assert [c for c in fake_bot_api.calls[mark:] if c.method == "getFile"] == []


# ---------------------------------------------------------------------------- webhook, logs


async def test_webhook_mode_checks_the_secret_token(
    fake_bot_api: FakeBotApi, tg_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret_token-1")
    settings = TelegramSettings.from_config(
        {
            "base_url": fake_bot_api.base_url,
            "mode": "webhook",
            "webhook_url": "https://bot.example.invalid/telegram/hook",
            "webhook_listen": "127.0.0.1",
            "webhook_port": 0,
        }
    )
    assert settings.base_file_url == fake_bot_api.base_file_url
    adapter = TelegramAdapter(tg_services, TEST_TOKEN, settings)
    await adapter.start()
    try:
        assert adapter.webhook is not None
        hook = fake_bot_api.calls_for("setWebhook")[-1]
        assert hook.params["url"] == "https://bot.example.invalid/telegram/hook"
        assert hook.params["secret_token"] == "s3cret_token-1"
        assert fake_bot_api.calls_for("getUpdates") == []
        update = fake_bot_api.command("/helpline", user_id=USER)
        update["update_id"] = 1
        url = f"http://127.0.0.1:{adapter.webhook.port}/telegram/hook"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update) as response:
                assert response.status == 403
            mark = fake_bot_api.mark()
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret_token-1"}
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        call = await fake_bot_api.wait_for_call("sendMessage", since=mark)
        assert plain(call).startswith("Helplines")
    finally:
        await adapter.stop()


async def test_logs_never_contain_the_token_or_message_text(
    fake_bot_api: FakeBotApi, tg_services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = build_adapter(tg_services, TEST_TOKEN)
    await adapter.start()
    try:
        await ask(fake_bot_api, fake_bot_api.command("/meetings women secretword", user_id=USER))
        fake_bot_api.fail_next("sendMessage", error="forbidden")
        mark = fake_bot_api.mark()
        fake_bot_api.push_update(fake_bot_api.command("/helpline confidential", user_id=USER))
        await fake_bot_api.wait_for_call("sendMessage", since=mark)
    finally:
        await adapter.stop()
    # (aiosqlite logs SQL parameters at DEBUG: the store's concern, not the adapter's.)
    logged = "\n".join(
        r.getMessage() + str(r.args) for r in caplog.records if not r.name.startswith("aiosqlite")
    )
    assert TEST_TOKEN not in logged
    assert "secretword" not in logged and "confidential" not in logged
    assert "Boston Women" not in logged
