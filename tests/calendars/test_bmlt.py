"""BMLT: GetSearchResults (1 = Sunday, HH:MM:SS, durations, venue_type), formats through
GetFormats world ids, and the tsml output (Meeting Guide JSON)."""

from __future__ import annotations

import json
from datetime import time

import pytest

from calendars.bmlt import format_map
from calendars.errors import InvalidImport
from core.model import Attendance
from core.services import Services
from tests.calendars.conftest import do_import, fixture_bytes


def test_format_map_uses_world_ids() -> None:
    formats = json.loads(fixture_bytes("bmlt_formats.json"))
    mapping = format_map(formats, "na")
    assert mapping["B"] == "BEG"  # BMLT's B is Beginners
    assert mapping["WC"] == "X" and mapping["C"] == "C" and mapping["O"] == "O"
    assert mapping["VM"] == "ONL" and mapping["HY"] == "@hybrid"
    # A server whose key strings differ still maps through the world id.
    assert format_map([{"key_string": "Abierta", "world_id": "OPEN"}], "na") == {"Abierta": "O"}


async def test_get_search_results_with_formats(services: Services) -> None:
    report = await do_import(
        services,
        "bmlt_search.json",
        default_tz="America/Chicago",
        bmlt_formats=fixture_bytes("bmlt_formats.json"),
    )
    assert len(report.added) == 3
    found = {m.source_ref: m for m in [await services.meetings.get(s) for s in report.added] if m}
    jft = found["1201"]
    assert jft.fellowship == "na"  # BMLT defaults to NA
    assert (jft.days, jft.start, jft.end) == ((1,), time(19), time(20, 30))  # 2 = Monday
    assert jft.types == ("BEG", "JFT", "O", "X")
    assert jft.location.address == "1 Example Street, Springfield, MA 01101, US"
    assert jft.location.notes == "Basement, side door" and jft.attendance is Attendance.IN_PERSON
    women = found["1202"]
    assert women.days == (0,) and women.attendance is Attendance.ONLINE
    assert women.location.latitude is None  # "0","0" means unknown
    assert women.online.phone == "+1 555 000 5555" and "W" in women.types
    hybrid = found["1203"]
    assert hybrid.days == (6,) and hybrid.timezone == "America/Chicago"  # the --tz default
    assert hybrid.attendance is Attendance.HYBRID and hybrid.types == ("GL", "O")
    reasons = dict(report.skipped)
    assert "weekday_tinyint '9'" in reasons["1204"]
    assert "not published" in reasons["1205"]
    assert not any("GetFormats" in w for w in report.warnings)


async def test_combined_meetings_and_formats_answer(services: Services) -> None:
    combined = {
        "meetings": json.loads(fixture_bytes("bmlt_search.json")),
        "formats": json.loads(fixture_bytes("bmlt_formats.json")),
    }
    report = await do_import(
        services, data=json.dumps(combined).encode(), fmt="bmlt", default_tz="America/Chicago"
    )
    assert len(report.added) == 3


async def test_without_formats_keys_are_read_as_default_english(services: Services) -> None:
    report = await do_import(services, "bmlt_search.json", default_tz="America/Chicago")
    assert any("GetFormats" in w for w in report.warnings)
    jft = next(
        m
        for m in [await services.meetings.get(s) for s in report.added]
        if m and m.source_ref == "1201"
    )
    assert "BEG" in jft.types and "X" in jft.types


async def test_tsml_output_is_meeting_guide(services: Services) -> None:
    report = await do_import(services, "bmlt_tsml.json", fellowship="na")
    assert report.format == "meeting-guide" and sorted(report.added) == ["1201", "1202"]
    jft = await services.meetings.get("1201")
    assert jft is not None and jft.days == (1,) and jft.types == ("BEG", "JFT", "O", "X")


async def test_not_bmlt_json(services: Services) -> None:
    with pytest.raises(InvalidImport, match="GetSearchResults"):
        await do_import(services, data=b'{"error": "nope"}', fmt="bmlt")
