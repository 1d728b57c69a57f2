"""Time-zone names as they appear in real files → canonical IANA zones.

- Windows zone names used by Outlook/Exchange ("Eastern Standard Time"), from the CLDR
  ``windowsZones.xml`` territory-001 mapping (the common ones).
- Outlook display names ("(UTC-05:00) Eastern Time (US & Canada)").
- Abbreviations people type in spreadsheets ("EST", "Pacific", "CET").
- Mozilla-style prefixed TZIDs ("/mozilla.org/20050126_1/America/New_York").
- Last resort for VTIMEZONEs with made-up names: the zone whose offsets match the definition,
  read from the STANDARD/DAYLIGHT observances over two years only (see `vtimezone_offsets`).

Every function here costs a bounded amount of work whatever the input: names longer than any
real zone name are unknown at once, and rules are evaluated year by year in a window, never
expanded from a DTSTART centuries back.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from calendars.limits import MAX_OBSERVANCES, MAX_TZID_CHARS, Budget, shown
from core.errors import ValidationError
from core.timezones import canonical_zone, canonical_zones, find_zone, get_zone, suggest_zones

# CLDR windowsZones.xml, territory "001" (the default for each Windows zone).
WINDOWS_ZONES: dict[str, str] = {
    "Dateline Standard Time": "Etc/GMT+12",
    "UTC-11": "Etc/GMT+11",
    "Aleutian Standard Time": "America/Adak",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Marquesas Standard Time": "Pacific/Marquesas",
    "Alaskan Standard Time": "America/Anchorage",
    "UTC-09": "Etc/GMT+9",
    "Pacific Standard Time (Mexico)": "America/Tijuana",
    "UTC-08": "Etc/GMT+8",
    "Pacific Standard Time": "America/Los_Angeles",
    "US Mountain Standard Time": "America/Phoenix",
    "Mountain Standard Time (Mexico)": "America/Mazatlan",
    "Mountain Standard Time": "America/Denver",
    "Yukon Standard Time": "America/Whitehorse",
    "Central America Standard Time": "America/Guatemala",
    "Central Standard Time": "America/Chicago",
    "Easter Island Standard Time": "Pacific/Easter",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "Mexico Standard Time": "America/Mexico_City",
    "Mexico Standard Time 2": "America/Chihuahua",
    "Canada Central Standard Time": "America/Regina",
    "SA Pacific Standard Time": "America/Bogota",
    "Eastern Standard Time (Mexico)": "America/Cancun",
    "Eastern Standard Time": "America/New_York",
    "Haiti Standard Time": "America/Port-au-Prince",
    "Cuba Standard Time": "America/Havana",
    "US Eastern Standard Time": "America/Indiana/Indianapolis",
    "Turks And Caicos Standard Time": "America/Grand_Turk",
    "Paraguay Standard Time": "America/Asuncion",
    "Atlantic Standard Time": "America/Halifax",
    "Venezuela Standard Time": "America/Caracas",
    "Central Brazilian Standard Time": "America/Cuiaba",
    "SA Western Standard Time": "America/La_Paz",
    "Pacific SA Standard Time": "America/Santiago",
    "Newfoundland Standard Time": "America/St_Johns",
    "Tocantins Standard Time": "America/Araguaina",
    "E. South America Standard Time": "America/Sao_Paulo",
    "SA Eastern Standard Time": "America/Cayenne",
    "Argentina Standard Time": "America/Argentina/Buenos_Aires",
    "Greenland Standard Time": "America/Nuuk",
    "Montevideo Standard Time": "America/Montevideo",
    "Magallanes Standard Time": "America/Punta_Arenas",
    "Saint Pierre Standard Time": "America/Miquelon",
    "Bahia Standard Time": "America/Bahia",
    "UTC-02": "Etc/GMT+2",
    "Mid-Atlantic Standard Time": "Etc/GMT+2",
    "Azores Standard Time": "Atlantic/Azores",
    "Cape Verde Standard Time": "Atlantic/Cape_Verde",
    "UTC": "Etc/UTC",
    "Coordinated Universal Time": "Etc/UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "Sao Tome Standard Time": "Africa/Sao_Tome",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Romance Standard Time": "Europe/Paris",
    "Central European Standard Time": "Europe/Warsaw",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "Jordan Standard Time": "Asia/Amman",
    "GTB Standard Time": "Europe/Bucharest",
    "Middle East Standard Time": "Asia/Beirut",
    "Egypt Standard Time": "Africa/Cairo",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Syria Standard Time": "Asia/Damascus",
    "West Bank Standard Time": "Asia/Hebron",
    "South Africa Standard Time": "Africa/Johannesburg",
    "FLE Standard Time": "Europe/Kyiv",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Sudan Standard Time": "Africa/Juba",
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Sudan Standard Time": "Africa/Khartoum",
    "Libya Standard Time": "Africa/Tripoli",
    "Namibia Standard Time": "Africa/Windhoek",
    "Arabic Standard Time": "Asia/Baghdad",
    "Turkey Standard Time": "Europe/Istanbul",
    "Arab Standard Time": "Asia/Riyadh",
    "Belarus Standard Time": "Europe/Minsk",
    "Russian Standard Time": "Europe/Moscow",
    "E. Africa Standard Time": "Africa/Nairobi",
    "Volgograd Standard Time": "Europe/Volgograd",
    "Iran Standard Time": "Asia/Tehran",
    "Arabian Standard Time": "Asia/Dubai",
    "Astrakhan Standard Time": "Europe/Astrakhan",
    "Azerbaijan Standard Time": "Asia/Baku",
    "Russia Time Zone 3": "Europe/Samara",
    "Mauritius Standard Time": "Indian/Mauritius",
    "Saratov Standard Time": "Europe/Saratov",
    "Georgian Standard Time": "Asia/Tbilisi",
    "Caucasus Standard Time": "Asia/Yerevan",
    "Afghanistan Standard Time": "Asia/Kabul",
    "West Asia Standard Time": "Asia/Tashkent",
    "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
    "Pakistan Standard Time": "Asia/Karachi",
    "Qyzylorda Standard Time": "Asia/Qyzylorda",
    "India Standard Time": "Asia/Kolkata",
    "Sri Lanka Standard Time": "Asia/Colombo",
    "Nepal Standard Time": "Asia/Kathmandu",
    "Central Asia Standard Time": "Asia/Almaty",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "Omsk Standard Time": "Asia/Omsk",
    "Myanmar Standard Time": "Asia/Yangon",
    "SE Asia Standard Time": "Asia/Bangkok",
    "Altai Standard Time": "Asia/Barnaul",
    "W. Mongolia Standard Time": "Asia/Hovd",
    "North Asia Standard Time": "Asia/Krasnoyarsk",
    "N. Central Asia Standard Time": "Asia/Novosibirsk",
    "Tomsk Standard Time": "Asia/Tomsk",
    "China Standard Time": "Asia/Shanghai",
    "North Asia East Standard Time": "Asia/Irkutsk",
    "Singapore Standard Time": "Asia/Singapore",
    "W. Australia Standard Time": "Australia/Perth",
    "Taipei Standard Time": "Asia/Taipei",
    "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Transbaikal Standard Time": "Asia/Chita",
    "Tokyo Standard Time": "Asia/Tokyo",
    "North Korea Standard Time": "Asia/Pyongyang",
    "Korea Standard Time": "Asia/Seoul",
    "Yakutsk Standard Time": "Asia/Yakutsk",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Central Standard Time": "Australia/Darwin",
    "E. Australia Standard Time": "Australia/Brisbane",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "West Pacific Standard Time": "Pacific/Port_Moresby",
    "Tasmania Standard Time": "Australia/Hobart",
    "Vladivostok Standard Time": "Asia/Vladivostok",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Bougainville Standard Time": "Pacific/Bougainville",
    "Russia Time Zone 10": "Asia/Srednekolymsk",
    "Magadan Standard Time": "Asia/Magadan",
    "Norfolk Standard Time": "Pacific/Norfolk",
    "Sakhalin Standard Time": "Asia/Sakhalin",
    "Central Pacific Standard Time": "Pacific/Guadalcanal",
    "Russia Time Zone 11": "Asia/Kamchatka",
    "New Zealand Standard Time": "Pacific/Auckland",
    "UTC+12": "Etc/GMT-12",
    "Fiji Standard Time": "Pacific/Fiji",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "UTC+13": "Etc/GMT-13",
    "Tonga Standard Time": "Pacific/Tongatapu",
    "Samoa Standard Time": "Pacific/Apia",
    "Line Islands Standard Time": "Pacific/Kiritimati",
}

# Outlook's display names, without the "(UTC±hh:mm) " prefix, folded.
OUTLOOK_DISPLAY_NAMES: dict[str, str] = {
    "eastern time (us & canada)": "America/New_York",
    "central time (us & canada)": "America/Chicago",
    "mountain time (us & canada)": "America/Denver",
    "pacific time (us & canada)": "America/Los_Angeles",
    "arizona": "America/Phoenix",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "indiana (east)": "America/Indiana/Indianapolis",
    "saskatchewan": "America/Regina",
    "central america": "America/Guatemala",
    "atlantic time (canada)": "America/Halifax",
    "newfoundland": "America/St_Johns",
    "guadalajara, mexico city, monterrey": "America/Mexico_City",
    "bogota, lima, quito, rio branco": "America/Bogota",
    "bogota, lima, quito": "America/Bogota",
    "city of buenos aires": "America/Argentina/Buenos_Aires",
    "buenos aires": "America/Argentina/Buenos_Aires",
    "brasilia": "America/Sao_Paulo",
    "santiago": "America/Santiago",
    "caracas": "America/Caracas",
    "dublin, edinburgh, lisbon, london": "Europe/London",
    "coordinated universal time": "Etc/UTC",
    "amsterdam, berlin, bern, rome, stockholm, vienna": "Europe/Berlin",
    "brussels, copenhagen, madrid, paris": "Europe/Paris",
    "belgrade, bratislava, budapest, ljubljana, prague": "Europe/Budapest",
    "sarajevo, skopje, warsaw, zagreb": "Europe/Warsaw",
    "west central africa": "Africa/Lagos",
    "athens, bucharest": "Europe/Bucharest",
    "helsinki, kyiv, riga, sofia, tallinn, vilnius": "Europe/Kyiv",
    "helsinki, kiev, riga, sofia, tallinn, vilnius": "Europe/Kyiv",
    "jerusalem": "Asia/Jerusalem",
    "cairo": "Africa/Cairo",
    "harare, pretoria": "Africa/Johannesburg",
    "istanbul": "Europe/Istanbul",
    "moscow, st. petersburg": "Europe/Moscow",
    "moscow, st. petersburg, volgograd": "Europe/Moscow",
    "nairobi": "Africa/Nairobi",
    "abu dhabi, muscat": "Asia/Dubai",
    "islamabad, karachi": "Asia/Karachi",
    "chennai, kolkata, mumbai, new delhi": "Asia/Kolkata",
    "kathmandu": "Asia/Kathmandu",
    "dhaka": "Asia/Dhaka",
    "bangkok, hanoi, jakarta": "Asia/Bangkok",
    "beijing, chongqing, hong kong, urumqi": "Asia/Shanghai",
    "kuala lumpur, singapore": "Asia/Singapore",
    "perth": "Australia/Perth",
    "taipei": "Asia/Taipei",
    "osaka, sapporo, tokyo": "Asia/Tokyo",
    "seoul": "Asia/Seoul",
    "adelaide": "Australia/Adelaide",
    "darwin": "Australia/Darwin",
    "brisbane": "Australia/Brisbane",
    "canberra, melbourne, sydney": "Australia/Sydney",
    "hobart": "Australia/Hobart",
    "auckland, wellington": "Pacific/Auckland",
    "fiji": "Pacific/Fiji",
}

# Abbreviations and words people type; these win over IANA's own fixed-offset "EST"/"MST"
# zones, because in a meeting list "EST" means US Eastern time with daylight saving.
ABBREVIATIONS: dict[str, str] = {
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "eastern time": "America/New_York",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "central time": "America/Chicago",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mountain": "America/Denver",
    "mountain time": "America/Denver",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles",
    "akst": "America/Anchorage",
    "akdt": "America/Anchorage",
    "alaska": "America/Anchorage",
    "hst": "Pacific/Honolulu",
    "hawaii": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
    "gmt": "Etc/UTC",
    "utc": "Etc/UTC",
    "z": "Etc/UTC",
    "bst": "Europe/London",
    "uk": "Europe/London",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "wet": "Europe/Lisbon",
    "west": "Europe/Lisbon",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "acst": "Australia/Adelaide",
    "acdt": "Australia/Adelaide",
    "awst": "Australia/Perth",
    "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "sgt": "Asia/Singapore",
    "hkt": "Asia/Hong_Kong",
}

_FOLD_RE = re.compile(r"\s+")
_OUTLOOK_RE = re.compile(r"^\((?:UTC|GMT)\s*(?:[+-]\d{1,2}(?::?\d{2})?)?\)\s*(.+)$", re.I)
_WINDOWS_FOLDED = {k.casefold(): v for k, v in WINDOWS_ZONES.items()}


def _norm(text: str) -> str:
    return _FOLD_RE.sub(" ", text.strip().strip('"').strip()).casefold()


# IANA names have at most three segments: only the last three of a prefixed name can be one.
_MAX_IANA_SEGMENTS = 3


@lru_cache(maxsize=4096)
def known_zone(name: str) -> str | None:
    """An IANA zone for a name found in a file, or None. Never guesses from offsets."""
    raw = name.strip().strip('"').strip()
    if not raw or len(raw) > MAX_TZID_CHARS:
        return None
    folded = _norm(raw)
    if folded in ABBREVIATIONS:
        return canonical_zone(ABBREVIATIONS[folded])
    if folded in _WINDOWS_FOLDED:
        return canonical_zone(_WINDOWS_FOLDED[folded])
    match = _OUTLOOK_RE.match(raw)
    if match:
        found = OUTLOOK_DISPLAY_NAMES.get(_norm(match.group(1)))
        if found:
            return canonical_zone(found)
    if folded in OUTLOOK_DISPLAY_NAMES:
        return canonical_zone(OUTLOOK_DISPLAY_NAMES[folded])
    zone = find_zone(raw)
    if zone:
        return zone
    # Mozilla/Lightning prefixes: "/mozilla.org/20050126_1/America/New_York", "/citadel.org/…".
    parts = [p for p in raw.split("/") if p]
    for start in range(max(1, len(parts) - _MAX_IANA_SEGMENTS), len(parts)):
        candidate = "/".join(parts[start:])
        if "/" in candidate:
            zone = find_zone(candidate)
            if zone:
                return zone
    return None


def fuzzy_zone(name: str, *, guess: bool = True) -> tuple[str, str | None]:
    """A zone for what a person typed in a meeting list: (zone, note). The note is set when
    the zone is a guess from a close spelling (looked for only with `guess`: it costs a fuzzy
    search over every zone name). Raises ValidationError('timezone')."""
    zone = known_zone(name)
    if zone is not None:
        return zone, None
    suggestions = suggest_zones(name, limit=1) if guess else []
    if suggestions:
        return suggestions[0], f"time zone {shown(name)!r} read as {suggestions[0]}"
    raise ValidationError(
        "timezone",
        f"unknown time zone {shown(name)!r}",
        key="error.timezone_unknown",
        value=shown(name),
    )


# ------------------------------------------------------------------ matching a VTIMEZONE's rules

# Years the offsets are compared over (the event's year, clamped) and the tzdata cache size.
_FIRST_YEAR, _LAST_YEAR = 1970, 2100
_ICS_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
# Rule parts a time zone observance does not need; a rule with one is not read.
_UNREAD_PARTS = ("BYWEEKNO", "BYYEARDAY", "BYSETPOS", "BYHOUR", "BYMINUTE", "BYSECOND")


def _clamp(year: int) -> int:
    return min(max(year, _FIRST_YEAR), _LAST_YEAR)


def _samples(year: int) -> list[datetime]:
    """Instants spread over two years: 1st and 16th of every month, at 12:00 UTC."""
    return [
        datetime(y, m, d, 12, tzinfo=UTC)
        for y in (year, year + 1)
        for m in range(1, 13)
        for d in (1, 16)
    ]


@lru_cache(maxsize=8192)
def _offsets(zone: str, year: int) -> tuple[timedelta | None, ...]:
    tz = get_zone(zone)
    return tuple(s.astimezone(tz).utcoffset() for s in _samples(year))


def _candidate_zones() -> list[str]:
    preferred = [canonical_zone(z) for z in WINDOWS_ZONES.values()]
    return list(dict.fromkeys([*preferred, *canonical_zones()]))


def zone_matching(tz: tzinfo, year: int, hints: Sequence[str] = ()) -> str | None:
    """The IANA zone whose UTC offsets equal `tz`'s over `year` and the next, preferring
    `hints` (the file's X-WR-TIMEZONE, the --tz default), then Windows zones' targets.
    Fixed offsets of whole hours map to Etc/GMT±N."""
    year = _clamp(year)
    try:
        wanted = tuple(s.astimezone(tz).utcoffset() for s in _samples(year))
    except (ValueError, OverflowError, TypeError):
        return None
    return offsets_matching(wanted, year, hints)


def offsets_matching(
    wanted: Sequence[timedelta | None], year: int, hints: Sequence[str] = ()
) -> str | None:
    """The zone for the UTC offsets a definition has at `_samples(year)` (see zone_matching)."""
    year = _clamp(year)
    wanted = tuple(wanted)
    if not wanted or any(w is None for w in wanted):
        return None
    if len(set(wanted)) == 1:
        offset = wanted[0]
        assert offset is not None
        hours, rest = divmod(int(offset.total_seconds()), 3600)
        if (
            rest == 0
            and -14 <= hours <= 12
            and not any(
                len(set(_offsets(h, year))) == 1 and _offsets(h, year)[0] == offset for h in hints
            )
        ):
            return canonical_zone("Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}")
    for zone in _unique([*hints, *_candidate_zones()]):
        if _offsets(zone, year) == wanted:
            return zone
    return None


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


class ZoneTooComplex(Exception):
    """A VTIMEZONE has more observances than MAX_OBSERVANCES."""


class _Unreadable(Exception):
    """A VTIMEZONE uses something this reader does not evaluate (it is then not matched)."""


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _offset(prop: Any) -> timedelta:
    value = getattr(_first(prop), "td", None)
    if not isinstance(value, timedelta) or abs(value) >= timedelta(days=1):
        raise _Unreadable("TZOFFSETFROM/TZOFFSETTO")
    return value


def _local(value: Any, offset_from: timedelta) -> datetime:
    """An onset as local wall time (naive): a DTSTART / RDATE / UNTIL value."""
    if isinstance(value, tuple):  # an RDATE period
        value = value[0]
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None) + offset_from
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0))
    raise _Unreadable("date")


def _ints(values: Any, low: int, high: int) -> list[int]:
    out = []
    for raw in values if isinstance(values, (list, tuple)) else [values]:
        number = int(raw)
        if not low <= abs(number) <= high:
            raise _Unreadable("rule part")
        out.append(number)
    return out


def _month_days(year: int, month: int, rule: _YearlyRule, start: datetime) -> list[int]:
    first_weekday, length = calendar.monthrange(year, month)
    days: set[int] | None = None
    if rule.weekdays:
        days = set()
        for ordinal, weekday in rule.weekdays:
            matching = [d for d in range(1, length + 1) if (first_weekday + d - 1) % 7 == weekday]
            if ordinal is None:
                days.update(matching)
            elif 1 <= abs(ordinal) <= len(matching):
                days.add(matching[ordinal - 1] if ordinal > 0 else matching[ordinal])
    if rule.monthdays:
        wanted = {d if d > 0 else length + 1 + d for d in rule.monthdays}
        days = wanted if days is None else days & wanted
    if days is None:
        days = {start.day}
    return sorted(d for d in days if 1 <= d <= length)


class _YearlyRule:
    """FREQ=YEARLY with BYMONTH / BYDAY / BYMONTHDAY: all that time zone rules use."""

    def __init__(self, rule: Any, start: datetime, offset_from: timedelta) -> None:
        if str(_first(rule.get("FREQ")) or "").upper() != "YEARLY":
            raise _Unreadable("FREQ")
        if any(rule.get(part) for part in _UNREAD_PARTS):
            raise _Unreadable("rule part")
        self.interval = _ints(rule.get("INTERVAL") or [1], 1, 1000)[0]
        if self.interval < 0:
            raise _Unreadable("INTERVAL")
        self.weekdays: list[tuple[int | None, int]] = []
        for token in rule.get("BYDAY") or []:
            match = _BYDAY_RE.match(str(token).strip().upper())
            if match is None:
                raise _Unreadable("BYDAY")
            ordinal = int(match.group(1)) if match.group(1) else None
            if ordinal == 0:
                raise _Unreadable("BYDAY")
            self.weekdays.append((ordinal, _ICS_WEEKDAYS[match.group(2)]))
        self.monthdays = _ints(rule.get("BYMONTHDAY") or [], 1, 31)
        months = rule.get("BYMONTH")
        if months:
            self.months = sorted(set(_ints(months, 1, 12)))
            if any(m < 0 for m in self.months):
                raise _Unreadable("BYMONTH")
        elif self.weekdays:
            raise _Unreadable("BYDAY without BYMONTH")  # weeks of the whole year
        elif self.monthdays:
            self.months = list(range(1, 13))
        else:
            self.months = [start.month]
        until = _first(rule.get("UNTIL"))
        self.until = _local(until, offset_from) if until is not None else None
        count = _first(rule.get("COUNT"))
        self.count = int(count) if count is not None else None
        self.start = start

    def in_year(self, year: int) -> list[datetime]:
        return [
            datetime.combine(date(year, month, day), self.start.time())
            for month in self.months
            for day in _month_days(year, month, self, self.start)
        ]

    def onsets(self, low: int, high: int, budget: Budget) -> list[datetime]:
        """Onsets in the years `low`–`high`, plus the last one before them, if any."""
        start, step = self.start, self.interval
        if self.count is not None:  # counted from DTSTART: walk the years, within the budget
            found: list[datetime] = []
            seen, year = 0, start.year
            while seen < self.count and year <= high:
                budget.spend()
                for onset in self.in_year(year):
                    if onset >= start and seen < self.count:
                        seen += 1
                        found.append(onset)
                year += step
            return [o for o in found if o.year >= low] + [o for o in found if o.year < low][-1:]
        targets = set(range(low - 1, high + 1))
        if self.until is not None:
            targets |= {self.until.year - 1, self.until.year}
        years = sorted(
            {start.year + (t - start.year) // step * step for t in targets if t >= start.year}
        )
        result = []
        for year in years:
            budget.spend()
            if not 1 <= year <= 9998:
                continue
            for onset in self.in_year(year):
                if onset >= start and (self.until is None or onset <= self.until):
                    result.append(onset)
        return result


def vtimezone_offsets(vtz: Any, year: int, budget: Budget) -> tuple[timedelta, ...] | None:
    """The UTC offsets of an icalendar VTIMEZONE at `_samples(year)`, from its STANDARD and
    DAYLIGHT observances (DTSTART, RDATEs, yearly RRULEs) evaluated over the sampled years
    only; None if it uses anything else. Each rule-year and RDATE spends one unit of `budget`
    (BudgetExceeded); more than MAX_OBSERVANCES observances raise ZoneTooComplex."""
    year = _clamp(year)
    observances = [
        c for c in getattr(vtz, "subcomponents", []) if c.name in ("STANDARD", "DAYLIGHT")
    ]
    if len(observances) > MAX_OBSERVANCES:
        raise ZoneTooComplex(len(observances))
    # (UTC instant, -position in the file, offset from then on): at equal instants the
    # observance written first wins, as with dateutil.
    onsets: list[tuple[datetime, int, timedelta]] = []
    try:
        for position, obs in enumerate(observances):
            offset_from = _offset(obs.get("TZOFFSETFROM"))
            offset_to = _offset(obs.get("TZOFFSETTO"))
            start_prop = obs.get("DTSTART")
            if start_prop is None:
                raise _Unreadable("DTSTART")
            start = _local(_first(start_prop).dt, offset_from)
            local = [start]
            rules = obs.get("RRULE")
            for rule in rules if isinstance(rules, list) else [rules] if rules else []:
                local += _YearlyRule(rule, start, offset_from).onsets(year - 1, year + 1, budget)
            rdates = obs.get("RDATE")
            for group in rdates if isinstance(rdates, list) else [rdates] if rdates else []:
                values = getattr(group, "dts", [])
                budget.spend(len(values))
                local += [_local(v.dt, offset_from) for v in values]
            onsets += [(moment - offset_from, -position, offset_to) for moment in local]
        # Before the first onset: the first STANDARD observance's offset (as dateutil does).
        initial = next(
            (_offset(o.get("TZOFFSETTO")) for o in observances if o.name == "STANDARD"),
            onsets[0][2] if onsets else None,
        )
    except (_Unreadable, ValueError, TypeError, AttributeError, KeyError, OverflowError):
        return None
    if not onsets or initial is None:
        return None
    onsets.sort(key=lambda item: (item[0], item[1]))
    instants = [moment for moment, _, _ in onsets]
    result = []
    for sample in _samples(year):
        at = bisect.bisect_right(instants, sample.replace(tzinfo=None))
        result.append(onsets[at - 1][2] if at else initial)
    return tuple(result)
