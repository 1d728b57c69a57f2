"""Meeting Guide JSON (code4recovery/spec): export a valid feed, import TSML feeds tolerantly.

A feed is a bare JSON array of meeting objects (FORMATS.md §1). Import follows TSML's tolerant
rules: day arrays, "6:00 PM", type names or codes, duplicate slugs made unique, Closed beats
Open, fuzzy zone names, attendance derived from the address and the conference link.

A Meeting Guide record says "every week on `day` at `time`", and nothing else: the format has
no frequency, no first or last date and no exceptions. So the export (export_meeting_guide)
never writes a schedule it cannot carry as a weekly claim:

- left out: monthly, every-N-weeks and one-off meetings, a series that has not started yet
  and one that has ended (apps and TSML UI would list them every week);
- kept, with the truth written in `notes` ("annotated"): a weekly series running now with an
  end date, extra dates, public-holiday closures, and upcoming closures, cancellations and
  moves (at most MAX_NOTED dated lines, then "… and N more"), as of the meeting's local today;
- plain weekly meetings: exactly as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import accumulate
from typing import Any

from calendars import limits
from calendars import tolerant as tol
from calendars.errors import InvalidImport, SkipRecord, guarded
from calendars.records import ImportContext, ParseResult, add_records
from core.geo import zone_at
from core.i18n import translate
from core.model import (
    Attendance,
    Location,
    Meeting,
    OnlineAccess,
    build_meeting,
    slugify,
)
from core.recurrence import ChangeKind, Frequency
from core.schedule import changed_sitting, mg_weekday, scheduled_dates
from core.timezones import get_zone

FORMAT = "meeting-guide"

# ------------------------------------------------------------------------------------ export


MAX_NOTED = 8  # dated schedule lines written in one record's notes


def schedule_notes(meeting: Meeting, today: date, lang: str = "en") -> list[str] | None:
    """What a weekly Meeting Guide record of `meeting` must say in its notes to be true from
    `today` (the meeting's local date): [] for a plain weekly meeting, None when no weekly
    record can be true (see the module docstring)."""
    schedule = meeting.schedule
    if schedule.is_plain_weekly:
        return []
    r = schedule.recurrence
    if r.frequency is not Frequency.WEEKLY or r.interval > 1:
        return None
    if (r.until is not None and r.until < today) or (r.starts is not None and r.starts > today):
        return None
    lines: list[str] = []
    if r.until is not None:
        lines.append(translate("exports.notes.until", lang, date=r.until.isoformat()))
    extras = [d for d in sorted(set(r.dates))
              if d >= today and (r.until is None or d <= r.until) and mg_weekday(d) not in
              meeting.days]
    if extras:
        lines.append(translate("exports.notes.also", lang,
                               dates=", ".join(d.isoformat() for d in extras)))
    if r.holidays:
        lines.append(translate("exports.notes.holidays", lang, code=r.holidays))
    dated: list[tuple[date, str]] = []
    for closure in schedule.closures:
        if closure.last < today:
            continue
        key = "exports.notes.closed_reason" if closure.reason else "exports.notes.closed"
        dated.append((closure.first, translate(key, lang, first=closure.first.isoformat(),
                                               last=closure.last.isoformat(),
                                               reason=closure.reason)))
    for change in schedule.changes:
        if max(change.date, change.moved_to) < today or not scheduled_dates(
            r, meeting.days, change.date, change.date
        ):
            continue
        sitting = changed_sitting(change, meeting.start, meeting.end)
        suffix = "_reason" if change.reason else ""
        if change.kind is ChangeKind.CANCELLED:
            text = translate("exports.notes.cancelled" + suffix, lang,
                             date=change.date.isoformat(), reason=change.reason)
        else:
            text = translate("exports.notes.moved" + suffix, lang, date=change.date.isoformat(),
                             new_date=sitting.day.isoformat(),
                             start=sitting.start.strftime("%H:%M"),
                             end=sitting.end.strftime("%H:%M"), reason=change.reason)
        dated.append((change.date, text))
    dated.sort(key=lambda item: item[0])
    lines += [text for _, text in dated[:MAX_NOTED]]
    if len(dated) > MAX_NOTED:
        lines.append(translate("exports.notes.more", lang, count=len(dated) - MAX_NOTED))
    return lines


def meeting_to_mg(meeting: Meeting, notes: Sequence[str] = ()) -> dict[str, Any]:
    """One meeting as a Meeting Guide object (spec field names; empty fields left out), with
    `notes` (schedule_notes' lines) added to its notes. This only formats: the schedule policy
    is export_meeting_guide's."""
    loc, online = meeting.location, meeting.online
    address = loc.address
    approximate = loc.approximate
    if not address:
        parts = [p for p in (loc.city, loc.state, loc.postal_code, loc.country) if p]
        address = ", ".join(parts) or None
        approximate = True
    data: dict[str, Any] = {
        "name": meeting.name,
        "slug": meeting.slug,
        "day": meeting.days[0] if len(meeting.days) == 1 else list(meeting.days),
        "time": meeting.start.strftime("%H:%M"),
        "end_time": meeting.end.strftime("%H:%M"),
        "timezone": meeting.timezone,
        "types": list(meeting.types),
        "attendance_option": meeting.attendance.value,
        "location": loc.name,
        "location_notes": loc.notes,
        "formatted_address": address,
        "city": loc.city,
        "state": loc.state,
        "postal_code": loc.postal_code,
        "country": loc.country,
        "region": loc.region,
        "sub_region": loc.sub_region,
        "regions": [r for r in (loc.region, loc.sub_region) if r] or None,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "approximate": ("yes" if approximate else "no") if address else None,
        "conference_url": online.url,
        "conference_url_notes": online.url_notes,
        "conference_phone": online.phone,
        "conference_phone_notes": online.phone_notes,
        "notes": _notes(meeting.notes, notes),
        "group": meeting.group,
        "url": meeting.url,
        "updated": meeting.updated.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return {k: v for k, v in data.items() if v is not None and v != []}


def _notes(notes: str | None, schedule: Sequence[str]) -> str | None:
    if not schedule:
        return notes
    block = "\n".join(schedule)
    return f"{notes}\n\n{block}" if notes else block


@dataclass(frozen=True, slots=True)
class MeetingGuideExport:
    """A Meeting Guide feed and what its schedule policy did (slugs, in slug order)."""

    data: bytes
    exported: int
    left_out: tuple[str, ...] = ()
    annotated: tuple[str, ...] = ()


def export_meeting_guide(
    meetings: Iterable[Meeting], *, now: datetime | None = None, lang: str = "en"
) -> MeetingGuideExport:
    """A Meeting Guide feed: a JSON array ordered by slug; identical data → identical bytes
    (for one `now`, default the clock: schedule notes list what is upcoming). Meetings whose
    schedule a weekly record cannot carry are left out; `lang` is the notes' language."""
    instant = now or datetime.now(UTC)
    ordered = sorted({m.slug: m for m in meetings}.values(), key=lambda m: m.slug)
    records: list[dict[str, Any]] = []
    left_out: list[str] = []
    annotated: list[str] = []
    for meeting in ordered:
        today = instant.astimezone(get_zone(meeting.timezone)).date()
        lines = schedule_notes(meeting, today, lang)
        if lines is None:
            left_out.append(meeting.slug)
            continue
        if lines:
            annotated.append(meeting.slug)
            lines = [translate("exports.notes.header", lang), *lines]
        records.append(meeting_to_mg(meeting, lines))
    data = json.dumps(records, ensure_ascii=False, indent=1, separators=(",", ": ")).encode("utf-8")
    return MeetingGuideExport(data, len(records), tuple(left_out), tuple(annotated))


def meeting_guide_json(
    meetings: Iterable[Meeting], *, now: datetime | None = None, lang: str = "en"
) -> bytes:
    """export_meeting_guide's feed bytes."""
    return export_meeting_guide(meetings, now=now, lang=lang).data


# ------------------------------------------------------------------------------------ import


# A JSON string literal (escapes included), matched without backtracking.
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_DEPTH_STEP = str.maketrans({"[": "1", "{": "1", "]": "0", "}": "0"})


class _JsonLimit(Exception):
    def __init__(self, error: InvalidImport) -> None:
        super().__init__(str(error))
        self.error = error


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON text (brackets inside strings do not count),
    in linear time: json.loads recurses once per level and fails with RecursionError."""
    structure = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text))
    if not structure:
        return 0
    steps = (1 if c == "1" else -1 for c in structure.translate(_DEPTH_STEP))
    return max(accumulate(steps))


def _number(fmt: str, convert: Any) -> Any:
    def parse(text: str) -> Any:
        if len(text) > limits.MAX_NUMBER_CHARS:
            raise _JsonLimit(
                InvalidImport(
                    f"a number has more than {limits.MAX_NUMBER_CHARS} digits",
                    fmt=fmt,
                    key="error.import_number_too_long",
                    limit=limits.MAX_NUMBER_CHARS,
                )
            )
        return convert(text)

    return parse


def _constant(text: str) -> None:
    """NaN and Infinity are not JSON; some encoders write them for a missing number."""
    return None


def check_values(payload: Any, fmt: str) -> None:
    """Every string (key or value) at most MAX_FIELD_CHARS characters; iterative."""
    todo = [payload]
    limit = limits.MAX_FIELD_CHARS
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            if len(item) > limit:
                raise limits.value_too_long(limit, fmt)
        elif isinstance(item, list):
            todo.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if len(key) > limit:
                    raise limits.value_too_long(limit, fmt)
                todo.append(value)


def load_json(data: bytes, fmt: str) -> Any:
    """JSON bytes → Python values, or InvalidImport: not UTF-8, not JSON, nested deeper than
    MAX_JSON_DEPTH, a number longer than MAX_NUMBER_CHARS, a string over MAX_FIELD_CHARS."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidImport(f"the file is not UTF-8 text (byte {exc.start})", fmt=fmt) from exc
    if json_depth(text) > limits.MAX_JSON_DEPTH:
        raise limits.too_deep(limits.MAX_JSON_DEPTH, fmt)
    try:
        payload = json.loads(
            text,
            parse_int=_number(fmt, int),
            parse_float=_number(fmt, float),
            parse_constant=_constant,
        )
    except _JsonLimit as exc:
        raise exc.error from None
    except json.JSONDecodeError as exc:
        raise InvalidImport(
            f"not valid JSON: {exc.msg}", where=f"line {exc.lineno} column {exc.colno}", fmt=fmt
        ) from exc
    except (RecursionError, ValueError) as exc:  # depth was checked; a smaller stack (thread)
        raise InvalidImport(f"not valid JSON ({type(exc).__name__})", fmt=fmt) from exc
    check_values(payload, fmt)
    return payload


def check_records(count: int, fmt: str) -> None:
    if count > limits.MAX_RECORDS:
        raise limits.too_many(
            "meetings", limits.MAX_RECORDS, fmt, key="error.import_too_many_meetings"
        )


@guarded(FORMAT)
def parse_meeting_guide(data: bytes, ctx: ImportContext) -> ParseResult:
    """Meeting Guide / TSML JSON (also BMLT's client_interface/tsml output) → records."""
    payload = load_json(data, FORMAT)
    if isinstance(payload, dict) and isinstance(payload.get("meetings"), list):
        payload = payload["meetings"]
    if not isinstance(payload, list):
        raise InvalidImport("expected a JSON array of meetings (a Meeting Guide feed)", fmt=FORMAT)
    check_records(len(payload), FORMAT)
    result = ParseResult(FORMAT, total=len(payload))
    signature = ctx.signature(FORMAT)
    raw_refs: list[str] = []
    items: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            result.skipped.append((f"#{index}", f"meeting {index}: not a JSON object"))
            continue
        items.append((index, item))
        raw_refs.append(_raw_ref(item, index))
    return add_records(
        result,
        items,
        raw_refs,
        ctx=ctx,
        signature=signature,
        label=lambda index, ref: f"meeting {index} ({ref})",
        converter=lambda item, ref, label: _converter(item, ref, label, ctx),
    )


def _raw_ref(item: dict[str, Any], index: int) -> str:
    slug = item.get("slug")
    if isinstance(slug, (str, int)) and not isinstance(slug, bool) and str(slug).strip():
        return str(slug).strip()[:64]
    name = tol.text(item.get("name")) or f"meeting-{index}"
    return slugify(f"{name}-{item.get('day', '')}-{item.get('time', '')}")


def _converter(item: dict[str, Any], ref: str, label: str, ctx: ImportContext) -> Any:
    def convert() -> Meeting:
        return mg_item_to_meeting(item, ref, label, ctx)

    return convert


def _zone(item: dict[str, Any], label: str, ctx: ImportContext) -> str:
    """The record's own zone; else the zone at its coordinates (offline); else the source's
    default; else refused. An online-only record's coordinates are often a server's default
    (somewhere in California), so for it the source's default comes first."""
    raw = tol.text(item.get("timezone"))
    if raw:
        zone, note = ctx.zone(raw)
        if note:
            ctx.warn(f"{label}: {note}")
        return zone
    lat, lon = tol.coordinates(item.get("latitude"), item.get("longitude"))
    online_only = not _address(item) and bool(
        tol.text(item.get("conference_url")) or tol.text(item.get("conference_phone")))
    at_point = zone_at(lat, lon) if lat is not None and lon is not None else None
    if ctx.default_tz and (online_only or at_point is None):
        ctx.inferred_zones["the source's default"] += 1
        return ctx.default_tz
    if at_point is not None:
        ctx.inferred_zones["coordinates"] += 1
        return at_point
    raise SkipRecord("no time zone in the record, and no coordinates to infer it from "
                     "(pass a default zone with --tz)")


def _url(item: dict[str, Any], key: str, label: str, ctx: ImportContext) -> str | None:
    raw = tol.text(item.get(key))
    url = tol.http_url(raw)
    if raw and url is None:
        ctx.warn(f"{label}: {key} {raw[:80]!r} is not an http(s) link; ignored")
    return url


def _attendance(value: Any) -> Attendance | None:
    raw = (tol.text(value) or "").lower().replace("-", "_").replace(" ", "_")
    try:
        return Attendance(raw) if raw else None
    except ValueError:
        return None


def _address(item: dict[str, Any]) -> str | None:
    formatted = tol.text(item.get("formatted_address"))
    if formatted:
        return formatted
    street = tol.text(item.get("address"))
    if not street:
        return None
    state_zip = " ".join(
        p for p in (tol.text(item.get("state")), tol.text(item.get("postal_code"))) if p
    )
    parts = [street, tol.text(item.get("city")), state_zip or None, tol.text(item.get("country"))]
    return ", ".join(p for p in parts if p)


def mg_item_to_meeting(item: dict[str, Any], ref: str, label: str, ctx: ImportContext) -> Meeting:
    """One Meeting Guide object → a validated Meeting (SkipRecord / ValidationError if not)."""
    name = tol.plain(item.get("name"))
    if not name:
        raise SkipRecord("no name")
    days = tol.days(item.get("day"))
    start = tol.clock_time(item.get("time"))
    if not days and start is None:
        raise SkipRecord("no day and time (by appointment)")
    if not days:
        raise SkipRecord("no day")
    if start is None:
        raise SkipRecord("no start time")
    end = tol.clock_time(item.get("end_time"), "end_time")
    if end == start:
        end = None
    zone = _zone(item, label, ctx)
    codes = ctx.types(tol.tokens(item.get("types")))

    regions = item.get("regions")
    region = tol.text(item.get("region"))
    sub_region = tol.text(item.get("sub_region"))
    if isinstance(regions, list) and regions:
        names = [str(r).strip() for r in regions if str(r).strip()]
        if names:
            region = region or names[0]
            sub_region = sub_region or (names[-1] if len(names) > 1 else None)
    lat, lon = tol.coordinates(item.get("latitude"), item.get("longitude"))
    coords = tol.text(item.get("coordinates"))
    if lat is None and coords and "," in coords:
        lat, lon = tol.coordinates(*coords.split(",", 1))
    approximate = str(item.get("approximate", "")).strip().lower() in ("yes", "true", "1")
    location = Location(
        name=tol.text(item.get("location")),
        address=_address(item),
        city=tol.text(item.get("city")),
        state=tol.text(item.get("state")),
        postal_code=tol.text(item.get("postal_code")),
        country=tol.text(item.get("country")),
        region=region,
        sub_region=sub_region,
        latitude=lat,
        longitude=lon,
        approximate=approximate,
        notes=tol.plain(item.get("location_notes")),
    )
    online = OnlineAccess(
        url=_url(item, "conference_url", label, ctx),
        url_notes=tol.plain(item.get("conference_url_notes")),
        phone=tol.text(item.get("conference_phone")),
        phone_notes=tol.plain(item.get("conference_phone_notes")),
    )
    return build_meeting(
        name=name,
        fellowship=ctx.fellowship,
        days=days,
        start=start,
        end=end,
        timezone=zone,
        types=codes,
        slug=slugify(ref) if ref else None,
        location=location,
        online=online,
        notes=tol.plain(item.get("notes")),
        group=tol.plain(item.get("group")),
        url=_url(item, "url", label, ctx),
        source=ctx.source,
        source_ref=ref,
        community=ctx.community,
        attendance_option=_attendance(item.get("attendance_option")),
        updated=ctx.now,
        strict_types=False,
    )
