"""Batched meeting writes inside an open transaction, for imports of thousands of meetings.

MeetingStore.insert/update/delete work one meeting at a time (four round trips each through
aiosqlite's thread); a 10,000-meeting feed needs executemany. These mirror those methods
exactly (same columns via MeetingStore._row/_fts, same derived rows) and should move into
core.store.meetings as insert_many/update_many/delete_many when core is next touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import aiosqlite

from core.model import Meeting
from core.store.meetings import MeetingStore, meeting_tags, occurrence_rows

_COLUMNS = (
    "slug, community, source, source_ref, name, fellowship, days, start_min, end_min,"
    " timezone, attendance, tags, latitude, longitude, place, updated, sequence, data"
)
_SET = ", ".join(f"{c.strip()}=?" for c in _COLUMNS.split(","))


async def _index(
    store: MeetingStore, conn: aiosqlite.Connection, meetings: Sequence[Meeting]
) -> None:
    await conn.executemany(
        "INSERT INTO meetings_fts (rowid, name, location, notes, region) VALUES (?,?,?,?,?)",
        [(m.id, *store._fts(m)) for m in meetings],
    )
    weeks = await store.materialised_weeks()
    if weeks:
        rows: list[tuple[Any, ...]] = []
        for m in meetings:
            assert m.id is not None
            rows += occurrence_rows(m.id, m, m.community or "", meeting_tags(m), weeks)
        if rows:
            marks = ",".join("?" * len(rows[0]))
            await conn.executemany(f"INSERT INTO occurrences VALUES ({marks})", rows)
    store._max_duration = None


async def insert_many(
    store: MeetingStore,
    conn: aiosqlite.Connection,
    meetings: Sequence[Meeting],
    *,
    slugs: Sequence[str] | None = None,
) -> list[Meeting]:
    """Insert meetings whose slugs (or the given `slugs`) are already unique; returns them
    with their ids (and slugs)."""
    if not meetings:
        return []
    async with conn.execute("SELECT coalesce(max(id), 0) FROM meetings") as cur:
        row = await cur.fetchone()
    first = int(row[0]) + 1 if row else 1
    if slugs is None:
        stored = [replace(m, id=first + i) for i, m in enumerate(meetings)]
    else:
        stored = [
            replace(m, id=first + i, slug=s)
            for i, (m, s) in enumerate(zip(meetings, slugs, strict=True))
        ]
    await conn.executemany(
        f"INSERT INTO meetings (id, {_COLUMNS}) VALUES ({','.join('?' * 19)})",
        [(m.id, *store._row(m)) for m in stored],
    )
    await _index(store, conn, stored)
    return stored


async def update_many(
    store: MeetingStore, conn: aiosqlite.Connection, meetings: Sequence[Meeting]
) -> None:
    """Replace stored meetings (matched by id) and rebuild their derived rows."""
    if not meetings:
        return
    ids = [(m.id,) for m in meetings]
    await conn.executemany(
        f"UPDATE meetings SET {_SET} WHERE id=?", [(*store._row(m), m.id) for m in meetings]
    )
    await conn.executemany("DELETE FROM meetings_fts WHERE rowid = ?", ids)
    await conn.executemany("DELETE FROM occurrences WHERE meeting_id = ?", ids)
    await _index(store, conn, meetings)


async def delete_many(
    store: MeetingStore, conn: aiosqlite.Connection, meeting_ids: Sequence[int]
) -> None:
    if not meeting_ids:
        return
    ids = [(i,) for i in meeting_ids]
    await conn.executemany("DELETE FROM meetings_fts WHERE rowid = ?", ids)
    await conn.executemany("DELETE FROM occurrences WHERE meeting_id = ?", ids)
    await conn.executemany("DELETE FROM meetings WHERE id = ?", ids)
    store._max_duration = None


def unique_slugs(wanted: Sequence[str], taken: set[str]) -> list[str]:
    """MeetingStore.unique_slug for many slugs at once (``taken`` is updated)."""
    result = []
    for slug in wanted:
        candidate, n = slug, 1
        while candidate in taken:
            n += 1
            suffix = f"-{n}"
            candidate = slug[: 64 - len(suffix)] + suffix
        taken.add(candidate)
        result.append(candidate)
    return result
