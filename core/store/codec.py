"""Meeting <-> JSON, for the `data` column and for exports that need the whole record."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, time
from typing import Any

from core.model import Attendance, Location, Meeting, OnlineAccess


def meeting_to_dict(meeting: Meeting) -> dict[str, Any]:
    data = asdict(meeting)
    data.pop("id", None)
    data["days"] = list(meeting.days)
    data["types"] = list(meeting.types)
    data["start"] = meeting.start.strftime("%H:%M")
    data["end"] = meeting.end.strftime("%H:%M")
    data["updated"] = meeting.updated.isoformat()
    data["attendance_option"] = meeting.attendance_option.value if meeting.attendance_option else None
    data["location"] = {k: v for k, v in data["location"].items() if v not in (None, False)}
    data["online"] = {k: v for k, v in data["online"].items() if v is not None}
    return {k: v for k, v in data.items() if v is not None}


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
