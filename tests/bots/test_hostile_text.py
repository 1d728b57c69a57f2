"""Hostile imported text on every platform (issue #10, item 4).

One table of hostile strings goes through each adapter's real rendering path: Discord embeds
and components (``bots.discord.render``), Telegram HTML (``bots.telegram.render``) and the
console (``bots.console``). Each platform has a checker that models what the reader's client
does with the result:

* Discord: a small model of Discord's markdown parser (backslash escapes, bare links) finds
  no active markup — no masked link, formatting, code, quote, heading, list, ``<…>`` token or
  mention — besides the card's own timestamps and links, and the reader sees the text as it
  was imported.
* Telegram: every message parses as Telegram HTML, no tag or entity from the text survives
  (only our bold lines, times, code and links), and the text shows verbatim.
* Console: the text is printed verbatim, markdown and HTML included, but nothing that drives
  a terminal (ANSI escapes, carriage returns, C1 controls) or reorders it (bidi overrides).

The table is used twice: on a card whose every text field holds the string (the renderers on
their own), and on a meeting stored through the core and shown with ``/meeting``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bots import console
from bots.console import ConsoleSession
from bots.discord import render as discord_render
from bots.telegram import render as telegram_render
from core.i18n import translate
from core.model import Location
from core.render import strip_controls
from core.replies import Button, MeetingCard, Reply
from core.services import Services
from tests.bots.telegram.fake_bot_api import parse_html
from tests.helpers import add_meeting

NY = ZoneInfo("America/New_York")
START = datetime(2026, 6, 3, 19, 0, tzinfo=NY)

MASKED_LINKS = (
    "Hall [a](https://x.example) then **bold** ||spoiler|| "
    "[Join the meeting](https://phish.example)"
)
HOSTILE = [
    pytest.param(MASKED_LINKS, id="two-masked-links"),
    pytest.param("[Join](https://phish.example)", id="masked-link"),
    pytest.param("[https://good.example](https://phish.example)", id="link-named-as-a-link"),
    pytest.param("[a](<https://phish.example>) [b]( https://phish.example )", id="link-brackets"),
    pytest.param(r"\[escaped](https://phish.example) \\[b](https://phish.example)",
                 id="pre-escaped"),
    pytest.param("https://good.example/[a](https://phish.example)", id="link-in-a-url"),
    pytest.param("https://good.example/**a**||b||`c`~~d~~(e)", id="markup-in-a-url"),
    pytest.param("Zoom (https://zoom.us/j/1?pwd=a_b_c). [x](y)", id="url-in-parentheses"),
    pytest.param("**bold** __under__ *it* _it_ ***both*** ~~strike~~ ||spoiler||", id="inline"),
    pytest.param("**__~~||*nested*||~~__**", id="nested"),
    pytest.param("```py\nprint('x')\n``` and `code` and ``double``", id="code"),
    pytest.param("> quote\n>>> long quote\n  > indented", id="quotes"),
    pytest.param("# heading\n## two\n### three\n-# small print", id="headings"),
    pytest.param("- item\n* star\n+ plus\n1. one\n  - nested\n10) ten", id="lists"),
    pytest.param("@everyone @here <@123456789012345678> <@!123456789012345678> <@&5> <#7> "
                 "@123456789012345678", id="mentions"),
    pytest.param("<t:0:R> <t:1700000000:F> </help:123> <:emoji:123> <a:dance:456> "
                 "<id:customize> <https://phish.example>", id="angle-tokens"),
    pytest.param("https://good.example<t:0:R> https://good.example<@123456789012345678>",
                 id="tokens-glued-to-links"),
    pytest.param("zero\u200bwidth\u2060join \u200b# heading\n\u200b- list\n\ufeff> quote",
                 id="zero-width"),
    pytest.param("\u202eevil\u202c RTL \u2066isolate\u2069 \u202dLTR", id="bidi-overrides"),
    pytest.param('<b>x</b> &amp; <a href="https://phish.example">Join</a> '
                 "<tg-spoiler>s</tg-spoiler> & < > &lt;", id="html"),
    pytest.param("\x1b[31mred\x1b[0m \x9b2J bell\x07 back\x08space car\rriage \x00nul",
                 id="terminal-controls"),
    pytest.param("[Join](https://phish.example) **x** ||y|| <@123456789012345678> " * 150,
                 id="very-long"),
]
PLATFORMS = ("discord", "telegram", "console")
VERBATIM_MAX = 120  # longer texts are cut to fit the platforms' limits

# Characters a display must never get from imported text (see core.render.strip_controls).
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """What a reader should see of `text`: all of it but control characters."""
    return strip_controls(text)


def hostile_reply(text: str) -> Reply:
    """`text` in every text field of a reply and its card (no links of our own)."""
    card = MeetingCard(
        slug="hostile",
        name=text,
        fellowship="Alcoholics Anonymous",
        types=(text, "Open"),
        attendance="In person",
        attendance_key="in_person",
        start_local=START,
        end_local=START,
        start_viewer=START,
        when_text="Wed 19:00 EDT",
        location=text,
        phone=text,
        notes=text,
        upcoming=(text,),
        buttons=(Button(text, action="m:1"),),
    )
    return Reply(title=text, blocks=[text], cards=[card], buttons=[[Button(text, action="x")]])


def own_links(reply: Reply) -> dict[str, str]:
    """The links the renderers add themselves: url → label."""
    links: dict[str, str] = {}
    for card in reply.cards:
        if card.map_url:
            links[card.map_url] = translate("cards.map", reply.lang)
        if card.join_url:
            links[card.join_url] = translate("cards.join", reply.lang)
    return links


# --------------------------------------------------------------------------- Discord model

# Discord's client: a backslash escapes any ASCII punctuation; a bare link runs to a blank or
# "<" minus closing punctuation, and nothing inside it is markdown.
_DISCORD_ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
_DISCORD_URL = re.compile(r"https?://[^\s<]+[^<.,:;\"')\]\s]")
_LINE = r"(?m)^(?:[^\S\n]|[\u200b-\u200d\u2060\ufeff])*"  # a line start, blanks allowed
DISCORD_MARKUP = {
    "masked link": re.compile(r"\[[^\n]*\]\s*\("),
    "bold or italics": re.compile(r"\*[^*\n]*\*"),
    "underline or italics": re.compile(r"_[^_\n]*_"),
    "strikethrough": re.compile(r"~~"),
    "spoiler": re.compile(r"\|\|"),
    "code": re.compile(r"`[^`]*`"),
    "quote": re.compile(_LINE + r">"),
    "heading": re.compile(_LINE + r"#{1,3}\s"),
    "subtext": re.compile(_LINE + r"-#\s"),
    "list": re.compile(_LINE + r"(?:[-*+]|\d+[.)])\s"),
    "<…> token": re.compile(r"<[^<>\n]*>"),  # mentions, emoji, timestamps, commands, links
    "mention": re.compile(r"@(?:everyone|here|[!&]?\d{17,20})"),
}
ESCAPED, LINK, OURS = "\x10", "\x11", "\x12"  # placeholders: inert for the patterns above
_LINK_THEN_LT = re.compile(r"(https?://[^\s<]+)<")
_URL_ENCODED = re.compile("%(5C|2A|7E|60|7C|5B|5D|28|29|3E)")  # what clean() encodes in links


def discord_parse(text: str, own: Sequence[str] = ()) -> tuple[str, str]:
    """(live, visible): `live` is `text` with escaped characters, links and our own markup
    replaced by placeholders — whatever markup is left there would render; `visible` is what
    the reader sees where nothing renders (escapes resolved, mentions unbroken)."""
    for piece in own:
        text = text.replace(piece, OURS)
    live: list[str] = []
    visible: list[str] = []
    i = 0
    while i < len(text):
        if escape := _DISCORD_ESCAPE.match(text, i):
            live.append(ESCAPED)
            visible.append(escape.group(1))
            i = escape.end()
        elif link := _DISCORD_URL.match(text, i):
            live.append(LINK)
            visible.append(_URL_ENCODED.sub(lambda m: chr(int(m.group(1), 16)), link.group()))
            i = link.end()
        else:
            live.append(text[i])
            visible.append(text[i])
            i += 1
    return "".join(live), "".join(visible).replace("@\u200b", "@")


def discord_shown(text: str) -> str:
    """What a Discord reader should see of `text`: `shown`, and a space between a link and a
    "<" right after it (an escaped "<" there would join the link)."""
    return _LINK_THEN_LT.sub(r"\1 <", shown(text))


def discord_markup(text: str, own: Sequence[str] = ()) -> list[str]:
    """The kinds of markup Discord would render in `text` (besides `own`)."""
    live, _ = discord_parse(text, own)
    return [name for name, pattern in DISCORD_MARKUP.items() if pattern.search(live)]


def check_discord(reply: Reply, expected: Sequence[str]) -> None:
    rendered = discord_render.render_reply(reply)
    assert rendered.send_kwargs()["allowed_mentions"].to_dict() == {"parse": []}
    embeds = rendered.embeds
    assert 0 < len(embeds) <= discord_render.EMBEDS_MAX
    assert sum(len(e) for e in embeds) <= discord_render.EMBEDS_TOTAL_MAX
    own = [f"<t:{int(c.start_local.timestamp())}:{style}>" for c in reply.cards for style in "FR"]
    own += [f"[{label}]({url})" for url, label in own_links(reply).items()]
    pieces: list[str] = []
    for embed in embeds:
        assert len(embed.title or "") <= discord_render.TITLE_MAX
        assert len(embed.description or "") <= discord_render.DESCRIPTION_MAX
        pieces += [embed.title or "", embed.description or "", embed.footer.text or ""]
        for fld in embed.fields:
            assert len(fld.value or "") <= discord_render.FIELD_VALUE_MAX
            pieces += [fld.name or "", fld.value or ""]
    for piece in pieces:
        assert discord_markup(piece, own) == [], piece
        assert not CONTROLS.search(piece), piece
    visible = "\n".join(discord_parse(piece, own)[1] for piece in pieces)
    for text in expected:
        assert discord_shown(text) in visible
    # Labels and select options are plain text in Discord: only short and control-free.
    for row in rendered.view.to_components() if rendered.view else []:
        for component in row["components"]:
            labels = [component.get("label") or ""]
            for option in component.get("options", []):
                labels += [option["label"], option.get("description") or ""]
            for label in labels:
                assert len(label) <= discord_render.LABEL_MAX and not CONTROLS.search(label)


# --------------------------------------------------------------------------- Telegram

# The only HTML the renderer writes itself; nothing else may reach Telegram as markup.
_OUR_TAGS = re.compile(r'</?b>|</?code>|<tg-time unix="\d+" format="\w+">|</tg-time>'
                       r'|<a href="[^"<>]*">|</a>')
_CHARACTER_REFERENCE = re.compile(r"&(?:amp|lt|gt|quot|#x27);")
_TELEGRAM_ENTITIES = {"bold", "date_time", "code", "text_link"}


def _utf16_slice(text: str, offset: int, length: int) -> str:
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le")


def check_telegram(reply: Reply, expected: Sequence[str]) -> None:
    rendered = telegram_render.render_reply(reply, private_chat=True)
    links = own_links(reply)
    plain: list[str] = []
    for message in rendered.messages:
        text, entities = parse_html(message)  # raises like Telegram on bad HTML
        assert 0 < len(text) <= telegram_render.TEXT_LIMIT
        markup_free = _OUR_TAGS.sub("", message)
        assert "<" not in markup_free and ">" not in markup_free, message
        assert "&" not in _CHARACTER_REFERENCE.sub("", markup_free), message
        assert not CONTROLS.search(text)
        for entity in entities:
            assert entity["type"] in _TELEGRAM_ENTITIES, entity
            covered = _utf16_slice(text, int(entity["offset"]), int(entity["length"]))
            if entity["type"] == "text_link":  # only our links, shown by label or address
                url = str(entity["url"])
                assert url in links and covered in (links[url], url), entity
            if entity["type"] == "bold":  # our bold marks whole lines (title, heading)
                assert f"\n{covered}\n" in f"\n{text}\n", covered
        plain.append(text)
    joined = "\n".join(plain)
    for text in expected:
        assert text in joined
    keyboard = rendered.keyboard.to_dict() if rendered.keyboard else {}
    for row in keyboard.get("inline_keyboard", []):
        for button in row:
            assert not CONTROLS.search(button["text"])


# --------------------------------------------------------------------------- console


def check_console(reply: Reply, expected: Sequence[str]) -> None:
    text, buttons = console.render(reply)
    assert not CONTROLS.search(text), text
    for part in expected:
        assert part in text  # verbatim: the console shows markdown and HTML as they are
    assert len(buttons) == sum(len(c.buttons) for c in reply.cards) + sum(map(len, reply.buttons))


CHECKS: dict[str, Callable[[Reply, Sequence[str]], None]] = {
    "discord": check_discord,
    "telegram": check_telegram,
    "console": check_console,
}


# --------------------------------------------------------------------------- the tables


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_field_renders_inert(platform: str, text: str) -> None:
    expected = [shown(text)] if len(text) <= VERBATIM_MAX else []
    CHECKS[platform](hostile_reply(text), expected)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_imported_meeting_renders_inert(
    services: Services, platform: str, text: str
) -> None:
    meeting = await add_meeting(
        services,
        "hostile",
        name=text,
        location=Location(name=text, address=f"{text}, Boston", city="Boston",
                          latitude=42.3503, longitude=-71.0810),
        notes=text,
        group=text,
    )
    reply = await ConsoleSession(services).send("/meeting hostile")
    assert reply is not None and not reply.error and len(reply.cards) == 1
    assert reply.cards[0].map_url  # one link of our own on the card
    expected: list[str] = []
    if len(text) <= VERBATIM_MAX:
        assert meeting.notes is not None
        expected = [meeting.name, meeting.notes, meeting.location.summary()]
    CHECKS[platform](reply, expected)


HOSTILE_LINKS = [  # (join link, whether Discord may show it as our masked "Join" link)
    pytest.param("https://x.example/a)[b](https://phish.example)", False, id="closes-the-link"),
    pytest.param("https://x.example/a\\)b", False, id="backslash"),
    pytest.param("https://x.example/<@123456789012345678>", False, id="mention"),
    pytest.param("https://x.example/?q=||a||&r=`b`", False, id="markup"),
    pytest.param("https://zoom.us/j/1?pwd=a_b*c~d", True, id="plain"),
]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("url", "masked"), HOSTILE_LINKS)
def test_hostile_join_links_are_shown_not_hidden(platform: str, url: str, masked: bool) -> None:
    """A join link is our own masked link only when Discord reads its target to the end;
    otherwise it is shown as an address. Telegram links it with the address as text."""
    card = hostile_reply("Hope").cards[0]
    reply = Reply(cards=[dataclasses.replace(card, join_url=url)])
    CHECKS[platform](reply, [])
    if platform == "discord":
        [embed] = discord_render.render_reply(reply).embeds
        [links] = [f.value or "" for f in embed.fields if f.name == "🔗"]
        own = f"[{translate('cards.join', 'en')}]({url})"
        if masked:
            assert links == own
        else:
            assert own not in links
            assert discord_parse(links)[1] == discord_shown(f"Join: {url}")


# --------------------------------------------------------------------------- pieces


def test_discord_clean_keeps_links_and_makes_everything_else_literal() -> None:
    clean = discord_render.clean
    assert clean(MASKED_LINKS) == (
        r"Hall \[a\]\(https://x.example) then \*\*bold\*\* \|\|spoiler\|\| "
        r"\[Join the meeting\]\(https://phish.example)"
    )
    assert clean("# a\n-# b\n  - c\n1. d\n> e") == "\\# a\n\\-\\# b\n  \\- c\n1\\. d\n\\> e"
    assert clean("x - y 1. z") == "x - y 1. z"  # markers mean something only at a line start
    assert clean("see https://a.example/x_(y)_z. Then") == "see https://a.example/x_%28y%29_z. Then"
    assert clean("a\\") == "a\\\\"
    assert clean("@everyone @here") == "@\u200beveryone @\u200bhere"
    assert clean("\x1b[31m\u202ered") == "\\[31mred"


def test_discord_long_text_is_split_without_breaking_escapes() -> None:
    text = discord_render.clean(("x" * 9 + "*- y ") * 3)
    pieces = discord_render.split_text(text, 10)
    assert all(len(p) <= 10 for p in pieces) and "".join(pieces).count("\\*") == 3
    for piece in pieces:
        assert discord_markup(piece) == [], piece


def test_console_json_output_cannot_drive_a_terminal() -> None:
    reply = Reply(title="\x1b[31m\x9b2J\u202eevil")
    text = console.dump_json(reply)
    assert not CONTROLS.search(text)
    assert '"title": "\\u001b[31m\\u009b2J\\u202eevil"' in text  # the data itself unchanged
