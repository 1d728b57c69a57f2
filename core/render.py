"""Platform-neutral pieces of rendering that every adapter shares: the labelled lines of a
meeting card, in the reply's language. Adapters add their own markup (HTML, embeds) and
escaping around these plain strings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.i18n import translate
from core.replies import MeetingCard

# C0 controls except tab and line feed (CR is turned into a line break first), DEL, C1 controls,
# and the bidirectional embedding / override / isolate controls (U+202A–U+202E, U+2066–U+2069).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029]")


def strip_controls(text: str) -> str:
    """Text without the characters that make a display lie about it: terminal escapes (ESC,
    CSI…), backspaces, bells and other control characters, and the bidi overrides that
    reorder what follows (U+202E "RIGHT-TO-LEFT OVERRIDE" and relatives). Line breaks (CR,
    CRLF, U+2028/U+2029) become "\\n"; tabs, zero-width joiners and RTL letters stay."""
    if text.isprintable():
        return text
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))


@dataclass(frozen=True, slots=True)
class CardField:
    """One labelled line of a card: label may be empty for the headline rows."""

    key: str  # stable id: when, attendance, schedule, types, where, distance, map, join, phone, notes…
    label: str
    value: str
    url: str | None = None


def card_heading(card: MeetingCard, lang: str) -> str:
    head = f"{card.name} — {card.fellowship}"
    if card.in_progress:
        head += f" [{translate('cards.in_progress', lang)}]"
    return head


def card_fields(card: MeetingCard, lang: str) -> list[CardField]:
    """The card's content as labelled fields, in display order (plain text, unescaped)."""

    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    fields = [
        CardField("when", t("cards.starts"), card.when_text),
        CardField("attendance", "", card.attendance),
    ]
    if card.schedule:
        fields.append(CardField("schedule", t("schedule.label"), card.schedule))
    if card.types:
        fields.append(CardField("types", t("cards.types"), ", ".join(card.types)))
    if card.location:
        fields.append(CardField("where", t("cards.where"), card.location))
    if card.distance_km is not None:
        fields.append(CardField("distance", "", t("cards.distance",
                                                  km=f"{card.distance_km:.1f}")))
    if card.map_url:
        fields.append(CardField("map", t("cards.map"), card.map_url, url=card.map_url))
    if card.join_url:
        label = card.join_label or t("cards.join")
        fields.append(CardField("join", label, card.join_url, url=card.join_url))
    if card.phone:
        fields.append(CardField("phone", t("cards.phone"), card.phone))
    if card.notes:
        fields.append(CardField("notes", t("cards.notes"), card.notes))
    if card.group_notes:
        fields.append(CardField("group_notes", t("cards.group_notes"), card.group_notes))
    if card.contributions:
        fields.append(CardField("contributions", t("cards.contributions"), card.contributions))
    if card.listed_by:
        fields.append(CardField("listed_by", t("cards.listed_by"), card.listed_by,
                                url=card.listed_by_url))
    if card.contacts:
        fields.append(CardField("contacts", t("cards.contacts"), card.contacts))
    if card.upcoming:
        fields.append(CardField("upcoming", t("cards.next_dates"), "; ".join(card.upcoming)))
    return fields
