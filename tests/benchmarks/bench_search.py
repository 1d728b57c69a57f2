"""Search over 100,000 demo meetings in 41 cities / 38 zones: 1,000 varied queries.

The same queries again while another process imports 10,000 meetings into the same file
(issue 10: within 3x the quiet p95, measured side by side in this run).

Also: loading the 100,000 demo meetings, the naive in-memory baseline measured in the same
run, and the resident memory of a process holding the store open with 100,000 meetings.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path

from core.clock import FakeClock
from core.config import Config
from core.demo import CITIES, demo_meetings
from core.model import Attendance, Meeting
from core.recurrence import ChangeKind, Frequency, Recurrence, Schedule, SittingChange
from core.schedule import current_occurrence, meeting_plan, next_occurrences
from core.search import MeetingQuery, MeetingSearch, When, haversine_km
from core.services import Services

COUNT = 100_000
QUERIES = 1_000
NAIVE_QUERIES = 15
BASE = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def make_queries(rng: random.Random) -> list[tuple[MeetingQuery, datetime]]:
    zones = sorted({c[0] for c in CITIES})
    words = ["serenity", "hope", "daybreak", "lantern", "harbor", "grupo", "camden", "palermo"]
    queries = []
    for _ in range(QUERIES):
        kind = rng.choice(["now", "today", "women", "online", "near", "keyword", "upcoming",
                           "tomorrow-evening", "spanish-weekday"])
        at = BASE + timedelta(minutes=rng.randrange(0, 6 * 24 * 60))
        viewer = rng.choice(zones)
        q = MeetingQuery(viewer_tz=viewer)
        if kind == "now":
            q = MeetingQuery(when=When.NOW, viewer_tz=viewer)
        elif kind == "today":
            q = MeetingQuery(when=When.TODAY, viewer_tz=viewer)
        elif kind == "women":
            q = MeetingQuery(when=rng.choice([When.TODAY, When.UPCOMING]), concepts=("women",),
                             viewer_tz=viewer)
        elif kind == "online":
            q = MeetingQuery(when=rng.choice([When.NOW, When.UPCOMING]),
                             attendance=Attendance.ONLINE, viewer_tz=viewer)
        elif kind == "near":
            city = rng.choice(CITIES)
            q = MeetingQuery(near=(city[4], city[5]), radius_km=rng.choice([5, 10, 25]),
                             when=rng.choice([When.UPCOMING, When.TODAY]), viewer_tz=city[0])
        elif kind == "keyword":
            q = MeetingQuery(text=rng.choice(words), viewer_tz=viewer)
        elif kind == "tomorrow-evening":
            q = MeetingQuery(when=When.TOMORROW, time_of_day=frozenset({"evening"}),
                             viewer_tz=viewer)
        elif kind == "spanish-weekday":
            q = MeetingQuery(when=When.WEEKDAY, weekday=rng.randrange(7),
                             concepts=("language:es",), viewer_tz=viewer)
        queries.append((q.validated(), at))
    return queries


def naive_search(meetings: list[Meeting], q: MeetingQuery, at: datetime) -> list[str]:
    """The obvious approach: filter every meeting in Python, compute its next start, sort."""
    found = []
    for m in meetings:
        if q.concepts and not set(q.concepts) <= m.concepts:
            continue
        if q.attendance is Attendance.ONLINE and m.attendance not in (Attendance.ONLINE,
                                                                      Attendance.HYBRID):
            continue
        if m.attendance is Attendance.INACTIVE:
            continue
        if q.text and q.text.lower() not in m.name.lower():
            continue
        distance = None
        if q.near is not None:
            if m.location.latitude is None or m.location.longitude is None:
                continue
            distance = haversine_km(q.near[0], q.near[1], m.location.latitude,
                                    m.location.longitude)
            if distance > q.radius_km:
                continue
        running = current_occurrence(m, at) if q.when in (When.NOW, When.TODAY) else None
        nxt = running or next_occurrences(m, at, 1)[0]
        found.append((nxt.start, distance or 0.0, m.slug))
    found.sort()
    return [slug for _, _, slug in found[: q.limit]]


IMPORT_COUNT = 10_000


def mixed_schedules(meetings: Iterable[Meeting]) -> Iterator[Meeting]:
    """The demo meetings with 10% monthly or every-other-week and 5% carrying exceptions
    (a cancelled and a moved sitting, or a holiday rule)."""
    for n, m in enumerate(meetings):
        roll = n % 20
        if roll == 0:
            m = replace(m, schedule=Schedule(Recurrence(Frequency.MONTHLY,
                                                        ordinals=((n // 20) % 4 + 1,))))
        elif roll == 1:
            m = replace(m, schedule=Schedule(Recurrence(interval=2, anchor=date(2026, 5, 25)
                                                        + timedelta(days=n % 7))))
        elif roll == 2:
            day = BASE.date() + timedelta(days=n % 7)
            m = replace(m, schedule=Schedule(changes=(
                SittingChange(day, ChangeKind.CANCELLED, "demo"),
                SittingChange(day + timedelta(days=7), ChangeKind.MOVED,
                              new_start=wall_time(21, 0)))))
        elif roll == 3:
            m = replace(m, schedule=Schedule(Recurrence(holidays="US")))
        yield m


async def _materialise_mixed(workdir: Path) -> float:
    """One materialisation of the same 100k meetings with mixed schedules (cf. weekly)."""
    services = await Services.open(Config(db_path=str(workdir / "mixed.db")), FakeClock(BASE))
    try:
        await services.meetings.add_many(mixed_schedules(demo_meetings(COUNT, seed=7)))
        started = time.perf_counter()
        await services.meetings.ensure_occurrences(BASE - timedelta(days=1),
                                                   BASE + timedelta(days=8))
        return time.perf_counter() - started
    finally:
        await services.close()


def _expand_12_months(meetings: list[Meeting]) -> float:
    """core.schedule.plan for 10,000 mixed meetings over the next 12 months, in ms (the path
    the ICS import proof and the exports use)."""
    sample = list(mixed_schedules(meetings[:10_000]))
    first = BASE.date()
    last = first + timedelta(days=365)
    started = time.perf_counter()
    for m in sample:
        meeting_plan(m, first, last)
    return (time.perf_counter() - started) * 1000


async def _search_during_import(
    services: Services, queries: list[tuple[MeetingQuery, datetime]], workdir: Path
) -> list[float]:
    """Search timings (ms) taken while `stepbot import` of 10k meetings runs in another
    process on the same database file."""
    from calendars.meeting_guide import meeting_guide_json

    feed = workdir / "import.json"
    feed.write_bytes(meeting_guide_json(list(demo_meetings(IMPORT_COUNT, seed=99))))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "--db", services.db.path, "import", str(feed),
        "--name", "bench-import", "--tz", "America/New_York",
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    timings: list[float] = []
    i = 0
    while proc.returncode is None:
        q, at = queries[i % len(queries)]
        t0 = time.perf_counter()
        await services.search.search(q, at)
        timings.append((time.perf_counter() - t0) * 1000)
        i += 1
        try:
            await asyncio.wait_for(proc.wait(), 0.001)
        except TimeoutError:
            pass
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the import failed: {err.decode()[-500:]}")
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


RSS_SCRIPT = """
import asyncio, json, sys, psutil
from datetime import UTC, datetime, timedelta
from core.config import Config
from core.services import Services
from core.search import MeetingQuery, When

async def main():
    svc = await Services.open(Config(db_path=sys.argv[1]))
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    for i in range(200):
        q = MeetingQuery(when=[When.NOW, When.TODAY, When.UPCOMING][i % 3],
                         concepts=("women",) if i % 2 else ())
        await svc.search.search(q, at + timedelta(minutes=17 * i))
    print(json.dumps({"rss_mb": psutil.Process().memory_info().rss / 2**20,
                      "meetings": await svc.meetings.count()}))
    await svc.close()

asyncio.run(main())
"""


async def run(workdir: Path) -> dict[str, float]:
    db_path = workdir / "search.db"
    services = await Services.open(Config(db_path=str(db_path)), FakeClock(BASE))
    started = time.perf_counter()
    await services.meetings.add_many(demo_meetings(COUNT, seed=7))
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    await services.meetings.ensure_occurrences(BASE - timedelta(days=1), BASE + timedelta(days=8))
    materialise_s = time.perf_counter() - started

    rng = random.Random(2026)
    queries = make_queries(rng)
    search: MeetingSearch = services.search
    for q, at in queries[:20]:  # warm the caches
        await search.search(q, at)
    timings = []
    for q, at in queries:
        t0 = time.perf_counter()
        await search.search(q, at)
        timings.append((time.perf_counter() - t0) * 1000)

    busy = await _search_during_import(services, queries, workdir)
    mixed_s = await _materialise_mixed(workdir)
    expand_ms = _expand_12_months(await services.meetings.list_meetings())

    meetings = await services.meetings.list_meetings()
    sample = rng.sample(range(len(queries)), NAIVE_QUERIES)
    naive_ms, ours_ms = [], []
    for i in sample:
        q, at = queries[i]
        t0 = time.perf_counter()
        naive_search(meetings, q, at)
        naive_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        await search.search(q, at)
        ours_ms.append((time.perf_counter() - t0) * 1000)
    del meetings
    await services.close()

    proc = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", RSS_SCRIPT, str(db_path)],
        capture_output=True, text=True, check=True,
    )
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "search_p50_ms": round(percentile(timings, 50), 3),
        "search_p95_ms": round(percentile(timings, 95), 3),
        "search_p99_ms": round(percentile(timings, 99), 3),
        "search_p95_ms_during_import": round(percentile(busy, 95), 3),
        "search_p95_during_import_vs_quiet": round(
            percentile(busy, 95) / percentile(timings, 95), 2),
        "searches_during_import": len(busy),
        "search_naive_p50_ms": round(statistics.median(naive_ms), 1),
        "search_speedup_vs_naive": round(statistics.median(naive_ms) / statistics.median(ours_ms),
                                         1),
        "demo_load_100k_s": round(load_s, 2),
        "materialise_week_100k_s": round(materialise_s, 2),
        "materialise_week_100k_mixed_s": round(mixed_s, 2),
        "materialise_mixed_vs_weekly": round(mixed_s / materialise_s, 2),
        "expand_12_months_10k_ms": round(expand_ms, 1),
        "rss_100k_mb": round(rss["rss_mb"], 1),
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(Path(tmp)))))
