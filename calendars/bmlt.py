"""BMLT (the NA meeting server): GetSearchResults JSON, with formats mapped through GetFormats.

FORMATS.md §3: every value is a string; ``weekday_tinyint`` 1 = Sunday … 7 = Saturday;
``start_time`` and ``duration_time`` are HH:MM:SS; ``venue_type`` 1 in person, 2 virtual,
3 hybrid. Format key strings vary per server, so they are mapped through the ``world_id`` of
GetFormats when it is available (a ``{"meetings": […], "formats": […]}`` answer from
``get_used_formats=1``, or a separate GetFormats file), else through the common English keys.
BMLT's ``client_interface/tsml/`` output is Meeting Guide JSON and goes through that importer.
"""

from __future__ import annotations

import json
from datetime import time
from typing import Any

from calendars import tolerant as tol
from calendars.errors import InvalidImport, SkipRecord, guarded
from calendars.meeting_guide import check_records, load_json
from calendars.records import ImportContext, ParseResult, add_records
from core import types as mtypes
from core.model import Attendance, Location, Meeting, OnlineAccess, build_meeting

FORMAT = "bmlt"

# GetFormats world_id → Meeting Guide / NA code. HYBR and VM also say how people attend.
WORLD_IDS: dict[str, str] = {
    "CLOSED": "C",
    "OPEN": "O",
    "W": "W",
    "M": "M",
    "Y": "Y",
    "GL": "GL",
    "BEG": "BEG",
    "WCHR": "X",
    "VM": "ONL",
    "TC": "TC",
    "BT": "BT",
    "CPT": "CPT",
    "CAN": "CAN",
    "CW": "CW",
    "DISC": "DISC",
    "IP": "IP",
    "IW": "IW",
    "JFT": "JFT",
    "LIT": "LIT",
    "LC": "LC",
    "MED": "MED",
    "NS": "NS",
    "QA": "QA",
    "RA": "RA",
    "SMOK": "SMOK",
    "SPAD": "SPAD",
    "SPK": "SPK",
    "STEP": "STEP",
    "SWG": "SWG",
    "TOP": "TOP",
    "TRAD": "TRAD",
    "VAR": "VAR",
}
# Common key strings of BMLT's default English format set (B means Beginners in BMLT).
DEFAULT_KEYS: dict[str, str] = {
    "B": "BEG",
    "BEG": "BEG",
    "BT": "BT",
    "C": "C",
    "O": "O",
    "W": "W",
    "M": "M",
    "GL": "GL",
    "WC": "X",
    "WCHR": "X",
    "YP": "Y",
    "Y": "Y",
    "CW": "CW",
    "CAN": "CAN",
    "CL": "CAN",
    "D": "DISC",
    "IP": "IP",
    "IW": "IW",
    "JFT": "JFT",
    "LC": "LC",
    "LIT": "LIT",
    "ME": "MED",
    "MED": "MED",
    "NS": "NS",
    "SM": "SMOK",
    "SMOK": "SMOK",
    "QA": "QA",
    "RA": "RA",
    "SPK": "SPK",
    "SO": "SPK",
    "ST": "STEP",
    "STEP": "STEP",
    "SG": "SWG",
    "SWG": "SWG",
    "TO": "TOP",
    "TOP": "TOP",
    "TR": "TRAD",
    "TRAD": "TRAD",
    "VAR": "VAR",
    "RF": "VAR",
    "CPT": "CPT",
    "SPAD": "SPAD",
    "TC": "TC",
    "VM": "ONL",
}
HYBRID_MARK = "@hybrid"
VENUE_TYPES = {"1": Attendance.IN_PERSON, "2": Attendance.ONLINE, "3": Attendance.HYBRID}


def format_map(formats: Any, fellowship: str) -> dict[str, str]:
    """GetFormats entries → {key_string: code or HYBRID_MARK}."""
    mapping: dict[str, str] = {}
    if not isinstance(formats, list):
        return mapping
    for entry in formats:
        if not isinstance(entry, dict):
            continue
        key = tol.text(entry.get("key_string"))
        if not key:
            continue
        world = (tol.text(entry.get("world_id")) or "").upper()
        code: str | None = None
        if world == "HYBR":
            code = HYBRID_MARK
        elif world == "LANG":
            for candidate in (tol.text(entry.get("name_string")), key):
                if candidate:
                    code = mtypes.resolve_type(fellowship, candidate)
                    if code:
                        break
        elif world in WORLD_IDS:
            code = WORLD_IDS[world]
        elif world:
            code = mtypes.resolve_type(fellowship, world)
        if code is None:
            code = DEFAULT_KEYS.get(key.upper())
        if code is not None:
            mapping.setdefault(key, code)
    return mapping


@guarded(FORMAT)
def parse_bmlt(data: bytes, ctx: ImportContext, formats: bytes | None = None) -> ParseResult:
    payload = load_json(data, FORMAT)
    format_entries: Any = None
    if isinstance(payload, dict):
        format_entries = payload.get("formats")
        payload = payload.get("meetings")
    if not isinstance(payload, list):
        raise InvalidImport(
            "expected BMLT GetSearchResults JSON (an array of meetings, or "
            '{"meetings": …, "formats": …})',
            fmt=FORMAT,
        )
    check_records(len(payload), FORMAT)
    if formats is not None:
        format_entries = load_json(formats, FORMAT)
    mapping = format_map(format_entries, ctx.fellowship)
    if format_entries is None:
        ctx.warn("no GetFormats data: format keys were read as BMLT's default English keys")
    signature = ctx.signature(FORMAT, json.dumps(mapping, sort_keys=True))
    result = ParseResult(FORMAT, total=len(payload))
    raw_refs: list[str] = []
    items: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            result.skipped.append((f"#{index}", f"meeting {index}: not a JSON object"))
            continue
        ref = tol.text(item.get("id_bigint")) or tol.text(item.get("id")) or f"#{index}"
        items.append((index, item))
        raw_refs.append(ref)
    return add_records(
        result,
        items,
        raw_refs,
        ctx=ctx,
        signature=signature,
        what="id_bigint values",
        label=lambda index, ref: f"meeting {index} (id {ref})",
        converter=lambda item, ref, label: _converter(item, ref, label, ctx, mapping),
    )


def _converter(
    item: dict[str, Any], ref: str, label: str, ctx: ImportContext, mapping: dict[str, str]
) -> Any:
    def convert() -> Meeting:
        return bmlt_item_to_meeting(item, ref, label, ctx, mapping)

    return convert


def _duration_minutes(value: Any) -> int:
    raw = tol.text(value)
    if not raw:
        return 60
    parts = raw.split(":")
    try:
        hours, minutes = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError as exc:
        raise SkipRecord(f"duration_time {raw!r} is not HH:MM:SS") from exc
    total = hours * 60 + minutes
    if total >= 24 * 60:
        raise SkipRecord(f"duration_time {raw!r} is a day or longer")
    return total or 60


def bmlt_item_to_meeting(
    item: dict[str, Any], ref: str, label: str, ctx: ImportContext, mapping: dict[str, str]
) -> Meeting:
    if tol.text(item.get("published")) == "0":
        raise SkipRecord("not published")
    name = tol.plain(item.get("meeting_name"))
    if not name:
        raise SkipRecord("no meeting_name")
    weekday = tol.text(item.get("weekday_tinyint"))
    if weekday is None or not weekday.isdigit() or not 1 <= int(weekday) <= 7:
        raise SkipRecord(f"weekday_tinyint {weekday!r} is not 1 (Sunday) to 7 (Saturday)")
    start = tol.clock_time(item.get("start_time"), "start_time")
    if start is None:
        raise SkipRecord("no start_time")
    minutes = start.hour * 60 + start.minute + _duration_minutes(item.get("duration_time"))
    end = time((minutes // 60) % 24, minutes % 60)
    raw_zone = tol.text(item.get("time_zone"))
    if raw_zone:
        zone, note = ctx.zone(raw_zone)
        if note:
            ctx.warn(f"{label}: {note}")
    elif ctx.default_tz:
        zone = ctx.default_tz
    else:
        raise SkipRecord("no time_zone (pass a default zone with --tz)")

    codes: list[str] = []
    hybrid = False
    for key in tol.tokens(item.get("formats")):
        code = mapping.get(key) or DEFAULT_KEYS.get(key.upper())
        if code == HYBRID_MARK:
            hybrid = True
        elif code is not None:
            codes.append(code)
        else:
            ctx.unknown_types[key] += 1
    codes = ctx.types(codes)
    attendance = VENUE_TYPES.get(tol.text(item.get("venue_type")) or "")
    if attendance is None and hybrid:
        attendance = Attendance.HYBRID

    street = tol.text(item.get("location_street"))
    city = tol.text(item.get("location_municipality"))
    state = tol.text(item.get("location_province"))
    postal = tol.text(item.get("location_postal_code_1"))
    country = tol.text(item.get("location_nation"))
    address = None
    if street:
        state_zip = " ".join(p for p in (state, postal) if p) or None
        address = ", ".join(p for p in (street, city, state_zip, country) if p)
    lat, lon = tol.coordinates(item.get("latitude"), item.get("longitude"))
    location = Location(
        name=tol.text(item.get("location_text")),
        address=address,
        city=city,
        state=state,
        postal_code=postal,
        country=country,
        region=tol.text(item.get("location_sub_province")) or city,
        sub_region=tol.text(item.get("location_neighborhood")),
        latitude=lat,
        longitude=lon,
        notes=tol.plain(item.get("location_info")),
    )
    link_raw = tol.text(item.get("virtual_meeting_link"))
    link = tol.http_url(link_raw)
    if link_raw and link is None:
        ctx.warn(f"{label}: virtual_meeting_link {link_raw[:80]!r} is not an http(s) link; ignored")
    online = OnlineAccess(
        url=link,
        url_notes=tol.plain(item.get("virtual_meeting_additional_info")),
        phone=tol.text(item.get("phone_meeting_number")),
    )
    return build_meeting(
        name=name,
        fellowship=ctx.fellowship,
        days=[int(weekday) - 1],
        start=start,
        end=end,
        timezone=zone,
        types=codes,
        location=location,
        online=online,
        notes=tol.plain(item.get("comments")),
        source=ctx.source,
        source_ref=ref,
        community=ctx.community,
        attendance_option=attendance,
        updated=ctx.now,
        strict_types=False,
    )
