"""Reply → Discord message: limits, escaping, timestamps, components and their tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bots.discord import render
from bots.discord.transport import DiscordTransport
from core.conversation.outbound import OutboundComposer
from core.outbound import SendKind
from core.replies import Button, FileAttachment, MeetingCard, Reply
from core.services import Services

from .harness import GENERAL_CHANNEL_ID, DiscordHarness

NY = ZoneInfo("America/New_York")
START = datetime(2026, 6, 3, 19, 0, tzinfo=NY)


def card(
    n: int,
    *,
    name: str | None = None,
    notes: str | None = None,
    buttons: tuple[Button, ...] | None = None,
    **kw: Any,
) -> MeetingCard:
    return MeetingCard(
        slug=f"meeting-{n}",
        name=name or f"Meeting {n}",
        fellowship="Alcoholics Anonymous",
        types=("Open", "Speaker"),
        attendance="In person",
        attendance_key="in_person",
        start_local=START,
        end_local=START,
        start_viewer=START,
        when_text="Wed 19:00 EDT",
        location="Room 4",
        notes=notes,
        buttons=buttons
        if buttons is not None
        else (
            Button("Details", action=f"m:{n}"),
            Button("📅 Add to calendar", action=f"ics:{n}"),
            Button("🔔 Remind me", action=f"rm:{n}"),
        ),
        **kw,
    )


def huge_reply() -> Reply:
    long = "word " * 400
    return Reply(
        title="T" * 1000,
        blocks=[f"{i} {long}" for i in range(12)],
        cards=[
            card(
                i,
                name="N" * 400,
                notes="note " * 1000,
                upcoming=tuple("Thu 19:00 EDT" for _ in range(200)),
            )
            for i in range(6)
        ],
        buttons=[
            [Button(f"b{r}{i}" * 30, action=f"x:{r}:{i}") for i in range(7)] for r in range(3)
        ],
    )


def rows(view: discord.ui.View | None) -> list[list[dict[str, object]]]:
    assert view is not None
    return [row["components"] for row in view.to_components()]


def test_huge_reply_fits_every_limit() -> None:
    rendered = render.render_reply(huge_reply())
    embeds = rendered.embeds
    assert len(embeds) <= 10
    assert sum(len(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
        assert len(embed.fields) <= 25
        assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    components = rows(rendered.view)
    assert len(components) <= 5 and all(len(r) <= 5 for r in components)
    ids = [c["custom_id"] for r in components for c in r if "custom_id" in c]
    assert len(ids) == len(set(ids)) and all(len(str(i)) <= 100 for i in ids)
    assert all(len(str(c.get("label", ""))) <= 80 for r in components for c in r)


async def test_huge_reply_is_accepted_by_discord(h: DiscordHarness, services: Services) -> None:
    transport = DiscordTransport(h.client, OutboundComposer(services))
    result = await transport.send_reply(GENERAL_CHANNEL_ID, huge_reply())
    assert result.kind is SendKind.OK
    [post] = h.fake.calls(f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert post.status == 200 and post.allowed_mentions == {"parse": []}


def test_text_is_escaped_and_never_pings() -> None:
    reply = Reply(
        title="@everyone **now**",
        blocks=["<@123456789012345678> _hi_ @here"],
        cards=[card(1, name="@here <b>x</b> ~~y~~")],
    )
    rendered = render.render_reply(reply)
    header, first = rendered.embeds
    assert header.title == "@\u200beveryone \\*\\*now\\*\\*"
    assert header.description == "\\<@\u200b123456789012345678\\> \\_hi\\_ @\u200bhere"
    assert first.title == "@\u200bhere \\<b\\>x\\</b\\> \\~\\~y\\~\\~"
    assert rendered.send_kwargs()["allowed_mentions"].to_dict() == {"parse": []}


def test_meeting_start_is_a_discord_timestamp() -> None:
    [embed] = render.render_reply(Reply(cards=[card(1, in_progress=True)])).embeds
    stamp = int(START.timestamp())
    assert embed.description is not None
    assert f"<t:{stamp}:F> · <t:{stamp}:R>" in embed.description
    assert "in progress" in embed.description
    assert embed.footer.text == "id: meeting-1"


def test_one_card_gets_buttons_several_get_select_menus() -> None:
    one = rows(render.render_reply(Reply(cards=[card(1)])).view)
    assert [c["custom_id"] for c in one[0]] == ["m:1", "ics:1", "rm:1"]
    several = rows(
        render.render_reply(
            Reply(
                cards=[card(1), card(2)],
                buttons=[[Button("More", action="pg:s:5")]],
                continuation="pg:s:5",
            )
        ).view
    )
    assert [r[0]["type"] for r in several] == [3, 3, 3, 2]
    options: Any = several[1][0]["options"]
    assert [o["value"] for o in options] == ["ics:1", "ics:2"]
    assert several[3][0]["style"] == discord.ButtonStyle.primary.value  # the next page


def test_custom_ids_are_unique_and_map_back_to_tokens() -> None:
    reply = Reply(buttons=[[Button("A", action="cmd:help"), Button("B", action="cmd:help")]])
    [[a, b]] = rows(render.render_reply(reply).view)
    assert a["custom_id"] == "cmd:help" and b["custom_id"] != "cmd:help"
    assert render.token_of(str(b["custom_id"])) == "cmd:help"
    assert render.token_of("~s0", ["m:3"]) == "m:3"
    assert render.token_of("pg:ab:5") == "pg:ab:5"


def test_links() -> None:
    reply = Reply(
        blocks=["x"],
        buttons=[
            [
                Button("Site", url="https://example.org/a_b"),
                Button("Subscribe", url="webcal://example.org/c.ics"),
            ]
        ],
    )
    rendered = render.render_reply(reply)
    [[site]] = rows(rendered.view)
    assert site["url"] == "https://example.org/a_b" and site["style"] == 5
    assert rendered.embeds[0].description == "x\n\nSubscribe: webcal://example.org/c.ics"
    [embed] = render.render_reply(Reply(cards=[card(1, join_url="https://zoom.us/j/1")])).embeds
    assert "[Join](https://zoom.us/j/1)" in str([f.value for f in embed.fields])


def test_files_and_empty_replies() -> None:
    rendered = render.render_reply(Reply(files=[FileAttachment("a.ics", b"data")], private=True))
    assert rendered.embeds == [] and rendered.ephemeral
    [file] = rendered.send_kwargs()["files"]
    assert file.filename == "a.ics" and file.fp.read() == b"data"
    assert render.render_reply(Reply()).embeds[0].description == "✓"
    assert render.render_reply(Reply(blocks=["no"], error=True)).ephemeral
