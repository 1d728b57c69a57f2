"""Heads-ups for reminder holders: a member with a reminder for a meeting hears once, in
private, when a sitting in the next NOTICE_DAYS days is cancelled, closed or moved after the
reminder was set, and again if it is put back as usual.

- What the member already knew is the reminder's baseline: its meeting's schedule when the
  reminder was set (reminders older than this feature take theirs at the first scan, so they
  are not told about changes made before).
- A scan compares, per scheduled local date (the meeting's zone), the sitting the current
  schedule gives with the last thing the member was told about it, or else with the
  baseline's sitting (same weekdays and times: a new usual time is an edit the cards show,
  not a heads-up). Each difference becomes a row keyed (reminder, date, n), n growing when the
  same sitting changes again, so scans in several processes write it once.
- A pending heads-up that stops being true before it is sent (a cancellation taken back) is
  dropped, and nothing is said: the member never heard of it.
- The delivery engine sends due heads-ups through each platform's transport, throttled with
  everything else; just before sending it checks that the heads-up is still the newest and
  still true (ScheduleNotices.message).

Scans run after every meeting edit or import (Subscriptions.refresh_reminders) and hourly
from the delivery engine (a change made weeks ahead enters the window later).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import aiosqlite

from core.clock import Clock
from core.model import Meeting
from core.outbound import MessageKind, OutboundMessage
from core.recurrence import Schedule
from core.schedule import (
    Sitting,
    SittingStatus,
    resolve_local,
    scheduled_dates,
    sitting_on,
    to_occurrence,
)
from core.store.codec import schedule_from_json, schedule_json
from core.store.db import Database
from core.store.meetings import MeetingStore
from core.store.notices import TOLD, DueNotice, NoticeRow, NoticeStatus, NoticeStore
from core.timezones import get_zone

NOTICE_DAYS = 7  # a sitting this many days ahead (the meeting's local dates) is worth a word
SCAN_EVERY = timedelta(hours=1)
SENDING_LEASE = timedelta(minutes=10)  # a claimed heads-up not settled by then is re-sent
KEEP_DAYS = 30  # heads-ups about older sittings are forgotten
REGULAR = "regular"
CANCELLED = "cancelled"


def sitting_state(sitting: Sitting | None) -> str | None:
    """What a member needs to know of a sitting, as a comparable string (None: no sitting)."""
    if sitting is None:
        return None
    if sitting.status is SittingStatus.REGULAR:
        return REGULAR
    if sitting.status is not SittingStatus.MOVED:
        return CANCELLED  # cancelled, closed or a public holiday: no meeting that day
    change = sitting.change
    parts = ["moved", sitting.day.isoformat(), f"{sitting.start:%H:%M}-{sitting.end:%H:%M}"]
    if change is not None and (change.place or change.url):
        parts.append(f"{change.place or ''}|{change.url or ''}")
    return " ".join(parts)


def window_states(meeting: Meeting, schedule: Schedule, now: datetime) -> dict[date, str]:
    """State of each sitting (by scheduled date) still to come within NOTICE_DAYS local days
    from today, wherever it was moved from or to."""
    zone = meeting.timezone
    today = now.astimezone(get_zone(zone)).date()
    horizon = resolve_local(today + timedelta(days=NOTICE_DAYS + 1), time(0), zone)
    found: dict[date, str] = {}
    days = meeting.days
    for day in scheduled_dates(schedule.recurrence, days, today - timedelta(days=NOTICE_DAYS),
                               today + timedelta(days=2 * NOTICE_DAYS)):
        sitting = sitting_on(schedule, days, meeting.start, meeting.end, day)
        state = sitting_state(sitting)
        if sitting is None or state is None:
            continue
        usual = resolve_local(day, meeting.start, zone)
        happens = to_occurrence(meeting, sitting).start if sitting.happens else usual
        if max(usual, happens) <= now or min(usual, happens) >= horizon:
            continue
        found[day] = state
    return found


def baseline_state(meeting: Meeting, baseline: Schedule, day: date) -> str | None:
    return sitting_state(sitting_on(baseline, meeting.days, meeting.start, meeting.end, day))


@dataclass(frozen=True, slots=True)
class ScanResult:
    added: int = 0
    dropped: int = 0
    baselines: int = 0


class ScheduleNotices:
    """The heads-up rules over NoticeStore; cheap to build (it holds no state of its own)."""

    def __init__(self, db: Database, clock: Clock, meetings: MeetingStore) -> None:
        self.db = db
        self.clock = clock
        self.meetings = meetings
        self.store = NoticeStore(db)

    async def set_baseline(self, conn: aiosqlite.Connection, subscription_id: int,
                           meeting: Meeting) -> None:
        """The reminder's member knows the meeting as it is now (call in the reminder's
        write transaction)."""
        await self.store.set_baseline(conn, [(subscription_id, schedule_json(meeting.schedule))])

    async def scan(self, meeting_slug: str | None = None) -> ScanResult:
        """Compare each active reminder's sittings ahead with what its member knows (of one
        meeting, or of all) and queue the heads-ups that are owed."""
        now = self.clock.now()
        added = dropped = baselines = 0
        async with self.db.transaction() as conn:
            reminders = await self.store.reminders(conn, meeting_slug)
            if not reminders:
                return ScanResult()
            since = now.date() - timedelta(days=NOTICE_DAYS + 2)
            on_record: dict[tuple[int, date], list[NoticeRow]] = defaultdict(list)
            for row in await self.store.notices_for(conn, [r.subscription_id for r in reminders],
                                                    since):
                on_record[(row.subscription_id, row.sitting_date)].append(row)
            meetings: dict[str, Meeting | None] = {}
            states: dict[str, dict[date, str]] = {}
            new: list[tuple[int, date, int, str, str]] = []
            stale: list[tuple[int, str, int]] = []
            missing: list[tuple[int, str | None]] = []
            for reminder in reminders:
                slug = reminder.meeting_slug
                if slug not in meetings:
                    meetings[slug] = await self.meetings.get_in(conn, slug)
                meeting = meetings[slug]
                if meeting is None:
                    continue  # the reminder ends with its meeting (refresh_reminders)
                if not reminder.has_baseline:
                    missing.append((reminder.subscription_id, schedule_json(meeting.schedule)))
                    continue
                if slug not in states:
                    states[slug] = window_states(meeting, meeting.schedule, now)
                baseline = schedule_from_json(reminder.baseline)
                for day, state in states[slug].items():
                    known = baseline_state(meeting, baseline, day)
                    if known is None:
                        continue  # a sitting the member never had (an added date)
                    rows = on_record.get((reminder.subscription_id, day), [])
                    owed = _owed(rows, known, state)
                    stale += [(r.subscription_id, r.sitting_date.isoformat(), r.seq)
                              for r in rows
                              if r.status is NoticeStatus.PENDING and r.state != state]
                    if owed:
                        seq = max((r.seq for r in rows), default=0) + 1
                        new.append((reminder.subscription_id, day, seq, state,
                                    reminder.platform))
            if missing:
                await self.store.set_baseline(conn, missing)
                baselines = len(missing)
            if stale:
                await self.store.set_status(conn, stale, NoticeStatus.DROPPED)
                dropped = len(stale)
            if new:
                added = await self.store.insert(conn, new, now)
        return ScanResult(added, dropped, baselines)

    async def claim(self, platform: str, limit: int) -> list[DueNotice]:
        now = self.clock.now()
        return await self.store.claim(platform, now, now + SENDING_LEASE, now - SENDING_LEASE,
                                      limit)

    async def message(self, notice: DueNotice) -> OutboundMessage | None:
        """What to send for a claimed heads-up; None when it no longer applies (a newer one
        exists, the meeting is gone, the sitting is back to what the member knew or passed)."""
        latest = await self.store.latest(notice.subscription_id, notice.sitting_date)
        if latest is None or latest.seq != notice.seq:
            return None
        meeting = await self.meetings.get(notice.meeting_slug)
        if meeting is None:
            return None
        now = self.clock.now()
        if window_states(meeting, meeting.schedule, now).get(notice.sitting_date) != notice.state:
            return None
        return OutboundMessage(
            MessageKind.NOTICE,
            notice.language,
            notice.subscription_id,
            notice.sitting_date,
            notice.timezone,
            meeting_slug=meeting.slug,
        )

    async def finish(self, notices: Iterable[DueNotice], status: NoticeStatus, *,
                     retry_at: datetime | None = None) -> None:
        items = list(notices)
        if not items:
            return
        async with self.db.transaction() as conn:
            if retry_at is not None:  # failed: back to the queue, one attempt more
                for notice in items:
                    await self.store.set_status(conn, [notice.key], status, next_try=retry_at,
                                                attempts=notice.attempts + 1)
            else:
                await self.store.set_status(conn, [n.key for n in items], status)

    async def earliest(self, platform: str) -> datetime | None:
        return await self.store.earliest(platform)

    async def prune(self) -> int:
        return await self.store.prune(self.clock.now().date() - timedelta(days=KEEP_DAYS))


def _owed(rows: list[NoticeRow], known: str, state: str) -> bool:
    """Whether `state` is news: not what the member was last told (or knew), and not already
    waiting to be sent."""
    told = next((r.state for r in reversed(rows) if r.status in TOLD), known)
    if state == told:
        return False
    return not any(r.status is NoticeStatus.PENDING and r.state == state for r in rows)
