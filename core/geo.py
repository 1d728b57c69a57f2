"""Offline time-zone lookup from a shared location (timezonefinder, loaded on first use)."""

from __future__ import annotations

from functools import cache
from typing import Any

from core.timezones import canonical_zone, is_valid_zone


@cache
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=False)


def zone_at(latitude: float, longitude: float) -> str | None:
    """The IANA zone at a point, or None at sea / on bad input."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    name = _finder().timezone_at(lat=latitude, lng=longitude)
    if not name or name.startswith("Etc/") or not is_valid_zone(name):
        return None
    return canonical_zone(name)
