"""iCalendar recurrence → a core.recurrence Schedule, for calendars.ics_import.

The truth is the expansion recurring-ical-events gives the same event (sittings in local wall
time of the meeting's zone, resolved per local date by core.schedule). What maps, exactly:

- FREQ=WEEKLY with INTERVAL and BYDAY: every N weeks, anchored on the first sitting; FREQ=DAILY
  (INTERVAL=1) is every day or the BYDAY days; FREQ=MONTHLY with plain BYDAY days and no
  BYSETPOS is every such weekday, i.e. weekly.
- FREQ=MONTHLY (with INTERVAL: every N months, anchored on the first sitting's month) with
  ordinal BYDAY (1SA, -1FR, 1TU,3TU: each ordinal with each weekday), one
  plain weekday with BYSETPOS (BYDAY=SA;BYSETPOS=1 is 1SA), BYMONTHDAY (1..31, -1) or neither
  (DTSTART's day of the month).
- COUNT → `until`, the local date of the COUNT-th sitting the rule gives (dateutil on local
  wall times; as there, an unsynchronised DTSTART is not counted). UNTIL → `until`: a UTC
  time is converted to the meeting's local date (the day before when that day's sitting starts
  after it); a floating time is read as local wall time; a date is the last local date,
  inclusive (recurring-ical-events reads a date as midnight UTC: a documented difference).
- DTSTART's local date → `starts`; a DTSTART the rule does not give is a sitting of its own
  (RFC 5545, recurring-ical-events): an extra date.
- RDATE at the series' usual time (and length) → extra dates. One at another time, without a
  time, or outside the series' dates is left out with a note: a sitting shown at the wrong time
  is worse than one not shown.
- EXDATE → a cancelled sitting; it has to match a sitting's time, as in recurring-ical-events
  (a date EXDATE cancels that day's sitting).
- RECURRENCE-ID overrides → moved sittings (new date, start, end, link, place) or cancelled
  ones (STATUS:CANCELLED); the highest SEQUENCE wins; one that changes nothing is no change.

Skipped with a reason (SkipRecord): DAILY INTERVAL>1, every weekday of every N months, YEARLY, sub-daily
rules, BYMONTH / BYYEARDAY / BYWEEKNO / BYHOUR / BYMINUTE / BYSECOND, ordinals other than 1st
to 5th and last, combinations the model cannot hold, monthly rules given in UTC whose day
shifts in the meeting's zone, every-N-weeks rules whose week start (WKST) groups days
differently. Changes and extra dates more than KEEP_PAST before now are dropped.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from dateutil import rrule as rr

from calendars.errors import SkipRecord
from calendars.limits import Budget, BudgetExceeded
from core.recurrence import ORDINALS, ChangeKind, Frequency, Recurrence, Schedule, SittingChange
from core.schedule import mg_weekday, plan, resolve_local, scheduled_dates
from core.timezones import get_zone

DAY_CODES = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # Meeting Guide order
ICS_DAYS = {code: n for n, code in enumerate(DAY_CODES)}
_RR_DAYS = (rr.SU, rr.MO, rr.TU, rr.WE, rr.TH, rr.FR, rr.SA)
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$")
_UNSUPPORTED_PARTS = ("BYMONTH", "BYYEARDAY", "BYWEEKNO", "BYHOUR", "BYMINUTE", "BYSECOND")
_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_ORDINAL_WORDS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}

# Changes and extra dates older than this (before now, in the meeting's zone) are dropped.
KEEP_PAST = timedelta(weeks=4)
# A monthly COUNT above this runs for more than a century (at most 31 sittings a month):
# read as open-ended instead of counted.
MAX_MONTHLY_COUNT = 50_000
# Rule occurrences and dated values (EXDATE, RDATE) one file may make us follow.
MAX_RULE_STEPS = 1_000_000
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Moment:
    """A date-time value of the file: its wall time in the meeting's zone and its instant."""

    local: datetime  # naive
    instant: datetime  # aware, UTC


Value = Moment | date


@dataclass(frozen=True, slots=True)
class Override:
    """A VEVENT with a RECURRENCE-ID, read by the importer."""

    recurrence_id: Value
    this_and_future: bool
    cancelled: bool
    start: Value | None
    end: Moment | None
    url: str | None
    place: str | None
    sequence: int


@dataclass(frozen=True, slots=True)
class Pattern:
    """An RRULE in the model's terms, in local wall time (BYDAY already shifted)."""

    frequency: Frequency
    days: tuple[int, ...]
    interval: int = 1
    ordinals: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    wkst: int = 1
    count: int = 0
    until: Any = None

    def rule(self, wall: datetime) -> rr.rrule:
        """The dateutil rule from DTSTART's local wall time (no COUNT or UNTIL)."""
        if self.frequency is Frequency.WEEKLY:
            return rr.rrule(rr.WEEKLY, dtstart=wall, interval=self.interval,
                            wkst=_RR_DAYS[self.wkst],
                            byweekday=[_RR_DAYS[d] for d in self.days], cache=False)
        if self.ordinals:
            return rr.rrule(rr.MONTHLY, dtstart=wall, interval=self.interval,
                            byweekday=[_RR_DAYS[d](n) for d in self.days for n in self.ordinals],
                            cache=False)
        return rr.rrule(rr.MONTHLY, dtstart=wall, interval=self.interval,
                        bymonthday=list(self.month_days), cache=False)


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _ints(value: Any, part: str) -> list[int]:
    items = value if isinstance(value, (list, tuple)) else [] if value is None else [value]
    try:
        return [int(str(v)) for v in items]
    except ValueError:
        raise SkipRecord(f"{part}={','.join(map(str, items))} is not a number") from None


def _ordinal_order(n: int) -> int:
    return 9 if n == -1 else n


def read_pattern(rule: Any, wall: datetime, shift: int) -> Pattern:
    """An icalendar vRecur → Pattern; SkipRecord naming what the model cannot hold. `shift`
    moves BYDAY from the day of a UTC DTSTART to its local day."""
    freq = str(_first(rule.get("FREQ")) or "").upper()
    (interval,) = _ints(_first(rule.get("INTERVAL")), "INTERVAL") or [1]
    if freq in _SUB_DAILY:
        raise SkipRecord(f"repeats {freq.lower()} (more than once a day), not a meeting")
    if freq == "YEARLY":
        raise SkipRecord("repeats yearly, not weekly or monthly")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY"):
        raise SkipRecord(f"repeats {freq.lower() or 'in an unknown way'}, not weekly")
    if interval < 1:
        raise SkipRecord(f"INTERVAL={interval} is not valid")
    for part in _UNSUPPORTED_PARTS:
        if rule.get(part):
            raise SkipRecord(f"a rule with {part} is not supported")
    tokens: list[tuple[int | None, int]] = []
    for token in rule.get("BYDAY") or []:
        match = _BYDAY.match(str(token).strip().upper())
        if match is None:
            raise SkipRecord(f"BYDAY {token} is not a weekday")
        number = int(match.group(1)) if match.group(1) else None
        tokens.append((number, ICS_DAYS[match.group(2)]))
    setpos = _ints(rule.get("BYSETPOS"), "BYSETPOS")
    month_days = _ints(rule.get("BYMONTHDAY"), "BYMONTHDAY")
    (count,) = _ints(_first(rule.get("COUNT")), "COUNT") or [0]
    until = _first(rule.get("UNTIL"))
    wkst = ICS_DAYS.get(str(_first(rule.get("WKST")) or "MO").strip().upper(), 1)
    if count < 0:
        count = 0  # as recurring-ical-events: a negative COUNT is dropped
    local_day = mg_weekday(wall.date())

    if freq in ("DAILY", "WEEKLY"):
        if month_days or setpos:
            raise SkipRecord(f"a {freq.lower()} rule with BYMONTHDAY or BYSETPOS is not supported")
        for number, day in tokens:
            if number is not None:
                raise SkipRecord(f"BYDAY {number}{DAY_CODES[day]} is not a plain weekday")
        if freq == "DAILY" and interval != 1:
            raise SkipRecord(f"repeats every {interval} days, not weekly")
        days = {(d + shift) % 7 for _, d in tokens}
        if not days:
            days = set(range(7)) if freq == "DAILY" else {local_day}
        return Pattern(Frequency.WEEKLY, tuple(sorted(days)), interval if freq == "WEEKLY" else 1,
                       wkst=(wkst + shift) % 7, count=count, until=until)

    if shift:
        raise SkipRecord("a monthly rule in UTC falls on another day in the meeting's time "
                         "zone; give DTSTART a TZID")
    if tokens and month_days:
        raise SkipRecord("a rule with both BYDAY and BYMONTHDAY is not supported")
    if not tokens:
        if setpos:
            raise SkipRecord("BYSETPOS without BYDAY is not supported")
        bad = [d for d in month_days if not (1 <= d <= 31 or d == -1)]
        if bad:
            raise SkipRecord(f"BYMONTHDAY={bad[0]} is not supported (1 to 31, or -1 for the "
                             "last day)")
        chosen = tuple(sorted(set(month_days))) or (wall.day,)
        return Pattern(Frequency.MONTHLY, (local_day,), interval, month_days=chosen,
                       count=count, until=until)
    plain = sorted({d for n, d in tokens if n is None})
    numbered = {(n, d) for n, d in tokens if n is not None}
    if plain and numbered:
        raise SkipRecord("BYDAY mixes weekdays with and without an ordinal")
    if plain:
        if not setpos:  # every such weekday of every month
            if interval != 1:
                raise SkipRecord(f"every {DAY_CODES[plain[0]]} of every {interval} months is "
                                 "not supported")
            return Pattern(Frequency.WEEKLY, tuple(plain), count=count, until=until)
        if len(plain) != 1:
            raise SkipRecord("BYSETPOS over several weekdays (BYDAY="
                             f"{','.join(DAY_CODES[d] for d in plain)}) is not supported")
        numbered = {(n, plain[0]) for n in setpos}
    elif setpos:
        raise SkipRecord("BYSETPOS with ordinal BYDAY is not supported")
    ordinals = {n for n, _ in numbered}
    days_set = {d for _, d in numbered}
    for n in sorted(ordinals):
        if n not in ORDINALS:
            raise SkipRecord(f"ordinal {n} in BYDAY is not supported (1st to 5th, or last)")
    if numbered != {(n, d) for n in ordinals for d in days_set}:
        raise SkipRecord("BYDAY with different ordinals for different weekdays is not supported")
    return Pattern(Frequency.MONTHLY, tuple(sorted(days_set)), interval,
                   ordinals=tuple(sorted(ordinals, key=_ordinal_order)), count=count,
                   until=until)


def _date_of(moment: datetime) -> date:
    return moment.date()


def spend(budget: Budget, units: int) -> None:
    """Count work against the file's budget; out of it, this event is skipped."""
    try:
        budget.spend(units)
    except BudgetExceeded:
        raise SkipRecord("the file's repeat rules take too long to follow") from None


def count_last(p: Pattern, wall: datetime, budget: Budget) -> date | None:
    """The local date of the COUNT-th occurrence the rule gives; None past year 9999 (or a
    monthly COUNT so large the series runs for over a century)."""
    rule = p.rule(wall)
    try:
        if p.frequency is Frequency.WEEKLY:
            # After the first week every active week holds one occurrence per day: skip
            # whole periods at once, so COUNT=1,000,000 costs no more than COUNT=10.
            n = len(p.days)
            head = list(islice(rule, 2 * n))
            spend(budget, len(head))
            if p.count <= len(head):
                return _date_of(head[p.count - 1])
            week0 = wall.date() - timedelta(days=(mg_weekday(wall.date()) - p.wkst) % 7)
            boundary = datetime.combine(week0 + timedelta(weeks=p.interval), time())
            first_period = sum(1 for moment in head if moment < boundary)
            periods, index = divmod(p.count - 1 - first_period, n)
            return _date_of(head[first_period + index]) + timedelta(weeks=p.interval * periods)
        if p.count > MAX_MONTHLY_COUNT:
            return None
        spend(budget, p.count)
        tail = deque(islice(rule, p.count), maxlen=1)
        return _date_of(tail[0]) if tail else None
    except (OverflowError, ValueError):
        return None


def until_date(value: Any, wall: datetime, zone: str) -> date:
    """The last local date an UNTIL value lets a sitting at `wall`'s time fall on."""
    try:
        if isinstance(value, datetime):
            if value.tzinfo is None:  # floating: local wall time
                day = value.date()
                return day - _DAY if datetime.combine(day, wall.time()) > value else day
            tz = get_zone(zone)
            day = value.astimezone(tz).date()
            later = datetime.combine(day, wall.time(), tzinfo=tz) > value
            return day - _DAY if later else day
        if isinstance(value, date):
            return value
    except OverflowError:
        pass
    raise SkipRecord(f"UNTIL {value!r} is not a date")


def series_recurrence(p: Pattern, wall: datetime, zone: str, budget: Budget) -> Recurrence:
    """The recurrence of a series (no extra dates yet), checked against dateutil."""
    starts = wall.date()
    rule = p.rule(wall)
    anchor = None
    if p.interval > 1:  # the phase: weeks (or months) are counted from the first sitting
        first = rule.after(wall, inc=True)
        anchor = first.date() if first is not None else starts
    until: date | None = None
    if p.count:
        until = count_last(p, wall, budget)
    if p.until is not None:
        bound = until_date(p.until, wall, zone)
        until = bound if until is None else min(until, bound)
    recurrence = Recurrence(p.frequency, p.interval, anchor, p.ordinals, p.month_days,
                            starts=starts, until=until)
    if until is not None and until >= starts:
        # the date of the last sitting, not of the bound
        last = scheduled_dates(recurrence, p.days, max(starts, until - timedelta(days=400)),
                               until)
        if last:
            recurrence = replace(recurrence, until=last[-1])
    if p.interval > 1 or p.frequency is Frequency.MONTHLY:
        _verify(recurrence, p, wall, budget)
    return recurrence


def _verify(recurrence: Recurrence, p: Pattern, wall: datetime, budget: Budget) -> None:
    """core.schedule must give the dates dateutil gives (a week start other than Monday can
    group days into weeks differently: that series is refused, not imported wrong)."""
    starts = wall.date()
    span = timedelta(weeks=2 * p.interval + 2) if p.frequency is Frequency.WEEKLY \
        else timedelta(days=430)
    last = starts + span
    if recurrence.until is not None:
        last = min(last, recurrence.until)
    if last < starts:
        return
    expected = {
        moment.date()
        for moment in p.rule(wall).between(datetime.combine(starts, time()),
                                           datetime.combine(last, time.max), inc=True)
    }
    spend(budget, len(expected) + 1)
    found = set(scheduled_dates(recurrence, p.days, starts, last))
    if found != expected:
        if p.frequency is Frequency.WEEKLY:
            raise SkipRecord(f"repeats every {p.interval} weeks with weeks starting on "
                             f"{DAY_CODES[p.wkst]} (WKST), which groups its days differently")
        raise SkipRecord("its monthly dates cannot be kept exactly")


# ---------------------------------------------------------------------------- the schedule


@dataclass
class _Series:
    recurrence: Recurrence
    days: tuple[int, ...]
    wall: datetime
    zone: str

    def occurrence(self, day: date) -> tuple[datetime, datetime]:
        """(local wall, UTC instant) of the usual sitting on `day`."""
        local = datetime.combine(day, self.wall.time())
        return local, local.replace(tzinfo=get_zone(self.zone)).astimezone(UTC)

    def matches(self, value: Moment) -> bool:
        """Whether a date-time is the usual sitting of its local date (by wall time or by
        instant, as recurring-ical-events identifies occurrences)."""
        local, instant = self.occurrence(value.local.date())
        return value.local == local or value.instant == instant

    def scheduled(self, day: date) -> bool:
        return bool(scheduled_dates(self.recurrence, self.days, day, day))


def build_schedule(
    recurrence: Recurrence,
    days: tuple[int, ...],
    wall: datetime,
    zone: str,
    minutes: int,
    *,
    rdates: Iterable[tuple[Value, timedelta | None]] = (),
    exdates: Iterable[Value] = (),
    overrides: Iterable[Override] = (),
    master_url: str | None = None,
    master_place: str | None = None,
    today: date,
    budget: Budget,
    note: Callable[[str], None],
) -> Schedule:
    """The schedule of a series (or a one-off) with its RDATEs, EXDATEs and overrides;
    sorted tuples, so the same file gives the same schedule."""
    once = recurrence.frequency is Frequency.ONCE
    rule = _Series(recurrence, days, wall, zone)
    extra: set[date] = set()
    if not once and not rule.scheduled(wall.date()):
        extra.add(wall.date())  # DTSTART is a sitting even when the rule does not give it
    usual = timedelta(minutes=minutes)
    wanted: set[date] = set()
    for value, length in rdates:
        spend(budget, 1)
        if not isinstance(value, Moment):
            note(f"RDATE {value.isoformat()} has no time; left out")
            continue
        if not rule.matches(value):
            note(f"RDATE {value.local:%Y-%m-%d %H:%M} is not at the series' time "
                 f"({wall:%H:%M}); left out")
            continue
        if length is not None and length != usual:
            note(f"RDATE {value.local.date()} lasts {length} instead of {usual}; left out")
            continue
        wanted.add(value.local.date())
    for day in sorted(wanted):
        if not once:
            wider = _stretched(recurrence, days, day, note)
            if wider is None:
                continue
            recurrence = wider
            rule = _Series(recurrence, days, wall, zone)
        if not rule.scheduled(day):
            extra.add(day)
    full = _Series(replace(recurrence, dates=tuple(sorted(set(recurrence.dates) | extra))),
                   days, wall, zone)

    changes: dict[date, SittingChange] = {}
    chosen: dict[date, Override] = {}
    for override in overrides:
        key = override.recurrence_id
        if not isinstance(key, Moment):
            note(f"a changed sitting with a RECURRENCE-ID without a time ({key}); left out")
            continue
        day = key.local.date()
        if not full.scheduled(day) or not full.matches(key):
            note(f"the changed sitting of {key.local:%Y-%m-%d %H:%M} (RECURRENCE-ID) is not a "
                 "sitting of the series; left out")
            continue
        if override.this_and_future:
            note(f"the change of {day.isoformat()} applies to every later sitting "
                 "(RANGE=THISANDFUTURE), which is not supported; left out")
            continue
        if day not in chosen or override.sequence > chosen[day].sequence:
            chosen[day] = override
    for day, override in sorted(chosen.items()):
        change = _change(day, override, wall, usual, master_url, master_place, note)
        if change is not None:
            changes[day] = change
    dropped: set[date] = set()
    for value in exdates:
        spend(budget, 1)
        if isinstance(value, Moment):
            day = value.local.date()
            if not full.scheduled(day):
                continue
            if not full.matches(value):
                note(f"EXDATE {value.local:%Y-%m-%d %H:%M} is not the time of that day's "
                     f"sitting ({wall:%H:%M}); ignored")
                continue
        else:
            day = value
            if not full.scheduled(day):
                continue
        if day in extra:  # an extra date taken back: no sitting, and no change to keep
            dropped.add(day)
            changes.pop(day, None)
        else:
            changes[day] = SittingChange(day, ChangeKind.CANCELLED)

    cutoff = today - KEEP_PAST
    kept = sorted((c for c in changes.values() if max(c.date, c.moved_to) >= cutoff),
                  key=lambda c: c.date)
    keyed = {c.date for c in kept}
    dates = tuple(sorted(d for d in full.recurrence.dates
                         if d not in dropped and (d >= cutoff or d in keyed)))
    return Schedule(replace(recurrence, dates=dates), tuple(kept), ())


def _stretched(recurrence: Recurrence, days: tuple[int, ...], day: date,
               note: Callable[[str], None]) -> Recurrence | None:
    """The recurrence with its bounds moved to hold an RDATE outside them, when that adds no
    sitting of the rule's own (None, noted, when it would)."""
    starts, until = recurrence.starts, recurrence.until
    if starts is not None and day < starts:
        wider = replace(recurrence, starts=day)
        if set(scheduled_dates(wider, days, day, starts - _DAY)) <= {day}:
            return wider
    elif until is not None and day > until:
        wider = replace(recurrence, until=day)
        if set(scheduled_dates(wider, days, until + _DAY, day)) <= {day}:
            return wider
    else:
        return recurrence
    note(f"RDATE {day.isoformat()} is outside the series' dates; left out")
    return None


def _change(
    day: date,
    override: Override,
    wall: datetime,
    usual: timedelta,
    master_url: str | None,
    master_place: str | None,
    note: Callable[[str], None],
) -> SittingChange | None:
    if override.cancelled:
        return SittingChange(day, ChangeKind.CANCELLED)
    start = override.start
    if start is not None and not isinstance(start, Moment):
        note(f"the sitting of {day.isoformat()} was changed to an all-day event; read as "
             "cancelled")
        return SittingChange(day, ChangeKind.CANCELLED)
    new_local = start.local if start is not None else datetime.combine(day, wall.time())
    new_local = new_local.replace(second=0, microsecond=0)
    end_local = override.end.local.replace(second=0, microsecond=0) if override.end \
        else new_local + usual
    length = end_local - new_local
    if length >= timedelta(days=1):
        note(f"the sitting of {day.isoformat()} was changed to last a day or longer; left out")
        return None
    if length <= timedelta(0):
        note(f"the changed sitting of {day.isoformat()} ends when it starts; given the usual "
             "length")
        end_local = new_local + usual
    new_date = new_local.date() if new_local.date() != day else None
    new_start = new_local.time() if new_local.time() != wall.time().replace(second=0) else None
    new_end = end_local.time() if end_local != new_local + usual else None
    url = override.url if override.url and override.url != master_url else None
    place = override.place if override.place and override.place != master_place else None
    if new_date is None and new_start is None and new_end is None and not url and not place:
        return None
    return SittingChange(day, ChangeKind.MOVED, None, new_date, new_start, new_end, url, place)


def has_future_sitting(schedule: Schedule, days: tuple[int, ...], start: time, end: time,
                       zone: str, now: datetime, last: date) -> bool:
    """Whether a sitting of the schedule is still to come (or in progress) at `now`."""
    today = now.astimezone(get_zone(zone)).date()
    if last < today - _DAY:
        return False
    for sitting in plan(schedule, days, start, end, today - _DAY, last):
        if not sitting.happens:
            continue
        finish_day = sitting.day + _DAY if sitting.end <= sitting.start else sitting.day
        if resolve_local(finish_day, sitting.end, zone) > now:
            return True
    return False


def last_day(schedule: Schedule) -> date | None:
    """The last local date a sitting of a bounded schedule can fall on (None: open-ended)."""
    r = schedule.recurrence
    if r.frequency is not Frequency.ONCE and r.until is None:
        return None
    candidates = [*r.dates, *(c.moved_to for c in schedule.changes)]
    if r.until is not None:
        candidates.append(r.until)
    if not candidates:
        return date.min  # a one-off whose dates were all dropped as past
    latest = max(candidates)
    return latest + _DAY if latest < date.max else latest
