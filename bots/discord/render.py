"""Reply → Discord message: embeds within Discord's limits, `<t:…>` timestamps, buttons and
select menus whose custom_id carries the core's action token, files, ephemeral flag.

Text in a Reply is plain text (imported meeting names can contain anything), so every piece
of it goes through :func:`clean`, which escapes all of Discord's markdown — no formatting, no
masked link, no mention, emoji or timestamp can come from it; on top of that every message is
sent with ``AllowedMentions.none()``.

Components: a Button's action token is the component's custom_id as is. Two cases need a small
envelope, marked by a leading ``~`` that core tokens never have: a token repeated in one
message (custom_ids must be unique: ``~d<n>~<token>``) and select menus, whose custom_id is
``~s<n>`` and whose option values are the tokens. :class:`ActionItem` (a DynamicItem matching
every custom_id) routes any click — on a message sent a minute ago or before a restart — to the
client's component handler.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord

from core.i18n import translate
from core.render import card_fields, strip_controls
from core.replies import Button, FileAttachment, MeetingCard, Reply

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_TOTAL_MAX = 6000
EMBEDS_MAX = 10
ROWS_MAX = 5
ROW_WIDTH = 5
LABEL_MAX = 80
OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100
PLACEHOLDER_MAX = 150
CUSTOM_ID_MAX = 100
LINK_URL_MAX = 512

_SELECT_PREFIX = "~s"
_DUPLICATE_RE = re.compile(r"~d\d+~(?P<token>.+)", re.S)
_LINK_SCHEMES = ("https://", "http://", "discord://")
# A link target Discord reads to its end as it is: URL characters but ( ) [ ] < > \ ` ' " |.
_MASKABLE_URL_RE = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+")
ELLIPSIS = "…"
MIN_PIECE = 40  # shorter than this, a description or field says nothing: drop embeds instead

COLOUR_DEFAULT = discord.Colour(0x4F7CAC)
COLOUR_ERROR = discord.Colour.red()
COLOUR_BY_ATTENDANCE = {
    "in_person": discord.Colour.green(),
    "online": discord.Colour.blurple(),
    "hybrid": discord.Colour.teal(),
    "inactive": discord.Colour.light_grey(),
}

NO_MENTIONS = discord.AllowedMentions.none()


# --------------------------------------------------------------------------- escaping

# Discord's markdown lets a backslash escape any ASCII punctuation, so plain text is made inert
# by a backslash before every character that has a meaning somewhere in a line…
_MARKUP_RE = re.compile(r"([\\*_~`|<>\[\]()#])")
# …and before the list markers ("- ", "+ ", "1. ") that only mean something at a line's start
# (after blanks or zero-width characters, which a client may not count as text).
_LINE_MARKER_RE = re.compile(r"^((?:[^\S\n]|[\u200b-\u200d\u2060\ufeff])*)([-+]|[0-9]+(?=\.))",
                             re.M)
_MENTION_RE = re.compile(r"@(everyone|here|[!&]?[0-9]{17,20})")
# A bare link as Discord's client finds one (discord.py's utils._URL_REGEX, http(s) only). The
# client formats nothing inside a link, and a backslash there would become part of the address,
# so links are kept, except for characters that could close or open markup if a client ever
# saw less of a link than this: those are percent-encoded (the address stays the same one).
# "_" stays as it is (it is in very many addresses), and "#" (it starts the fragment).
_URL_RE = re.compile(r"https?://[^\s<]+[^<.,:;\"')\]\s]")
_URL_ENCODED = {ord(c): f"%{ord(c):02X}" for c in "\\*~`|[]()>"}
# What Discord leaves out at a link's end ("(see https://x.example)."): kept unescaped, as a
# backslash there would join the link. Safe: without an unescaped "[" none of it is markup.
_URL_TAIL_RE = re.compile(r"[.,:;\"')\]]*")


def _escape_marker(match: re.Match[str]) -> str:
    blanks, marker = match.groups()
    return f"{blanks}\\{marker}" if marker in "-+" else f"{blanks}{marker}\\"


def _escape_plain(text: str, at_line_start: bool) -> str:
    """Escape text that holds no link; `at_line_start`: whether text[0] begins a line."""
    escaped = _MENTION_RE.sub("@\u200b\\1", _MARKUP_RE.sub(r"\\\1", text))
    if at_line_start:
        return _LINE_MARKER_RE.sub(_escape_marker, escaped)
    head, newline, rest = escaped.partition("\n")  # the first line continues a link
    return head + newline + _LINE_MARKER_RE.sub(_escape_marker, rest)


def clean(text: str) -> str:
    """Plain text → Discord text that shows exactly that text: control characters and bidi
    overrides dropped, every markdown character backslash-escaped (bold, italics, underline,
    strike, spoilers, code, quotes, headings, subtext, lists, masked links ``[text](url)``,
    ``<https://…>`` and ``<@…>`` / ``<#…>`` / ``<:emoji:…>`` / ``<t:…>`` tokens), and
    ``@everyone``, ``@here`` and ``@<id>`` broken by a zero-width space.

    Bare http(s) links stay clickable and show their whole address, so no link can hide
    behind other text; a "<" right after a link is set apart by a space. ``:`` is not
    escaped: every token that uses it starts with ``<``."""
    text = strip_controls(text)
    pieces: list[str] = []
    position = 0
    for link in _URL_RE.finditer(text):
        plain = text[position : link.start()]
        pieces.append(_escape_plain(plain, position == 0 or text[position - 1] == "\n"))
        tail = _URL_TAIL_RE.match(text, link.end())
        assert tail is not None  # the pattern matches the empty string
        pieces.append(link.group().translate(_URL_ENCODED) + tail.group())
        position = tail.end()
        if text.startswith("<", position):  # "\<" there would join the link: keep it apart
            pieces.append(" ")
    pieces.append(_escape_plain(text[position:], position == 0 or text[position - 1] == "\n"))
    return "".join(pieces)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Split cleaned text on line breaks (or hard) into pieces of at most `limit` characters.
    A hard cut never parts a backslash from the character it escapes, and a list marker at the
    start of the next piece (a new line there) is escaped."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            head = line[:limit]
            odd = (len(head) - len(head.rstrip("\\"))) % 2 == 1  # it ends inside an escape
            at = limit - 1 if odd and limit > 1 else limit
            pieces.append(line[:at])
            line = _LINE_MARKER_RE.sub(_escape_marker, line[at:], count=1)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def is_link(url: str | None) -> bool:
    return (
        bool(url)
        and len(url or "") <= LINK_URL_MAX
        and (url or "").startswith(_LINK_SCHEMES)
        and not any(ch.isspace() for ch in url or "")
    )


def masked_link(label: str, url: str) -> str:
    """'[Join](https://…)' for a plain web link (only characters that cannot end the link's
    target), else 'Join: <the address, cleaned>'."""
    if is_link(url) and _MASKABLE_URL_RE.fullmatch(url):
        return f"[{clean(label)}]({url})"
    return f"{clean(label)}: {clean(url)}"


def unix(moment: Any) -> int:
    return int(moment.timestamp())


# --------------------------------------------------------------------------- embeds


def card_embed(card: MeetingCard, lang: str, number: int | None = None) -> discord.Embed:
    """One meeting card: the start as a Discord timestamp (every reader sees their own time)."""

    def t(key: str, **params: Any) -> str:
        return translate(key, lang, **params)

    title = clean(card.name)
    if number is not None:
        title = f"{number}. {title}"
    start = unix(card.start_local)
    when = f"<t:{start}:F> · <t:{start}:R>"
    if card.in_progress:
        when = f"🟢 {clean(t('cards.in_progress'))} · {when}"
    lines = [when, clean(card.when_text), f"{clean(card.fellowship)} · {clean(card.attendance)}"]
    embed = discord.Embed(
        title=cut(title, TITLE_MAX),
        description=cut("\n".join(line for line in lines if line), DESCRIPTION_MAX),
        colour=COLOUR_BY_ATTENDANCE.get(card.attendance_key, COLOUR_DEFAULT),
    )
    # The card's labelled fields come from core.render; Discord groups a few of them.
    by_key = {item.key: item for item in card_fields(card, lang)}
    fields: list[tuple[str, str, bool]] = []
    if "schedule" in by_key:
        fields.append((by_key["schedule"].label, clean(by_key["schedule"].value), False))
    if "types" in by_key:
        fields.append((by_key["types"].label, ", ".join(clean(x) for x in card.types), True))
    where = [clean(by_key[k].value) for k in ("where", "distance") if k in by_key]
    if where:
        fields.append((t("cards.where"), "\n".join(where), True))
    links = [masked_link(by_key[k].label, by_key[k].value) for k in ("join", "map")
             if k in by_key]
    links += [masked_link(b.label, b.url) for b in card.buttons if b.url]
    if links:
        fields.append(("🔗", " · ".join(links), False))
    for key, inline in (("phone", True), ("notes", False), ("group_notes", False),
                        ("contributions", False), ("listed_by", False), ("contacts", False)):
        if key in by_key:
            fields.append((by_key[key].label, clean(by_key[key].value), inline))
    if "upcoming" in by_key:
        fields.append((by_key["upcoming"].label, "\n".join(clean(u) for u in card.upcoming),
                       False))
    fields = [(n, v, inline) for n, v, inline in fields if n.strip() and v.strip()]
    for name, value, inline in fields[:FIELDS_MAX]:
        embed.add_field(
            name=cut(name, FIELD_NAME_MAX), value=cut(value, FIELD_VALUE_MAX), inline=inline
        )
    embed.set_footer(text=cut(f"id: {card.slug}", FOOTER_MAX))
    return embed


def reply_embeds(reply: Reply, extra_lines: Sequence[str] = ()) -> list[discord.Embed]:
    """The header (title + blocks) as one or more embeds, then one embed per card."""
    colour = COLOUR_ERROR if reply.error else COLOUR_DEFAULT
    blocks = [clean(b) for b in reply.blocks if b]
    if reply.ask_location:
        blocks.append(clean(translate("discord.no_location", reply.lang)))
    blocks += list(extra_lines)
    embeds: list[discord.Embed] = []
    description = "\n\n".join(blocks)
    pieces = split_text(description, DESCRIPTION_MAX) if description else []
    room = max(1, EMBEDS_MAX - len(reply.cards))  # the cards keep their embeds
    if len(pieces) > room:
        pieces = pieces[: room - 1] + [cut("\n".join(pieces[room - 1 :]), DESCRIPTION_MAX)]
    if reply.title or pieces:
        embeds.append(
            discord.Embed(
                title=cut(clean(reply.title), TITLE_MAX) if reply.title else None,
                description=pieces[0] if pieces else None,
                colour=colour,
            )
        )
        for piece in pieces[1:]:
            embeds.append(discord.Embed(description=piece, colour=colour))
    numbered = len(reply.cards) > 1
    for i, card in enumerate(reply.cards, start=1):
        embeds.append(card_embed(card, reply.lang, i if numbered else None))
    return fit_embeds(embeds)


def fit_embeds(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """At most 10 embeds whose text adds up to at most 6000 characters. Descriptions and field
    values above a common cap are shortened to it (the longest pieces — notes, long lists —
    give way first, everything keeps a fair share); if even that cannot work, embeds at the
    end are dropped."""
    embeds = embeds[:EMBEDS_MAX]
    while embeds:
        total = sum(len(e) for e in embeds)
        if total <= EMBEDS_TOTAL_MAX:
            return embeds
        pieces: list[tuple[discord.Embed, int | None, int]] = []
        for embed in embeds:
            if embed.description:
                pieces.append((embed, None, len(embed.description)))
            pieces += [(embed, i, len(f.value or "")) for i, f in enumerate(embed.fields)]
        budget = EMBEDS_TOTAL_MAX - (total - sum(size for _, _, size in pieces))
        low, high = 0, max((size for _, _, size in pieces), default=0)
        while low < high:  # the largest cap whose shortened pieces fit the budget
            middle = (low + high + 1) // 2
            if sum(min(size, middle) for _, _, size in pieces) <= budget:
                low = middle
            else:
                high = middle - 1
        if low < MIN_PIECE:
            embeds.pop()
            continue
        for embed, index, size in pieces:
            if size <= low:
                continue
            if index is None:
                embed.description = cut(embed.description or "", low)
            else:
                fld = embed.fields[index]
                embed.set_field_at(
                    index,
                    name=fld.name or "",
                    value=cut(fld.value or "", low),
                    inline=bool(fld.inline),
                )
    return embeds


def embeds_size(embeds: Iterable[discord.Embed]) -> int:
    return sum(len(e) for e in embeds)


# --------------------------------------------------------------------------- components


def token_of(custom_id: str, values: Sequence[str] | None = None) -> str | None:
    """The core action token behind a component's custom_id (a select's chosen value)."""
    if custom_id.startswith(_SELECT_PREFIX):
        return values[0] if values else None
    match = _DUPLICATE_RE.fullmatch(custom_id)
    return match.group("token") if match else custom_id


class ComponentHandler(Protocol):
    """What the client exposes (as ``client.stepbot``) for component clicks."""

    async def allow_component(self, interaction: discord.Interaction[Any]) -> bool: ...

    async def on_component(
        self, interaction: discord.Interaction[Any], token: str | None
    ) -> None: ...


def _handler(interaction: discord.Interaction[Any]) -> ComponentHandler:
    handler: ComponentHandler = interaction.client.stepbot
    return handler


class ActionItem(
    discord.ui.DynamicItem[discord.ui.Item[Any]], template=re.compile(r".{1,100}", re.S)
):
    """Every button and select stepbot sends; clicks are routed through the conversation,
    also for messages sent before a restart (DynamicItems are matched by custom_id)."""

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionItem:
        return cls(item)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        return await _handler(interaction).allow_component(interaction)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = getattr(self.item, "values", None)
        token = token_of(self.custom_id, values)
        await _handler(interaction).on_component(interaction, token)


@dataclass
class _Components:
    view: discord.ui.View | None
    link_lines: list[str] = field(default_factory=list)  # links Discord cannot show as buttons


def _chunks(items: Sequence[Button], size: int) -> list[list[Button]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def build_view(reply: Reply) -> _Components:
    """Buttons → rows of ≤ 5 (≤ 5 rows); the buttons of several cards → one select menu per
    button kind ("Details…", "Add to calendar…") listing the cards by number and name."""
    used: set[str] = set()
    rows: list[list[discord.ui.Item[Any]]] = []
    link_lines: list[str] = []

    def custom_id(token: str) -> str:
        cid = token
        n = 1
        while cid in used:
            cid = f"~d{n}~{token}"
            n += 1
        used.add(cid)
        return cid

    def button(b: Button) -> discord.ui.Item[Any] | None:
        label = cut(strip_controls(b.label), LABEL_MAX) or "…"  # labels show no markdown
        if b.url is not None:
            if is_link(b.url):
                return discord.ui.Button(label=label, url=b.url)
            link_lines.append(masked_link(b.label, b.url))
            return None
        assert b.action is not None
        style = (
            discord.ButtonStyle.primary
            if b.action == reply.continuation
            else discord.ButtonStyle.secondary
        )
        return ActionItem(
            discord.ui.Button(label=label, custom_id=custom_id(b.action), style=style)
        )

    def add_row(target: list[list[discord.ui.Item[Any]]], buttons: Sequence[Button]) -> None:
        for chunk in _chunks(buttons, ROW_WIDTH):
            items = [item for item in (button(b) for b in chunk) if item is not None]
            if items:
                target.append(items)

    nav_rows: list[list[Button]] = [
        chunk for row in reply.buttons for chunk in _chunks(row, ROW_WIDTH)
    ]
    card_rows: list[list[discord.ui.Item[Any]]] = []
    if len(reply.cards) == 1:
        add_row(card_rows, [b for b in reply.cards[0].buttons if b.action])
    elif len(reply.cards) > 1:
        kinds = max(len([b for b in c.buttons if b.action]) for c in reply.cards)
        for j in range(kinds):
            options: list[discord.SelectOption] = []
            seen: set[str] = set()
            placeholder = ""
            for number, card in enumerate(reply.cards, start=1):
                actions = [b for b in card.buttons if b.action]
                if j >= len(actions) or actions[j].action in seen:
                    continue
                token = actions[j].action
                assert token is not None
                seen.add(token)
                placeholder = placeholder or actions[j].label
                options.append(
                    discord.SelectOption(
                        label=cut(strip_controls(f"{number}. {card.name}"), OPTION_TEXT_MAX),
                        value=token,
                        description=cut(strip_controls(card.when_text), OPTION_TEXT_MAX)
                        or None,
                    )
                )
            if options:
                select: discord.ui.Select[Any] = discord.ui.Select(
                    custom_id=f"{_SELECT_PREFIX}{j}",
                    placeholder=cut(strip_controls(placeholder) + "…", PLACEHOLDER_MAX),
                    options=options[:OPTIONS_MAX],
                )
                card_rows.append([ActionItem(select)])
    for row in nav_rows:
        add_row(rows, row)
    # Navigation and filters keep their rows; the cards' controls get what is left.
    room = max(0, ROWS_MAX - len(rows))
    all_rows = card_rows[:room] + rows[:ROWS_MAX]
    if not all_rows:
        return _Components(None, link_lines)
    view = discord.ui.View(timeout=None)
    for index, row_items in enumerate(all_rows[:ROWS_MAX]):
        for item in row_items:
            item.row = index
            view.add_item(item)
    return _Components(view, link_lines)


# --------------------------------------------------------------------------- the message


@dataclass
class Rendered:
    """A Reply ready for discord.py. Files are turned into fresh discord.File objects on each
    call (a discord.File can be sent only once)."""

    embeds: list[discord.Embed]
    view: discord.ui.View | None
    attachments: list[FileAttachment]
    ephemeral: bool

    def files(self) -> list[discord.File]:
        return [
            discord.File(io.BytesIO(f.data), filename=f.filename, description=f.description)
            for f in self.attachments
        ]

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for send_message / followup.send / channel.send."""
        kwargs: dict[str, Any] = {"embeds": self.embeds, "allowed_mentions": NO_MENTIONS}
        if self.view is not None:
            kwargs["view"] = self.view
        if self.attachments:
            kwargs["files"] = self.files()
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for edit_message / edit_original_response (replaces everything)."""
        kwargs: dict[str, Any] = {
            "content": None,
            "embeds": self.embeds,
            "view": self.view,
            "allowed_mentions": NO_MENTIONS,
        }
        if self.attachments:
            kwargs["attachments"] = self.files()
        return kwargs


def render_reply(reply: Reply) -> Rendered:
    components = build_view(reply)
    embeds = reply_embeds(reply, components.link_lines)
    if not embeds and not reply.files:
        embeds = [discord.Embed(description="✓", colour=COLOUR_DEFAULT)]
    return Rendered(embeds, components.view, list(reply.files), reply.private or reply.error)
