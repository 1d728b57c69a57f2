"""The calendars side of core.ports.CalendarPort: chat exports and imports go through here."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from calendars import ics_export
from calendars.filters import query_to_params
from calendars.server import subscribe_links
from calendars.sync import ImportReport, default_source_name, import_bytes, import_url
from core.model import Meeting
from core.ports import ImportSummary
from core.search import MeetingQuery
from core.services import Services


def _summary(report: ImportReport) -> ImportSummary:
    return ImportSummary(
        source=report.source,
        added=len(report.added),
        updated=len(report.updated),
        removed=len(report.removed),
        unchanged=len(report.unchanged),
        skipped=tuple(report.skipped),
        warnings=tuple(report.warnings),
    )


class CalendarsPort:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def meeting_ics(self, meeting: Meeting, *, lang: str) -> bytes:
        return await asyncio.to_thread(ics_export.meeting_ics, meeting, lang=lang)

    async def calendar_ics(self, meetings: Sequence[Meeting], *, name: str, lang: str) -> bytes:
        return await asyncio.to_thread(ics_export.calendar_for, meetings, name=name, lang=lang)

    def subscribe_links(self, query: MeetingQuery) -> dict[str, str] | None:
        public = self.services.config.public_url
        return subscribe_links(public, query_to_params(query)) if public else None

    async def import_file(
        self,
        data: bytes,
        *,
        filename: str,
        community: str,
        fellowship: str | None,
        default_tz: str,
    ) -> ImportSummary:
        report = await import_bytes(
            self.services,
            data,
            filename=filename,
            source_name=default_source_name(filename),
            community=community,
            fellowship=fellowship,
            default_tz=default_tz,
        )
        await self._refresh_reminders(report)
        return _summary(report)

    async def import_url(
        self, url: str, *, community: str, fellowship: str | None, default_tz: str
    ) -> ImportSummary:
        report = await import_url(
            self.services, url, community=community, fellowship=fellowship, default_tz=default_tz
        )
        await self._refresh_reminders(report)
        return _summary(report)

    async def _refresh_reminders(self, report: ImportReport) -> None:
        """Meetings that moved or vanished take their reminders along."""
        for slug in (*report.updated, *report.removed):
            await self.services.subscriptions.refresh_reminders(slug)


def install(services: Services) -> Services:
    """Plug the calendars into the core services (chat /export, /import, calendar buttons)."""
    services.calendars = CalendarsPort(services)
    return services
