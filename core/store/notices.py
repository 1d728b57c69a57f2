"""Reminder baselines and schedule heads-ups in SQLite (core.schedule_notices has the rules).

Only SQL lives here. Instants are epoch seconds (UTC), local dates 'YYYY-MM-DD'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import aiosqlite

from core.outbound import Address
from core.store.db import Database
from core.store.subscriptions import from_epoch


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # handed to a sender; back to the queue if its lease runs out
    SENT = "sent"
    DROPPED = "dropped"  # no longer true before it was sent (superseded or taken back)
    FAILED = "failed"  # gave up after the engine's attempts
    BLOCKED = "blocked"  # the chat refused the bot


# States a member has been (or is being) told.
TOLD = (NoticeStatus.SENT, NoticeStatus.SENDING)


@dataclass(frozen=True, slots=True)
class ReminderRow:
    """An active reminder, as a scan needs it."""

    subscription_id: int
    platform: str
    meeting_slug: str
    has_baseline: bool
    baseline: str | None  # codec JSON of the schedule the member knew; None: plain weekly


@dataclass(frozen=True, slots=True)
class NoticeRow:
    subscription_id: int
    sitting_date: date
    seq: int
    state: str
    status: NoticeStatus


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A claimed heads-up with what sending it needs."""

    subscription_id: int
    sitting_date: date
    seq: int
    state: str
    attempts: int
    address: Address
    language: str
    timezone: str
    meeting_slug: str

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.subscription_id, self.sitting_date.isoformat(), self.seq)


_REMINDERS = (
    "SELECT s.id, s.platform, s.meeting_slug, b.subscription_id IS NOT NULL, b.schedule "
    "FROM subscriptions AS s LEFT JOIN reminder_baselines AS b ON b.subscription_id = s.id "
    "WHERE s.kind = 'reminder' AND s.status = 'active' AND s.meeting_slug IS NOT NULL"
)


class NoticeStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_baseline(
        self, conn: aiosqlite.Connection, rows: Iterable[tuple[int, str | None]]
    ) -> None:
        """(subscription id, schedule JSON) pairs: what each member knows from now on."""
        await conn.executemany(
            "INSERT INTO reminder_baselines (subscription_id, schedule) VALUES (?, ?) "
            "ON CONFLICT (subscription_id) DO UPDATE SET schedule = excluded.schedule",
            list(rows),
        )

    async def reminders(
        self, conn: aiosqlite.Connection, meeting_slug: str | None
    ) -> list[ReminderRow]:
        """Active reminders of one meeting, or (None) every active reminder that can have
        something to say: its meeting or its baseline is not plain weekly, it has no baseline
        yet, or it has heads-ups on record (a sitting may have been put back)."""
        params: tuple[str, ...] = ()
        if meeting_slug is not None:
            sql, params = _REMINDERS + " AND s.meeting_slug = ?", (meeting_slug,)
        else:
            sql = _REMINDERS + (
                " AND (b.subscription_id IS NULL OR b.schedule IS NOT NULL"
                " OR EXISTS (SELECT 1 FROM meetings AS m WHERE m.slug = s.meeting_slug"
                " AND m.schedule IS NOT NULL)"
                " OR EXISTS (SELECT 1 FROM schedule_notices AS n"
                " WHERE n.subscription_id = s.id))"
            )
        async with conn.execute(sql, params) as cur:
            rows = await cur.fetchall()
        return [ReminderRow(int(r[0]), r[1], r[2], bool(r[3]), r[4]) for r in rows]

    async def notices_for(
        self, conn: aiosqlite.Connection, subscription_ids: Sequence[int], since: date
    ) -> list[NoticeRow]:
        """Heads-ups on record for these reminders about sittings from `since`, by seq."""
        found: list[NoticeRow] = []
        for lo in range(0, len(subscription_ids), 500):
            chunk = list(subscription_ids[lo : lo + 500])
            marks = ",".join("?" * len(chunk))
            async with conn.execute(
                "SELECT subscription_id, sitting_date, seq, state, status FROM schedule_notices "
                f"WHERE subscription_id IN ({marks}) AND sitting_date >= ? "
                "ORDER BY subscription_id, sitting_date, seq",
                (*chunk, since.isoformat()),
            ) as cur:
                rows = await cur.fetchall()
            found += [
                NoticeRow(int(r[0]), date.fromisoformat(r[1]), int(r[2]), r[3],
                          NoticeStatus(r[4]))
                for r in rows
            ]
        return found

    async def insert(
        self,
        conn: aiosqlite.Connection,
        rows: Iterable[tuple[int, date, int, str, str]],
        now: datetime,
    ) -> int:
        """New pending heads-ups (subscription, date, seq, state, platform); one already
        written by another process is left as it is. Returns how many were new."""
        stamp = int(now.timestamp())
        cur = await conn.executemany(
            "INSERT OR IGNORE INTO schedule_notices (subscription_id, sitting_date, seq, state, "
            "platform, next_try_utc, created_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(s, d.isoformat(), n, state, p, stamp, stamp) for s, d, n, state, p in rows],
        )
        return max(0, int(cur.rowcount))

    async def set_status(
        self,
        conn: aiosqlite.Connection,
        keys: Iterable[tuple[int, str, int]],
        status: NoticeStatus,
        *,
        next_try: datetime | None = None,
        attempts: int | None = None,
    ) -> None:
        params = [
            (status.value, None if next_try is None else int(next_try.timestamp()), attempts, *k)
            for k in keys
        ]
        await conn.executemany(
            "UPDATE schedule_notices SET status = ?, next_try_utc = coalesce(?, next_try_utc), "
            "attempts = coalesce(?, attempts) "
            "WHERE subscription_id = ? AND sitting_date = ? AND seq = ?",
            params,
        )

    async def claim(
        self, platform: str, now: datetime, lease_until: datetime, stale_before: datetime,
        limit: int,
    ) -> list[DueNotice]:
        """Due heads-ups of `platform` (pending and due, or 'sending' whose lease ran out),
        marked 'sending' until `lease_until`, in one transaction."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT n.subscription_id, n.sitting_date, n.seq, n.state, n.attempts, "
                "s.chat_id, s.thread_id, s.language, s.timezone, s.meeting_slug "
                "FROM schedule_notices AS n JOIN subscriptions AS s ON s.id = n.subscription_id "
                "WHERE n.platform = ? AND ((n.status = 'pending' AND n.next_try_utc <= ?) "
                "OR (n.status = 'sending' AND n.next_try_utc <= ?)) "
                "ORDER BY n.next_try_utc LIMIT ?",
                (platform, int(now.timestamp()), int(stale_before.timestamp()), limit),
            ) as cur:
                rows = await cur.fetchall()
            found = [
                DueNotice(int(r[0]), date.fromisoformat(r[1]), int(r[2]), r[3], int(r[4]),
                          Address(platform, r[5], r[6] or None), r[7], r[8], r[9])
                for r in rows
            ]
            await self.set_status(conn, [n.key for n in found], NoticeStatus.SENDING,
                                  next_try=lease_until)
        return found

    async def latest(self, subscription_id: int, sitting_date: date) -> NoticeRow | None:
        """The newest heads-up on record for one reminder and sitting."""
        rows = await self.db.fetchall(
            "SELECT subscription_id, sitting_date, seq, state, status FROM schedule_notices "
            "WHERE subscription_id = ? AND sitting_date = ? ORDER BY seq DESC LIMIT 1",
            (subscription_id, sitting_date.isoformat()),
        )
        if not rows:
            return None
        r = rows[0]
        return NoticeRow(int(r[0]), date.fromisoformat(r[1]), int(r[2]), r[3], NoticeStatus(r[4]))

    async def earliest(self, platform: str) -> datetime | None:
        """When the next heads-up of `platform` falls due (a 'sending' one: its lease)."""
        rows = await self.db.fetchall(
            "SELECT min(next_try_utc) FROM schedule_notices WHERE platform = ? "
            "AND status IN ('pending', 'sending')",
            (platform,),
        )
        return from_epoch(rows[0][0]) if rows else None

    async def prune(self, before: date) -> int:
        """Forget heads-ups about sittings before `before`."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM schedule_notices WHERE sitting_date < ?", (before.isoformat(),)
            )
            return int(cur.rowcount)
