"""Delivery engine: throughput of the core, and the cost of finding due work.

- delivery_per_s: 100,000 daily reflections due in the same minute (four zones whose 07:00,
  06:00, 12:00 and 20:00 are the same instant) dispatched to a null transport with no rate
  limits, through the real engine (claim, 'sending' marks, sends, grouped outcome commits,
  next-day computation). Target ≥ 2,000/s.
- due_select_10k_ms / due_select_1m_ms: one claim query (the due index joined with the
  delivery records) returning the 1,000 due rows among 10,000 and among 1,000,000
  subscriptions; median of repeated runs. They should cost about the same (O(due)).

Runnable alone: `python -m tests.benchmarks.bench_delivery` prints the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time as timer
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from core.clock import FakeClock
from core.config import Config
from core.delivery import DeliveryEngine
from core.outbound import Address, OutboundMessage, SendResult
from core.reflections import ALL_DAYS, Pack, Reflection
from core.store.db import Database
from core.store.subscriptions import SubscriptionStore
from core.subscriptions import daily_slot

DELIVERIES = 100_000
DUE = 1_000
SIZES = {"due_select_10k_ms": 10_000, "due_select_1m_ms": 1_000_000}
NOW = datetime(2026, 6, 3, 11, 0, 30, tzinfo=UTC)  # 07:00 in New York, +30 s
ZONES = (
    ("America/New_York", time(7)),
    ("America/Chicago", time(6)),
    ("Europe/London", time(12)),
    ("Asia/Tokyo", time(20)),
)

INSERT = (
    "INSERT INTO subscriptions (kind, platform, user_id, community, chat_id, thread_id, "
    "local_time, timezone, language, neutral_steps, status, next_due_utc, slot_utc, due_key, "
    "attempts, created_utc) VALUES ('reflection', 'null', ?, NULL, ?, '', ?, ?, ?, 0, "
    "'active', ?, ?, ?, 0, 0)"
)


class NullTransport:
    platform = "null"

    def __init__(self) -> None:
        self.count = 0

    async def send(self, address: Address, message: OutboundMessage) -> SendResult:
        self.count += 1
        return SendResult.ok()

    async def admin_addresses(self, community_id: str) -> list[Address]:
        return []


def tiny_pack() -> Pack:
    by_lang = {
        lang: {d: Reflection(d, int(d[:2]), "t", "b", "q", lang, "bench") for d in ALL_DAYS}
        for lang in ("en", "es")
    }
    return Pack("bench", "bench", "CC0", ("en", "es"), by_lang)


def rows(count: int, due: int, now: datetime) -> list[tuple[object, ...]]:
    """`due` rows due at `now` (spread over the zones), the rest due tomorrow or later."""
    out: list[tuple[object, ...]] = []
    for i in range(count):
        zone, local = ZONES[i % len(ZONES)]
        day = now.astimezone(UTC).date()
        if i >= due:
            day += timedelta(days=1 + i % 3)
        slot = int(daily_slot(day, local, zone).timestamp())
        key = (now.date() if i < due else day).isoformat()
        out.append(
            (f"u{i}", f"c{i}", local.hour * 60, zone, "en" if i % 2 else "es", slot, slot, key)
        )
    return out


async def fill(db: Database, data: list[tuple[object, ...]], chunk: int = 100_000) -> None:
    for start in range(0, len(data), chunk):
        async with db.transaction() as conn:
            await conn.executemany(INSERT, data[start : start + chunk])


async def bench_delivery(workdir: Path) -> float:
    db = await Database.open(workdir / "delivery.db")
    try:
        await fill(db, rows(DELIVERIES, DELIVERIES, NOW))
        transport = NullTransport()
        engine = DeliveryEngine(
            db, FakeClock(NOW), {"null": transport}, Config(db_path=db.path), tiny_pack()
        )
        started = timer.perf_counter()
        await engine.run_once()
        seconds = timer.perf_counter() - started
        assert transport.count == DELIVERIES, transport.count
        assert engine.metrics["sent"] == DELIVERIES
        left = await db.scalar(
            "SELECT count(*) FROM subscriptions WHERE next_due_utc <= ?", (int(NOW.timestamp()),)
        )
        assert left == 0, left
        return DELIVERIES / seconds
    finally:
        await db.close()


async def bench_select(workdir: Path, size: int, repeat: int = 15) -> float:
    db = await Database.open(workdir / f"select-{size}.db")
    try:
        await fill(db, rows(size, DUE, NOW))
        await db.conn.execute("ANALYZE")
        store = SubscriptionStore(db)
        times = []
        for _ in range(repeat):
            started = timer.perf_counter()
            async with db.transaction() as conn:
                found = await store.due(conn, "null", NOW, DUE + 1)
            times.append((timer.perf_counter() - started) * 1000)
            assert len(found) == DUE, len(found)
        return statistics.median(times)
    finally:
        await db.close()


async def run(workdir: Path) -> dict[str, float]:
    figures = {"delivery_per_s": round(await bench_delivery(workdir), 1)}
    for name, size in SIZES.items():
        figures[name] = round(await bench_select(workdir, size), 3)
    return figures


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="stepbot-bench-delivery-") as tmp:
        print(json.dumps(asyncio.run(run(Path(tmp))), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
