"""The domain model: frozen dataclasses, Meeting Guide–compatible.

Days use the Meeting Guide convention: 0 = Sunday … 6 = Saturday. Times are local wall-clock
times in the meeting's IANA zone; an end time earlier than the start means the meeting runs
past midnight. Nothing here stores an offset.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from core import types as mtypes
from core.errors import ValidationError
from core.meeting_info import (
    MAX_CONTACTS,
    NO_INFO,
    Contact,
    MeetingInfo,
    ServiceEntity,
    is_email,
)
from core.recurrence import PLAIN_SCHEDULE, Schedule
from core.text import fold
from core.timezones import canonical_zone

DAY_NAMES_EN = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
DAY_NAMES_ES = ("domingo", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado")

# Video and call providers named on cards (any web link makes a meeting online; a known
# provider's name is shown beside it). Host → provider name; subdomains count.
CONFERENCE_PROVIDERS: dict[str, str] = {
    "zoom.us": "Zoom",
    "zoom.com": "Zoom",
    "zoomgov.com": "Zoom",
    "meet.google.com": "Google Meet",
    "teams.microsoft.com": "Microsoft Teams",
    "teams.live.com": "Microsoft Teams",
    "discord.gg": "Discord",
    "discord.com": "Discord",
    "meet.jit.si": "Jitsi",
    "8x8.vc": "Jitsi",
    "webex.com": "Webex",
    "gotomeeting.com": "GoTo Meeting",
    "gotomeet.me": "GoTo Meeting",
    "meet.goto.com": "GoTo Meeting",
    "freeconferencecall.com": "FreeConferenceCall",
    "signal.group": "Signal",
    "skype.com": "Skype",
    "join.skype.com": "Skype",
    "whereby.com": "Whereby",
    "bluejeans.com": "BlueJeans",
    "t.me": "Telegram",
    "chat.whatsapp.com": "WhatsApp",
    "matrix.to": "Matrix",
    "app.element.io": "Element",
    "bigbluebutton.org": "BigBlueButton",
    "meet.ffmuc.net": "Jitsi",
}
CONFERENCE_HOSTS = tuple(CONFERENCE_PROVIDERS)


def span_minutes(start: time, end: time) -> int:
    """Minutes from `start` to `end` wall time; an end at or before the start is the next
    day (equal: a whole day)."""
    return ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) % 1440 or 1440


def _host_of(url: str) -> str:
    """The host of an http(s) URL, lower-case ('' if none)."""
    rest = url.partition("://")[2]
    host = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if host.startswith("["):
        return (urlparse(url).hostname or "").lower()
    return host.split(":", 1)[0].lower()


@lru_cache(maxsize=1024)
def conference_provider(host: str) -> str | None:
    """The provider name of a host ("us02web.zoom.us" → "Zoom"), or None."""
    labels = host.split(".")
    for i in range(len(labels) - 1):
        name = CONFERENCE_PROVIDERS.get(".".join(labels[i:]))
        if name is not None:
            return name
    return None


def is_web_link(url: str | None) -> bool:
    """An http(s) URL with a host: something a member can open."""
    if not url:
        return False
    return url.partition("://")[0].lower() in ("http", "https") and bool(_host_of(url))


class Attendance(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"
    INACTIVE = "inactive"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a meeting happens in person. `name` is the building ("location" in Meeting Guide)."""

    name: str | None = None
    address: str | None = None  # formatted address
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    region: str | None = None
    sub_region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    approximate: bool = False
    notes: str | None = None

    @property
    def is_specific(self) -> bool:
        """An address precise enough to walk into (not just a city or 'approximate')."""
        return bool(self.address) and not self.approximate

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def summary(self) -> str:
        parts = [p for p in (self.name, self.address) if p]
        if not self.address:
            parts += [p for p in (self.city, self.state, self.country) if p]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class OnlineAccess:
    url: str | None = None
    url_notes: str | None = None
    phone: str | None = None
    phone_notes: str | None = None

    @property
    def provider(self) -> str | None:
        """The name of the link's video/call provider, when it is a known one."""
        return conference_provider(_host_of(self.url)) if self.url else None

    @property
    def has_known_provider(self) -> bool:
        return self.provider is not None

    @property
    def is_online(self) -> bool:
        """Any web link (a self-hosted video room counts) or a phone line."""
        return is_web_link(self.url) or bool(self.phone)


@dataclass(frozen=True, slots=True)
class Meeting:
    """One meeting: its sittings start at `start` local time on `days`, as `schedule` says
    (by default every week, forever; see core.recurrence)."""

    slug: str
    name: str
    fellowship: str
    days: tuple[int, ...]
    start: time
    end: time
    timezone: str
    types: tuple[str, ...] = ()
    location: Location = field(default_factory=Location)
    online: OnlineAccess = field(default_factory=OnlineAccess)
    notes: str | None = None
    group: str | None = None
    url: str | None = None
    source: str = "manual"
    source_ref: str | None = None
    community: str | None = None
    attendance_option: Attendance | None = None
    updated: datetime = field(default_factory=lambda: datetime(2000, 1, 1, tzinfo=UTC))
    sequence: int = 0
    id: int | None = None
    schedule: Schedule = PLAIN_SCHEDULE
    info: MeetingInfo = NO_INFO  # feedback, 7th tradition, service entity (core.meeting_info)

    @property
    def duration_minutes(self) -> int:
        return span_minutes(self.start, self.end)

    @property
    def attendance(self) -> Attendance:
        return derive_attendance(self.location, self.online, self.types, self.attendance_option)

    @property
    def concepts(self) -> frozenset[str]:
        found = set(mtypes.concepts_for(self.fellowship, self.types))
        attendance = self.attendance
        if attendance in (Attendance.ONLINE, Attendance.HYBRID):
            found.add("online")
        if attendance in (Attendance.IN_PERSON, Attendance.HYBRID):
            found.add("in-person")
        return frozenset(found)

    def material_key(self) -> tuple[Any, ...]:
        """Everything a calendar subscriber would see; a change here raises SEQUENCE."""
        return (
            self.name,
            self.fellowship,
            self.days,
            self.start,
            self.end,
            self.timezone,
            self.types,
            self.location,
            self.online,
            self.notes,
            self.group,
            self.url,
            self.attendance_option,
            self.schedule,
            self.info,
        )


def derive_attendance(
    location: Location,
    online: OnlineAccess,
    types: Iterable[str],
    explicit: Attendance | None = None,
) -> Attendance:
    """Online if a web link or a phone (FORMATS.md §1 names known providers; a self-hosted
    room is a meeting too); in person if a specific
    address and no TC; both → hybrid; neither → inactive. An explicit option wins."""
    if explicit is not None:
        return explicit
    is_online = online.is_online
    in_person = location.is_specific and "TC" not in set(types)
    if is_online and in_person:
        return Attendance.HYBRID
    if is_online:
        return Attendance.ONLINE
    if in_person:
        return Attendance.IN_PERSON
    return Attendance.INACTIVE


# ----------------------------------------------------------------------------------------------
# Parsing and validation helpers shared by the CLI, chat commands and importers.


_DAY_LOOKUP: dict[str, int] = {}
for _i, (_en, _es) in enumerate(zip(DAY_NAMES_EN, DAY_NAMES_ES, strict=True)):
    for _name in (_en, _es, _en[:3], _es[:3], _en[:2]):
        _DAY_LOOKUP.setdefault(_name, _i)
_DAY_LOOKUP.update({"tues": 2, "thur": 4, "thurs": 4, "mie": 3, "sab": 6, "dom": 0})


def parse_day(value: str | int) -> int:
    """A day as 0–6 (Sunday = 0) or a name in English or Spanish, full or abbreviated."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 6:
            return value
        raise ValidationError("day", f"day {value} is not between 0 (Sunday) and 6", value=value)
    text = fold(str(value)).strip().rstrip(".")
    if text.isdigit() and 0 <= int(text) <= 6:
        return int(text)
    if text in _DAY_LOOKUP:
        return _DAY_LOOKUP[text]
    raise ValidationError("day", f"unknown day {value!r}", key="error.day_unknown", value=value)


_TIME_RE = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?(?::(\d{2}))?\s*([ap]\.?\s*m\.?)?\s*$", re.I)


def parse_time(value: str, field_name: str = "time") -> time:
    """'19:00', '7:00 PM', '7pm', '0700', '19:00:00' → time. Also 'noon' and 'midnight'."""
    text = value.strip().lower()
    if text in ("noon", "mediodia", "mediodía"):
        return time(12, 0)
    if text in ("midnight", "medianoche"):
        return time(0, 0)
    match = _TIME_RE.match(text)
    if match:
        hour = int(match.group(1))
        minute = int(match.group(2) or 0)
        meridiem = (match.group(4) or "").replace(".", "").replace(" ", "")
        if meridiem:
            if not 1 <= hour <= 12:
                match = None
            else:
                hour = hour % 12 + (12 if meridiem == "pm" else 0)
        if match and hour == 24 and minute == 0:
            hour = 0
        if match and 0 <= hour <= 23 and 0 <= minute <= 59:
            return time(hour, minute)
    raise ValidationError(
        field_name, f"{value!r} is not a time like 19:00 or 7:00 PM", key="error.time_invalid",
        value=value,
    )


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 64) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _SLUG_RE.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "meeting"


def _clean(text: str | None, max_length: int = 2000) -> str | None:
    if text is None:
        return None
    raw = str(text)
    if raw.replace("\n", " ").isprintable():
        cleaned = raw.strip()
    else:  # drop control and format characters (but keep line breaks)
        cleaned = "".join(c for c in raw if c == "\n" or unicodedata.category(c)[0] != "C").strip()
    return cleaned[:max_length] or None


def _check_url(value: str | None, field_name: str) -> str | None:
    value = _clean(value, 1000)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        if not parsed.scheme.isalpha() or "." in parsed.scheme:  # "zoom.us/j/1", "example.org:8"
            bare = urlparse(f"https://{value}")
            if bare.hostname and "." in bare.hostname and " " not in value:
                raise ValidationError(
                    field_name,
                    f"{value!r} is not a web link; did you mean https://{value}?",
                    key="error.url_no_scheme",
                    value=value,
                )
        raise ValidationError(
            field_name, f"{value!r} is not an http(s) link", key="error.url_invalid", value=value
        )
    return value


def _check_email(value: str | None, field_name: str) -> str | None:
    value = _clean(value, 254)
    if value is not None and not is_email(value):
        raise ValidationError(field_name, f"{value!r} is not an e-mail address",
                              key="error.email_invalid", value=value)
    return value


def _check_info(info: MeetingInfo) -> MeetingInfo:
    """Directory extras cleaned like the rest: web links must be web links, e-mails e-mails."""
    e = info.entity
    entity = ServiceEntity(
        name=_clean(e.name, 200),
        email=_check_email(e.email, "entity_email"),
        phone=_clean(e.phone, 100),
        url=_check_url(e.url, "entity_url"),
        location=_clean(e.location, 300),
        logo=_check_url(e.logo, "entity_logo"),
    )
    contacts = tuple(
        c for c in (
            Contact(name=_clean(c.name, 100), email=_check_email(c.email, "contact_email"),
                    phone=_clean(c.phone, 100))
            for c in info.contacts
        ) if c
    )
    return MeetingInfo(
        feedback_url=_check_url(info.feedback_url, "feedback_url"),
        feedback_emails=tuple(
            e for e in (_check_email(m, "feedback_emails") for m in info.feedback_emails) if e
        ),
        edit_url=_check_url(info.edit_url, "edit_url"),
        group_notes=_clean(info.group_notes, 4000),
        venmo=_clean(info.venmo, 100),
        paypal=_clean(info.paypal, 300),
        square=_clean(info.square, 300),
        homegroup_online=_clean(info.homegroup_online, 300),
        entity=entity,
        contacts=contacts[:MAX_CONTACTS],
    )


def build_meeting(
    *,
    name: str,
    fellowship: str,
    days: Sequence[str | int],
    start: str | time,
    end: str | time | None = None,
    timezone: str,
    types: Iterable[str] = (),
    slug: str | None = None,
    location: Location | None = None,
    online: OnlineAccess | None = None,
    notes: str | None = None,
    group: str | None = None,
    url: str | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    community: str | None = None,
    attendance_option: Attendance | str | None = None,
    updated: datetime | None = None,
    strict_types: bool = True,
    schedule: Schedule | None = None,
    info: MeetingInfo | None = None,
) -> Meeting:
    """Validate raw values and build a Meeting. Raises ValidationError naming the field.

    Applies the Meeting Guide rules: end defaults to start + 60 min, O+C → C, and room-only
    types are dropped from meetings that are not in person.
    """
    clean_name = _clean(name, 200)
    if not clean_name:
        raise ValidationError("name", "a meeting needs a name", key="error.name_missing")
    fellow = mtypes.fellowship(fellowship) if fellowship else None
    if fellow is None:
        raise ValidationError(
            "fellowship", f"unknown fellowship {fellowship!r}", key="error.fellowship_unknown",
            value=fellowship,
        )
    plan = schedule or PLAIN_SCHEDULE
    if not days and plan.recurrence.dates:  # one-off sittings: their own weekdays
        days = sorted({(d.weekday() + 1) % 7 for d in plan.recurrence.dates})
    if not days and plan.recurrence.month_days:
        days = [0]  # by day of the month: weekdays say nothing; keep the slug's shape
    if not days:
        raise ValidationError("day", "at least one day is required", key="error.day_missing")
    day_set = tuple(sorted({parse_day(d) for d in days}))
    start_time = start if isinstance(start, time) else parse_time(start, "time")
    if end is None or end == "":
        minutes = (start_time.hour * 60 + start_time.minute + 60) % 1440
        end_time = time(minutes // 60, minutes % 60)
    else:
        end_time = end if isinstance(end, time) else parse_time(end, "end_time")
    start_time = start_time.replace(second=0, microsecond=0, tzinfo=None)
    end_time = end_time.replace(second=0, microsecond=0, tzinfo=None)
    if end_time == start_time:
        raise ValidationError(
            "end_time", "the meeting ends when it starts", key="error.end_equals_start"
        )
    zone = canonical_zone(timezone)

    resolved: list[str] = []
    catalogue = mtypes.catalogue_for(fellow.key)
    for token in types:
        token = str(token).strip()
        if not token:
            continue
        code = token if token in catalogue else mtypes.resolve_type(fellow.key, token)
        if code is None:
            if strict_types:
                raise ValidationError(
                    "types", f"unknown meeting type {token!r} for {fellow.key}",
                    key="error.type_unknown", value=token,
                )
            continue
        resolved.append(code)
    loc = location or Location()
    if loc.latitude is not None or loc.longitude is not None:
        if loc.latitude is None or loc.longitude is None:
            raise ValidationError("latitude", "latitude and longitude go together",
                                  key="error.coordinates_pair")
        if not (-90 <= loc.latitude <= 90):
            raise ValidationError("latitude", f"{loc.latitude} is not a latitude",
                                  key="error.latitude_invalid", value=loc.latitude)
        if not (-180 <= loc.longitude <= 180):
            raise ValidationError("longitude", f"{loc.longitude} is not a longitude",
                                  key="error.longitude_invalid", value=loc.longitude)
    loc = Location(
        name=_clean(loc.name, 200),
        address=_clean(loc.address, 300),
        city=_clean(loc.city, 100),
        state=_clean(loc.state, 100),
        postal_code=_clean(loc.postal_code, 20),
        country=_clean(loc.country, 100),
        region=_clean(loc.region, 200),
        sub_region=_clean(loc.sub_region, 200),
        notes=_clean(loc.notes),
        latitude=loc.latitude,
        longitude=loc.longitude,
        approximate=loc.approximate,
    )
    acc = online or OnlineAccess()
    acc = OnlineAccess(
        url=_check_url(acc.url, "conference_url"),
        url_notes=_clean(acc.url_notes),
        phone=_clean(acc.phone, 100),
        phone_notes=_clean(acc.phone_notes),
    )
    option = Attendance(attendance_option) if attendance_option else None
    codes = mtypes.normalize_types(fellow.key, resolved)
    attendance = derive_attendance(loc, acc, codes, option)
    if attendance not in (Attendance.IN_PERSON, Attendance.HYBRID):
        codes = tuple(c for c in codes if c not in mtypes.IN_PERSON_ONLY_TYPES)
    clean_slug = slugify(slug) if slug else slugify(f"{clean_name}-{DAY_NAMES_EN[day_set[0]][:3]}-"
                                                    f"{start_time:%H%M}")
    if updated is not None and updated.tzinfo is None:
        raise ValidationError("updated", "update time needs a time zone")
    stamp = (updated or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if plan is not PLAIN_SCHEDULE:
        from core.schedule_edits import check_schedule  # it builds on core.schedule

        plan = check_schedule(plan, day_set, today=stamp.date())
    return Meeting(
        slug=clean_slug,
        name=clean_name,
        fellowship=fellow.key,
        days=day_set,
        start=start_time,
        end=end_time,
        timezone=zone,
        types=codes,
        location=loc,
        online=acc,
        notes=_clean(notes, 4000),
        group=_clean(group, 200),
        url=_check_url(url, "url"),
        source=source,
        source_ref=source_ref,
        community=community,
        attendance_option=option,
        updated=stamp,
        schedule=plan,
        info=_check_info(info) if info else NO_INFO,
    )
