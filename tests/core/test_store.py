"""The SQLite store: migrations, transactions, round trips, slugs, occurrences."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from core.model import Location, OnlineAccess, build_meeting
from core.store.db import Database
from core.store.meetings import MeetingStore


def make(name: str = "Serenity Group", **kw):
    values = dict(name=name, fellowship="aa", days=["monday"], start="19:00",
                  timezone="America/New_York", types=["O", "W"],
                  location=Location(address="1 Example Street, Boston", city="Boston",
                                    latitude=42.35, longitude=-71.08))
    values.update(kw)
    return build_meeting(**values)


async def test_migrations_are_idempotent_and_enable_wal(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = await Database.open(path)
    assert await db.scalar("PRAGMA journal_mode") == "wal"
    assert await db.scalar("PRAGMA foreign_keys") == 1
    versions = [r[0] for r in await db.fetchall("SELECT version FROM schema_migrations")]
    assert versions and versions == sorted(versions)
    await db.close()
    db = await Database.open(path)
    assert await db.migrate() == []
    await db.close()


async def test_round_trip_and_unique_slugs(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "b.db")
    store = MeetingStore(db)
    first = await store.add(make(online=OnlineAccess(url="https://zoom.us/j/1")))
    second = await store.add(make())
    assert first.slug != second.slug and second.slug.startswith(first.slug)
    loaded = await store.get(first.slug)
    assert loaded is not None
    assert loaded.start == time(19) and loaded.timezone == "America/New_York"
    assert loaded.types == first.types and loaded.online.url == "https://zoom.us/j/1"
    assert loaded.attendance.value == "hybrid"
    assert await store.count() == 2
    assert await store.remove(first.slug)
    assert not await store.remove(first.slug)
    assert await store.count() == 1
    await db.close()


async def test_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.db")
    store = MeetingStore(db)
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await store.insert(conn, make())
            raise RuntimeError("boom")
    assert await store.count() == 0
    assert await db.scalar("SELECT count(*) FROM meetings_fts") == 0
    await db.close()


async def test_occurrences_follow_changes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "d.db")
    store = MeetingStore(db)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    await store.ensure_occurrences(at, at.replace(day=8))
    m = await store.add(make())
    rows = await db.fetchall("SELECT start_utc FROM occurrences WHERE meeting_id = ?", (m.id,))
    assert rows, "a meeting added after materialisation gets its occurrences too"
    assert await store.remove(m.slug)
    assert await db.scalar("SELECT count(*) FROM occurrences") == 0
    await db.close()


async def test_community_meeting_is_removed_only_by_its_community(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "e.db")
    store = MeetingStore(db)
    m = await store.add(make(community="discord:42"))
    assert not await store.remove(m.slug)  # not in the global directory
    assert not await store.remove(m.slug, "discord:99")
    assert await store.remove(m.slug, "discord:42")
    await db.close()


def test_demo_data_is_what_validation_would_build() -> None:
    from core.demo import demo_meetings

    fast = list(demo_meetings(300, seed=3))
    checked = list(demo_meetings(300, seed=3, validate=True))
    assert fast == checked
    assert len({m.timezone for m in fast}) >= 6
    assert len({m.fellowship for m in fast}) >= 5
    assert {m.attendance.value for m in fast} >= {"online", "hybrid", "in_person"}
    concepts = set().union(*(m.concepts for m in fast))
    assert {"women", "men", "lgbtq", "young-people", "newcomer", "language:es", "step-study",
            "speaker", "wheelchair"} <= concepts
