""""Report a change" on Telegram: the real adapter and transport against the fake Bot API.
A member reports from the group; the delivery engine finds the group's admins through
getChatAdministrators and writes to them privately."""

from __future__ import annotations

from bots.telegram.app import TelegramAdapter
from core.delivery import DeliveryEngine
from core.reflections import builtin_pack
from core.services import Services
from tests.bots.telegram.fake_bot_api import FakeBotApi
from tests.bots.telegram.test_adapter import ask, button, plain
from tests.helpers import add_meeting

MEMBER = 4242
OWNER = 777
HELPER = 778
GROUP = -1_001_234_567_890


async def test_a_member_reports_and_the_groups_admins_hear_privately(
    fake_bot_api: FakeBotApi, adapter: TelegramAdapter, tg_services: Services
) -> None:
    meeting = await add_meeting(tg_services, "our-group", community=f"telegram:{GROUP}")
    fake_bot_api.set_member_status(GROUP, OWNER, "creator")
    fake_bot_api.set_member_status(GROUP, HELPER, "administrator")

    card = await ask(fake_bot_api, fake_bot_api.command(
        "/meeting our-group", user_id=MEMBER, chat_id=GROUP, chat_type="supergroup"))
    report = button(card, f"rc:{meeting.id}")
    kinds = await ask(fake_bot_api, fake_bot_api.callback_query(
        report, card.result["message_id"], GROUP, MEMBER))
    assert "What is wrong" in plain(kinds)
    confirm = await ask(fake_bot_api, fake_bot_api.callback_query(
        button(kinds, f"rc:{meeting.id}:place"), kinds.result["message_id"], GROUP, MEMBER))
    done = await ask(fake_bot_api, fake_bot_api.callback_query(
        button(confirm, f"rc:{meeting.id}:place:c"), confirm.result["message_id"], GROUP,
        MEMBER))
    assert "on its way to the admins" in plain(done)

    mark = fake_bot_api.mark()
    engine = DeliveryEngine(tg_services.db, tg_services.clock, {"telegram": adapter.transport},
                            tg_services.config, builtin_pack())
    await engine.run_once()
    assert [c.params["chat_id"] for c in fake_bot_api.calls_for("getChatAdministrators")] == [
        GROUP]
    sent = [c for c in fake_bot_api.calls[mark:] if c.method == "sendMessage"]
    assert sorted(c.params["chat_id"] for c in sent) == [OWNER, HELPER]  # never the bot
    for call in sent:
        assert call.ok
        assert "Change reported: Our Group" in plain(call) and "Place or address" in plain(call)
        profile = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        assert profile == [{"text": "Open the member's profile", "url": f"tg://user?id={MEMBER}"}]
    assert engine.metrics["reports_sent"] == 1
