"""The neutral reply model. Commands return a Reply; each adapter decides how to show it
(Telegram: HTML + inline keyboard; Discord: embeds + View; console: plain text).

Text in a Reply is plain text: adapters escape it for their platform (imported meeting names
can contain anything, including '<b>' or '@everyone').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_ACTION_BYTES = 64  # Telegram's callback_data limit, and plenty for Discord custom_id


@dataclass(frozen=True, slots=True)
class Button:
    """A button: either an action token routed back into the conversation, or a link."""

    label: str
    action: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.action is None) == (self.url is None):
            raise ValueError("a button has exactly one of action or url")
        if self.action is not None and len(self.action.encode()) > MAX_ACTION_BYTES:
            raise ValueError(f"action token longer than {MAX_ACTION_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True, slots=True)
class MeetingCard:
    slug: str
    name: str
    fellowship: str  # readable name
    types: tuple[str, ...]  # readable names, in the reply's language
    attendance: str  # readable label
    attendance_key: str  # in_person / online / hybrid / inactive
    start_local: datetime  # in the meeting's zone
    end_local: datetime
    start_viewer: datetime  # in the viewer's zone
    in_progress: bool = False
    timezone: str = "UTC"
    when_text: str = ""  # "Mon 19:00 EDT (Tue 00:00 BST your time)", translated
    location: str | None = None
    map_url: str | None = None
    join_url: str | None = None
    join_label: str | None = None  # "Join on Zoom", translated
    phone: str | None = None
    notes: str | None = None
    group_notes: str | None = None  # full card only, like the rest of the directory's extras
    contributions: str | None = None  # "Venmo @Group · PayPal https://…"
    listed_by: str | None = None  # the service entity's name (or its link)
    listed_by_url: str | None = None
    contacts: str | None = None  # only where the community's admins allowed it
    distance_km: float | None = None
    upcoming: tuple[str, ...] = ()  # further occurrences, already formatted (full card only)
    schedule: str | None = None  # "Every 1st Saturday" (when not plain weekly, or full card)
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class FileAttachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"
    description: str | None = None


@dataclass(slots=True)
class Reply:
    """What the bot answers. `private` = ephemeral on Discord / better in a DM on Telegram."""

    lang: str = "en"
    title: str | None = None
    blocks: list[str] = field(default_factory=list)
    cards: list[MeetingCard] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)  # rows
    files: list[FileAttachment] = field(default_factory=list)
    ask_location: str | None = None  # the label of a "share location" button, when asked
    private: bool = False
    continue_in_private: bool = False  # a group got a personal command: offer a DM
    edit: bool = False  # replace the message whose button was pressed
    continuation: str | None = None  # action token of the next page, if any
    error: bool = False

    def text(self) -> str:
        """Title and blocks as one plain-text string (for logs-free tests and simple UIs)."""
        parts = ([self.title] if self.title else []) + self.blocks
        return "\n\n".join(parts)

    def all_buttons(self) -> list[Button]:
        found = [b for row in self.buttons for b in row]
        for card in self.cards:
            found.extend(card.buttons)
        return found
