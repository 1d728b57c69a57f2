"""Ports: what core needs from the edges, as small protocols. core never imports calendars/;
the bots layer plugs an implementation into Services (services.calendars)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.model import Meeting
from core.search import MeetingQuery


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did, for the chat reply."""

    source: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


class CalendarPort(Protocol):
    """Exports are built and imports parsed off the event loop: awaiting them never stalls
    the other conversations of the process."""

    async def meeting_ics(self, meeting: Meeting, *, lang: str) -> bytes: ...

    async def calendar_ics(
        self, meetings: Sequence[Meeting], *, name: str, lang: str
    ) -> bytes: ...

    def subscribe_links(self, query: MeetingQuery) -> dict[str, str] | None:
        """{'https': …, 'webcal': …} for a feed of these filters, when a public URL is set."""
        ...

    async def import_file(
        self, data: bytes, *, filename: str, community: str, fellowship: str | None,
        default_tz: str,
    ) -> ImportSummary: ...

    async def import_url(
        self, url: str, *, community: str, fellowship: str | None, default_tz: str
    ) -> ImportSummary: ...
