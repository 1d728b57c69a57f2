"""Meetings in SQLite, with the full-text index and the materialised occurrences that make
search fast. Occurrences are derived data, resolved per date in each meeting's zone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar

import aiosqlite

from core import types as mtypes
from core.model import Attendance, Meeting
from core.recurrence import PLAIN_SCHEDULE, Schedule, SittingChange
from core.schedule import SittingStatus, changed_sitting, mg_weekday, plan, resolve_local
from core.store.codec import meeting_from_dict, meeting_to_dict, schedule_from_json, schedule_json
from core.store.db import Database
from core.text import fold

_T = TypeVar("_T")

WEEK_SECONDS = 7 * 86400
_WEEK_ORIGIN = 4 * 86400  # 1970-01-05 was a Monday
KEEP_PAST_WEEKS = 2


def week_of(epoch: float) -> int:
    return int((epoch - _WEEK_ORIGIN) // WEEK_SECONDS)


def week_start(week: int) -> datetime:
    return datetime.fromtimestamp(week * WEEK_SECONDS + _WEEK_ORIGIN, UTC)


def meeting_tags(meeting: Meeting, attendance: Attendance | None = None) -> str:
    """Space-padded tokens for cheap instr() filters: concepts, t:CODE, f:FELLOWSHIP, a:ATT."""
    return _tags(meeting.fellowship, meeting.types, attendance or meeting.attendance)


@lru_cache(maxsize=4096)
def _tags(fellowship: str, types: tuple[str, ...], attendance: Attendance) -> str:
    tokens = set(mtypes.concepts_for(fellowship, types))
    if attendance in (Attendance.ONLINE, Attendance.HYBRID):
        tokens.add("online")
    if attendance in (Attendance.IN_PERSON, Attendance.HYBRID):
        tokens.add("in-person")
    tokens.update(f"t:{code}" for code in types)
    tokens.add(f"f:{fellowship}")
    tokens.add(f"a:{attendance.value}")
    return " " + " ".join(sorted(tokens)) + " "


def _place(meeting: Meeting) -> str:
    loc = meeting.location
    parts = [loc.region, loc.sub_region, loc.city, loc.state, loc.country, loc.address, loc.name]
    return fold(" | ".join(p for p in parts if p))


def _days_mask(days: Iterable[int]) -> int:
    mask = 0
    for d in days:
        mask |= 1 << d
    return mask


_ONE_DAY = timedelta(days=1)
# What a week's expansion of one schedule keeps: the local dates of its sittings, in plan
# order, and, when some sitting was moved, (date, change or None) for every sitting.
_Shape = tuple[list[date], list[tuple[date, SittingChange | None]] | None]


class WeekExpander:
    """Occurrences of many meetings in one UTC week, exactly as core.schedule computes them
    (same resolve_local per date), with the per-(zone, date, minute) resolution cached:
    thousands of meetings share a zone, a date and a start time. A week's dates per weekday
    set, and each schedule's sittings per weekday set, are worked out once."""

    def __init__(self, week: int) -> None:
        self.lo = week * WEEK_SECONDS + _WEEK_ORIGIN
        self.hi = self.lo + WEEK_SECONDS
        first = datetime.fromtimestamp(self.lo, UTC).date() - timedelta(days=1)
        self.first, self.last = first, first + timedelta(days=8)
        # Local dates that can hold an occurrence starting in the week, by weekday (Sun = 0).
        self.by_weekday: dict[int, list[date]] = {d: [] for d in range(7)}
        for i in range(9):
            day = first + timedelta(days=i)
            self.by_weekday[mg_weekday(day)].append(day)
        self._resolved: dict[tuple[str, date, int], int] = {}
        self._plain: dict[int, list[date]] = {}
        self._plans: dict[tuple[Schedule, int], _Shape] = {}
        self._stored: dict[tuple[str, int], _Shape | None] = {}

    def _at(self, zone: str, day: date, minute: int) -> int:
        key = (zone, day, minute)
        found = self._resolved.get(key)
        if found is None:
            moment = resolve_local(day, time(minute // 60, minute % 60), zone)
            found = self._resolved[key] = int(moment.timestamp())
        return found

    def expand(self, days_mask: int, start_min: int, end_min: int, zone: str,
               schedule: Schedule = PLAIN_SCHEDULE) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        if schedule is not PLAIN_SCHEDULE and not schedule.is_plain_weekly:
            self._expand_shape(self._shape(schedule, days_mask), start_min, end_min, zone,
                               found)
        else:
            self._expand_days(self._plain_days(days_mask), start_min, end_min, zone, found)
        return found

    def expand_stored(self, days_mask: int, start_min: int, end_min: int, zone: str,
                      schedule_text: str | None) -> list[tuple[int, int]]:
        """expand() for a stored row, given its `schedule` column (None: plain weekly):
        each distinct text is decoded and planned once per week, not once per meeting."""
        found: list[tuple[int, int]] = []
        if schedule_text is None:
            self._expand_days(self._plain_days(days_mask), start_min, end_min, zone, found)
            return found
        key = (schedule_text, days_mask)
        try:
            shape = self._stored[key]
        except KeyError:
            schedule = schedule_from_json(schedule_text)
            shape = None if schedule.is_plain_weekly else self._shape(schedule, days_mask)
            self._stored[key] = shape
        if shape is None:
            self._expand_days(self._plain_days(days_mask), start_min, end_min, zone, found)
        else:
            self._expand_shape(shape, start_min, end_min, zone, found)
        return found

    def _plain_days(self, days_mask: int) -> list[date]:
        """The week's local dates on the weekdays of `days_mask`, weekday by weekday."""
        days = self._plain.get(days_mask)
        if days is None:
            days = self._plain[days_mask] = [
                day for weekday in range(7) if days_mask & (1 << weekday)
                for day in self.by_weekday[weekday]
            ]
        return days

    def _shape(self, schedule: Schedule, days_mask: int) -> _Shape:
        """Any other schedule: core.schedule.plan over the week's local dates (meetings
        share schedules: each is planned once per week and weekday set)."""
        key = (schedule, days_mask)
        shape = self._plans.get(key)
        if shape is None:
            days = tuple(d for d in range(7) if days_mask & (1 << d))
            sittings = [
                (s.day, s.change if s.status is SittingStatus.MOVED else None)
                for s in plan(schedule, days, time(0), time(1), self.first, self.last)
                if s.happens
            ]
            moved = any(change is not None for _, change in sittings)
            shape = self._plans[key] = ([day for day, _ in sittings],
                                        sittings if moved else None)
        return shape

    def _expand_shape(self, shape: _Shape, start_min: int, end_min: int, zone: str,
                      found: list[tuple[int, int]]) -> None:
        days, sittings = shape
        if sittings is None:  # no sitting moved: every one at the usual time
            self._expand_days(days, start_min, end_min, zone, found)
            return
        start_t = time(start_min // 60, start_min % 60)
        end_t = time(end_min // 60, end_min % 60)
        for day, change in sittings:
            if change is None:
                self._expand_days((day,), start_min, end_min, zone, found)
            else:
                moved = changed_sitting(change, start_t, end_t)
                self._expand_days((day,), moved.start.hour * 60 + moved.start.minute,
                                  moved.end.hour * 60 + moved.end.minute, zone, found)

    def _expand_days(self, days: Sequence[date], start_min: int, end_min: int, zone: str,
                     found: list[tuple[int, int]]) -> None:
        """(start, end) of a sitting at start_min on each local date, when it starts in the
        week (the hot loop of materialisation: the resolution cache is read inline)."""
        resolved = self._resolved
        lo, hi = self.lo, self.hi
        overnight = end_min <= start_min
        for day in days:
            start = resolved.get((zone, day, start_min))
            if start is None:
                start = self._at(zone, day, start_min)
            if not lo <= start < hi:
                continue
            end_day = day + _ONE_DAY if overnight else day
            end = resolved.get((zone, end_day, end_min))
            if end is None:
                end = self._at(zone, end_day, end_min)
            if end <= start:
                end = start + ((end_min - start_min) % 1440 or 1440) * 60
            found.append((start, end))


def occurrence_rows(
    meeting_id: int, meeting: Meeting, community: str, tags: str, weeks: Iterable[int],
    expanders: dict[int, WeekExpander] | None = None,
) -> list[tuple[int, int, int, str, str, float | None, float | None]]:
    """A meeting's occurrence rows in `weeks`; pass `expanders` (week → WeekExpander) to
    share their caches across many meetings."""
    mask = _days_mask(meeting.days)
    start_min = meeting.start.hour * 60 + meeting.start.minute
    end_min = meeting.end.hour * 60 + meeting.end.minute
    rows = []
    for week in weeks:
        expander = expanders.get(week) if expanders is not None else None
        if expander is None:
            expander = WeekExpander(week)
            if expanders is not None:
                expanders[week] = expander
        for s, e in expander.expand(mask, start_min, end_min, meeting.timezone,
                                    meeting.schedule):
            rows.append((meeting_id, s, e, community, tags, meeting.location.latitude,
                         meeting.location.longitude))
    return rows


_OFF_LOOP_FROM = 50  # rows: below this, a thread hop costs more than the work


async def _off_loop(work: Callable[[], _T], size: int) -> _T:
    """Run CPU work for `size` meetings in a worker thread when it is big enough to matter."""
    return await asyncio.to_thread(work) if size >= _OFF_LOOP_FROM else work()


_INSERT_OCCURRENCE = "INSERT OR IGNORE INTO occurrences VALUES (?,?,?,?,?,?,?)"


def _week_rows(week: int, meetings: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Occurrence rows of one week for rows of (id, community, tags, days, start_min,
    end_min, timezone, latitude, longitude, schedule)."""
    expand = WeekExpander(week).expand_stored
    return [
        (r[0], s, e, r[1], r[2], r[7], r[8])
        for r in meetings
        for s, e in expand(r[3], r[4], r[5], r[6], r[9])
    ]


_COLUMNS = (
    "slug, community, source, source_ref, name, fellowship, days, start_min, end_min,"
    " timezone, attendance, tags, latitude, longitude, place, updated, sequence, data, schedule"
)
_SET = ", ".join(f"{c.strip()}=?" for c in _COLUMNS.split(","))


def unique_slugs(wanted: Sequence[str], taken: set[str]) -> list[str]:
    """Each slug, suffixed -2, -3… where taken (`taken` is updated), ≤ 64 characters.
    Linear in the number of slugs: each base remembers the next suffix to try."""
    result = []
    next_suffix: dict[str, int] = {}
    for slug in wanted:
        candidate, n = slug, next_suffix.get(slug, 1)
        if n > 1:
            candidate = _suffixed(slug, n)
        while candidate in taken:
            n += 1
            candidate = _suffixed(slug, n)
        next_suffix[slug] = n + 1
        taken.add(candidate)
        result.append(candidate)
    return result


def _suffixed(slug: str, n: int) -> str:
    suffix = f"-{n}"
    return slug[: 64 - len(suffix)] + suffix


class MeetingStore:
    """Repository for meetings. Slugs are unique across the whole database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading ---------------------------------------------------------------------------

    async def get(self, slug: str) -> Meeting | None:
        row = await self.db.fetchone("SELECT id, data FROM meetings WHERE slug = ?", (slug,))
        return None if row is None else meeting_from_dict(json.loads(row["data"]), row["id"])

    async def get_in(self, conn: aiosqlite.Connection, slug: str) -> Meeting | None:
        """The meeting as the open write transaction `conn` sees it (read-modify-write)."""
        async with conn.execute("SELECT id, data FROM meetings WHERE slug = ?", (slug,)) as cur:
            row = await cur.fetchone()
        return None if row is None else meeting_from_dict(json.loads(row[1]), row[0])

    async def get_many(self, ids: Sequence[int]) -> dict[int, Meeting]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(f"SELECT id, data FROM meetings WHERE id IN ({marks})", ids)
        return {r["id"]: meeting_from_dict(json.loads(r["data"]), r["id"]) for r in rows}

    async def list_meetings(
        self,
        *,
        community: str | None = None,
        include_global: bool = True,
        source: str | None = None,
    ) -> list[Meeting]:
        """Meetings visible in a scope: the global directory plus one community's own."""
        where, params = [], []
        if source is not None:
            where.append("source = ?")
            params.append(source)
        scopes = ([""] if include_global else []) + ([community] if community else [])
        if scopes:
            where.append(f"community IN ({','.join('?' * len(scopes))})")
            params.extend(scopes)
        sql = "SELECT id, data FROM meetings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = await self.db.fetchall(sql + " ORDER BY slug", params)
        return [meeting_from_dict(json.loads(r["data"]), r["id"]) for r in rows]

    async def count(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM meetings"))

    async def slugs_like(self, prefix: str, community: str | None, limit: int = 25) -> list[Meeting]:
        """Meetings whose name or slug starts with / contains `prefix` (autocomplete)."""
        like = f"%{fold(prefix).replace('%', '')}%"
        rows = await self.db.fetchall(
            "SELECT id, data FROM meetings WHERE community IN ('', ?) "
            "AND (slug LIKE ? OR lower(name) LIKE ?) ORDER BY name LIMIT ?",
            (community or "", like, like, limit),
        )
        return [meeting_from_dict(json.loads(r["data"]), r["id"]) for r in rows]

    # -- writing ---------------------------------------------------------------------------

    async def unique_slug(self, conn: aiosqlite.Connection, slug: str) -> str:
        async with conn.execute(
            "SELECT slug FROM meetings WHERE slug = ? OR slug LIKE ?", (slug, f"{slug[:58]}-%")
        ) as cur:
            taken = {row[0] for row in await cur.fetchall()}
        return unique_slugs([slug], taken)[0]

    async def add(self, meeting: Meeting) -> Meeting:
        """Insert a new meeting (its slug is made unique) and index it."""
        async with self.db.transaction() as conn:
            return await self.insert(conn, meeting)

    async def insert(self, conn: aiosqlite.Connection, meeting: Meeting) -> Meeting:
        """Insert inside an open transaction; the slug is made unique."""
        slug = await self.unique_slug(conn, meeting.slug)
        return (await self.insert_many(conn, [meeting], slugs=[slug]))[0]

    async def update(self, conn: aiosqlite.Connection, meeting: Meeting) -> Meeting:
        """Replace a stored meeting (matched by id) inside an open transaction."""
        await self.update_many(conn, [meeting])
        return meeting

    async def delete(self, conn: aiosqlite.Connection, meeting_id: int) -> None:
        await self.delete_many(conn, [meeting_id])

    async def remove(self, slug: str, community: str | None = None) -> bool:
        """Remove a meeting by slug; with a community, only that community's own meeting."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT id FROM meetings WHERE slug = ? AND community = ?", (slug, community or "")
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return False
            await self.delete(conn, row[0])
            return True

    async def add_many(self, meetings: Iterable[Meeting], batch: int = 5000) -> int:
        """Bulk insert (demo data, benchmarks) in one transaction, all or nothing, written
        `batch` meetings at a time so memory stays flat; slugs must already be unique."""
        count = 0
        async with self.db.transaction() as conn:
            chunk: list[Meeting] = []
            for meeting in meetings:
                chunk.append(meeting)
                if len(chunk) >= batch:
                    count += len(await self.insert_many(conn, chunk))
                    chunk = []
            if chunk:
                count += len(await self.insert_many(conn, chunk))
        return count

    # Batched writes inside an open transaction: one executemany per table, so imports of
    # thousands of meetings do not pay aiosqlite's thread hop per row. Every write uses them.

    async def insert_many(
        self,
        conn: aiosqlite.Connection,
        meetings: Sequence[Meeting],
        *,
        slugs: Sequence[str] | None = None,
    ) -> list[Meeting]:
        """Insert meetings whose slugs (or the given `slugs`) are unique; returns them with
        their ids."""
        if not meetings:
            return []
        async with conn.execute("SELECT coalesce(max(id), 0) FROM meetings") as cur:
            row = await cur.fetchone()
        first = int(row[0]) + 1 if row else 1
        names = slugs if slugs is not None else [m.slug for m in meetings]
        stored = [
            replace(m, id=first + i, slug=slug)
            for i, (m, slug) in enumerate(zip(meetings, names, strict=True))
        ]
        params = await _off_loop(lambda: [(m.id, *self._row(m)) for m in stored], len(stored))
        await conn.executemany(
            f"INSERT INTO meetings (id, {_COLUMNS}) VALUES ({','.join('?' * 20)})", params
        )
        await self._index(conn, stored)
        return stored

    async def update_many(self, conn: aiosqlite.Connection, meetings: Sequence[Meeting]) -> None:
        """Replace stored meetings (matched by id) and rebuild their derived rows."""
        if not meetings:
            return
        ids = [(m.id,) for m in meetings]
        params = await _off_loop(lambda: [(*self._row(m), m.id) for m in meetings], len(meetings))
        await conn.executemany(f"UPDATE meetings SET {_SET} WHERE id=?", params)
        await self._unindex(conn, ids)
        await self._index(conn, meetings)

    async def delete_many(self, conn: aiosqlite.Connection, meeting_ids: Sequence[int]) -> None:
        if not meeting_ids:
            return
        ids = [(i,) for i in meeting_ids]
        await self._unindex(conn, ids)
        await conn.executemany("DELETE FROM meetings WHERE id = ?", ids)

    def _row(self, m: Meeting) -> tuple[Any, ...]:
        data = meeting_to_dict(m)
        attendance = m.attendance
        return (
            m.slug,
            m.community or "",
            m.source,
            m.source_ref,
            m.name,
            m.fellowship,
            _days_mask(m.days),
            m.start.hour * 60 + m.start.minute,
            m.end.hour * 60 + m.end.minute,
            m.timezone,
            attendance.value,
            meeting_tags(m, attendance),
            m.location.latitude,
            m.location.longitude,
            _place(m),
            m.updated.astimezone(UTC).isoformat(),
            m.sequence,
            json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            schedule_json(m.schedule),
        )

    @staticmethod
    def _fts(m: Meeting) -> tuple[str, str, str, str]:
        loc = m.location
        location = " ".join(p for p in (loc.name, loc.address, loc.notes) if p)
        region = " ".join(p for p in (loc.region, loc.sub_region, loc.city, loc.state) if p)
        notes = " ".join(p for p in (m.notes, m.group) if p)
        return m.name, location, notes, region

    async def _index(self, conn: aiosqlite.Connection, meetings: Sequence[Meeting]) -> None:
        """The full-text rows and, for the weeks already materialised, the occurrences."""
        await conn.executemany(
            "INSERT INTO meetings_fts (rowid, name, location, notes, region) VALUES (?,?,?,?,?)",
            [(m.id, *self._fts(m)) for m in meetings],
        )
        async with conn.execute("SELECT week FROM occurrence_weeks") as cur:
            weeks = [int(r[0]) for r in await cur.fetchall()]
        if weeks:
            def rows() -> list[tuple[Any, ...]]:
                found: list[tuple[Any, ...]] = []
                expanders: dict[int, WeekExpander] = {}  # one per week, for every meeting
                for m in meetings:
                    assert m.id is not None
                    found += occurrence_rows(m.id, m, m.community or "", meeting_tags(m), weeks,
                                             expanders)
                return found

            await conn.executemany(_INSERT_OCCURRENCE, await _off_loop(rows, len(meetings)))

    async def _unindex(self, conn: aiosqlite.Connection, ids: Sequence[tuple[int | None]]) -> None:
        await conn.executemany("DELETE FROM meetings_fts WHERE rowid = ?", ids)
        await conn.executemany("DELETE FROM occurrences WHERE meeting_id = ?", ids)

    # -- occurrences -------------------------------------------------------------------------
    # Which weeks exist is asked of the database every time: another process (a CLI search,
    # `stepbot serve`, a second bot) may have materialised or pruned one since.

    async def materialised_weeks(self, lo: int | None = None, hi: int | None = None) -> set[int]:
        """Weeks whose occurrences exist (within [lo, hi] when given)."""
        if lo is None or hi is None:
            rows = await self.db.fetchall("SELECT week FROM occurrence_weeks")
        else:
            rows = await self.db.fetchall(
                "SELECT week FROM occurrence_weeks WHERE week BETWEEN ? AND ?", (lo, hi)
            )
        return {int(r[0]) for r in rows}

    async def ensure_occurrences(self, start: datetime, end: datetime) -> None:
        """Make sure occurrences starting in [start - 1 day, end) are materialised.

        Safe under any number of processes: the missing weeks are decided again inside the
        write transaction (SQLite's lock serialises it), and the inserts ignore rows that
        exist already."""
        lo, hi = week_of(start.timestamp() - 86400), week_of(end.timestamp() - 1)
        wanted = set(range(lo, hi + 1))
        if wanted <= await self.materialised_weeks(lo, hi):
            return
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT week FROM occurrence_weeks WHERE week BETWEEN ? AND ?", (lo, hi)
            ) as cur:
                missing = sorted(wanted - {int(r[0]) for r in await cur.fetchall()})
            if not missing:
                return
            async with conn.execute(
                "SELECT id, community, tags, days, start_min, end_min, timezone, latitude,"
                " longitude, schedule FROM meetings"
            ) as cur:
                rows = list(await cur.fetchall())
            for week in missing:
                batch = await asyncio.to_thread(_week_rows, week, rows)
                await conn.executemany(_INSERT_OCCURRENCE, batch)
                await conn.execute(
                    "INSERT OR IGNORE INTO occurrence_weeks (week) VALUES (?)", (week,)
                )

    async def prune_occurrences(self, now: datetime) -> None:
        """Forget materialised weeks well in the past."""
        cutoff = week_of(now.timestamp()) - KEEP_PAST_WEEKS
        if not await self.db.scalar("SELECT 1 FROM occurrence_weeks WHERE week < ?", (cutoff,)):
            return
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM occurrences WHERE start_utc < ?", (cutoff * WEEK_SECONDS + _WEEK_ORIGIN,)
            )
            await conn.execute("DELETE FROM occurrence_weeks WHERE week < ?", (cutoff,))

    async def max_duration_seconds(self) -> int:
        """The longest meeting's length (the meetings_duration index answers it at once).
        Asked on every search: fetchall is one trip to the reader's thread (an aggregate
        has exactly one row), fetchone three."""
        rows = await self.db.fetchall(
            "SELECT max((end_min - start_min + 1440) % 1440) FROM meetings"
        )
        value = rows[0][0] if rows else None
        return int(value or 1440) * 60 or 86400
