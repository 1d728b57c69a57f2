"""Several processes on one database file: a bot beside CLI searches, imports and edits.

The other process is a real `python -m bots.cli` on the same SQLite file; nothing a process
keeps in memory may hide or contradict what the file says."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from core.clock import FakeClock
from core.demo import demo_meetings
from core.search import MeetingQuery, When
from core.services import Services
from tests.helpers import add_meeting

ROOT = Path(__file__).resolve().parents[2]


def other_process(db: str, *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", "--db", db, *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_a_week_materialised_by_another_process_first(
    services: Services, clock: FakeClock
) -> None:
    await services.meetings.add_many(demo_meetings(300, 12))
    today = await services.search.search(MeetingQuery(when=When.TODAY))
    assert today.hits
    later = datetime(2026, 9, 3, 15, 0, tzinfo=UTC)  # three months ahead
    out = other_process(services.db.path, "search", "--at", later.isoformat(),
                        "--when", "today", "--tz", "UTC", "--json")
    theirs = [h["slug"] for h in json.loads(out)]
    assert theirs

    clock.set(later)
    ours = await services.search.search(MeetingQuery(when=When.TODAY, viewer_tz="UTC"))
    assert [h.meeting.slug for h in ours.hits] == theirs
    # and it stays answerable, week after week
    again = await services.search.search(MeetingQuery(when=When.TODAY, viewer_tz="UTC"))
    assert [h.meeting.slug for h in again.hits] == [h.meeting.slug for h in ours.hits]


async def test_meetings_added_and_removed_elsewhere_are_seen_without_restart(
    services: Services, clock: FakeClock
) -> None:
    await add_meeting(services, "short-one", days=["wednesday"], start="10:30", end="11:30")
    # This process has answered "now" once, with only hour-long meetings known.
    first = await services.search.search(MeetingQuery(when=When.NOW))
    assert [h.meeting.slug for h in first.hits] == ["short-one"]

    # Another process adds a retreat that began at 07:00 and runs all day.
    other_process(services.db.path, "meetings", "add", "--name", "Day Retreat", "--fellowship",
                  "aa", "--day", "wednesday", "--time", "07:00", "--end", "19:00", "--tz",
                  "America/New_York", "--slug", "day-retreat", "--address", "2 Example St",
                  "--city", "Boston")
    now = await services.search.search(MeetingQuery(when=When.NOW))
    assert {h.meeting.slug for h in now.hits} == {"short-one", "day-retreat"}

    other_process(services.db.path, "meetings", "remove", "short-one")
    after = await services.search.search(MeetingQuery(when=When.NOW))
    assert [h.meeting.slug for h in after.hits] == ["day-retreat"]
