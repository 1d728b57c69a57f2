"""Reply → Telegram: HTML text (everything from the Reply escaped), split into messages of at
most 4096 characters, plus an inline keyboard whose callback data is the core's action token.

Pure functions only: nothing here talks to Telegram, so it is cheap to test exhaustively.
Meeting start times use Telegram's date_time entity (`<tg-time unix=… format="wt">`, Bot API
9.5 / python-telegram-bot ≥ 22.7): each member's client shows the weekday and time in their own
zone; clients without support show the text inside the tag, the time in the meeting's zone.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from core.conversation.cards import day_name
from core.i18n import Translator
from core.render import card_fields, card_heading, strip_controls
from core.replies import Button, FileAttachment, MeetingCard, Reply

TEXT_LIMIT = 4096  # characters of a message after entity parsing
BUTTONS_PER_ROW = 8  # Telegram's maximum
MAX_BUTTONS = 100  # per keyboard
EMPTY_TEXT = "…"  # Telegram refuses an empty message; used when a reply has only buttons
TIME_FORMAT = "wt"  # localized weekday + short time (date-time entity formatting)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class RenderedReply:
    """What to send for one Reply: the HTML messages in order, the keyboard for the last one,
    and the documents to send after them."""

    messages: list[str]
    keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
    files: list[FileAttachment] = field(default_factory=list)
    # When both inline buttons and a location request exist, Telegram allows one markup per
    # message: the location keyboard then goes on an extra short message with this text.
    location_prompt: tuple[str, ReplyKeyboardMarkup] | None = None


def escape(text: str) -> str:
    """Escape plain text for parse_mode=HTML (only <, > and & are special there); control
    characters and bidi overrides are dropped (see core.render.strip_controls)."""
    return html.escape(strip_controls(text), quote=False)


def escape_attribute(text: str) -> str:
    return html.escape(text, quote=True)


def plain_length(fragment: str) -> int:
    """The length Telegram counts for an HTML fragment built here: tags removed, entities
    decoded, in UTF-16 code units (never less than the count in characters)."""
    text = html.unescape(_TAG.sub("", fragment))
    return len(text.encode("utf-16-le")) // 2


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def link(url: str, text: str) -> str:
    """An <a> tag for http(s) links; anything else is shown as escaped text."""
    if not _is_web_url(url):
        return escape(text)
    return f'<a href="{escape_attribute(url)}">{escape(text)}</a>'


def time_tag(moment: datetime, fallback: str, fmt: str = TIME_FORMAT) -> str:
    """A date_time entity: shown in the reader's own zone by clients that support it."""
    return f'<tg-time unix="{int(moment.timestamp())}" format="{fmt}">{escape(fallback)}</tg-time>'


def meeting_time_text(start_local: datetime, lang: str) -> str:
    """'Wed 19:00 EDT': the start in the meeting's own zone (the entity's text fallback)."""
    return f"{day_name(Translator(lang), start_local)} {start_local:%H:%M} {start_local.tzname()}"


def _split_plain(text: str, limit: int) -> list[str]:
    """Cut one line of plain text into pieces of at most `limit` UTF-16 code units, at a
    space when there is one in the second half of the piece."""
    pieces: list[str] = []
    while True:
        total, cut = 0, len(text)
        for index, char in enumerate(text):
            total += 2 if ord(char) > 0xFFFF else 1
            if total > limit:
                cut = index
                break
        else:
            pieces.append(text)
            return pieces
        space = text.rfind(" ", cut // 2, cut)
        if space > 0:
            cut = space
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")


def text_lines(text: str, limit: int = TEXT_LIMIT, *, bold: bool = False) -> list[str]:
    """Plain text → escaped HTML lines, none longer than `limit`."""
    lines: list[str] = []
    for raw in text.split("\n"):
        for piece in _split_plain(raw, limit):
            lines.append(f"<b>{escape(piece)}</b>" if bold and piece.strip() else escape(piece))
    return lines


def card_lines(
    card: MeetingCard, lang: str, number: int | None = None, limit: int = TEXT_LIMIT
) -> list[str]:
    """One meeting card as HTML lines (the labelled fields come from core.render)."""
    heading = card_heading(card, lang)
    if number is not None:
        heading = f"{number}. {heading}"
    lines = text_lines(heading, limit, bold=True)
    for item in card_fields(card, lang):
        if item.key == "when":
            when = time_tag(card.start_local, meeting_time_text(card.start_local, lang))
            lines.append(f"{escape(item.label)}: {when}" if item.label else when)
        elif item.url and item.key == "map":
            lines.append(link(item.url, item.label or item.value))
        elif item.url and _is_web_url(item.url) and len(item.url) <= 2000:
            anchor = link(item.url, item.value)
            lines.append(f"{escape(item.label)}: {anchor}" if item.label else anchor)
        else:
            text = f"{item.label}: {item.value}" if item.label else item.value
            lines.extend(text_lines(text, limit))
    if len(card.slug) < 200:
        lines.append(f"id: <code>{escape(card.slug)}</code>")
    return lines


def pack_sections(sections: list[list[str]], limit: int = TEXT_LIMIT) -> list[str]:
    """Join sections (lists of lines; a blank line between sections) into as few messages of
    at most `limit` characters as possible, never cutting inside a line."""
    messages: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        text = "\n".join(current).strip("\n")
        if text.strip():
            messages.append(text)
        current, size = [], 0

    for section in sections:
        if not section:
            continue
        section_size = sum(plain_length(line) for line in section) + len(section) - 1
        if current and size + 2 + section_size <= limit:
            current += ["", *section]
            size += 2 + section_size
            continue
        flush()
        if section_size <= limit:
            current, size = list(section), section_size
            continue
        for line in section:  # a section longer than a message: cut between its lines
            line_size = plain_length(line)
            if current and size + 1 + line_size > limit:
                flush()
            size = size + 1 + line_size if current else line_size
            current.append(line)
    flush()
    return messages


def _button(button: Button, prefix: str = "") -> InlineKeyboardButton:
    label = strip_controls(f"{prefix}{button.label}") or "·"
    if button.url is not None:
        return InlineKeyboardButton(label, url=button.url)
    return InlineKeyboardButton(label, callback_data=button.action)


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Cards' buttons (one row per card, numbered like the cards when there are several),
    then the reply's rows; rows longer than Telegram allows are wrapped."""
    rows: list[list[InlineKeyboardButton]] = []
    numbered = len(reply.cards) > 1
    for index, card in enumerate(reply.cards, start=1):
        if card.buttons:
            prefix = f"{index}. " if numbered else ""
            rows.append([_button(b, prefix) for b in card.buttons])
    for buttons in reply.buttons:
        if buttons:
            rows.append([_button(b) for b in buttons])
    wrapped: list[list[InlineKeyboardButton]] = []
    for full in rows:
        for start in range(0, len(full), BUTTONS_PER_ROW):
            wrapped.append(full[start : start + BUTTONS_PER_ROW])
    total = 0
    kept: list[list[InlineKeyboardButton]] = []
    for part in wrapped:
        if total + len(part) > MAX_BUTTONS:
            break
        kept.append(part)
        total += len(part)
    return InlineKeyboardMarkup(kept) if kept else None


def location_keyboard(label: str) -> ReplyKeyboardMarkup:
    """A one-time reply keyboard whose button shares the member's location."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def reply_sections(reply: Reply, limit: int = TEXT_LIMIT) -> list[list[str]]:
    sections: list[list[str]] = []
    if reply.title:
        sections.append(text_lines(reply.title, limit, bold=True))
    for block in reply.blocks:
        if block.strip():
            sections.append(text_lines(block, limit))
    numbered = len(reply.cards) > 1
    for index, card in enumerate(reply.cards, start=1):
        sections.append(card_lines(card, reply.lang, index if numbered else None, limit))
    return sections


def render_reply(reply: Reply, *, private_chat: bool, limit: int = TEXT_LIMIT) -> RenderedReply:
    """The whole Reply as Telegram messages. A location request becomes a reply keyboard in
    private chats only (Telegram offers request_location buttons nowhere else)."""
    messages = pack_sections(reply_sections(reply, limit), limit)
    inline = inline_keyboard(reply)
    keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = inline
    prompt: tuple[str, ReplyKeyboardMarkup] | None = None
    if reply.ask_location and private_chat:
        location = location_keyboard(reply.ask_location)
        if inline is None:
            keyboard = location
        else:
            prompt = (escape(reply.ask_location), location)
    if not messages and keyboard is not None:
        messages = [EMPTY_TEXT]
    return RenderedReply(messages, keyboard, list(reply.files), prompt)
