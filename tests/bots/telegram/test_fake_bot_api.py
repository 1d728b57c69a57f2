"""The fake Bot API works with the real python-telegram-bot 22 (polling, files, errors)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import re
import time

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    RetryAfter,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from tests.bots.telegram.fake_bot_api import (
    TEST_TOKEN,
    ApiError,
    FakeBotApi,
    UploadedFile,
    parse_html,
    run_polling,
)

CHAT = 4242
USER = 4242


def test_test_token_does_not_look_real() -> None:
    assert not re.fullmatch(r"[0-9]{8,10}:[A-Za-z0-9_-]{35}", TEST_TOKEN)


async def test_application_command_and_callback_round_trip(
    fake_bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        assert context.args == ["now"]
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="page:2")]])
        await update.effective_message.reply_text(
            "<b>Meetings</b> near you", parse_mode="HTML", reply_markup=keyboard
        )

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data == "page:2"
        await query.answer()
        await query.edit_message_text("Page 2")

    app = fake_bot_api.application_builder().build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(press))
    async with run_polling(app):
        fake_bot_api.push_update(fake_bot_api.command("/start now", chat_id=CHAT, user_id=USER))
        sent = await fake_bot_api.wait_for_call("sendMessage")
        assert sent.ok
        assert sent.params["chat_id"] == CHAT
        assert sent.params["text"] == "<b>Meetings</b> near you"
        assert sent.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "Next", "callback_data": "page:2"}]]
        }
        message = sent.result
        assert message["text"] == "Meetings near you"
        assert message["entities"] == [{"offset": 0, "length": 8, "type": "bold"}]

        fake_bot_api.push_update(
            fake_bot_api.callback_query("page:2", message["message_id"], CHAT, USER)
        )
        answered = await fake_bot_api.wait_for_call("answerCallbackQuery")
        edited = await fake_bot_api.wait_for_call("editMessageText")
    assert answered.ok
    assert edited.ok
    assert edited.params["message_id"] == message["message_id"]
    assert edited.params["text"] == "Page 2"
    # Telegram drops the keyboard when an edit does not repeat it.
    assert fake_bot_api.sent_messages(CHAT) == [edited.result]
    assert "reply_markup" not in edited.result
    assert [c.method for c in fake_bot_api.calls][:2] == ["getMe", "deleteWebhook"]
    # A clean start/stop: PTB logged no warnings or errors (e.g. failed cleanup getUpdates).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_get_updates_returns_promptly_and_honours_offset(
    fake_bot_api: FakeBotApi, fake_bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, lambda: fake_bot_api.push_update(fake_bot_api.text_message("hi")))
    started = time.monotonic()
    updates = await fake_bot.get_updates(timeout=10)
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates if u.message] == ["hi"]
    assert await fake_bot.get_updates(timeout=0) == updates  # not confirmed yet
    assert await fake_bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake_bot_api.pending_updates == []


async def test_update_builders_parse_in_ptb(fake_bot_api: FakeBotApi, fake_bot: Bot) -> None:
    group = -4_000_000_001
    fake_bot_api.push_update(
        fake_bot_api.command(
            "/near@stepbot_test_bot", group, 7, chat_type="group", language_code="de"
        )
    )
    fake_bot_api.push_update(fake_bot_api.location(52.52, 13.405, user_id=7))
    updates = await fake_bot.get_updates(timeout=0)
    command, location = (u.message for u in updates)
    assert command is not None and location is not None
    assert command.chat.type == "group" and command.from_user is not None
    assert command.from_user.language_code == "de"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == len(
        command.text or ""
    )
    assert location.location is not None and location.location.latitude == pytest.approx(52.52)
    assert location.chat.id == 7 and location.chat.type == "private"


async def test_document_upload_and_download_round_trip(
    fake_bot_api: FakeBotApi, fake_bot: Bot
) -> None:
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    message = await fake_bot.send_document(
        CHAT, document=content, filename="meetings.ics", caption="Your calendar"
    )
    call = fake_bot_api.calls_for("sendDocument")[-1]
    upload = call.params["document"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.content) == ("meetings.ics", content)
    assert message.document is not None and message.document.file_name == "meetings.ics"
    assert message.caption == "Your calendar"

    telegram_file = await fake_bot.get_file(message.document.file_id)
    assert await telegram_file.download_as_bytearray() == bytearray(content)

    # A document the *user* sends is downloadable too.
    update = fake_bot_api.push_update(
        fake_bot_api.document("import.ics", b"ICS", caption="/import", chat_id=CHAT, user_id=USER)
    )
    file_id = update["message"]["document"]["file_id"]
    assert await (await fake_bot.get_file(file_id)).download_as_bytearray() == bytearray(b"ICS")


async def test_fail_next_raises_ptb_errors(
    fake_bot_api: FakeBotApi, fake_bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    fake_bot_api.fail_next("sendMessage", error="forbidden")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await fake_bot.send_message(CHAT, "x")

    fake_bot_api.fail_next("sendMessage", error="retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as retry:
        await fake_bot.send_message(CHAT, "x")
    assert retry.value.retry_after == dtm.timedelta(seconds=7)

    fake_bot_api.fail_next("sendMessage", chat_id=-555, error="migrate", migrate_to_chat_id=-1009)
    await fake_bot.send_message(CHAT, "other chats are unaffected")
    with pytest.raises(ChatMigrated) as migrated:
        await fake_bot.send_message(-555, "x")
    assert migrated.value.new_chat_id == -1009
    await fake_bot.send_message(-555, "only once")

    failed = [c for c in fake_bot_api.calls_for("sendMessage") if not c.ok]
    assert [c.error["error_code"] for c in failed if c.error] == [403, 429, 400]


async def test_telegram_validation_errors(fake_bot_api: FakeBotApi, fake_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await fake_bot.send_message(CHAT, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
        await fake_bot.send_message(CHAT, "a <br> b", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await fake_bot.send_message(CHAT, "x" * 4097)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await fake_bot.send_message(CHAT, "x", reply_markup=too_long)
    sent = await fake_bot.send_message(CHAT, "a &amp; b &lt;3", parse_mode=ParseMode.HTML)
    assert sent.text == "a & b <3"
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await fake_bot.edit_message_text(
            "a &amp; b &lt;3", CHAT, sent.message_id, parse_mode=ParseMode.HTML
        )
    assert await fake_bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await fake_bot.edit_message_text("y", CHAT, sent.message_id)
    with pytest.raises(EndPointNotFound):
        await fake_bot.do_api_request("sendTeleportation", api_kwargs={"chat_id": CHAT})
    assert fake_bot_api.calls_for("sendTeleportation")[0].error == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found",
    }


async def test_commands_members_chats_and_webhook(fake_bot_api: FakeBotApi, fake_bot: Bot) -> None:
    commands = [BotCommand("near", "Meetings near you"), BotCommand("today", "Today's reading")]
    assert await fake_bot.set_my_commands(commands, language_code="en")
    assert await fake_bot.get_my_commands(language_code="en") == tuple(commands)
    assert await fake_bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await fake_bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await fake_bot.delete_my_commands(language_code="en")
    assert await fake_bot.get_my_commands(language_code="en") == ()

    group = -1001234
    fake_bot_api.add_chat(group, "supergroup", title="Home group")
    fake_bot_api.set_member_status(group, USER, "administrator")
    fake_bot_api.set_member_status(group, 1, "creator")
    assert (await fake_bot.get_chat_member(group, USER)).status == "administrator"
    assert (await fake_bot.get_chat_member(group, 1)).status == "creator"
    assert (await fake_bot.get_chat_member(group, 2)).status == "member"
    chat = await fake_bot.get_chat(group)
    assert (chat.type, chat.title) == ("supergroup", "Home group")
    assert await fake_bot.send_chat_action(group, "typing")

    assert await fake_bot.set_webhook("https://example.invalid/hook")
    assert (await fake_bot.get_webhook_info()).url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await fake_bot.get_updates(timeout=0)
    assert await fake_bot.delete_webhook()
    assert await fake_bot.get_updates(timeout=0) == ()


async def test_wait_for_call_times_out_with_a_useful_message(
    fake_bot_api: FakeBotApi, fake_bot: Bot
) -> None:
    await fake_bot.send_message(CHAT, "one")
    mark = fake_bot_api.mark()
    with pytest.raises(AssertionError, match="sendMessage"):
        await fake_bot_api.wait_for_call("sendMessage", timeout=0.05, since=mark)
    first = await fake_bot_api.wait_for_call("sendMessage", lambda c: c.params["text"] == "one")
    assert first.index == mark - 1


def test_parse_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html(
        '🙂 <b>Mon <i>7pm</i></b> <a href="https://x.invalid/?a=1&amp;b=2">link</a> '
        '<tg-time unix="1700000000" format="wDT">Tue</tg-time>'
    )
    assert text == "🙂 Mon 7pm link Tue"
    assert entities == [
        {"offset": 3, "length": 7, "type": "bold"},
        {"offset": 7, "length": 3, "type": "italic"},
        {"offset": 11, "length": 4, "type": "text_link", "url": "https://x.invalid/?a=1&b=2"},
        {
            "offset": 16,
            "length": 3,
            "type": "date_time",
            "unix_time": 1700000000,
            "date_time_format": "wDT",
        },
    ]
    with pytest.raises(ApiError, match="Unmatched end tag"):
        parse_html("<b><i>x</b></i>")


async def test_callback_query_can_be_answered_once(fake_bot_api: FakeBotApi, fake_bot: Bot) -> None:
    sent = await fake_bot.send_message(CHAT, "pick")
    update = fake_bot_api.callback_query("x", sent.message_id, CHAT, USER)
    query_id = update["callback_query"]["id"]
    assert await fake_bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await fake_bot.answer_callback_query(query_id)
