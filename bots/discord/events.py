"""A server's meetings as Discord scheduled events (core.event_mirror has the rules).

`EventSync.reconcile(guild_id)` makes the server's Events list match: one event per mirrored
meeting for its next sitting (created, edited when the sitting or its text changed, rolled
forward when it ended, deleted when the meeting has no sitting left or is gone). Events are
read and written through discord.py's own Guild and ScheduledEvent objects. An event edited
or deleted by hand in Discord is detected (what it says no longer matches what stepbot
wrote) and left alone, and the admins are told once, in the server's system channel; so is a
missing Manage Events permission, after which nothing is retried until the admins switch
events on again. `run()` reconciles in the background (reconcile_changed), never in the chat
path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

import discord

from bots.discord.render import NO_MENTIONS
from core.event_mirror import (
    ACTIVE,
    CREATING,
    DETACHED,
    EventMirrorStore,
    EventSpec,
    KeptEvent,
    event_spec,
    mirrored_meetings,
)
from core.i18n import translate
from core.services import Services

log = logging.getLogger(__name__)

PREFIX = "discord:"
RECONCILE_EVERY = 600.0  # seconds: every server, to notice events edited by hand
POLL_EVERY = 30.0  # seconds: how often the database is asked what changed
MISSING_PERMISSION = "missing_permission"


@dataclass(slots=True)
class SyncReport:
    created: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    detached: list[str] = field(default_factory=list)
    problem: str | None = None


def spec_of(event: discord.ScheduledEvent) -> EventSpec:
    """What a Discord event says now, in EventSpec's terms (to compare fingerprints)."""
    return EventSpec(
        name=event.name,
        description=event.description or "",
        start=event.start_time,
        end=event.end_time or event.start_time,
        location=event.location,
        channel_id=event.channel_id,
    )


class EventSync:
    def __init__(self, client: discord.Client, services: Services) -> None:
        self.client = client
        self.services = services
        self.store = EventMirrorStore(services.db)
        self._wake = asyncio.Event()
        self._seen: dict[str, tuple[object, ...]] = {}
        self._last_full: datetime | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Reconcile in the background: a server as soon as its meetings or settings change
        (any process may have changed them: the database is read every POLL_EVERY) or an
        event's sitting has ended, and every server every RECONCILE_EVERY (hand edits)."""
        while True:
            self._wake.clear()
            try:
                await self.reconcile_changed()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never the payloads: only the error's type
                log.warning("discord events reconcile failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_EVERY)

    async def reconcile_changed(self) -> int:
        """Reconcile the servers whose signature changed, whose event ended, or all of them
        when RECONCILE_EVERY has passed; returns how many were reconciled."""
        now = self.services.clock.now()
        full = self._last_full is None or \
            (now - self._last_full).total_seconds() >= RECONCILE_EVERY
        done = 0
        for community in await self._communities():
            settings = await self.store.settings(community)
            signature = await self.store.signature(community, settings.include_imported)
            ends = signature[3]
            ended = isinstance(ends, int) and ends <= now.timestamp()
            if full or ended or self._seen.get(community) != signature:
                await self.reconcile(int(community.removeprefix(PREFIX)))
                self._seen[community] = await self.store.signature(
                    community, settings.include_imported)
                done += 1
        if full:
            self._last_full = now
        return done

    async def reconcile_all(self) -> None:
        for community in await self._communities():
            await self.reconcile(int(community.removeprefix(PREFIX)))

    async def _communities(self) -> list[str]:
        communities = set(await self.store.enabled_communities(PREFIX))
        communities |= set(await self.store.communities_with_events(PREFIX))
        return sorted(communities)

    async def reconcile(self, guild_id: int) -> SyncReport:
        community = f"{PREFIX}{guild_id}"
        report = SyncReport()
        settings = await self.store.settings(community)
        if settings.enabled and settings.problem == MISSING_PERMISSION:
            return report  # told once; nothing until the admins switch events on again
        kept = await self.store.kept(community)
        if not settings.enabled and not kept:
            return report
        guild = self.client.get_guild(guild_id) or await self.client.fetch_guild(guild_id)
        lang = (await self.services.settings.community(community)).language or \
            self.services.config.default_language
        try:
            existing = {e.id: e for e in await guild.fetch_scheduled_events(with_counts=False)}
            if not settings.enabled:  # switched off: remove what stepbot made
                for slug, event in kept.items():
                    await self._delete(existing, event, community, slug, report)
                return report
            await self._mirror(guild, community, lang, kept, existing, report,
                               settings.include_imported)
        except discord.Forbidden:
            report.problem = MISSING_PERMISSION
            await self._tell(guild, lang, "events.missing_permission")
            await self.store.set_problem(community, MISSING_PERMISSION, True)
        return report

    async def _mirror(self, guild: discord.Guild, community: str, lang: str,
                      kept: dict[str, KeptEvent], existing: dict[int, discord.ScheduledEvent],
                      report: SyncReport, include_imported: bool) -> None:
        now = self.services.clock.now()
        meetings = mirrored_meetings(await self.services.meetings.list_meetings(
            community=community), community, include_imported)
        wanted = {m.slug for m in meetings}
        for meeting in meetings:
            spec = event_spec(meeting, now, lang, guild.id)
            mine = kept.get(meeting.slug)
            if mine is not None and mine.state == DETACHED:
                continue
            seen_id = mine.event_id if mine is not None else ""
            if mine is not None and mine.state == CREATING:
                mine = None  # another process's claim: retaken below only once it lapsed
            event = existing.get(int(mine.event_id)) if mine is not None else None
            if mine is not None and mine.fingerprint:
                gone = event is None and mine.ends > now  # not over, yet not in the list
                edited = event is not None and spec_of(event).fingerprint() != mine.fingerprint
                if gone or edited:
                    report.detached.append(meeting.slug)
                    await self.store.keep(community, meeting.slug, mine.event_id,
                                          mine.fingerprint, mine.ends, now, DETACHED)
                    await self._tell(guild, lang, "events.edited_by_hand", name=meeting.name)
                    continue
            if spec is None:
                if mine is not None:
                    await self._delete(existing, mine, community, meeting.slug, report)
                continue
            if event is None:
                if not await self.store.claim_create(community, meeting.slug, seen_id, now):
                    continue  # another process is creating it
                try:
                    created = await _create(guild, spec)
                except BaseException:
                    await self.store.forget(community, meeting.slug)  # release the claim
                    raise
                report.created.append(meeting.slug)
                await self.store.keep(community, meeting.slug, str(created.id),
                                      spec.fingerprint(), spec.end, now)
            elif mine is not None and spec.fingerprint() != mine.fingerprint:
                await _edit(event, spec)
                report.edited.append(meeting.slug)
                await self.store.keep(community, meeting.slug, mine.event_id,
                                      spec.fingerprint(), spec.end, now)
        for slug, mine in kept.items():
            if slug not in wanted:
                await self._delete(existing, mine, community, slug, report)

    async def _delete(self, existing: dict[int, discord.ScheduledEvent], mine: KeptEvent,
                      community: str, slug: str, report: SyncReport) -> None:
        event = existing.get(int(mine.event_id)) if mine.event_id else None
        if event is not None and mine.state == ACTIVE:
            with contextlib.suppress(discord.NotFound):
                await event.delete()
            report.deleted.append(slug)
        await self.store.forget(community, slug)

    async def _tell(self, guild: discord.Guild, lang: str, key: str, **values: str) -> None:
        """One message to the server's admins (its system channel), in its language."""
        channel = guild.system_channel  # the gateway's guild cache holds it
        if channel is None:
            return
        with contextlib.suppress(discord.HTTPException):
            await channel.send(translate(key, lang, **values), allowed_mentions=NO_MENTIONS)


def _is_stage(guild: discord.Guild | None, channel_id: int) -> bool:
    """A stage channel makes a stage event; any other channel a voice event."""
    return guild is not None and isinstance(guild.get_channel(channel_id), discord.StageChannel)


async def _create(guild: discord.Guild, spec: EventSpec) -> discord.ScheduledEvent:
    privacy = discord.PrivacyLevel.guild_only
    if spec.channel_id is not None:
        channel = discord.Object(spec.channel_id)
        if _is_stage(guild, spec.channel_id):
            return await guild.create_scheduled_event(
                name=spec.name, start_time=spec.start, end_time=spec.end,
                description=spec.description, privacy_level=privacy,
                entity_type=discord.EntityType.stage_instance, channel=channel)
        return await guild.create_scheduled_event(
            name=spec.name, start_time=spec.start, end_time=spec.end,
            description=spec.description, privacy_level=privacy,
            entity_type=discord.EntityType.voice, channel=channel)
    return await guild.create_scheduled_event(
        name=spec.name, start_time=spec.start, end_time=spec.end, description=spec.description,
        privacy_level=privacy, entity_type=discord.EntityType.external,
        location=spec.location or spec.name)


async def _edit(event: discord.ScheduledEvent, spec: EventSpec) -> None:
    if spec.channel_id is not None:
        channel = discord.Object(spec.channel_id)
        if _is_stage(event.guild, spec.channel_id):
            await event.edit(name=spec.name, start_time=spec.start, end_time=spec.end,
                             description=spec.description, channel=channel,
                             entity_type=discord.EntityType.stage_instance)
        else:
            await event.edit(name=spec.name, start_time=spec.start, end_time=spec.end,
                             description=spec.description, channel=channel,
                             entity_type=discord.EntityType.voice)
    else:
        await event.edit(name=spec.name, start_time=spec.start, end_time=spec.end,
                         description=spec.description, entity_type=discord.EntityType.external,
                         location=spec.location or spec.name)
