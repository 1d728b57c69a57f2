"""Occurrence math, per date, in the meeting's own zone.

`plan()` is the only source of sittings: it expands a meeting's schedule (core.recurrence)
over a range of local dates with python-dateutil's rrule, then applies cancellations, moves,
closures and public holidays. Everything else (search's materialised occurrences, cards,
reminders, exports) uses it.

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
from enum import StrEnum
from functools import lru_cache

from dateutil import rrule as rr

from core.model import Meeting, span_minutes
from core.recurrence import (
    ChangeKind,
    Frequency,
    Recurrence,
    Schedule,
    SittingChange,
)
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
    scheduled: date | None = None  # the date the recurrence gives it, when it was moved
    change: SittingChange | None = None  # set for a moved sitting

    @property
    def local_date(self) -> date:
        return self.start.date()

    @property
    def key_date(self) -> date:
        """The sitting's scheduled local date: what reminders and RECURRENCE-ID key on."""
        return self.scheduled or self.start.date()

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


class SittingStatus(StrEnum):
    REGULAR = "regular"
    MOVED = "moved"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    HOLIDAY = "holiday"


@dataclass(frozen=True, slots=True)
class Sitting:
    """One sitting of a schedule, in local wall time; `day` is where it happens."""

    scheduled: date
    day: date
    start: time
    end: time
    status: SittingStatus = SittingStatus.REGULAR
    reason: str | None = None
    change: SittingChange | None = None

    @property
    def happens(self) -> bool:
        return self.status in (SittingStatus.REGULAR, SittingStatus.MOVED)


_RR_DAYS = (rr.SU, rr.MO, rr.TU, rr.WE, rr.TH, rr.FR, rr.SA)  # Meeting Guide order
LOOKAHEAD_DAYS = 800  # how far next_occurrences looks for a sparse (monthly, one-off) schedule


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _months(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _rule(recurrence: Recurrence, days: tuple[int, ...], lo: date) -> rr.rrule:
    """The dateutil rule, started near `lo` in the same phase as the series (dates only)."""
    interval = max(1, recurrence.interval)
    anchor = recurrence.anchor or recurrence.starts or lo
    if recurrence.frequency is Frequency.WEEKLY:
        base = _monday(anchor)
        weeks = (_monday(lo) - base).days // 7
        if weeks > 0:
            base += timedelta(weeks=weeks - weeks % interval)
        return rr.rrule(rr.WEEKLY, dtstart=datetime.combine(base, time()), interval=interval,
                        wkst=rr.MO, byweekday=[_RR_DAYS[d] for d in days], cache=False)
    base = anchor.replace(day=1)
    months = _months(base, lo)
    if months > 0:
        shift = months - months % interval
        year, month = divmod(base.month - 1 + shift, 12)
        base = date(base.year + year, month + 1, 1)
    if recurrence.ordinals:
        byweekday = [_RR_DAYS[d](n) for d in days for n in recurrence.ordinals]
        return rr.rrule(rr.MONTHLY, dtstart=datetime.combine(base, time()), interval=interval,
                        byweekday=byweekday, cache=False)
    return rr.rrule(rr.MONTHLY, dtstart=datetime.combine(base, time()), interval=interval,
                    bymonthday=list(recurrence.month_days), cache=False)


@lru_cache(maxsize=65_536)
def scheduled_dates(
    recurrence: Recurrence, days: tuple[int, ...], first: date, last: date
) -> tuple[date, ...]:
    """The local dates in [first, last] the recurrence gives a sitting, before any change."""
    lo = max(first, recurrence.starts) if recurrence.starts else first
    hi = min(last, recurrence.until) if recurrence.until else last
    if lo > hi:
        return ()
    if recurrence.is_plain_weekly:  # every week: a weekday test, no rule needed
        span = (hi - lo).days + 1
        return tuple(d for d in (lo + timedelta(days=i) for i in range(span))
                     if mg_weekday(d) in days)
    found = {d for d in recurrence.dates if lo <= d <= hi}
    if recurrence.frequency is not Frequency.ONCE and (days or recurrence.month_days):
        rule = _rule(recurrence, days, lo)
        found.update(
            moment.date()
            for moment in rule.between(datetime.combine(lo, time()), datetime.combine(hi, time()),
                                       inc=True)
        )
    return tuple(sorted(found))


@lru_cache(maxsize=512)
def _holidays(code: str, year: int) -> dict[date, str]:
    import holidays  # the package is large: loaded when a schedule first asks for it

    country, _, subdivision = code.partition("-")
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return {day: str(name) for day, name in found.items()}


def holiday_name(code: str, day: date) -> str | None:
    """The name of `day` if it is a public holiday in `code` ("US", "GB-SCT")."""
    return _holidays(code, day.year).get(day)


def _regular(schedule: Schedule, day: date, start: time, end: time) -> Sitting:
    """A scheduled date with closures and holidays applied (not changes)."""
    for closure in schedule.closures:
        if closure.covers(day):
            return Sitting(day, day, start, end, SittingStatus.CLOSED, closure.reason)
    code = schedule.recurrence.holidays
    if code:
        name = holiday_name(code, day)
        if name is not None:
            return Sitting(day, day, start, end, SittingStatus.HOLIDAY, name)
    return Sitting(day, day, start, end)


def changed_sitting(change: SittingChange, start: time, end: time) -> Sitting:
    if change.kind is ChangeKind.CANCELLED:
        return Sitting(change.date, change.date, start, end, SittingStatus.CANCELLED,
                       change.reason, change)
    new_start = change.new_start or start
    if change.new_end is not None:
        new_end = change.new_end
    elif change.new_start is not None:  # the usual length at the new time
        length = ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) % 1440
        minutes = (new_start.hour * 60 + new_start.minute + (length or 1440)) % 1440
        new_end = time(minutes // 60, minutes % 60)
    else:
        new_end = end
    return Sitting(change.date, change.moved_to, new_start, new_end, SittingStatus.MOVED,
                   change.reason, change)


def plan(
    schedule: Schedule, days: tuple[int, ...], start: time, end: time, first: date, last: date
) -> list[Sitting]:
    """Every sitting of [first, last], by the local date it happens on, with the ones that
    do not happen (cancelled, closed, holiday) marked; moved sittings appear on their new
    date. The only expansion of a schedule."""
    moved_out: set[date] = set()
    found: list[Sitting] = []
    for change in schedule.changes:
        if change.kind is ChangeKind.MOVED:
            moved_out.add(change.date)
            if first <= change.moved_to <= last and scheduled_dates(
                schedule.recurrence, days, change.date, change.date
            ):
                found.append(changed_sitting(change, start, end))
    for day in scheduled_dates(schedule.recurrence, days, first, last):
        if day in moved_out:
            continue
        cancelled = schedule.change_on(day)
        found.append(changed_sitting(cancelled, start, end) if cancelled
                     else _regular(schedule, day, start, end))
    found.sort(key=lambda s: (s.day, s.start))
    return found


def sitting_on(schedule: Schedule, days: tuple[int, ...], start: time, end: time,
               scheduled: date) -> Sitting | None:
    """The sitting the recurrence gives `scheduled` (wherever it was moved), if any."""
    if not scheduled_dates(schedule.recurrence, days, scheduled, scheduled):
        return None
    change = schedule.change_on(scheduled)
    return changed_sitting(change, start, end) if change else _regular(schedule, scheduled, start, end)


def meeting_plan(meeting: Meeting, first: date, last: date) -> list[Sitting]:
    return plan(meeting.schedule, meeting.days, meeting.start, meeting.end, first, last)


def to_occurrence(meeting: Meeting, sitting: Sitting) -> Occurrence:
    """A sitting as instants: resolved on its own local date(s) in the meeting's zone."""
    start = resolve_local(sitting.day, sitting.start, meeting.timezone)
    end_date = sitting.day + timedelta(days=1) if sitting.end <= sitting.start else sitting.day
    end = resolve_local(end_date, sitting.end, meeting.timezone)
    if end <= start:  # only possible around a transition; keep the scheduled length
        end = start + timedelta(minutes=span_minutes(sitting.start, sitting.end))
    moved = sitting.status is SittingStatus.MOVED
    return Occurrence(meeting, start, end, sitting.scheduled if moved else None,
                      sitting.change if moved else None)


def occurrence_starting(meeting: Meeting, start: datetime, end: datetime) -> Occurrence:
    """The occurrence of a materialised (start, end): with its change when it was moved."""
    if not meeting.schedule.is_plain_weekly and meeting.schedule.changes:
        local = start.astimezone(get_zone(meeting.timezone)).date()
        for sitting in meeting_plan(meeting, local, local):
            if sitting.status is SittingStatus.MOVED:
                occ = to_occurrence(meeting, sitting)
                if occ.start == start:
                    return occ
    return Occurrence(meeting, start, end)


def occurrence_on(meeting: Meeting, local_date: date) -> Occurrence | None:
    """The sitting the schedule gives `local_date` (meeting's zone), at its possibly moved
    time; None if there is none or it does not happen."""
    if meeting.schedule.is_plain_weekly:
        if mg_weekday(local_date) not in meeting.days:
            return None
        return to_occurrence(meeting, Sitting(local_date, local_date, meeting.start,
                                              meeting.end))
    sitting = sitting_on(meeting.schedule, meeting.days, meeting.start, meeting.end, local_date)
    return to_occurrence(meeting, sitting) if sitting is not None and sitting.happens else None


def occurrences_between(meeting: Meeting, start: datetime, end: datetime) -> Iterator[Occurrence]:
    """Occurrences whose start lies in [start, end), in order."""
    _require_aware(start, end)
    tz = get_zone(meeting.timezone)
    first = (start.astimezone(tz) - timedelta(days=1)).date()
    last = (end.astimezone(tz) + timedelta(days=1)).date()
    for sitting in meeting_plan(meeting, first, last):
        if sitting.happens:
            occ = to_occurrence(meeting, sitting)
            if start <= occ.start < end:
                yield occ


def current_occurrence(meeting: Meeting, at: datetime) -> Occurrence | None:
    """The occurrence in progress at `at` (started, not ended), if any."""
    _require_aware(at)
    tz = get_zone(meeting.timezone)
    local = at.astimezone(tz).date()
    for sitting in reversed(meeting_plan(meeting, local - timedelta(days=2), local)):
        if sitting.happens:
            occ = to_occurrence(meeting, sitting)
            if occ.in_progress(at):
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
    if not meeting.days and not meeting.schedule.recurrence.dates:
        return found
    tz = get_zone(meeting.timezone)
    day = after.astimezone(tz).date() - timedelta(days=1)
    horizon = day + timedelta(days=LOOKAHEAD_DAYS)
    step = 35 if meeting.schedule.is_plain_weekly else 92
    while day <= horizon and len(found) < count:
        last = day + timedelta(days=step - 1)
        for sitting in meeting_plan(meeting, day, last):
            if sitting.happens:
                occ = to_occurrence(meeting, sitting)
                if occ.start >= after and all(o.start != occ.start for o in found):
                    found.append(occ)
        day = last + timedelta(days=1)
    found.sort(key=lambda o: o.start)
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
