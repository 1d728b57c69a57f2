"""TSML CSV: the plugin's template header, typed-by-hand values, row numbers in messages."""

from __future__ import annotations

from datetime import time

import pytest

from calendars.errors import InvalidImport
from calendars.tsml_csv import TEMPLATE_HEADER, header_key
from core.model import Attendance
from core.services import Services
from tests.calendars.conftest import do_import, snapshot


def test_header_cells_are_slugified_with_aliases() -> None:
    assert header_key("Conference URL") == "conference_url"
    assert header_key(" ZIP ") == "postal_code"
    assert header_key("Meeting") == "name"
    assert header_key("Start Time") == "time"
    assert header_key("Sub Region") == "sub_region"
    assert [header_key(c) for c in TEMPLATE_HEADER.split(", ")][:4] == [
        "time",
        "end_time",
        "day",
        "name",
    ]


async def test_template_csv(services: Services) -> None:
    report = await do_import(services, "tsml.csv", fellowship="aa")
    assert sorted(report.added) == [
        "downtown-beginners",
        "downtown-beginners-2",
        "early-bird",
        "grupo-esperanza",
    ]
    first = await services.meetings.get("downtown-beginners")
    assert first is not None
    assert (first.days, first.start, first.end) == ((1,), time(18), time(19))
    assert first.types == ("BE", "O", "X")  # "Open, Wheelchair Access, Beginner"
    assert (first.location.region, first.location.sub_region) == ("Springfield", "Downtown")
    assert first.location.notes == "Side entrance" and first.group == "Downtown Group (fictional)"
    early = await services.meetings.get("early-bird")
    assert early is not None and early.start == time(7, 30) and early.end == time(8, 30)
    assert early.timezone == "America/New_York"  # "Eastern"
    assert early.attendance is Attendance.HYBRID and early.types == ("C", "W")
    esperanza = await services.meetings.get("grupo-esperanza")
    assert esperanza is not None and esperanza.days == (3,)  # "Miércoles"
    reasons = dict(report.skipped)
    assert reasons["bad-day"].startswith("row 5:") and "funday" in reasons["bad-day"]
    assert reasons["no-time"] == "row 6: no start time"
    assert any("'Made Up Type'" in w for w in report.warnings)


async def test_semicolons_windows_1252_and_minimal_header(services: Services) -> None:
    data = (
        "Name;Day;Time;City;Timezone;Types\r\n"
        "Café Group;Lundi;19h00;Montréal;America/Toronto;Open\r\n"
        "Second;Sunday;9:00 AM;Montréal;America/Toronto;Closed\r\n"
    ).encode("cp1252")
    with pytest.raises(InvalidImport, match="none of the 2"):
        # "19h00" is not a time TSML understands; the other row has no problem but…
        await do_import(services, data=data.replace(b"9:00 AM", b"nine"), fmt="csv")
    report = await do_import(services, data=data.replace(b"19h00", b"19:00"), fmt="csv")
    assert len(report.added) == 2
    assert any("Windows-1252" in w for w in report.warnings)
    cafe = await services.meetings.get(report.added[0])
    assert cafe is not None and cafe.name == "Café Group" and cafe.days == (1,)
    assert cafe.attendance is Attendance.INACTIVE  # a city is not an address


async def test_header_without_address_or_city_is_rejected(services: Services) -> None:
    before = await snapshot(services)
    with pytest.raises(InvalidImport) as caught:
        await do_import(services, data=b"Name,Day,Time\nA,Monday,19:00\n", fmt="csv")
    assert "Address or City" in str(caught.value) and caught.value.params["where"] == "row 1"
    with pytest.raises(InvalidImport, match="no Name column"):
        await do_import(services, data=b"Meeting Title,Day,Time,City\n", fmt="csv")
    assert await snapshot(services) == before
