"""IANA time zones: validation, canonical names for links (US/Eastern → America/New_York),
suggestions for typos and a city search for autocomplete."""

from __future__ import annotations

import difflib
import zoneinfo
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from core.errors import ValidationError
from core.text import fold

# No IANA name is longer than this (the longest is 32 characters); anything longer is not a
# zone, and is refused before any lookup. ZoneInfo turns every "/" of a key into a package
# level to import, so a key of thousands of segments exhausts the stack (RecursionError) and a
# segment over 255 bytes is an OSError: keys reach ZoneInfo only through `get_zone`, which
# hands it nothing but a name `canonical_zone` found in the zone list.
MAX_ZONE_NAME = 64

# Names people type that are not IANA names at all.
_COMMON_ALIASES = {
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "eastern": "America/New_York",
    "central": "America/Chicago",
    "mountain": "America/Denver",
    "pacific": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
}


def _tzdata_text(name: str) -> str:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        return ""


@cache
def country_zones() -> frozenset[str]:
    """Zones listed per country in zone.tab: the names people know (Europe/Amsterdam stays
    Europe/Amsterdam even though tzdata now links it to Europe/Brussels)."""
    names = set()
    for line in _tzdata_text("zone.tab").splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("\t")[2])
    return frozenset(names)


@cache
def _links() -> dict[str, str]:
    """Legacy link name → canonical zone (US/Eastern → America/New_York), from tzdata.zi."""
    links: dict[str, str] = {}
    keep = country_zones()
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, name = line.split()
            if name not in keep:
                links[name] = "UTC" if target == "Etc/UTC" else target
    links["Etc/UTC"] = "UTC"
    links.pop("UTC", None)
    # Resolve chains of links.
    for name, target in list(links.items()):
        seen = {name}
        while target in links and target not in seen:
            seen.add(target)
            target = links[target]
        links[name] = target
    return links


@cache
def all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def canonical_zones() -> tuple[str, ...]:
    """Every canonical (non-link) zone, sorted; the list offered to users."""
    return tuple(sorted(country_zones() | {"UTC"}))


@cache
def _folded_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for zone in all_zones():
        index[fold(zone)] = zone
    return index


def find_zone(name: str) -> str | None:
    """The canonical IANA name for `name`, or None; cheap (no suggestions), any input."""
    raw = name.strip()
    if not raw or len(raw) > MAX_ZONE_NAME:
        return None
    zone = raw if raw in all_zones() else _folded_index().get(fold(raw).replace(" ", "_"))
    if zone is None:
        zone = _COMMON_ALIASES.get(fold(raw))
    if zone is None:
        return None
    return _links().get(zone, zone)


def canonical_zone(name: str) -> str:
    """Return the canonical IANA name for `name` or raise ValidationError('timezone')."""
    raw = name.strip()
    if not raw:
        raise ValidationError("timezone", "a time zone is required", key="error.timezone_missing")
    zone = find_zone(raw)
    if zone is None:
        shown = raw if len(raw) <= MAX_ZONE_NAME else raw[:MAX_ZONE_NAME] + "…"
        raise ValidationError(
            "timezone",
            f"unknown time zone {shown!r}",
            key="error.timezone_unknown",
            value=shown,
            suggestions=suggest_zones(raw),
        )
    return zone


def is_valid_zone(name: str) -> bool:
    try:
        canonical_zone(name)
    except ValidationError:
        return False
    return True


@cache
def get_zone(name: str) -> ZoneInfo:
    """ZoneInfo for a (canonical or link) zone name; cached."""
    return ZoneInfo(canonical_zone(name))


def city_of(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def suggest_zones(text: str, limit: int = 5) -> list[str]:
    """Close matches for a mistyped zone or a city name ('new yrok' → America/New_York)."""
    needle = fold(text.strip()).replace(" ", "_")
    if not needle or len(needle) > MAX_ZONE_NAME:
        return []
    zones = canonical_zones()
    by_city = {fold(city_of(z)).replace(" ", "_"): z for z in zones}
    by_full = {fold(z): z for z in zones}
    found: list[str] = []
    for key in difflib.get_close_matches(needle, list(by_city), n=limit, cutoff=0.7):
        found.append(by_city[key])
    for key in difflib.get_close_matches(needle, list(by_full), n=limit, cutoff=0.7):
        if by_full[key] not in found:
            found.append(by_full[key])
    return found[:limit]


def search_zones(text: str, limit: int = 25) -> list[str]:
    """Zones whose city or full name contains `text` (for autocomplete), best first."""
    needle = fold(text.strip()).replace(" ", "_")
    zones = canonical_zones()
    if not needle:
        return list(zones[:limit])
    starts = [z for z in zones if fold(city_of(z)).replace(" ", "_").startswith(needle)]
    contains = [z for z in zones if needle in fold(z) and z not in starts]
    result = starts + contains
    if len(result) < limit:
        result += [z for z in suggest_zones(text, limit) if z not in result]
    return result[:limit]
