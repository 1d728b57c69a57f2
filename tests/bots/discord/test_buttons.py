"""Buttons and select menus: paging and filters edit the message in place, card actions
("details", "add to calendar", "remind me") route their tokens back into the conversation,
only the member who asked drives an answer's buttons, and buttons sent before a restart work."""

from __future__ import annotations

from typing import Any

import pytest

from bots.discord.bot import build_bot
from core.conversation.context import Context
from core.conversation.request import Request
from core.conversation.router import ACTIONS
from core.replies import FileAttachment, Reply
from core.services import Services

from .conftest import MakeHarness
from .fake_discord import Call
from .harness import GENERAL_CHANNEL_ID, DiscordHarness

OTHER_USER = 1_300_000_000_000_000_777
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def button(call: Call | dict[str, Any], prefix: str) -> str:
    components = call.components if isinstance(call, Call) else call["components"]
    for row in components:
        for comp in row["components"]:
            if comp.get("custom_id", "").startswith(prefix):
                return str(comp["custom_id"])
    raise LookupError(prefix)


def titles(message: Call | dict[str, Any]) -> list[str]:
    embeds = message.embeds if isinstance(message, Call) else message["embeds"]
    return [e.get("title") or "" for e in embeds]


async def test_paging_edits_the_results_in_place(
    h: DiscordHarness, seeded: Services, requests: list[Request]
) -> None:
    first = await h.invoke("meetings find")
    call = first.callback
    assert titles(call)[1:] == [
        "1. Evening 00",
        "2. Evening 01",
        "3. Evening 02",
        "4. Evening 03",
        "5. Evening 04",
    ]
    assert len(call.components) <= 5
    message_id = int(first.original["id"])  # type: ignore[index]
    more = button(call, "pg:")
    page2 = await h.click(more, message_id)
    assert page2.callback.type == 7  # UPDATE_MESSAGE: the same message, new page
    assert requests[-1].action == more and requests[-1].command is None
    assert titles(page2.callback)[1] == "1. Evening 05"
    stored = h.fake.messages[message_id]
    assert titles(stored)[1] == "1. Evening 05"
    back = button(stored, "pg:")  # "Back" comes first on page 2
    page1 = await h.click(back, message_id)
    assert titles(page1.callback)[1] == "1. Evening 00"

    online = await h.click(button(h.fake.messages[message_id], "fl:"), message_id)
    assert online.callback.type == 7
    assert "Online" in online.callback.embeds[0]["title"]


async def test_card_actions_route_their_tokens(
    h: DiscordHarness, seeded: Services, requests: list[Request], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def calendar(ctx: Context, parts: list[str]) -> Reply:
        return Reply(
            lang=ctx.lang,
            blocks=[f"calendar {parts[0]}"],
            private=True,
            files=[FileAttachment("meeting.ics", ICS, "text/calendar")],
        )

    async def remind(ctx: Context, parts: list[str]) -> Reply:
        return Reply(lang=ctx.lang, blocks=[f"reminder {parts[0]}"], private=True)

    monkeypatch.setitem(ACTIONS, "ics", calendar)
    monkeypatch.setitem(ACTIONS, "rm", remind)
    first = await h.invoke("meetings find", {"kind": "women"})
    meeting = await seeded.meetings.get("women-online")
    assert meeting is not None
    # One card: its buttons; several cards: one select menu per action.
    assert first.callback.custom_ids()[:3] == [
        f"m:{meeting.id}",
        f"ics:{meeting.id}",
        f"rm:{meeting.id}",
    ]
    message_id = int(first.original["id"])  # type: ignore[index]

    ics = await h.click(f"ics:{meeting.id}", message_id)
    assert requests[-1].action == f"ics:{meeting.id}"
    assert ics.callback.type == 4 and ics.callback.ephemeral
    assert ics.callback.filenames == ["meeting.ics"]
    assert ics.callback.file_bytes("meeting.ics") == ICS

    reminder = await h.click(f"rm:{meeting.id}", message_id)
    assert requests[-1].action == f"rm:{meeting.id}"
    assert reminder.callback.ephemeral
    assert reminder.callback.embeds[0]["description"] == f"reminder {meeting.id}"


async def test_select_menus_carry_the_card_tokens(
    h: DiscordHarness, seeded: Services, requests: list[Request]
) -> None:
    first = await h.invoke("meetings find")
    selects = [c for row in first.callback.components for c in row["components"] if c["type"] == 3]
    assert [s["placeholder"] for s in selects] == [
        "Details…",
        "📅 Add to calendar…",
        "🔔 Remind me…",
    ]
    details = selects[0]
    assert [o["label"] for o in details["options"]][:2] == ["1. Evening 00", "2. Evening 01"]
    token = details["options"][1]["value"]
    shown = await h.click(details["custom_id"], values=[token])
    assert requests[-1].action == token and token.startswith("m:")
    assert shown.callback.type == 4  # a new message with the full card
    assert titles(shown.callback) == ["Evening 01"]


async def test_only_the_requester_pages(
    h: DiscordHarness, seeded: Services, requests: list[Request]
) -> None:
    first = await h.invoke("meetings find")
    message_id = int(first.original["id"])  # type: ignore[index]
    before = len(requests)
    other = await h.click(button(first.callback, "pg:"), message_id, user_id=OTHER_USER)
    assert other.callback.type == 4 and other.callback.ephemeral
    assert "Only the person who asked" in other.callback.embeds[0]["description"]
    assert len(requests) == before  # the conversation was not even asked
    assert titles(h.fake.messages[message_id])[1] == "1. Evening 00"  # untouched


async def test_private_result_belongs_to_its_requester(
    h: DiscordHarness, services: Services
) -> None:
    asked = await h.invoke("forgetme", locale="es-ES")
    assert asked.callback.ephemeral
    message_id = int(asked.original["id"])  # type: ignore[index]
    other = await h.click("forget:yes", message_id, user_id=OTHER_USER, locale="es-ES")
    assert other.callback.ephemeral
    assert "Solo quien lo pidió" in other.callback.embeds[0]["description"]
    mine = await h.click("forget:no", message_id, locale="es-ES")
    assert mine.callback.type == 7


async def test_private_answer_never_replaces_a_public_message(
    h: DiscordHarness, seeded: Services, services: Services
) -> None:
    # The help message is public; its "Helplines" button answers publicly, but a button whose
    # answer is private (an expired one here) gets its own ephemeral message.
    shown = await h.invoke("help")
    message_id = int(shown.original["id"])  # type: ignore[index]
    helpline = await h.click("cmd:helpline", message_id)
    assert helpline.callback.type == 4 and not helpline.callback.ephemeral
    old = h.fake.add_message(
        GENERAL_CHANNEL_ID,
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "More", "custom_id": "pg:gone:5"}],
            }
        ],
    )
    expired = await h.click("pg:gone:5", int(old["id"]))
    assert expired.callback.type == 4 and expired.callback.ephemeral
    assert "expired" in expired.callback.embeds[0]["description"]


async def test_buttons_sent_before_a_restart_still_work(
    make_harness: MakeHarness, services: Services
) -> None:
    # A channel post (e.g. yesterday's reflection) sent by an earlier process.
    fresh = await make_harness(build_bot(services))
    old = fresh.fake.add_message(
        GENERAL_CHANNEL_ID,
        embeds=[{"title": "Daily reflection"}],
        components=[
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 2, "label": "Helplines", "custom_id": "cmd:helpline"}
                ],
            }
        ],
    )
    result = await fresh.click("cmd:helpline", int(old["id"]), locale="es-ES")
    assert result.callback.type == 4
    assert result.callback.embeds[0]["title"] == "Líneas de ayuda"
