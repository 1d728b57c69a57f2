"""A community's meetings as the platform's own scheduled events (Discord's Events list):
what each event should say, and the record of the events kept.

One event per (community, meeting) for its **next sitting** — never the platform's own
recurrence rule, whose daylight-saving handling we do not control. The sitting comes from
core.schedule (a cancelled one is skipped, a moved one is at its new time); when it ends, the
next reconcile rolls the event forward. Adapters reconcile in the background (not in the chat
path) and write only what changed: the fingerprint of what was written is kept, and a
platform-side event that no longer matches it was edited by hand and is left alone.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from core import types as mtypes
from core.model import Meeting
from core.schedule import current_occurrence, next_occurrences
from core.store.db import Database

NAME_LIMIT = 100  # Discord's limits for a scheduled event
DESCRIPTION_LIMIT = 1000
LOCATION_LIMIT = 100
IMPORTED_CAP = 20  # imported meetings mirrored into one community at most
_CHANNEL_LINK = re.compile(r"^https://(?:ptb\.|canary\.)?discord(?:app)?\.com/channels/"
                           r"(?P<guild>\d+)/(?P<channel>\d+)/?$")
ACTIVE = "active"
DETACHED = "detached"
CREATING = "creating"  # claimed by one process while it creates the event (a lease)
CREATE_LEASE = timedelta(minutes=5)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _quiet(text: str) -> str:
    """No mention can resolve: '@everyone', '<@123>' get a zero-width space after '@'."""
    return text.replace("@", "@\u200b")


@dataclass(frozen=True, slots=True)
class EventSpec:
    """What one meeting's event says; `channel_id` set = a voice/stage event in that channel,
    else an external event at `location`."""

    name: str
    description: str
    start: datetime  # aware, UTC
    end: datetime
    location: str | None
    channel_id: int | None

    def fingerprint(self) -> str:
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def voice_channel(meeting: Meeting, guild_id: int) -> int | None:
    """The channel id when the meeting's link is a channel of this server."""
    url = (meeting.online.url or meeting.url or "").strip()
    match = _CHANNEL_LINK.match(url)
    if match and int(match["guild"]) == guild_id:
        return int(match["channel"])
    return None


def event_spec(meeting: Meeting, now: datetime, lang: str, guild_id: int) -> EventSpec | None:
    """The event for the meeting's sitting in progress or next to come (None: none left)."""
    occurrence = current_occurrence(meeting, now)
    if occurrence is None:
        found = next_occurrences(meeting, now, 1)
        occurrence = found[0] if found else None
    if occurrence is None:
        return None
    channel = voice_channel(meeting, guild_id)
    types = ", ".join(mtypes.type_name(meeting.fellowship, c, lang) for c in meeting.types)
    link = meeting.online.url if channel is None else None
    if occurrence.change is not None and occurrence.change.url:
        link = occurrence.change.url
    lines = [part for part in (types, meeting.notes or "", link or "") if part]
    location = None
    if channel is None:
        place = (occurrence.change.place if occurrence.change and occurrence.change.place
                 else meeting.location.summary())
        location = _clip(_quiet(link or place or meeting.name), LOCATION_LIMIT)
    return EventSpec(
        name=_clip(_quiet(meeting.name), NAME_LIMIT),
        description=_clip(_quiet("\n".join(lines)), DESCRIPTION_LIMIT),
        start=occurrence.start.astimezone(UTC),
        end=occurrence.end.astimezone(UTC),
        location=location,
        channel_id=channel,
    )


@dataclass(frozen=True, slots=True)
class MirrorSettings:
    enabled: bool = False
    include_imported: bool = False
    problem: str | None = None
    problem_told: bool = False


@dataclass(frozen=True, slots=True)
class KeptEvent:
    meeting_slug: str
    event_id: str
    fingerprint: str
    ends: datetime
    state: str


class EventMirrorStore:
    """The rows behind a community's mirror (the database is the truth for every process)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def settings(self, community: str) -> MirrorSettings:
        row = await self.db.fetchone(
            "SELECT enabled, include_imported, problem, problem_told "
            "FROM community_event_settings WHERE community = ?", (community,))
        if row is None:
            return MirrorSettings()
        return MirrorSettings(bool(row[0]), bool(row[1]), row[2], bool(row[3]))

    async def enabled_communities(self, prefix: str) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT community FROM community_event_settings WHERE enabled = 1 "
            "AND community LIKE ? ORDER BY community", (prefix + "%",))
        return [r[0] for r in rows]

    async def communities_with_events(self, prefix: str) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT DISTINCT community FROM community_events WHERE community LIKE ?",
            (prefix + "%",))
        return [r[0] for r in rows]

    async def set_enabled(self, community: str, enabled: bool, include_imported: bool,
                          now: datetime) -> None:
        """Switching on again re-adopts events detached by hand edits (they are rewritten)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO community_event_settings (community, enabled, include_imported, "
                "problem, problem_told, updated) VALUES (?, ?, ?, NULL, 0, ?) "
                "ON CONFLICT (community) DO UPDATE SET enabled = excluded.enabled, "
                "include_imported = excluded.include_imported, problem = NULL, "
                "problem_told = 0, updated = excluded.updated",
                (community, int(enabled), int(include_imported), now.isoformat()))
            if enabled:
                await conn.execute(
                    "UPDATE community_events SET state = ?, fingerprint = '' "
                    "WHERE community = ? AND state = ?", (ACTIVE, community, DETACHED))

    async def signature(self, community: str, include_imported: bool) -> tuple[object, ...]:
        """Changes whenever the mirror may have to change: its settings, or the meetings it
        shows (edited, added or removed), read in one cheap query."""
        row = await self.db.fetchone(
            "SELECT (SELECT updated FROM community_event_settings WHERE community = ?), "
            "(SELECT max(updated) FROM meetings WHERE community = ?), "
            "(SELECT count(*) FROM meetings WHERE community = ?), "
            "(SELECT min(ends_utc) FROM community_events WHERE community = ? "
            "AND state = 'active')",
            (community, community, community, community))
        found: tuple[object, ...] = tuple(row) if row is not None else ()
        if include_imported:
            extra = await self.db.fetchone(
                "SELECT max(updated), count(*) FROM meetings WHERE community = ''")
            found += tuple(extra) if extra is not None else ()
        return found

    async def set_problem(self, community: str, problem: str | None, told: bool) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE community_event_settings SET problem = ?, problem_told = ? "
                "WHERE community = ?", (problem, int(told), community))

    async def kept(self, community: str) -> dict[str, KeptEvent]:
        rows = await self.db.fetchall(
            "SELECT meeting_slug, event_id, fingerprint, ends_utc, state FROM community_events "
            "WHERE community = ?", (community,))
        return {r[0]: KeptEvent(r[0], r[1], r[2], datetime.fromtimestamp(r[3], UTC), r[4])
                for r in rows}

    async def keep(self, community: str, slug: str, event_id: str, fingerprint: str,
                   ends: datetime, now: datetime, state: str = ACTIVE) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO community_events (community, meeting_slug, event_id, fingerprint, "
                "ends_utc, state, updated) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (community, meeting_slug) DO UPDATE SET "
                "event_id = excluded.event_id, fingerprint = excluded.fingerprint, "
                "ends_utc = excluded.ends_utc, state = excluded.state, "
                "updated = excluded.updated",
                (community, slug, event_id, fingerprint, int(ends.timestamp()), state,
                 now.isoformat()))

    async def claim_create(self, community: str, slug: str, seen_event_id: str,
                           now: datetime) -> bool:
        """Whether this process may create the meeting's event, given the event id it last
        read for it ('' for none): the row is still as read (no other process stored a new
        event meanwhile) and not claimed by another process in the last CREATE_LEASE (after
        which a crashed claim is retaken). Two processes reconciling one server at once
        create one event."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO community_events (community, meeting_slug, event_id, fingerprint, "
                "ends_utc, state, updated) VALUES (?, ?, '', '', 0, ?, ?) "
                "ON CONFLICT (community, meeting_slug) DO UPDATE SET state = excluded.state, "
                "updated = excluded.updated WHERE (community_events.state <> ? "
                "AND community_events.event_id = ?) "
                "OR (community_events.state = ? AND community_events.updated < ?)",
                (community, slug, CREATING, now.isoformat(), CREATING, seen_event_id, CREATING,
                 (now - CREATE_LEASE).isoformat()))
            return cur.rowcount > 0

    async def forget(self, community: str, slug: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM community_events WHERE community = ? AND meeting_slug = ?",
                (community, slug))


def mirrored_meetings(meetings: list[Meeting], community: str,
                      include_imported: bool) -> list[Meeting]:
    """The community's own meetings, then (if chosen) imported directory meetings (not demo
    data), at most IMPORTED_CAP of them."""
    own = [m for m in meetings if m.community == community]
    if not include_imported:
        return own
    imported = [m for m in meetings if m.community is None and m.source != "demo"]
    return own + imported[:IMPORTED_CAP]
