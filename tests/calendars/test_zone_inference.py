"""A Meeting Guide record without a `timezone`: its coordinates name the zone (offline,
timezonefinder), except for online-only records, whose coordinates are often a server's
default; then the source's default; else the record is refused with the reason."""

from __future__ import annotations

import json
from typing import Any

from core.services import Services
from tests.calendars.conftest import do_import

MADRID = {"latitude": 40.4168, "longitude": -3.7038}
CALIFORNIA = {"latitude": 37.3861, "longitude": -122.0839}  # a hosting default, not the group


def record(slug: str, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": slug.title(), "slug": slug, "day": 2, "time": "19:00",
                            "types": ["O"]}
    data.update(kw)
    return data


def feed(*items: dict[str, Any]) -> bytes:
    return json.dumps(list(items)).encode()


async def test_zones_come_from_coordinates_then_the_default(services: Services) -> None:
    data = feed(
        record("madrid", formatted_address="Calle Mayor 1, 28013 Madrid, Spain", **MADRID),
        record("online", conference_url="https://zoom.us/j/5550001234", **CALIFORNIA),
        record("nowhere", formatted_address="Somewhere 1"),
        record("own", timezone="Asia/Tokyo", **MADRID),
    )
    report = await do_import(services, data=data, source="wild", default_tz="Europe/London")
    assert sorted(report.added) == ["madrid", "nowhere", "online", "own"]
    zones = {slug: (await services.meetings.get(slug)).timezone  # type: ignore[union-attr]
             for slug in report.added}
    assert zones == {"madrid": "Europe/Madrid", "online": "Europe/London",
                     "nowhere": "Europe/London", "own": "Asia/Tokyo"}
    [summary] = [w for w in report.warnings if "time zones inferred" in w]
    assert "1 from coordinates" in summary and "2 from the source's default" in summary


async def test_without_a_default_coordinates_decide_or_the_record_is_refused(
    services: Services,
) -> None:
    data = feed(
        record("madrid", formatted_address="Calle Mayor 1, Madrid", **MADRID),
        record("online", conference_url="https://zoom.us/j/5550001234", **CALIFORNIA),
        record("nowhere", formatted_address="Somewhere 1"),
    )
    report = await do_import(services, data=data, source="wild")
    assert sorted(report.added) == ["madrid", "online"]
    online = await services.meetings.get("online")
    assert online is not None and online.timezone == "America/Los_Angeles"
    [(ref, reason)] = report.skipped
    assert ref == "nowhere" and "no coordinates to infer it from" in reason
