"""What a meeting's calendar says: its recurrence, and the sittings that differ from it.

Everything is in local wall time and local dates of the meeting's zone (core.schedule turns
dates into instants, one date at a time). A plain weekly meeting has the default
`Recurrence()` and no changes, which is what every meeting was before schedules grew.

- weekly on the meeting's weekdays, every `interval` weeks counted from the week of `anchor`;
- monthly on ordinal weekdays ("1st and 3rd Tuesday", "last Friday": `ordinals` with the
  meeting's weekdays) or on days of the month (`month_days`, -1 = the last day);
- once: only the given `dates` (a workshop, a roundup);
- `dates` on a weekly or monthly series are extra sittings (iCalendar RDATE);
- `starts` / `until`: the first and last date of the series (inclusive);
- `holidays`: closed on that country's (and subdivision's) public holidays, "US", "GB-SCT".

Changes are keyed by the local date of the sitting they change, as RECURRENCE-ID is:
cancelled, or moved (to another date, time, end, link or place). Closures cancel every
sitting over a range of dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum


class Frequency(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ONCE = "once"


ORDINALS = (1, 2, 3, 4, 5, -1)


@dataclass(frozen=True, slots=True)
class Recurrence:
    frequency: Frequency = Frequency.WEEKLY
    interval: int = 1
    anchor: date | None = None
    ordinals: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    dates: tuple[date, ...] = ()
    starts: date | None = None
    until: date | None = None
    holidays: str | None = None

    @property
    def is_plain_weekly(self) -> bool:
        """Every week on the meeting's days, forever: the fast path everywhere."""
        return self == PLAIN_WEEKLY

    @property
    def by_month_weekday(self) -> bool:
        return self.frequency is Frequency.MONTHLY and bool(self.ordinals)


PLAIN_WEEKLY = Recurrence()


class ChangeKind(StrEnum):
    CANCELLED = "cancelled"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class SittingChange:
    """One sitting that differs from the recurrence, keyed by its scheduled local date."""

    date: dt.date
    kind: ChangeKind
    reason: str | None = None
    new_date: dt.date | None = None  # moved: the new local date (default: the same date)
    new_start: time | None = None  # moved: the new local start (default: the usual time)
    new_end: time | None = None
    url: str | None = None  # moved: another link for this sitting
    place: str | None = None  # moved: another place for this sitting

    @property
    def moved_to(self) -> dt.date:
        return self.new_date or self.date


@dataclass(frozen=True, slots=True)
class Closure:
    """No sitting from `first` to `last` (inclusive): "closed for renovation until 10 Jan"."""

    first: date
    last: date
    reason: str | None = None

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True, slots=True)
class Schedule:
    """A meeting's recurrence with its changes and closures (what core.schedule expands)."""

    recurrence: Recurrence = PLAIN_WEEKLY
    changes: tuple[SittingChange, ...] = ()
    closures: tuple[Closure, ...] = ()

    @property
    def is_plain_weekly(self) -> bool:
        return self.recurrence.is_plain_weekly and not self.changes and not self.closures

    def change_on(self, day: date) -> SittingChange | None:
        for change in self.changes:
            if change.date == day:
                return change
        return None


PLAIN_SCHEDULE = Schedule()
