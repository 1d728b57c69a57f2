"""Building and changing schedules: "every 1st saturday", cancel / move / close / restore.

Pure functions over Meeting values; every refusal is a translated ValidationError and the
meeting given is left as it was. Persisting (and telling reminder holders) is the caller's:
see core.services / the admin conversation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, time, timedelta
from typing import TYPE_CHECKING

from core.errors import NotFoundError, ValidationError
from core.model import Meeting, parse_day, parse_time
from core.recurrence import (
    ORDINALS,
    ChangeKind,
    Closure,
    Frequency,
    Recurrence,
    Schedule,
    SittingChange,
)
from core.schedule import mg_weekday, scheduled_dates
from core.text import fold

if TYPE_CHECKING:
    from core.services import Services

MAX_INTERVAL = 52
MAX_DATES = 400
MAX_CHANGES = 500
MAX_CLOSURES = 100

_ORDINAL_WORDS = {
    "1st": 1, "first": 1, "1": 1, "primer": 1, "primero": 1, "1o": 1, "1er": 1,
    "2nd": 2, "second": 2, "2": 2, "segundo": 2, "2o": 2,
    "3rd": 3, "third": 3, "3": 3, "tercer": 3, "tercero": 3, "3o": 3, "3er": 3,
    "4th": 4, "fourth": 4, "4": 4, "cuarto": 4, "4o": 4,
    "5th": 5, "fifth": 5, "5": 5, "quinto": 5, "5o": 5,
    "last": -1, "ultimo": -1,
}
_FILLER = {"every", "each", "the", "and", "of", "month", "on", "cada", "el", "los", "y", "de",
           "mes", "todos", "todas", "week", "weeks", "semana", "semanas", "a", ","}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_NUMBER_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|o|er)?$")
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "dos": 2, "tres": 3, "cuatro": 4}
_MONTHLY_WORDS = {"monthly", "mensual", "mensualmente", "mensuales"}


def parse_date(value: str, field: str = "date") -> date:
    """An ISO date (2026-12-10) → date, or a translated error."""
    text = value.strip()
    try:
        if _DATE_RE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValidationError(field, f"{value!r} is not a date like 2026-12-10",
                          key="error.date_invalid", value=value)


def parse_every(text: str, days: tuple[int, ...] = ()) -> tuple[Recurrence, tuple[int, ...]]:
    """A recurrence phrase (English or Spanish) → (recurrence, weekdays).

    "week" / "tuesday" → weekly; "2 weeks", "other week", "other tuesday" → every two weeks;
    "1st saturday", "1st and 3rd tue", "last friday", "primer sábado" → monthly by weekday;
    "month 15", "day 15" → monthly on the 15th; "once 2026-12-20 2027-01-03" → one-offs.
    Weekdays named in the phrase replace `days`."""
    words = [w for w in re.split(r"[\s,]+", fold(text).strip()) if w]
    if not words:
        raise ValidationError("every", "say how often, e.g. 'every 1st saturday'",
                              key="error.every_invalid", value=text)
    if words[0] in ("once", "una", "dates", "fechas", "on"):
        dates = tuple(sorted({parse_date(w, "every") for w in words[1:] if w not in ("vez",)}))
        if not dates:
            raise ValidationError("every", "give the dates, e.g. 'once 2026-12-20'",
                                  key="error.every_invalid", value=text)
        return Recurrence(Frequency.ONCE, dates=dates), tuple(sorted({mg_weekday(d)
                                                                      for d in dates}))
    named: list[int] = []
    ordinals: list[int] = []
    month_days: list[int] = []
    interval = 1
    monthly_by_day = False
    for word in words:
        day_number = _DAY_NUMBER_RE.match(word)
        if word in ("other", "alternate", "otra", "otro", "alterno", "alternos"):
            interval = 2
        elif word in _COUNT_WORDS:
            interval = _COUNT_WORDS[word]
        elif word in _MONTHLY_WORDS:
            monthly_by_day = True
        elif word in ("day", "dia", "days", "dias") or (word == "month" and not ordinals):
            monthly_by_day = monthly_by_day or word != "month"
        elif day_number and monthly_by_day and (word.isdigit() or word not in _ORDINAL_WORDS):
            month_days.append(int(day_number.group(1)))
        elif word in _ORDINAL_WORDS and not word.isdigit():
            ordinals.append(_ORDINAL_WORDS[word])
        elif word.isdigit():
            interval = int(word)
        elif word in _FILLER:
            continue
        else:
            try:
                named.append(parse_day(word))
            except ValidationError:
                raise ValidationError("every", f"cannot read {text!r}",
                                      key="error.every_invalid", value=text) from None
    chosen = tuple(sorted(set(named))) or days
    if monthly_by_day and ordinals and not named and not month_days:
        # "monthly on the 1st": a day of the month, not a weekday
        month_days = [n for n in ordinals if n > 0] or [-1]
        ordinals = []
    if month_days:
        bad = [d for d in month_days if not 1 <= d <= 31]
        if bad or ordinals:
            raise ValidationError("every", f"cannot read {text!r}", key="error.every_invalid",
                                  value=text)
        return Recurrence(Frequency.MONTHLY, month_days=tuple(sorted(set(month_days)))), chosen
    if ordinals:
        if not chosen:
            raise ValidationError("every", "which weekday?", key="error.every_invalid",
                                  value=text)
        return Recurrence(Frequency.MONTHLY, ordinals=tuple(sorted(set(ordinals),
                                                                   key=_ordinal_order))), chosen
    return Recurrence(Frequency.WEEKLY, interval=interval), chosen


def schedule_from_words(
    every: str | None,
    days: tuple[int, ...] = (),
    *,
    starts: str | None = None,
    until: str | None = None,
    holidays: str | None = None,
) -> tuple[Schedule | None, tuple[int, ...]]:
    """What an admin typed ("every 1st saturday", first/last date, holidays country) →
    (the schedule, or None for plain weekly; the weekdays). Shared by chat and the CLI."""
    if not (every or starts or until or holidays):
        return None, days
    recurrence, named = parse_every(every or "week", days)
    recurrence = replace(
        recurrence,
        starts=parse_date(starts, "starts") if starts else None,
        until=parse_date(until, "until") if until else None,
        holidays=check_holidays(holidays) if holidays else None,
    )
    return Schedule(recurrence), named


def _ordinal_order(n: int) -> int:
    return 9 if n == -1 else n


def check_schedule(schedule: Schedule, days: tuple[int, ...], *, today: date) -> Schedule:
    """Validate a schedule; an every-N-weeks series without an anchor is anchored on its
    first sitting from `today` (or its start)."""
    r = schedule.recurrence
    if not 1 <= r.interval <= MAX_INTERVAL:
        raise ValidationError("every", f"every 1 to {MAX_INTERVAL} weeks",
                              key="error.interval_invalid", value=r.interval)
    if any(n not in ORDINALS for n in r.ordinals):
        raise ValidationError("every", "ordinals are 1st–5th or last", key="error.every_invalid",
                              value=r.ordinals)
    if any(not (1 <= d <= 31 or d == -1) for d in r.month_days):
        raise ValidationError("every", "days of the month are 1–31", key="error.every_invalid",
                              value=r.month_days)
    if r.frequency is Frequency.ONCE and not r.dates:
        raise ValidationError("every", "a one-off meeting needs a date",
                              key="error.every_invalid", value="once")
    if r.frequency is Frequency.MONTHLY and not (r.ordinals or r.month_days):
        raise ValidationError("every", "monthly on which days?", key="error.every_invalid",
                              value="monthly")
    if len(r.dates) > MAX_DATES or len(schedule.changes) > MAX_CHANGES \
            or len(schedule.closures) > MAX_CLOSURES:
        raise ValidationError("schedule", "too many dates in one schedule",
                              key="error.schedule_too_big")
    if r.starts and r.until and r.until < r.starts:
        raise ValidationError("until", "the series ends before it starts",
                              key="error.series_order")
    if r.holidays:
        check_holidays(r.holidays)
    if r.frequency is Frequency.WEEKLY and r.interval > 1 and r.anchor is None:
        first = scheduled_dates(replace(r, interval=1), days, r.starts or today,
                                (r.starts or today) + timedelta(days=6))
        r = replace(r, anchor=first[0] if first else (r.starts or today))
        schedule = replace(schedule, recurrence=r)
    for closure in schedule.closures:
        if closure.last < closure.first:
            raise ValidationError("to", "a closure ends before it starts",
                                  key="error.series_order")
    return schedule


def check_holidays(code: str) -> str:
    """'US', 'us-ca', 'GB-SCT' → the code, if the holidays package knows it."""
    import holidays

    country, _, subdivision = code.upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported or (subdivision and subdivision not in supported[country]):
        raise ValidationError("holidays", f"no public holidays known for {code!r}",
                              key="error.holidays_unknown", value=code)
    return f"{country}-{subdivision}" if subdivision else country


def _require_sitting(meeting: Meeting, day: date) -> None:
    if not scheduled_dates(meeting.schedule.recurrence, meeting.days, day, day):
        raise ValidationError("date", f"{meeting.name} does not meet on {day.isoformat()}",
                              key="error.not_a_sitting", date=day.isoformat(),
                              name=meeting.name)


def _with_change(meeting: Meeting, change: SittingChange) -> Meeting:
    others = tuple(c for c in meeting.schedule.changes if c.date != change.date)
    changes = tuple(sorted((*others, change), key=lambda c: c.date))
    if len(changes) > MAX_CHANGES:
        raise ValidationError("schedule", "too many changed sittings",
                              key="error.schedule_too_big")
    return replace(meeting, schedule=replace(meeting.schedule, changes=changes))


def cancel_sitting(meeting: Meeting, day: date, reason: str | None = None) -> Meeting:
    _require_sitting(meeting, day)
    return _with_change(meeting, SittingChange(day, ChangeKind.CANCELLED, _reason(reason)))


def move_sitting(
    meeting: Meeting,
    day: date,
    start: str | time,
    end: str | time | None = None,
    *,
    new_date: date | None = None,
    reason: str | None = None,
) -> Meeting:
    _require_sitting(meeting, day)
    new_start = start if isinstance(start, time) else parse_time(start)
    new_end = None if end in (None, "") else end if isinstance(end, time) else parse_time(
        str(end), "end_time")
    if new_end == new_start:
        raise ValidationError("end_time", "the meeting ends when it starts",
                              key="error.end_equals_start")
    change = SittingChange(day, ChangeKind.MOVED, _reason(reason),
                           new_date=new_date if new_date != day else None,
                           new_start=new_start, new_end=new_end)
    return _with_change(meeting, change)


def close_meeting(meeting: Meeting, first: date, last: date, reason: str | None = None
                  ) -> Meeting:
    if last < first:
        raise ValidationError("to", "a closure ends before it starts", key="error.series_order")
    closures = (*meeting.schedule.closures, Closure(first, last, _reason(reason)))
    if len(closures) > MAX_CLOSURES:
        raise ValidationError("schedule", "too many closures", key="error.schedule_too_big")
    return replace(meeting, schedule=replace(meeting.schedule, closures=closures))


def restore_sitting(meeting: Meeting, day: date) -> Meeting:
    """Undo a cancellation or move of `day`, and lift closures over it."""
    schedule = meeting.schedule
    changes = tuple(c for c in schedule.changes if c.date != day)
    closures = tuple(c for c in schedule.closures if not c.covers(day))
    if changes == schedule.changes and closures == schedule.closures:
        raise ValidationError("date", f"nothing was changed on {day.isoformat()}",
                              key="error.nothing_to_restore", date=day.isoformat())
    return replace(meeting, schedule=replace(schedule, changes=changes, closures=closures))


def _reason(text: str | None) -> str | None:
    cleaned = " ".join((text or "").split())[:200]
    return cleaned or None


async def save_schedule_edit(
    services: Services,
    slug: str,
    edit: Callable[[Meeting], Meeting],
    *,
    community: str | None = None,
) -> Meeting:
    """Apply `edit` to the stored meeting `slug` (with a community: only that community's own
    meeting) and store it in one transaction, stamped now; reminders for it are re-planned so
    a cancelled sitting is not reminded and a moved one is reminded at its new time."""
    async with services.db.transaction() as conn:  # read inside: no lost concurrent edit
        meeting = await services.meetings.get_in(conn, slug)
        if meeting is None or (community is not None and meeting.community != community):
            raise NotFoundError(f"no meeting {slug!r}", key="meeting.not_found", slug=slug)
        changed = edit(meeting)
        checked = check_schedule(changed.schedule, changed.days,
                                 today=services.clock.now().date())
        stored = replace(changed, schedule=checked, updated=services.clock.now())
        await services.meetings.update(conn, stored)
    await services.subscriptions.refresh_reminders(slug)
    return stored
