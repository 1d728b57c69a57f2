"""The neutral request every adapter builds from a platform event."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Request:
    """Who asked what, where. Ids are opaque platform ids (never names).

    community_id: the Discord server / Telegram group, or None in a private chat.
    command: without the slash, lower-case ('meetings'); None for free text or a button.
    args: the text after the command. action: a button's token.
    """

    platform: str
    user_id: str
    chat_id: str
    community_id: str | None = None
    locale: str | None = None
    is_admin: bool = False
    command: str | None = None
    args: str = ""
    text: str | None = None
    location: GeoPoint | None = None
    attachment: Attachment | None = None
    action: str | None = None
    thread_id: str | None = None
    timezone: str | None = None  # an explicit zone for this request only (console --tz)
    # The platform shows each reader meeting times in their own zone (Discord <t:…>), so a
    # note about which zone the times are in is not needed.
    local_times: bool = False
    options: dict[str, str] = field(default_factory=dict)  # structured options (slash commands)

    @property
    def is_private(self) -> bool:
        return self.community_id is None

    @property
    def community(self) -> str | None:
        """The community key used in the store: 'telegram:-100…', 'discord:…'."""
        return f"{self.platform}:{self.community_id}" if self.community_id else None

    @property
    def words(self) -> list[str]:
        return self.args.split()
