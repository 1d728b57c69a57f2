"""Weekly occurrence math, per date, in the meeting's own zone.

Rules (FORMATS.md §5):
- Each occurrence is resolved on its local date in the meeting's IANA zone; we never add
  7 days in UTC, so a 19:00 meeting stays 19:00 local across daylight-saving changes.
- A local time that does not exist (the spring-forward gap) shifts forward by the length of
  the gap: 02:30 on a US spring-forward day becomes 03:30 daylight time.
- A local time that happens twice (fall back) takes the first instant (fold=0).
- A viewer's weekday is computed in the viewer's zone: a Monday 19:00 New York meeting is a
  Tuesday 00:00 meeting for a viewer in London.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.model import Meeting
from core.timezones import get_zone

# Time-of-day buckets over the viewer's local start time, [start, end) in hours; they overlap
# on purpose so a 16:30 meeting counts as both midday and evening.
TIME_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (4, 12),
    "midday": (11, 17),
    "evening": (16, 21),
    "night": (20, 5),  # wraps midnight
}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete sitting of a meeting; start/end are aware, in the meeting's zone."""

    meeting: Meeting
    start: datetime
    end: datetime

    @property
    def local_date(self) -> date:
        return self.start.date()

    def in_progress(self, at: datetime) -> bool:
        return self.start <= at < self.end

    def start_in(self, zone: str) -> datetime:
        return self.start.astimezone(get_zone(zone))


def mg_weekday(d: date) -> int:
    """Meeting Guide weekday of a date: Sunday = 0 … Saturday = 6."""
    return (d.weekday() + 1) % 7


def resolve_local(d: date, t: time, zone: str) -> datetime:
    """The instant of local wall time `t` on date `d` in `zone` (gap → forward, fold → first)."""
    tz = get_zone(zone)
    naive_guess = datetime.combine(d, t.replace(tzinfo=None), tzinfo=tz)  # fold=0
    # Round-tripping through UTC normalises a nonexistent time to the shifted-forward instant.
    return naive_guess.astimezone(UTC).astimezone(tz)


def occurrence_on(meeting: Meeting, local_date: date) -> Occurrence | None:
    """The occurrence starting on `local_date` (meeting's zone), if the meeting meets that day."""
    if mg_weekday(local_date) not in meeting.days:
        return None
    start = resolve_local(local_date, meeting.start, meeting.timezone)
    end_date = local_date + timedelta(days=1) if meeting.end <= meeting.start else local_date
    end = resolve_local(end_date, meeting.end, meeting.timezone)
    if end <= start:  # only possible around a transition; keep the scheduled length
        end = start + timedelta(minutes=meeting.duration_minutes)
    return Occurrence(meeting, start, end)


def occurrences_between(meeting: Meeting, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Occurrences whose start lies in [start, end), in order."""
    _require_aware(start, end)
    tz = get_zone(meeting.timezone)
    day = (start.astimezone(tz) - timedelta(days=1)).date()
    last = (end.astimezone(tz) + timedelta(days=1)).date()
    while day <= last:
        occ = occurrence_on(meeting, day)
        if occ is not None and start <= occ.start < end:
            yield occ
        day += timedelta(days=1)


def current_occurrence(meeting: Meeting, at: datetime) -> Occurrence | None:
    """The occurrence in progress at `at` (started, not ended), if any."""
    _require_aware(at)
    tz = get_zone(meeting.timezone)
    local = at.astimezone(tz).date()
    for back in (0, 1, 2):
        occ = occurrence_on(meeting, local - timedelta(days=back))
        if occ is not None and occ.in_progress(at):
            return occ
    return None


def next_occurrences(
    meeting: Meeting, after: datetime, count: int = 1, *, include_in_progress: bool = False
) -> list[Occurrence]:
    """The next `count` occurrences starting at or after `after` (optionally the one running)."""
    _require_aware(after)
    found: list[Occurrence] = []
    if include_in_progress:
        running = current_occurrence(meeting, after)
        if running is not None and running.start < after:
            found.append(running)
    if not meeting.days:
        return found
    tz = get_zone(meeting.timezone)
    day = after.astimezone(tz).date() - timedelta(days=1)
    # Each week has at least one occurrence, so 8 days per wanted occurrence is plenty.
    for _ in range(8 * max(count, 1) + 2):
        occ = occurrence_on(meeting, day)
        if occ is not None and occ.start >= after:
            found.append(occ)
            if len(found) >= count:
                break
        day += timedelta(days=1)
    return found[:count]


def viewer_day_bounds(d: date, viewer_zone: str) -> tuple[datetime, datetime]:
    """[start, end) of calendar date `d` in the viewer's zone, as UTC instants."""
    start = resolve_local(d, time(0, 0), viewer_zone)
    end = resolve_local(d + timedelta(days=1), time(0, 0), viewer_zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def viewer_date(at: datetime, viewer_zone: str) -> date:
    return at.astimezone(get_zone(viewer_zone)).date()


def next_viewer_weekday(at: datetime, viewer_zone: str, weekday: int) -> date:
    """The next date (today included) that is Meeting Guide `weekday` in the viewer's zone."""
    today = viewer_date(at, viewer_zone)
    return today + timedelta(days=(weekday - mg_weekday(today)) % 7)


def time_of_day_buckets(local: time | datetime) -> frozenset[str]:
    """Which buckets a local start time falls in (possibly two: they overlap on purpose)."""
    minutes = local.hour * 60 + local.minute
    found = set()
    for name, (lo, hi) in TIME_OF_DAY.items():
        lo_m, hi_m = lo * 60, hi * 60
        inside = lo_m <= minutes < hi_m if lo < hi else minutes >= lo_m or minutes < hi_m
        if inside:
            found.add(name)
    return frozenset(found)


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("naive datetimes are not accepted; pass an aware instant")
