"""A meeting's schedule in words, in the reader's language: "Every 1st Saturday", "Every other
Tuesday", "Thu 10 Dec: cancelled (Christmas Day)", "Thu 17 Dec: moved to 21:00".

Dates and times here are the meeting's own (local date and wall time in its zone): a change
is named by the sitting it changes, as the meeting's calendar names it. Cards add the
viewer's time beside the instants they show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from core.i18n import Translator
from core.model import Meeting
from core.recurrence import Frequency, Recurrence
from core.schedule import Sitting, SittingStatus, mg_weekday

CHANGES_AHEAD_DAYS = 42  # how far ahead a card lists changed sittings


def date_text(t: Translator, day: date) -> str:
    """'Thu 10 Dec' / 'jue 10 dic'."""
    return t("schedule.date", day=t(f"days.short.{mg_weekday(day)}"), number=day.day,
             month=t(f"months.short.{day.month}"))


def _join(t: Translator, items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("schedule.and", first=", ".join(items[:-1]), last=items[-1])


def _days(t: Translator, days: Sequence[int], *, long: bool) -> str:
    form = "long" if long else "short"
    return _join(t, [t(f"days.{form}.{d}") for d in days])


def _month_day(t: Translator, number: int) -> str:
    if number == -1:
        return t("schedule.month_last_day")
    key = str(number % 10) if number % 10 in (1, 2, 3) and number not in (11, 12, 13) else "other"
    return t("schedule.month_day", number=number, suffix=t(f"schedule.suffix.{key}"))


def _dates(t: Translator, dates: Sequence[date]) -> str:
    shown = [date_text(t, d) for d in dates[:6]]
    if len(dates) > 6:
        shown.append("…")
    return _join(t, shown)


def recurrence_text(t: Translator, meeting: Meeting, *, today: date | None = None) -> str:
    """How often the meeting meets, with its first/last date and holiday rule when set."""
    rec: Recurrence = meeting.schedule.recurrence
    days = sorted(meeting.days)
    long = len(days) <= 2
    upcoming = [d for d in rec.dates if today is None or d >= today]
    if rec.frequency is Frequency.ONCE:
        text = t("schedule.once" if len(upcoming) <= 1 else "schedule.on_dates",
                 dates=_dates(t, upcoming or rec.dates[-1:]))
    elif rec.frequency is Frequency.MONTHLY and rec.month_days:
        text = t("schedule.monthly_day",
                 month_days=_join(t, [_month_day(t, n) for n in rec.month_days]))
    elif rec.frequency is Frequency.MONTHLY:
        text = t("schedule.monthly_ordinal",
                 ordinals=_join(t, [t(f"schedule.ordinal.{n}") for n in rec.ordinals]),
                 days=_days(t, days, long=long))
    elif rec.interval == 2:
        text = t("schedule.other_week", days=_days(t, days, long=long))
    elif rec.interval > 2:
        text = t("schedule.every_n_weeks", count=rec.interval, days=_days(t, days, long=long))
    elif len(days) == 7:
        text = t("schedule.every_day")
    else:
        text = t("schedule.weekly", days=_days(t, days, long=long))
    parts = [text]
    if rec.frequency is not Frequency.ONCE:
        if upcoming:
            parts.append(t("schedule.extra", dates=_dates(t, upcoming)))
        if rec.starts is not None and (today is None or rec.starts > today):
            parts.append(t("schedule.starts", date=date_text(t, rec.starts)))
        if rec.until is not None:
            parts.append(t("schedule.until", date=date_text(t, rec.until)))
        if rec.holidays:
            parts.append(t("schedule.holidays", country=rec.holidays))
    return ", ".join(parts)


def _hhmm(value: time) -> str:
    return f"{value:%H:%M}"


def sitting_change_text(t: Translator, meeting: Meeting, sitting: Sitting) -> str | None:
    """'Thu 10 Dec: cancelled (holiday)', 'Thu 17 Dec: moved to 21:00'; None for a regular
    sitting."""
    when = date_text(t, sitting.scheduled)
    reason = sitting.reason
    if sitting.status in (SittingStatus.CANCELLED, SittingStatus.HOLIDAY):
        return (t("schedule.cancelled_reason", date=when, reason=reason) if reason
                else t("schedule.cancelled", date=when))
    if sitting.status is SittingStatus.CLOSED:
        return (t("schedule.closed_reason", date=when, reason=reason) if reason
                else t("schedule.closed", date=when))
    if sitting.status is SittingStatus.MOVED:
        if sitting.day != sitting.scheduled:
            text = t("schedule.moved_day", date=when, new_date=date_text(t, sitting.day),
                     time=_hhmm(sitting.start))
        else:
            text = t("schedule.moved_time", date=when, time=_hhmm(sitting.start))
        return t("schedule.moved_note", text=text, reason=reason) if reason else text
    return None


def change_lines(
    t: Translator, meeting: Meeting, sittings: Sequence[Sitting], *, limit: int = 6
) -> tuple[str, ...]:
    """The changed sittings among `sittings` (in order), as lines, at most `limit`."""
    lines = [line for s in sittings if (line := sitting_change_text(t, meeting, s))]
    return tuple(lines[:limit])


def changes_ahead(today: date) -> tuple[date, date]:
    """The local dates a card looks at for changed sittings."""
    return today - timedelta(days=1), today + timedelta(days=CHANGES_AHEAD_DAYS)


def moved_mark(t: Translator, meeting: Meeting, scheduled: date | None, day: date) -> str:
    """'moved from Thu 19:00' for a moved sitting's own line."""
    if scheduled is not None and scheduled != day:
        was = f"{date_text(t, scheduled)} {_hhmm(meeting.start)}"
    else:
        was = _hhmm(meeting.start)
    return t("schedule.moved_mark", was=was)
