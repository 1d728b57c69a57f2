"""iCalendar (RFC 5545) → meetings, with the pitfalls of real exports (FORMATS.md §4).

- Bytes go to icalendar (a UTF-8 BOM is dropped first); BEGIN/END lines are checked before,
  because icalendar silently drops a component that is never closed: a file cut short is an
  error, an event missing its END line in the middle of a file is closed with a warning.
- Google: X-WR-TIMEZONE for UTC or floating times (BYDAY follows the date shift), series split
  by "this and following" edits (``UID_R20240105T190000``: one meeting, the part in effect
  now; a later part that starts after now carries the series on), RECURRENCE-ID overrides
  (moved or cancelled sittings), EXDATEs in UTC, STATUS:CANCELLED.
- Outlook/Exchange: Windows zone names, Outlook display names, quoted TZIDs with commas, a
  VTIMEZONE with a made-up name (matched to an IANA zone by its offsets), none at all.
- A TZID with no definition is reported, never read as floating time.
- Series become meetings with a schedule (calendars.ics_rules: every N weeks, monthly by
  ordinal weekday or day of the month, COUNT/UNTIL, DTSTART as the first date, RDATE, EXDATE
  and RECURRENCE-ID overrides as cancelled or moved sittings); a timed event without RRULE is
  a one-off meeting. All-day, yearly, sub-daily and day-long events, series that ended,
  one-offs that happened and rules the model cannot hold exactly are skipped with the reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Component

from calendars import ics_rules, limits
from calendars import tolerant as tol
from calendars.errors import UNREADABLE, InvalidImport, SkipRecord, guarded, unreadable_reason
from calendars.ics_rules import Moment, Override, Value
from calendars.limits import Budget, BudgetExceeded, shown
from calendars.records import ImportContext, ParseResult, Record
from calendars.zones import ZoneTooComplex, known_zone, offsets_matching, vtimezone_offsets
from core.errors import ValidationError
from core.model import Location, Meeting, OnlineAccess, build_meeting
from core.recurrence import Frequency, Recurrence
from core.schedule import mg_weekday
from core.schedule_edits import check_schedule
from core.timezones import get_zone

FORMAT = "ics"
_SPLIT_UID = re.compile(r"^(?P<base>.+?)_R\d{8}(?:T\d{6}Z?)?(?P<domain>@.*)?$")
_LINK_RE = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_LEAF_COMPONENTS = {"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"}
_OBSERVANCES = {"STANDARD", "DAYLIGHT"}
_TZID_PARAM = re.compile(r';TZID=("[^"]*"|[^;:]*)', re.I)
_HEAD_RE = re.compile(r'(?:[^":]++|"[^"]*+")*+')
# Properties an importer never reads; too long, they are left out instead of refusing the file
# (Outlook embeds attachments and an HTML copy of the description).
_UNREAD_PROPERTIES = ("X-", "ATTACH")
# LOCATION values that name a video service, not a place.
_ONLINE_WORDS = {
    "zoom",
    "zoom meeting",
    "online",
    "virtual",
    "online meeting",
    "google meet",
    "meet",
    "teams",
    "microsoft teams",
    "skype",
    "webex",
    "jitsi",
    "phone",
    "conference call",
    "discord",
    "en linea",
    "en línea",
    "virtual meeting",
}


def base_uid(uid: str) -> str:
    """Google's "this and following" split gives the new part UID + ``_R<timestamp>``."""
    match = _SPLIT_UID.match(uid)
    if not match:
        return uid
    return match.group("base") + (match.group("domain") or "")


# ---------------------------------------------------------------------------- file structure


def logical_lines(data: bytes, ctx: ImportContext) -> list[tuple[int, str]]:
    """(physical line number, unfolded text) per content line. Lines are unfolded as *bytes*
    before decoding, because exporters fold at 75 octets even inside a UTF-8 character."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parts: list[tuple[int, list[bytes]]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if raw[:1] in (b" ", b"\t") and parts:
            parts[-1][1].append(raw[1:])  # joined once below: folding stays linear
        else:
            parts.append((number, [raw]))
    joined = [(n, b"".join(chunks) if len(chunks) > 1 else chunks[0]) for n, chunks in parts]
    try:
        return [(n, raw.decode("utf-8")) for n, raw in joined]
    except UnicodeDecodeError:
        ctx.warn("the file is not UTF-8; read it as Windows-1252")
        return [(n, raw.decode("cp1252", errors="replace")) for n, raw in joined]


@dataclass
class _ZoneBlock:
    """A VTIMEZONE being read by check_structure."""

    depth: int
    line: int
    first: int  # index of its BEGIN line in the output
    tzid: str = ""
    location: str = ""
    observances: int = 0


@dataclass
class _Structure:
    text: str
    # Per VCALENDAR, in order: TZID → zone of the VTIMEZONEs named after a known zone (by
    # TZID or X-LIC-LOCATION). Their rules are never needed, so they are left out of the text
    # and icalendar never builds them, whatever their size.
    named_zones: list[dict[str, str]] = field(default_factory=list)


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _value(line: str) -> tuple[str, str, str]:
    """(upper-case property name, parameters, value) of a content line: the value starts at
    the first colon outside a quoted parameter value."""
    head = _HEAD_RE.match(line)
    end = head.end() if head else 0
    if end >= len(line) or line[end] != ":":
        return line.strip().upper(), "", ""
    name, _, params = line[:end].partition(";")
    return name.strip().upper(), params, line[end + 1 :]


def check_tzid(value: str, where: str) -> None:
    """A TZID is looked up as a file path by icalendar (through zoneinfo): one too long or
    with thousands of segments is an OSError or a RecursionError there, so it is refused."""
    value = value.strip().strip('"')
    segments = value.split("/")
    if (
        len(value) > limits.MAX_TZID_CHARS
        or len(segments) > limits.MAX_TZID_SEGMENTS
        or any(len(s.encode("utf-8", "replace")) > 200 for s in segments)
    ):
        raise InvalidImport(
            f"the time zone name {shown(value)!r} is not valid (at most "
            f"{limits.MAX_TZID_CHARS} characters)",
            where=where,
            fmt=FORMAT,
            key="error.import_tzid_invalid",
            value=shown(value),
            limit=limits.MAX_TZID_CHARS,
        )


def check_structure(lines: list[tuple[int, str]], ctx: ImportContext) -> _Structure:
    """Check BEGIN/END nesting and the limits, and return the unfolded text for the parser.
    A component left open in the middle of the file is closed with a warning; one left open at
    the end (a file cut short) or a stray END raises InvalidImport naming the line."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    result = _Structure("")
    block: _ZoneBlock | None = None
    events = unread_zones = dropped_long = 0
    for number, line in lines:
        head = line.strip()
        upper = head.upper()
        too_long = len(line) > limits.MAX_FIELD_CHARS
        if too_long and upper.startswith(_UNREAD_PROPERTIES):
            dropped_long += 1
            continue
        if "TZID" in upper:
            name, params, value = _value(head)
            if name == "TZID":
                check_tzid(_unescape(value), f"line {number}")
                if block is not None and len(stack) == block.depth + 1:
                    block.tzid = _unescape(value).strip().strip('"')
            for match in _TZID_PARAM.finditer(params and ";" + params):
                check_tzid(match.group(1), f"line {number}")
        if too_long:
            raise limits.value_too_long(limits.MAX_FIELD_CHARS, FORMAT, where=f"line {number}")
        if block is not None and len(stack) == block.depth + 1 and upper.startswith("X-LIC-"):
            name, _, value = _value(head)
            if name == "X-LIC-LOCATION":
                block.location = _unescape(value).strip()
        if upper.startswith("BEGIN:"):
            name = upper[6:].strip()
            if name == "VCALENDAR" and stack:
                inner, at = stack[-1]
                raise InvalidImport(
                    f"BEGIN:{inner} is never closed (a new VCALENDAR starts on line {number})",
                    where=f"line {at}",
                    fmt=FORMAT,
                )
            if not stack and name != "VCALENDAR":
                raise InvalidImport(
                    f"BEGIN:{shown(name)} outside a VCALENDAR", where=f"line {number}", fmt=FORMAT
                )
            if name in _LEAF_COMPONENTS and stack and stack[-1][0] in _LEAF_COMPONENTS:
                inner, at = stack.pop()
                ctx.warn(
                    f"line {at}: BEGIN:{inner} has no END:{inner}; closed before line {number}"
                )
                out.append(f"END:{inner}")
            if name == "VCALENDAR":
                result.named_zones.append({})
            elif name == "VEVENT":
                events += 1
                if events > limits.MAX_RECORDS:
                    raise limits.too_many(
                        "events", limits.MAX_RECORDS, FORMAT, key="error.import_too_many_events"
                    )
            elif name == "VTIMEZONE" and block is None:
                block = _ZoneBlock(depth=len(stack), line=number, first=len(out))
            elif name in _OBSERVANCES and block is not None:
                block.observances += 1
            stack.append((name, number))
            if len(stack) > limits.MAX_ICS_NESTING:
                raise limits.too_deep(limits.MAX_ICS_NESTING, FORMAT, where=f"line {number}")
        elif upper.startswith("END:"):
            name = upper[4:].strip()
            if not any(open_name == name for open_name, _ in stack):
                raise InvalidImport(
                    f"END:{shown(name)} without a matching BEGIN:{shown(name)}",
                    where=f"line {number}",
                    fmt=FORMAT,
                )
            while stack[-1][0] != name:
                inner, at = stack.pop()
                ctx.warn(
                    f"line {at}: BEGIN:{inner} has no END:{inner}; closed before line {number}"
                )
                out.append(f"END:{inner}")
            stack.pop()
        elif head and not stack:
            raise InvalidImport(
                f"text outside a VCALENDAR: {head[:40]!r}", where=f"line {number}", fmt=FORMAT
            )
        if head:
            out.append(line)
        if block is not None and len(stack) <= block.depth:
            zone = known_zone(block.tzid) or known_zone(block.location)
            if zone is not None and block.tzid:
                result.named_zones[-1][block.tzid] = zone
                del out[block.first :]
            else:
                unread_zones += 1
                _check_zone_block(block, unread_zones)
            block = None
    if stack:
        name, at = stack[-1]
        raise InvalidImport(
            f"BEGIN:{name} is never closed (missing END:{name}); the file may be cut short",
            where=f"line {at}",
            fmt=FORMAT,
        )
    if not out:
        raise InvalidImport("the file is empty", fmt=FORMAT)
    if dropped_long:
        ctx.warn(
            f"{dropped_long} attachment or X- properties longer than "
            f"{limits.MAX_FIELD_CHARS:,} characters were left out"
        )
    result.text = "\r\n".join(out) + "\r\n"
    return result


def _zone_too_complex(tzid: str, limit: int, where: str | None = None) -> InvalidImport:
    return InvalidImport(
        f"the time zone definition {shown(tzid)!r} is too complex to read (over {limit:,} "
        "rules or transitions)",
        where=where,
        fmt=FORMAT,
        key="error.import_zone_too_complex",
        tzid=shown(tzid),
        limit=limit,
    )


def _check_zone_block(block: _ZoneBlock, count: int) -> None:
    """A VTIMEZONE whose rules may have to be read (not named after a known zone)."""
    if block.observances > limits.MAX_OBSERVANCES:
        raise _zone_too_complex(block.tzid, limits.MAX_OBSERVANCES, f"line {block.line}")
    if count > limits.MAX_VTIMEZONES:
        raise InvalidImport(
            f"more than {limits.MAX_VTIMEZONES} time zone definitions of its own (VTIMEZONE "
            "with a name that is not a known zone)",
            where=f"line {block.line}",
            fmt=FORMAT,
            key="error.import_too_many_zones",
            limit=limits.MAX_VTIMEZONES,
        )


def read_calendars(data: bytes, ctx: ImportContext) -> list[Calendar]:
    return _read(data, ctx)[0]


def _read(data: bytes, ctx: ImportContext) -> tuple[list[Calendar], list[dict[str, str]]]:
    structure = check_structure(logical_lines(data, ctx), ctx)
    payload = structure.text.encode("utf-8")
    try:
        calendars = Calendar.from_ical(payload, multiple=True)
    except UNREADABLE as exc:
        raise InvalidImport(
            f"not a readable iCalendar file: {unreadable_reason(exc)}", fmt=FORMAT
        ) from exc
    found = [c for c in calendars if isinstance(c, Calendar) or c.name == "VCALENDAR"]
    if not found:
        raise InvalidImport("no VCALENDAR in the file", fmt=FORMAT)
    if len(found) > 1:
        ctx.warn(f"the file holds {len(found)} calendars; their events were read together")
    named = structure.named_zones
    if len(named) != len(found):  # pragma: no cover - check_structure saw every VCALENDAR
        named = [{} for _ in found]
    return found, named


# ---------------------------------------------------------------------------- per calendar


@dataclass
class _CalendarInfo:
    x_wr: str | None
    vtimezones: dict[str, Component]
    zones: dict[str, str | None] = field(default_factory=dict)


@dataclass
class _Converted:
    uid: str
    label: str
    meeting: Meeting
    start: datetime
    sequence: int
    order: int


class _Parser:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.noted: set[str] = set()
        # Rule-years and RDATEs evaluated matching VTIMEZONEs to IANA zones, for the file.
        self.zone_budget = Budget(limits.MAX_ZONE_EVALUATIONS)
        # Rule occurrences and EXDATE / RDATE values followed, for the file.
        self.rule_budget = Budget(ics_rules.MAX_RULE_STEPS)

    def note(self, message: str) -> None:
        if message not in self.noted:
            self.noted.add(message)
            self.ctx.warn(message)

    # -- zones ---------------------------------------------------------------------------

    def info(self, cal: Component, named: dict[str, str] | None = None) -> _CalendarInfo:
        x_wr: str | None = None
        raw = cal.get("X-WR-TIMEZONE")
        if raw is not None and str(raw).strip():
            x_wr = known_zone(str(raw))
            if x_wr is None:
                self.note(f"X-WR-TIMEZONE {shown(str(raw))!r} is not a known time zone; ignored")
        vtimezones: dict[str, Component] = {}
        for tz in cal.walk("VTIMEZONE"):
            tzid = str(tz.get("TZID", "")).strip().strip('"')
            if tzid:
                vtimezones[tzid] = tz
        zones: dict[str, str | None] = dict(named or {})
        return _CalendarInfo(x_wr, vtimezones, zones)

    def zone_for(self, tzid: str, info: _CalendarInfo, year: int) -> str | None:
        key = tzid.strip().strip('"')
        if key in info.zones:
            return info.zones[key]
        zone = known_zone(key)
        if zone is None and key in info.vtimezones:
            vtz = info.vtimezones[key]
            location = vtz.get("X-LIC-LOCATION")
            zone = known_zone(str(location)) if location is not None else None
            if zone is None:
                hints = [z for z in (info.x_wr, self.ctx.default_tz) if z]
                try:
                    offsets = vtimezone_offsets(vtz, year, self.zone_budget)
                except ZoneTooComplex as exc:
                    raise _zone_too_complex(key, limits.MAX_OBSERVANCES) from exc
                except BudgetExceeded as exc:
                    raise _zone_too_complex(key, limits.MAX_ZONE_EVALUATIONS) from exc
                zone = offsets_matching(offsets, year, hints) if offsets is not None else None
                if zone is not None:
                    self.note(f"time zone {key!r} was matched to {zone} by its rules")
        if zone is None and self.ctx.default_tz:
            zone = self.ctx.default_tz
            self.note(f"time zone {key!r} is not defined in the file; used {zone} (--tz)")
        info.zones[key] = zone
        return zone

    # -- events --------------------------------------------------------------------------

    def parse(
        self, calendars: Sequence[Component], named: Sequence[dict[str, str]] = ()
    ) -> ParseResult:
        result = ParseResult(FORMAT)
        masters: dict[str, list[tuple[str, Component, _CalendarInfo, int]]] = defaultdict(list)
        # RECURRENCE-ID overrides, by the exact UID of the series they change.
        overrides: dict[str, list[tuple[Component, _CalendarInfo]]] = defaultdict(list)
        order = 0
        for index, cal in enumerate(calendars):
            info = self.info(cal, named[index] if index < len(named) else None)
            for event in cal.walk("VEVENT"):
                order += 1
                result.total += 1
                uid = str(event.get("UID", "")).strip()
                if not uid:
                    summary = str(event.get("SUMMARY", "")).strip()
                    uid = f"no-uid-{tol.fingerprint([summary, str(event.get('DTSTART', ''))], '')}"
                    self.note("some events have no UID; they were keyed by title and start")
                if event.get("RECURRENCE-ID") is not None:
                    overrides[uid].append((event, info))
                    continue
                masters[base_uid(uid)].append((uid, event, info, order))
        orphans: dict[str, int] = defaultdict(int)
        for uid, items in overrides.items():
            if base_uid(uid) not in masters:
                orphans[base_uid(uid)] += len(items)
        for base, count in orphans.items():
            result.skipped.append(
                (
                    base,
                    f"{count} changed occurrence(s) of series {base} "
                    "without the series itself (RECURRENCE-ID)",
                )
            )
        for base, entries in masters.items():
            converted: list[_Converted] = []
            for uid, event, info, position in entries:
                label = _label(event, uid)
                try:
                    meeting, start = self.convert(event, info, base, label, overrides.get(uid, []))
                except SkipRecord as skip:
                    result.skipped.append((uid, f"{label}: {skip.reason}"))
                    continue
                except InvalidImport:
                    raise  # the file as a whole (a time zone definition too complex)
                except ValidationError as exc:
                    result.skipped.append((uid, f"{label}: {exc.field}: {exc.detail}"))
                    continue
                except UNREADABLE as exc:
                    # A value icalendar could not make sense of, a date past year 9999…:
                    # this event only.
                    reason = unreadable_reason(exc)
                    result.skipped.append((uid, f"{label}: unreadable event ({reason})"))
                    continue
                converted.append(
                    _Converted(uid, label, meeting, start, _int(event.get("SEQUENCE")), position)
                )
            if not converted:
                continue
            chosen = self.choose(converted)
            for other in converted:
                if other is chosen:
                    continue
                if other.uid == chosen.uid:
                    reason = "an older copy of the same event"
                else:
                    reason = (
                        f"another part of a series split in two ({chosen.uid} is the "
                        "part in effect)"
                    )
                result.skipped.append((other.uid, f"{other.label}: {reason}"))
            meeting = self.carried_on(chosen, converted)
            once = meeting.schedule.recurrence.frequency is Frequency.ONCE
            if chosen.start > self.ctx.now and not once:
                local = chosen.start.astimezone(get_zone(meeting.timezone))
                self.note(f"{chosen.label}: the series starts on {local:%Y-%m-%d}")
            result.records.append(Record(ref=base, label=chosen.label, convert=_constant(meeting)))
        return result

    def choose(self, items: list[_Converted]) -> _Converted:
        now = self.ctx.now
        started = [c for c in items if c.start <= now]
        if started:
            return max(started, key=lambda c: (c.start, c.sequence, c.order))
        return min(items, key=lambda c: (c.start, -c.sequence, -c.order))

    def carried_on(self, chosen: _Converted, parts: list[_Converted]) -> Meeting:
        """A series split by "this and following" whose later part starts after now: the part
        in effect is the meeting, and it does not end where the later part takes over."""
        meeting = chosen.meeting
        recurrence = meeting.schedule.recurrence
        later = [c for c in parts if c.uid != chosen.uid and c.start > chosen.start]
        if recurrence.until is None or recurrence.frequency is Frequency.ONCE or not later:
            return meeting
        following = min(later, key=lambda c: (c.start, -c.sequence, -c.order))
        follows = following.meeting
        if follows.schedule.recurrence.frequency is Frequency.ONCE:
            return meeting
        starts = follows.schedule.recurrence.starts
        self.note(
            f"{chosen.label}: from {starts} the series continues as {following.uid}; "
            "imported as it is now"
        )
        until = follows.schedule.recurrence.until
        changes = meeting.schedule.changes
        same = (follows.days, follows.start, follows.end) == (
            meeting.days, meeting.start, meeting.end)
        if same and starts is not None:  # a plain continuation: keep its changes too
            mine = {c.date for c in changes}
            changes = tuple(sorted(
                (*changes, *(c for c in follows.schedule.changes
                             if c.date >= starts and c.date not in mine)),
                key=lambda c: c.date,
            ))
        schedule = replace(meeting.schedule, recurrence=replace(recurrence, until=until),
                           changes=changes)
        try:
            checked = check_schedule(schedule, meeting.days, today=self.ctx.now.date())
        except ValidationError:
            checked = replace(meeting.schedule, recurrence=replace(recurrence, until=until))
        return replace(meeting, schedule=checked)

    def convert(
        self,
        event: Component,
        info: _CalendarInfo,
        ref: str,
        label: str,
        overrides: Sequence[tuple[Component, _CalendarInfo]] = (),
    ) -> tuple[Meeting, datetime]:
        ctx = self.ctx
        for name, message in event.errors:
            if name in ("DTSTART", "DTEND", "DURATION", "RRULE"):
                raise SkipRecord(f"broken {name}: {message}")
        for name, message in event.errors:
            self.note(f"{label}: ignored broken {name}: {message}")
        if str(event.get("STATUS", "")).strip().upper() == "CANCELLED":
            raise SkipRecord("cancelled")
        start_prop = event.get("DTSTART")
        if start_prop is None:
            raise SkipRecord("no DTSTART")
        raw_start = _dt(start_prop, "DTSTART")
        if not isinstance(raw_start, datetime):
            raise SkipRecord("all-day event, not a meeting time")
        wall, zone, shift, start_at = self.localize(raw_start, _tzid(start_prop), info)
        wall = wall.replace(second=0, microsecond=0)

        rules = _rules(event.get("RRULE"))
        if len(rules) > 1:
            self.note(f"{label}: several RRULEs; only the first was used")
        today = ctx.now.astimezone(get_zone(zone)).date()
        if rules:
            pattern = ics_rules.read_pattern(rules[0], wall, shift)
            recurrence = ics_rules.series_recurrence(pattern, wall, zone, self.rule_budget)
            days = pattern.days
        else:
            pattern = None
            recurrence = Recurrence(Frequency.ONCE, dates=(wall.date(),))
            days = (mg_weekday(wall.date()),)
        rule_until = recurrence.until
        ends_first = rule_until is not None and rule_until < wall.date()
        if ends_first:
            # The rule (and, as dateutil and recurring-ical-events read it, DTSTART) gives no
            # sitting; only its RDATEs are left: one-offs, if there are any.
            recurrence = Recurrence(Frequency.ONCE)

        minutes = self.duration(event, start_at, info, label)
        end_minutes = (wall.hour * 60 + wall.minute + minutes) % 1440
        start_t, end_t = time(wall.hour, wall.minute), time(end_minutes // 60, end_minutes % 60)
        name = tol.plain(str(event.get("SUMMARY", "")))
        if not name:
            raise SkipRecord("no title (SUMMARY)")
        location, online, url = _place(event)

        def note(message: str) -> None:
            self.note(f"{label}: {message}")

        schedule = ics_rules.build_schedule(
            recurrence, days, wall, zone, minutes,
            rdates=self.rdates(event, info, zone, note),
            exdates=[v for v, _ in self.values(event.get("EXDATE"), info, zone, "EXDATE", note)],
            overrides=self.overrides(overrides, zone, note),
            master_url=online.url,
            master_place=location.address,
            today=today,
            budget=self.rule_budget,
            note=note,
        )
        if ends_first and not schedule.recurrence.dates:
            raise SkipRecord(f"no sitting: the series ends ({rule_until}) before it "
                             f"starts ({wall.date()})")
        last = ics_rules.last_day(schedule)
        if last is not None and not ics_rules.has_future_sitting(
            schedule, days, start_t, end_t, zone, ctx.now, last
        ):
            if pattern is None or recurrence.frequency is Frequency.ONCE:
                raise SkipRecord(f"one-off event that already happened ({wall:%Y-%m-%d})")
            ended = recurrence.until or last
            if pattern.count and (pattern.until is None or recurrence.until == ended):
                raise SkipRecord(f"the series ended on {ended:%Y-%m-%d} (COUNT={pattern.count})")
            bound = ics_rules.until_date(pattern.until, wall, zone) if pattern.until else ended
            raise SkipRecord(f"the series ended on {bound:%Y-%m-%d}")
        if schedule.recurrence.frequency is Frequency.ONCE:
            days = tuple(sorted({mg_weekday(d) for d in schedule.recurrence.dates}))
        try:
            schedule = check_schedule(schedule, days, today=today)
        except ValidationError as exc:
            raise SkipRecord(f"its schedule cannot be kept: {exc.detail}") from exc
        categories = _categories(event.get("CATEGORIES"))
        meeting = build_meeting(
            name=name.replace("\n", " "),
            fellowship=ctx.fellowship,
            days=days,
            start=start_t,
            end=end_t,
            timezone=zone,
            types=ctx.types(categories),
            location=location,
            online=online,
            notes=tol.plain(str(event.get("DESCRIPTION", "")) or None),
            url=url,
            source=ctx.source,
            source_ref=ref,
            community=ctx.community,
            updated=ctx.now,
            strict_types=False,
            schedule=schedule,
        )
        return meeting, start_at

    def localize(
        self, raw: datetime, tzid: str | None, info: _CalendarInfo
    ) -> tuple[datetime, str, int, datetime]:
        """(local wall time, zone, day shift for BYDAY, aware start instant)."""
        if tzid:
            zone = self.zone_for(tzid, info, raw.year)
            if zone is None:
                raise SkipRecord(
                    f"time zone {tzid!r} is not defined in the file (no VTIMEZONE "
                    "and not a known name); pass --tz to use a default"
                )
            wall = raw.replace(tzinfo=None)
            return wall, zone, 0, wall.replace(tzinfo=get_zone(zone))
        if raw.tzinfo is not None:
            target = info.x_wr or self.ctx.default_tz
            if target is None:
                self.note(
                    "some times are in UTC and the file names no time zone: kept in UTC "
                    "(pass --tz to read them as local times)"
                )
                target = "Etc/UTC"
            local = raw.astimezone(get_zone(target))
            original = raw.astimezone(raw.tzinfo)
            shift = (local.date() - original.date()).days
            return local.replace(tzinfo=None), target, shift, raw
        zone = info.x_wr or self.ctx.default_tz
        if zone is None:
            raise SkipRecord("floating time and no time zone in the file (pass --tz)")
        return raw, zone, 0, raw.replace(tzinfo=get_zone(zone))

    # -- dated values of a series ---------------------------------------------------------

    def moment(self, value: Any, tzid: str | None, info: _CalendarInfo, zone: str) -> Value:
        """A DATE or DATE-TIME value in the meeting's zone: its local wall time and instant
        (a TZID is mapped as DTSTART's is; a UTC time is converted; a floating one is local)."""
        if not isinstance(value, datetime):
            if isinstance(value, date):
                return value
            raise SkipRecord(f"{value!r} is not a date or a time")
        tz = get_zone(zone)
        if tzid:
            own = self.zone_for(tzid, info, value.year)
            if own is None:
                raise SkipRecord(f"time zone {tzid!r} is not defined in the file")
            naive = value.replace(tzinfo=None)
            instant = naive.replace(tzinfo=get_zone(own)).astimezone(UTC)
            local = naive if own == zone else instant.astimezone(tz).replace(tzinfo=None)
        elif value.tzinfo is not None:
            instant = value.astimezone(UTC)
            local = instant.astimezone(tz).replace(tzinfo=None)
        else:
            local, instant = value, value.replace(tzinfo=tz).astimezone(UTC)
        return Moment(local, instant)

    def values(
        self, prop: Any, info: _CalendarInfo, zone: str, name: str, note: Callable[[str], None]
    ) -> list[tuple[Value, timedelta | None]]:
        """The values of EXDATE / RDATE properties (with a PERIOD's length), each unreadable
        one noted and left out."""
        found: list[tuple[Value, timedelta | None]] = []
        items = prop if isinstance(prop, list) else [] if prop is None else [prop]
        for item in items:
            outer = _tzid(item)
            for entry in getattr(item, "dts", None) or [item]:
                ics_rules.spend(self.rule_budget, 1)
                value = getattr(entry, "dt", entry)
                length: timedelta | None = None
                if isinstance(value, tuple) and len(value) == 2:  # a PERIOD
                    value, other = value
                    length = other if isinstance(other, timedelta) else (
                        other - value if isinstance(other, datetime) else None)
                try:
                    found.append((self.moment(value, _tzid(entry) or outer, info, zone), length))
                except SkipRecord as exc:
                    note(f"an {name} value was left out ({exc.reason})")
                except UNREADABLE as exc:
                    note(f"an {name} value was left out ({unreadable_reason(exc)})")
        return found

    def rdates(
        self, event: Component, info: _CalendarInfo, zone: str, note: Callable[[str], None]
    ) -> list[tuple[Value, timedelta | None]]:
        return self.values(event.get("RDATE"), info, zone, "RDATE", note)

    def overrides(
        self,
        events: Sequence[tuple[Component, _CalendarInfo]],
        zone: str,
        note: Callable[[str], None],
    ) -> list[Override]:
        found: list[Override] = []
        for event, info in events:
            try:
                rid_prop = event["RECURRENCE-ID"]
                recurrence_id = self.moment(_dt(rid_prop, "RECURRENCE-ID"), _tzid(rid_prop),
                                            info, zone)
                params = getattr(_first(rid_prop), "params", None) or {}
                this_and_future = str(params.get("RANGE", "")).upper() == "THISANDFUTURE"
                cancelled = str(event.get("STATUS", "")).strip().upper() == "CANCELLED"
                start: Value | None = None
                end: Moment | None = None
                if not cancelled and event.get("DTSTART") is not None:
                    prop = event["DTSTART"]
                    start = self.moment(_dt(prop, "DTSTART"), _tzid(prop), info, zone)
                    if isinstance(start, Moment):
                        end = self.override_end(event, start, info, zone)
                location, online, _ = _place(event)
            except SkipRecord as exc:
                note(f"a changed sitting (RECURRENCE-ID) was left out ({exc.reason})")
                continue
            except UNREADABLE as exc:
                note(f"a changed sitting (RECURRENCE-ID) was left out ({unreadable_reason(exc)})")
                continue
            found.append(Override(recurrence_id, this_and_future, cancelled, start, end,
                                  online.url, location.address, _int(event.get("SEQUENCE"))))
        return found

    def override_end(
        self, event: Component, start: Moment, info: _CalendarInfo, zone: str
    ) -> Moment | None:
        end_prop = event.get("DTEND")
        if end_prop is not None:
            end = self.moment(_dt(end_prop, "DTEND"), _tzid(end_prop), info, zone)
            return end if isinstance(end, Moment) else None
        if event.get("DURATION") is not None:
            length = _dt(event["DURATION"], "DURATION")
            if isinstance(length, timedelta):
                return Moment(start.local + length, start.instant + length)
        return None

    def duration(
        self, event: Component, start_at: datetime, info: _CalendarInfo, label: str
    ) -> int:
        minutes: float | None = None
        end_prop = event.get("DTEND")
        if end_prop is not None:
            raw_end = _dt(end_prop, "DTEND")
            if isinstance(raw_end, datetime):
                tzid = _tzid(end_prop)
                if tzid:
                    zone = self.zone_for(tzid, info, raw_end.year)
                    end_at = raw_end.replace(tzinfo=get_zone(zone)) if zone else None
                elif raw_end.tzinfo is not None:
                    end_at = raw_end
                else:
                    end_at = raw_end.replace(tzinfo=start_at.tzinfo)
                if end_at is not None:
                    minutes = (end_at - start_at).total_seconds() / 60
        elif event.get("DURATION") is not None:
            value = _dt(event["DURATION"], "DURATION")
            if isinstance(value, timedelta):
                minutes = value.total_seconds() / 60
        if minutes is None:
            return 60
        if minutes >= 1440:
            raise SkipRecord("lasts a day or longer, not a meeting")
        if minutes <= 0:
            self.note(f"{label}: ends when it starts; given one hour")
            return 60
        return round(minutes)


# ---------------------------------------------------------------------------- helpers


def _label(event: Component, uid: str) -> str:
    summary = " ".join(str(event.get("SUMMARY", "")).split())[:60]
    return f"event {summary!r} (UID {uid})" if summary else f"event UID {uid}"


def _constant(meeting: Meeting) -> Any:
    def convert() -> Meeting:
        return meeting

    return convert


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default


def _dt(prop: Any, name: str) -> Any:
    if isinstance(prop, list):
        prop = prop[0]
    try:
        return prop.dt
    except (ValueError, AttributeError) as exc:
        raise SkipRecord(f"broken {name}: {exc}") from exc


def _tzid(prop: Any) -> str | None:
    if isinstance(prop, list):
        prop = prop[0]
    params = getattr(prop, "params", None)
    value = params.get("TZID") if params is not None else None
    return str(value) if value else None


def _rules(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    rules = [r for r in items if hasattr(r, "get") and r.get("FREQ")]
    if items and not rules:
        raise SkipRecord("broken RRULE")
    return rules


def _categories(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value is not None else []
    names: list[str] = []
    for item in items:
        cats = getattr(item, "cats", None)
        if cats is None:
            names.extend(tol.tokens(str(item)))
        else:
            names.extend(str(c).strip() for c in cats if str(c).strip())
    return names


def _place(event: Component) -> tuple[Location, OnlineAccess, str | None]:
    """Location, online access and web page from LOCATION, CONFERENCE, URL, GEO, DESCRIPTION."""
    location_text = str(event.get("LOCATION", "")).strip()
    candidates: list[str] = []
    phone: str | None = None
    conferences = event.get("CONFERENCE")
    for conf in conferences if isinstance(conferences, list) else [conferences]:
        if conf is None:
            continue
        value = str(conf).strip()
        if value.lower().startswith("tel:"):
            phone = phone or value[4:]
        else:
            candidates.append(value)
    google = event.get("X-GOOGLE-CONFERENCE")
    if google is not None:
        candidates.append(str(google).strip())
    candidates += _LINK_RE.findall(location_text)
    page = str(event.get("URL", "")).strip() or None
    if page:
        candidates.append(page)
    candidates += _LINK_RE.findall(str(event.get("DESCRIPTION", "")))
    links = [tol.http_url(c) for c in candidates]
    valid = [link for link in links if link]
    known = [link for link in valid if OnlineAccess(url=link).has_known_provider]
    conference = known[0] if known else None
    if conference is None and location_text and _LINK_RE.fullmatch(location_text):
        conference = tol.http_url(location_text)
    address_text = _LINK_RE.sub("", location_text).strip(" ,;:-\n")
    address = ", ".join(p.strip() for p in address_text.splitlines() if p.strip()) or None
    if address and tol.fold(address).rstrip(".") in _ONLINE_WORDS:
        address = None
    lat = lon = None
    geo = event.get("GEO")
    if geo is not None:
        try:
            lat, lon = float(geo.latitude), float(geo.longitude)
        except (ValueError, TypeError, AttributeError):  # broken GEO: already warned about
            lat = lon = None
        if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            lat = lon = None
    web = page if page and page != conference else None
    return (
        Location(address=address, latitude=lat, longitude=lon),
        OnlineAccess(url=conference, phone=phone),
        tol.http_url(web),
    )


@guarded(FORMAT)
def parse_ics(data: bytes, ctx: ImportContext) -> ParseResult:
    """iCalendar bytes → one record per weekly series (keyed by its base UID)."""
    calendars, named = _read(data, ctx)
    return _Parser(ctx).parse(calendars, named)
