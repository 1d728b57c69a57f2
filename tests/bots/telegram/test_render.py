"""Reply → Telegram HTML: escaping, date_time entities, splitting, keyboards. Every message is
checked with the fake's copy of Telegram's HTML parser."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup

from bots.telegram.render import (
    TEXT_LIMIT,
    inline_keyboard,
    pack_sections,
    plain_length,
    render_reply,
)
from core.replies import Button, FileAttachment, MeetingCard, Reply
from tests.bots.telegram.fake_bot_api import parse_html

NY = ZoneInfo("America/New_York")


def card(name: str = "Hope", **kw: object) -> MeetingCard:
    start = datetime(2026, 6, 3, 19, 0, tzinfo=NY)
    values: dict[str, object] = dict(
        slug="hope-wed-1900",
        name=name,
        fellowship="Alcoholics Anonymous",
        types=("Open",),
        attendance="Online",
        attendance_key="online",
        start_local=start,
        end_local=start.replace(hour=20),
        start_viewer=start.astimezone(UTC),
        timezone="America/New_York",
        when_text="Wed 19:00 EDT (Wed 23:00 UTC your time)",
        join_url="https://zoom.us/j/1?pwd=a&b=<c>",
        buttons=(Button("Details", action="m:1"), Button("📅", action="ics:1")),
    )
    values.update(kw)
    return MeetingCard(**values)  # type: ignore[arg-type]


def parsed(messages: list[str]) -> list[tuple[str, list[dict[str, object]]]]:
    out = []
    for message in messages:
        text, entities = parse_html(message)  # raises like Telegram on bad HTML
        assert 0 < len(text) <= TEXT_LIMIT
        out.append((text, entities))
    return out


def test_everything_from_the_reply_is_escaped() -> None:
    reply = Reply(
        title="<i>Title</i> & co",
        blocks=["a <b>b</b> & <tg-spoiler>"],
        cards=[card("<script>x</script> & @everyone")],
    )
    rendered = render_reply(reply, private_chat=True)
    [(text, entities)] = parsed(rendered.messages)
    assert text.startswith("<i>Title</i> & co\n\na <b>b</b> & <tg-spoiler>")
    assert "<script>x</script> & @everyone — Alcoholics Anonymous" in text
    assert [e["type"] for e in entities if e["type"] == "bold"] == ["bold", "bold"]
    link = next(e for e in entities if e["type"] == "text_link")
    assert link["url"] == "https://zoom.us/j/1?pwd=a&b=<c>"


def test_meeting_time_is_a_date_time_entity_with_the_meeting_zone_as_fallback() -> None:
    rendered = render_reply(Reply(lang="es", cards=[card()]), private_chat=True)
    [(text, entities)] = parsed(rendered.messages)
    [when] = [e for e in entities if e["type"] == "date_time"]
    assert when["unix_time"] == int(datetime(2026, 6, 3, 23, 0, tzinfo=UTC).timestamp())
    assert when["date_time_format"] == "wt"
    start = int(when["offset"])  # type: ignore[call-overload]
    assert text[start : start + int(when["length"])] == "mié 19:00 EDT"  # type: ignore[call-overload]
    assert "Empieza: mié 19:00 EDT" in text


def test_non_web_links_are_plain_text() -> None:
    rendered = render_reply(
        Reply(cards=[card(join_url="javascript:alert(1)", map_url=None)]), private_chat=True
    )
    [(text, entities)] = parsed(rendered.messages)
    assert "javascript:alert(1)" in text
    assert not [e for e in entities if e["type"] == "text_link"]


def test_long_replies_are_split_between_lines_and_never_inside_a_tag() -> None:
    cards = [card(f"Meeting {n} " + "é" * 200) for n in range(40)]
    block = ("word " * 3000).strip()  # one 15,000-character line
    reply = Reply(
        title="T",
        blocks=[block, "🙂" * 3000],
        cards=cards,
        buttons=[[Button("More", action="pg:x:5")]],
    )
    rendered = render_reply(reply, private_chat=True)
    messages = parsed(rendered.messages)
    assert len(messages) > 5
    for message in rendered.messages:
        assert plain_length(message) <= TEXT_LIMIT
    joined = "".join(text for text, _ in messages)
    assert joined.count("word") == 3000 and joined.count("🙂") == 3000
    assert sum(len([e for e in ents if e["type"] == "date_time"]) for _, ents in messages) == 40
    assert isinstance(rendered.keyboard, InlineKeyboardMarkup)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=600), min_size=1, max_size=30),
    st.integers(min_value=50, max_value=600),
)
def test_any_text_packs_into_valid_messages(blocks: list[str], limit: int) -> None:
    reply = Reply(blocks=blocks)
    rendered = render_reply(reply, private_chat=True, limit=limit)
    for message in rendered.messages:
        text, _ = parse_html(message)
        assert len(text.encode("utf-16-le")) // 2 <= limit


def test_pack_sections_keeps_sections_together_when_they_fit() -> None:
    assert pack_sections([["a", "b"], ["c"]], limit=10) == ["a\nb\n\nc"]
    assert pack_sections([["aaaa"], ["bbbb"]], limit=9) == ["aaaa", "bbbb"]


def test_keyboard_numbers_card_buttons_and_wraps_rows() -> None:
    reply = Reply(
        cards=[card(), card()],
        buttons=[
            [Button(str(n), action=f"x:{n}") for n in range(10)],
            [Button("Site", url="https://example.org")],
        ],
    )
    markup = inline_keyboard(reply)
    assert markup is not None
    rows = markup.inline_keyboard
    assert [b.text for b in rows[0]] == ["1. Details", "1. 📅"]
    assert [b.callback_data for b in rows[1]] == ["m:1", "ics:1"]
    assert [len(r) for r in rows[2:4]] == [8, 2]
    assert rows[4][0].url == "https://example.org"
    single = inline_keyboard(Reply(cards=[card()]))
    assert single is not None and single.inline_keyboard[0][0].text == "Details"


def test_location_request_is_a_reply_keyboard_in_private_chats_only() -> None:
    reply = Reply(blocks=["Share?"], ask_location="📍 Share")
    private = render_reply(reply, private_chat=True)
    assert isinstance(private.keyboard, ReplyKeyboardMarkup)
    assert private.keyboard.keyboard[0][0].request_location is True
    group = render_reply(reply, private_chat=False)
    assert group.keyboard is None and group.location_prompt is None
    both = render_reply(
        Reply(blocks=["x"], ask_location="📍", buttons=[[Button("b", "a:1")]]), private_chat=True
    )
    assert isinstance(both.keyboard, InlineKeyboardMarkup)
    assert both.location_prompt is not None


def test_buttons_only_and_files_only_replies() -> None:
    buttons_only = render_reply(Reply(buttons=[[Button("b", action="a:1")]]), private_chat=True)
    assert buttons_only.messages == ["…"]
    files_only = render_reply(Reply(files=[FileAttachment("m.ics", b"x")]), private_chat=True)
    assert files_only.messages == [] and files_only.files[0].filename == "m.ics"
