"""Meeting <-> JSON, for the `data` column and for exports that need the whole record."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, time
from operator import attrgetter
from typing import Any

from core.model import Attendance, Location, Meeting, OnlineAccess

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
    return data


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
    )
