"""Time-zone names as they appear in real files → canonical IANA zones.

- Windows zone names used by Outlook/Exchange ("Eastern Standard Time"), from the CLDR
  ``windowsZones.xml`` territory-001 mapping (the common ones).
- Outlook display names ("(UTC-05:00) Eastern Time (US & Canada)").
- Abbreviations people type in spreadsheets ("EST", "Pacific", "CET").
- Mozilla-style prefixed TZIDs ("/mozilla.org/20050126_1/America/New_York").
- Last resort for VTIMEZONEs with made-up names: the zone whose offsets match the definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache

from core.errors import ValidationError
from core.timezones import canonical_zone, canonical_zones, get_zone, suggest_zones

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


def _iana(name: str) -> str | None:
    try:
        return canonical_zone(name)
    except ValidationError:
        return None


def known_zone(name: str) -> str | None:
    """An IANA zone for a name found in a file, or None. Never guesses from offsets."""
    raw = name.strip().strip('"').strip()
    if not raw:
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
    zone = _iana(raw)
    if zone:
        return zone
    # Mozilla/Lightning prefixes: "/mozilla.org/20050126_1/America/New_York", "/citadel.org/…".
    parts = [p for p in raw.split("/") if p]
    for start in range(1, len(parts)):
        candidate = "/".join(parts[start:])
        if "/" in candidate:
            zone = _iana(candidate)
            if zone:
                return zone
    return None


def fuzzy_zone(name: str) -> tuple[str, str | None]:
    """A zone for what a person typed in a meeting list: (zone, note). The note is set when
    the zone is a guess from a close spelling. Raises ValidationError('timezone')."""
    zone = known_zone(name)
    if zone is not None:
        return zone, None
    suggestions = suggest_zones(name, limit=1)
    if suggestions:
        return suggestions[0], f"time zone {name!r} read as {suggestions[0]}"
    raise ValidationError(
        "timezone", f"unknown time zone {name!r}", key="error.timezone_unknown", value=name
    )


# ------------------------------------------------------------------ matching a VTIMEZONE's rules


def _samples(year: int) -> list[datetime]:
    """Instants spread over two years: 1st and 16th of every month, at 12:00 UTC."""
    return [
        datetime(y, m, d, 12, tzinfo=UTC)
        for y in (year, year + 1)
        for m in range(1, 13)
        for d in (1, 16)
    ]


@cache
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
    try:
        wanted = tuple(s.astimezone(tz).utcoffset() for s in _samples(year))
    except (ValueError, OverflowError, TypeError):
        return None
    if any(w is None for w in wanted):
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
