"""Calendars: import a 10,000-meeting Meeting Guide feed, re-import it unchanged, import 1,000
weekly VEVENTs, export 10,000 meetings as one calendar, serve a cached feed over HTTP.

Targets (issue 4): 10k MG import ≤ 2 s; unchanged re-import ≤ 0.5 s with 0 writes; 1k VEVENT
import ≤ 2 s; 10k export ≤ 2 s. The feed is measured with an aiohttp client on 127.0.0.1,
a bounded number of requests, a few at a time, after one warming request.

Run alone: ``python -m tests.benchmarks.bench_calendars`` (prints the figures as JSON).
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from calendars.ics_export import calendar_for, vtimezone
from calendars.meeting_guide import meeting_guide_json
from calendars.server import start_server
from calendars.sync import import_bytes
from core.clock import FakeClock
from core.config import Config
from core.demo import demo_meetings
from core.services import Services

MG_COUNT = 10_000
ICS_COUNT = 1_000
FEED_REQUESTS = 400
FEED_CONCURRENCY = 8
FEED_PATH = "/calendar.ics?type=women"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def _changes(services: Services) -> int:
    return await services.db.total_changes()


async def _serve(services: Services) -> dict[str, float]:
    port = _free_port()
    runner = await start_server(services, "127.0.0.1", port)
    url = f"http://127.0.0.1:{port}{FEED_PATH}"
    timings: list[float] = []
    size = 0
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as resp:  # builds and caches the body
                size = len(await resp.read())
            gate = asyncio.Semaphore(FEED_CONCURRENCY)

            async def one() -> None:
                async with gate:
                    started = time.perf_counter()
                    async with session.get(url) as resp:
                        await resp.read()
                        assert resp.status == 200
                    timings.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(FEED_REQUESTS)))
            elapsed = time.perf_counter() - started
    finally:
        await runner.cleanup()
    return {
        "feed_req_per_s": round(FEED_REQUESTS / elapsed, 1),
        "feed_p50_ms": round(statistics.median(timings), 2),
        "feed_p95_ms": round(percentile(timings, 95), 2),
        "feed_bytes": float(size),
    }


async def run(workdir: Path) -> dict[str, float]:
    clock = FakeClock(datetime(2026, 6, 3, 15, tzinfo=UTC))
    services = await Services.open(Config(db_path=str(workdir / "bench.db")), clock)
    try:
        feed = meeting_guide_json(demo_meetings(MG_COUNT, seed=4))
        started = time.perf_counter()
        report = await import_bytes(
            services,
            feed,
            filename="feed.json",
            source_name="bench-mg",
            community=None,
            fellowship="aa",
            default_tz=None,
        )
        import_mg = time.perf_counter() - started
        assert len(report.added) == MG_COUNT, report.summary()

        before = await _changes(services)
        started = time.perf_counter()
        again = await import_bytes(
            services,
            feed,
            filename="feed.json",
            source_name="bench-mg",
            community=None,
            fellowship="aa",
            default_tz=None,
        )
        reimport = time.perf_counter() - started
        writes = await _changes(services) - before
        assert len(again.unchanged) == MG_COUNT and not again.changed

        ics = calendar_for(list(demo_meetings(ICS_COUNT, seed=9)), name="bench")
        started = time.perf_counter()
        ics_report = await import_bytes(
            services,
            ics,
            filename="bench.ics",
            source_name="bench-ics",
            community="bench",
            fellowship="aa",
            default_tz=None,
        )
        import_ics = time.perf_counter() - started
        assert len(ics_report.added) == ICS_COUNT, ics_report.summary()

        meetings = await services.meetings.list_meetings(source="bench-mg")
        assert len(meetings) == MG_COUNT
        vtimezone.cache_clear()
        started = time.perf_counter()
        exported = calendar_for(meetings, name="All meetings")
        export = time.perf_counter() - started

        served = await _serve(services)
    finally:
        await services.close()
    return {
        "import_mg_10k_s": round(import_mg, 3),
        "reimport_unchanged_s": round(reimport, 3),
        "reimport_unchanged_writes": float(writes),
        "import_ics_1k_s": round(import_ics, 3),
        "export_ics_10k_s": round(export, 3),
        "export_ics_10k_mb": round(len(exported) / 1e6, 2),
        **served,
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(Path(tmp)))))
