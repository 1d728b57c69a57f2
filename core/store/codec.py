"""Meeting <-> JSON, for the `data` column and for exports that need the whole record."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, datetime, time
from functools import lru_cache
from operator import attrgetter
from typing import Any

from core.meeting_info import info_from_dict, info_to_dict
from core.model import Attendance, Location, Meeting, OnlineAccess
from core.recurrence import (
    PLAIN_SCHEDULE,
    ChangeKind,
    Closure,
    Frequency,
    Recurrence,
    Schedule,
    SittingChange,
)

_LOCATION_FIELDS = tuple(f.name for f in fields(Location))
_ONLINE_FIELDS = tuple(f.name for f in fields(OnlineAccess))
_location_values = attrgetter(*_LOCATION_FIELDS)
_online_values = attrgetter(*_ONLINE_FIELDS)
_PLAIN_FIELDS = ("slug", "name", "fellowship", "timezone", "notes", "group", "url", "source",
                 "source_ref", "community", "sequence")


def meeting_to_dict(meeting: Meeting) -> dict[str, Any]:
    """Plain JSON-able dict (no id; None and empty values left out)."""
    data: dict[str, Any] = {
        key: value for key in _PLAIN_FIELDS if (value := getattr(meeting, key)) is not None
    }
    data["days"] = list(meeting.days)
    data["types"] = list(meeting.types)
    data["start"] = f"{meeting.start.hour:02d}:{meeting.start.minute:02d}"
    data["end"] = f"{meeting.end.hour:02d}:{meeting.end.minute:02d}"
    data["updated"] = meeting.updated.isoformat()
    if meeting.attendance_option is not None:
        data["attendance_option"] = meeting.attendance_option.value
    location = {
        key: value
        for key, value in zip(_LOCATION_FIELDS, _location_values(meeting.location), strict=True)
        if value is not None and value is not False
    }
    online = {
        key: value
        for key, value in zip(_ONLINE_FIELDS, _online_values(meeting.online), strict=True)
        if value
    }
    if location:
        data["location"] = location
    if online:
        data["online"] = online
    if not meeting.schedule.is_plain_weekly:
        data["schedule"] = schedule_to_dict(meeting.schedule)
    if meeting.info:
        data["info"] = info_to_dict(meeting.info)
    return data


def _hm(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    """A schedule as compact JSON-able values (defaults left out)."""
    r = schedule.recurrence
    rec: dict[str, Any] = {"frequency": r.frequency.value}
    if r.interval != 1:
        rec["interval"] = r.interval
    for key in ("anchor", "starts", "until"):
        value = getattr(r, key)
        if value is not None:
            rec[key] = value.isoformat()
    if r.ordinals:
        rec["ordinals"] = list(r.ordinals)
    if r.month_days:
        rec["month_days"] = list(r.month_days)
    if r.dates:
        rec["dates"] = [d.isoformat() for d in r.dates]
    if r.holidays:
        rec["holidays"] = r.holidays
    data: dict[str, Any] = {"recurrence": rec}
    if schedule.changes:
        changes = []
        for c in schedule.changes:
            item: dict[str, Any] = {"date": c.date.isoformat(), "kind": c.kind.value}
            if c.reason:
                item["reason"] = c.reason
            if c.new_date:
                item["new_date"] = c.new_date.isoformat()
            if c.new_start:
                item["new_start"] = _hm(c.new_start)
            if c.new_end:
                item["new_end"] = _hm(c.new_end)
            if c.url:
                item["url"] = c.url
            if c.place:
                item["place"] = c.place
            changes.append(item)
        data["changes"] = changes
    if schedule.closures:
        data["closures"] = [
            {"first": c.first.isoformat(), "last": c.last.isoformat(),
             **({"reason": c.reason} if c.reason else {})}
            for c in schedule.closures
        ]
    return data


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None


def schedule_from_dict(data: dict[str, Any] | None) -> Schedule:
    if not data:
        return PLAIN_SCHEDULE
    rec = data.get("recurrence", {})
    recurrence = Recurrence(
        frequency=Frequency(rec.get("frequency", "weekly")),
        interval=int(rec.get("interval", 1)),
        anchor=_day(rec.get("anchor")),
        ordinals=tuple(rec.get("ordinals", ())),
        month_days=tuple(rec.get("month_days", ())),
        dates=tuple(date.fromisoformat(d) for d in rec.get("dates", ())),
        starts=_day(rec.get("starts")),
        until=_day(rec.get("until")),
        holidays=rec.get("holidays"),
    )
    changes = tuple(
        SittingChange(
            date=date.fromisoformat(c["date"]),
            kind=ChangeKind(c["kind"]),
            reason=c.get("reason"),
            new_date=_day(c.get("new_date")),
            new_start=_time(c.get("new_start")),
            new_end=_time(c.get("new_end")),
            url=c.get("url"),
            place=c.get("place"),
        )
        for c in data.get("changes", ())
    )
    closures = tuple(
        Closure(date.fromisoformat(c["first"]), date.fromisoformat(c["last"]), c.get("reason"))
        for c in data.get("closures", ())
    )
    return Schedule(recurrence, changes, closures)


def schedule_json(schedule: Schedule) -> str | None:
    """The `meetings.schedule` column: None for a plain weekly meeting."""
    if schedule.is_plain_weekly:
        return None
    return json.dumps(schedule_to_dict(schedule), separators=(",", ":"), sort_keys=True)


@lru_cache(maxsize=4096)
def schedule_from_json(text: str | None) -> Schedule:
    """The column back (cached: many meetings share a schedule's text)."""
    return schedule_from_dict(json.loads(text)) if text else PLAIN_SCHEDULE


def meeting_from_dict(data: dict[str, Any], row_id: int | None = None) -> Meeting:
    option = data.get("attendance_option")
    return Meeting(
        id=row_id,
        slug=data["slug"],
        name=data["name"],
        fellowship=data["fellowship"],
        days=tuple(data["days"]),
        start=time.fromisoformat(data["start"]),
        end=time.fromisoformat(data["end"]),
        timezone=data["timezone"],
        types=tuple(data.get("types", ())),
        location=Location(**data.get("location", {})),
        online=OnlineAccess(**data.get("online", {})),
        notes=data.get("notes"),
        group=data.get("group"),
        url=data.get("url"),
        source=data.get("source", "manual"),
        source_ref=data.get("source_ref"),
        community=data.get("community"),
        attendance_option=Attendance(option) if option else None,
        updated=datetime.fromisoformat(data["updated"]),
        sequence=int(data.get("sequence", 0)),
        schedule=schedule_from_dict(data.get("schedule")),
        info=info_from_dict(data.get("info")),
    )
