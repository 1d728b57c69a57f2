"""Subscriptions, reminders, milestone schedules, delivery records and sobriety dates in SQLite.

Only SQL lives here; the scheduling rules are in core.subscriptions and core.delivery.
Instants are stored as epoch seconds (UTC), local dates as 'YYYY-MM-DD'.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

import aiosqlite

from core.outbound import Address, MessageKind
from core.store.db import Database


class Status(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"  # the platform said we can no longer write to that chat
    ENDED = "ended"  # a reminder whose meeting no longer exists


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Subscription:
    """A daily reflection, a weekly meeting reminder or a milestone schedule."""

    id: int
    kind: MessageKind
    platform: str
    user_id: str | None
    community: str | None
    address: Address
    local_time: time
    timezone: str
    language: str
    neutral_steps: bool
    status: Status
    next_due: datetime | None
    slot: datetime | None
    due_date: date | None
    attempts: int = 0
    meeting_slug: str | None = None
    minutes_before: int | None = None
    anchor: date | None = None

    @property
    def is_personal(self) -> bool:
        return self.user_id is not None


COLUMNS = (
    "id, kind, platform, user_id, community, chat_id, thread_id, local_time, timezone, "
    "language, neutral_steps, meeting_slug, minutes_before, anchor, status, next_due_utc, "
    "slot_utc, due_key, attempts"
)


def to_epoch(instant: datetime | None) -> int | None:
    return None if instant is None else int(instant.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def minutes_of(t: time) -> int:
    return t.hour * 60 + t.minute


def row_to_subscription(row: Sequence[Any]) -> Subscription:
    minutes = int(row[7])
    return Subscription(
        id=int(row[0]),
        kind=MessageKind(row[1]),
        platform=row[2],
        user_id=row[3],
        community=row[4],
        address=Address(row[2], row[5], row[6] or None),
        local_time=time(minutes // 60, minutes % 60),
        timezone=row[8],
        language=row[9],
        neutral_steps=bool(row[10]),
        meeting_slug=row[11],
        minutes_before=row[12],
        anchor=date.fromisoformat(row[13]) if row[13] else None,
        status=Status(row[14]),
        next_due=from_epoch(row[15]),
        slot=from_epoch(row[16]),
        due_date=date.fromisoformat(row[17]) if row[17] else None,
        attempts=int(row[18]),
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    """Where a subscription stands in the queue: the next action and what it is for."""

    status: Status
    next_due: datetime | None = None
    slot: datetime | None = None
    due_date: date | None = None
    attempts: int = 0

    def params(self) -> tuple[Any, ...]:
        active = self.status is Status.ACTIVE
        return (
            self.status.value,
            to_epoch(self.next_due) if active else None,
            to_epoch(self.slot) if active else None,
            self.due_date.isoformat() if active and self.due_date else None,
            self.attempts,
        )


@dataclass(frozen=True, slots=True)
class SobrietyRecord:
    platform: str
    user_id: str
    sober_date: date
    timezone: str
    milestones: bool


@dataclass(frozen=True, slots=True)
class DueItem:
    """A claimed due row and the state of its delivery record for `due_date`, if any."""

    subscription: Subscription
    delivery_status: DeliveryStatus | None
    delivery_attempts: int


class SubscriptionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading ------------------------------------------------------------------------------

    async def get(self, sub_id: int) -> Subscription | None:
        row = await self.db.fetchone(f"SELECT {COLUMNS} FROM subscriptions WHERE id = ?", (sub_id,))
        return None if row is None else row_to_subscription(row)

    async def list_owned(
        self,
        platform: str,
        *,
        user_id: str | None = None,
        community: str | None = None,
        kinds: Iterable[MessageKind] = tuple(MessageKind),
    ) -> list[Subscription]:
        kind_values = [k.value for k in kinds]
        marks = ",".join("?" * len(kind_values))
        if user_id is not None:
            where, owner = "platform = ? AND user_id = ?", user_id
        else:
            where, owner = "platform = ? AND community = ?", str(community)
        rows = await self.db.fetchall(
            f"SELECT {COLUMNS} FROM subscriptions WHERE {where} AND kind IN ({marks}) ORDER BY id",
            (platform, owner, *kind_values),
        )
        return [row_to_subscription(r) for r in rows]

    async def find_reflection(
        self, conn: aiosqlite.Connection, address: Address
    ) -> Subscription | None:
        async with conn.execute(
            f"SELECT {COLUMNS} FROM subscriptions WHERE kind = 'reflection' AND platform = ? "
            "AND chat_id = ? AND thread_id = ?",
            (address.platform, address.chat_id, address.thread_id or ""),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else row_to_subscription(row)

    async def find_personal(
        self,
        conn: aiosqlite.Connection,
        kind: MessageKind,
        platform: str,
        user_id: str,
        meeting_slug: str | None = None,
    ) -> Subscription | None:
        sql = f"SELECT {COLUMNS} FROM subscriptions WHERE kind = ? AND platform = ? AND user_id = ?"
        params: list[Any] = [kind.value, platform, user_id]
        if meeting_slug is not None:
            sql += " AND meeting_slug = ?"
            params.append(meeting_slug)
        async with conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return None if row is None else row_to_subscription(row)

    async def reminders_for_meeting(self, meeting_slug: str) -> list[Subscription]:
        rows = await self.db.fetchall(
            f"SELECT {COLUMNS} FROM subscriptions WHERE kind = 'reminder' AND meeting_slug = ? "
            "AND status = 'active'",
            (meeting_slug,),
        )
        return [row_to_subscription(r) for r in rows]

    async def last_delivered(self, conn: aiosqlite.Connection | None, sub_id: int) -> date | None:
        """The latest local date a message was sent (or deliberately skipped) for."""
        sql = (
            "SELECT max(local_date) FROM deliveries WHERE subscription_id = ? "
            "AND status IN ('sent', 'skipped')"
        )
        if conn is None:
            value = await self.db.scalar(sql, (sub_id,))
        else:
            async with conn.execute(sql, (sub_id,)) as cur:
                row = await cur.fetchone()
            value = None if row is None else row[0]
        return date.fromisoformat(value) if value else None

    async def earliest_due(self, platform: str) -> datetime | None:
        value = await self.db.scalar(
            "SELECT min(next_due_utc) FROM subscriptions WHERE platform = ? "
            "AND next_due_utc IS NOT NULL",
            (platform,),
        )
        return from_epoch(value)

    async def due(
        self, conn: aiosqlite.Connection, platform: str, now: datetime, limit: int
    ) -> list[DueItem]:
        """Rows due at `now` on `platform`, earliest first, read through the due index."""
        async with conn.execute(
            f"SELECT {', '.join('s.' + c.strip() for c in COLUMNS.split(','))}, "
            "d.status, d.attempts FROM subscriptions AS s "
            "LEFT JOIN deliveries AS d ON d.subscription_id = s.id AND d.local_date = s.due_key "
            "WHERE s.platform = ? AND s.next_due_utc <= ? ORDER BY s.next_due_utc LIMIT ?",
            (platform, int(now.timestamp()), limit),
        ) as cur:
            rows = await cur.fetchall()
        return [
            DueItem(
                row_to_subscription(r), DeliveryStatus(r[19]) if r[19] else None, int(r[20] or 0)
            )
            for r in rows
        ]

    async def get_sobriety(self, platform: str, user_id: str) -> SobrietyRecord | None:
        row = await self.db.fetchone(
            "SELECT sober_date, timezone, milestones FROM sobriety WHERE platform = ? "
            "AND user_id = ?",
            (platform, user_id),
        )
        if row is None:
            return None
        return SobrietyRecord(platform, user_id, date.fromisoformat(row[0]), row[1], bool(row[2]))

    # -- writing (inside a transaction) ------------------------------------------------------

    async def insert(
        self,
        conn: aiosqlite.Connection,
        *,
        kind: MessageKind,
        platform: str,
        user_id: str | None,
        community: str | None,
        address: Address,
        local_time: time,
        timezone: str,
        language: str,
        neutral_steps: bool,
        schedule: Schedule,
        now: datetime,
        meeting_slug: str | None = None,
        minutes_before: int | None = None,
        anchor: date | None = None,
    ) -> int:
        cur = await conn.execute(
            "INSERT INTO subscriptions (kind, platform, user_id, community, chat_id, thread_id, "
            "local_time, timezone, language, neutral_steps, meeting_slug, minutes_before, anchor,"
            " status, next_due_utc, slot_utc, due_key, attempts, created_utc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind.value,
                platform,
                user_id,
                community,
                address.chat_id,
                address.thread_id or "",
                minutes_of(local_time),
                timezone,
                language,
                int(neutral_steps),
                meeting_slug,
                minutes_before,
                anchor.isoformat() if anchor else None,
                *schedule.params(),
                int(now.timestamp()),
            ),
        )
        await cur.close()
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def update_settings(
        self,
        conn: aiosqlite.Connection,
        sub_id: int,
        *,
        user_id: str | None,
        community: str | None,
        local_time: time,
        timezone: str,
        language: str,
        neutral_steps: bool,
        minutes_before: int | None = None,
        anchor: date | None = None,
        address: Address | None = None,
    ) -> None:
        sql = (
            "UPDATE subscriptions SET user_id = ?, community = ?, local_time = ?, "
            "timezone = ?, language = ?, neutral_steps = ?, minutes_before = ?, anchor = ?"
        )
        params: list[Any] = [
            user_id,
            community,
            minutes_of(local_time),
            timezone,
            language,
            int(neutral_steps),
            minutes_before,
            anchor.isoformat() if anchor else None,
        ]
        if address is not None:
            sql += ", chat_id = ?, thread_id = ?"
            params += [address.chat_id, address.thread_id or ""]
        await conn.execute(sql + " WHERE id = ?", (*params, sub_id))

    async def set_schedule(
        self, conn: aiosqlite.Connection, sub_id: int, schedule: Schedule
    ) -> None:
        await conn.execute(
            "UPDATE subscriptions SET status = ?, next_due_utc = ?, slot_utc = ?, due_key = ?, "
            "attempts = ? WHERE id = ?",
            (*schedule.params(), sub_id),
        )

    async def delete(self, conn: aiosqlite.Connection, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        cur = await conn.execute(f"DELETE FROM subscriptions WHERE id IN ({marks})", tuple(ids))
        return cur.rowcount

    async def upsert_sobriety(
        self, conn: aiosqlite.Connection, record: SobrietyRecord, now: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO sobriety (platform, user_id, sober_date, timezone, milestones, "
            "updated_utc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user_id) DO UPDATE "
            "SET sober_date = excluded.sober_date, timezone = excluded.timezone, "
            "milestones = excluded.milestones, updated_utc = excluded.updated_utc",
            (
                record.platform,
                record.user_id,
                record.sober_date.isoformat(),
                record.timezone,
                int(record.milestones),
                int(now.timestamp()),
            ),
        )

    async def delete_sobriety(self, conn: aiosqlite.Connection, platform: str, user_id: str) -> int:
        cur = await conn.execute(
            "DELETE FROM sobriety WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return cur.rowcount

    async def deactivate_chat(self, conn: aiosqlite.Connection, address: Address) -> int:
        """Mark every active/paused subscription to this chat (or only this thread) blocked."""
        sql = (
            "UPDATE subscriptions SET status = 'blocked', next_due_utc = NULL "
            "WHERE platform = ? AND chat_id = ? AND status IN ('active', 'paused')"
        )
        params: list[Any] = [address.platform, address.chat_id]
        if address.thread_id is not None:
            sql += " AND thread_id = ?"
            params.append(address.thread_id)
        cur = await conn.execute(sql, params)
        return cur.rowcount

    async def migrate_chat(self, conn: aiosqlite.Connection, old: Address, new_chat_id: str) -> int:
        """Point every subscription of `old`'s chat at `new_chat_id` (and a community that was
        that chat, as a Telegram group is). A reflection whose new destination already has one
        is merged into it (the old row is removed)."""
        cur = await conn.execute(
            "UPDATE OR IGNORE subscriptions SET chat_id = ?, community = CASE WHEN community = ? "
            "THEN ? ELSE community END WHERE platform = ? AND chat_id = ?",
            (new_chat_id, old.chat_id, new_chat_id, old.platform, old.chat_id),
        )
        moved = cur.rowcount
        await conn.execute(
            "DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?",
            (old.platform, old.chat_id),
        )
        return moved

    # -- the delivery engine's batch writes ----------------------------------------------------

    async def mark_sending(
        self, conn: aiosqlite.Connection, items: Iterable[tuple[int, str]], now: datetime
    ) -> None:
        ts = int(now.timestamp())
        await conn.executemany(
            "INSERT INTO deliveries (subscription_id, local_date, status, attempts, updated_utc) "
            "VALUES (?, ?, 'sending', 1, ?) ON CONFLICT (subscription_id, local_date) DO UPDATE "
            "SET status = 'sending', attempts = attempts + 1, updated_utc = excluded.updated_utc",
            [(sub_id, key, ts) for sub_id, key in items],
        )

    async def record(
        self,
        conn: aiosqlite.Connection,
        items: Iterable[tuple[int, str, DeliveryStatus]],
        now: datetime,
    ) -> None:
        """Write final delivery records (insert or overwrite)."""
        ts = int(now.timestamp())
        await conn.executemany(
            "INSERT INTO deliveries (subscription_id, local_date, status, attempts, updated_utc) "
            "VALUES (?, ?, ?, 0, ?) ON CONFLICT (subscription_id, local_date) DO UPDATE "
            "SET status = excluded.status, updated_utc = excluded.updated_utc",
            [(sub_id, key, status.value, ts) for sub_id, key, status in items],
        )

    async def finish(
        self,
        conn: aiosqlite.Connection,
        items: Iterable[tuple[int, str, DeliveryStatus]],
        now: datetime,
    ) -> None:
        """Record the outcome of a send over its 'sending' row. An UPDATE, so a subscription
        deleted while its message was in flight simply has nothing left to update."""
        ts = int(now.timestamp())
        await conn.executemany(
            "UPDATE deliveries SET status = ?, updated_utc = ? WHERE subscription_id = ? "
            "AND local_date = ?",
            [(status.value, ts, sub_id, key) for sub_id, key, status in items],
        )

    async def advance(
        self,
        conn: aiosqlite.Connection,
        items: Iterable[tuple[Schedule, int, int | None, str | None]],
    ) -> None:
        """Move claimed rows on, each only if it still has the schedule it was claimed with
        (a member who paused or changed the time meanwhile wins)."""
        await conn.executemany(
            "UPDATE subscriptions SET status = ?, next_due_utc = ?, slot_utc = ?, due_key = ?, "
            "attempts = ? WHERE id = ? AND status = 'active' AND next_due_utc IS ? "
            "AND due_key IS ?",
            [
                (*schedule.params(), sub_id, claimed_due, claimed_key)
                for schedule, sub_id, claimed_due, claimed_key in items
            ],
        )

    async def prune_deliveries(self, before: date, limit: int = 50_000) -> int:
        """Forget delivery records older than `before` (they only guard recent days)."""
        total = 0
        while True:
            async with self.db.transaction() as conn:
                cur = await conn.execute(
                    "DELETE FROM deliveries WHERE (subscription_id, local_date) IN ("
                    "SELECT subscription_id, local_date FROM deliveries WHERE local_date < ? "
                    "LIMIT ?)",
                    (before.isoformat(), limit),
                )
                count = cur.rowcount
            total += count
            if count < limit:
                return total
