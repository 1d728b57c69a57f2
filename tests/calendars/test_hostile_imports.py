"""Files built to cost a parser minutes or its stack, each under the byte cap: every one is
refused with its own translated reason (or read in bounded work), and nothing changes.

Before the limits in calendars/limits.py, the VTIMEZONE with 2,000 observances took 35 s in
zone matching, the deep JSON was a RecursionError traceback, the 100,000-digit number a
ValueError, the 200 KB TZID an OSError from zoneinfo, and 20,000 copies of one CSV key cost
200 million set look-ups while numbering them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bots.cli import main
from calendars import limits
from calendars.errors import InvalidImport
from calendars.tolerant import unique_refs
from core.i18n import translate
from core.services import Services
from core.store.meetings import unique_slugs
from tests.calendars.conftest import do_import, snapshot


def vtimezone_calendar(tzid: str, pairs: int) -> bytes:
    """One weekly event in a made-up zone whose VTIMEZONE has 2 × `pairs` observances."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//hostile//EN",
             "BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    for i in range(pairs):
        year = 1600 + i
        lines += ["BEGIN:DAYLIGHT", f"DTSTART:{year:04d}0325T020000", "TZOFFSETFROM:+0000",
                  "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
                  "BEGIN:STANDARD", f"DTSTART:{year:04d}1025T020000", "TZOFFSETFROM:+0100",
                  "TZOFFSETTO:+0000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
                  "END:STANDARD"]
    lines += ["END:VTIMEZONE", "BEGIN:VEVENT", "UID:hostile-1", "SUMMARY:Monday Night",
              f"DTSTART;TZID={tzid}:20250106T190000", f"DTEND;TZID={tzid}:20250106T200000",
              "RRULE:FREQ=WEEKLY;BYDAY=MO", "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def one_event(dtstart: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:x\r\n"
        f"{dtstart}\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def feed(**fields: object) -> bytes:
    item = {"name": "Hostile", "day": 1, "time": "19:00", "address": "1 Main St",
            "timezone": "America/New_York", **fields}
    return json.dumps([item]).encode()


HOSTILE: dict[str, tuple[str, bytes, str]] = {
    # name: (file name, bytes, i18n key of the refusal)
    "2,000 observances": (
        "zone.ics", vtimezone_calendar("My Zone", 1000), "error.import_zone_too_complex"),
    "JSON nested 100,000 deep": (
        "deep.json", b"[" * 100_000 + b"]" * 100_000, "error.import_too_deep"),
    "a 100,000-digit number": (
        "number.json", b'[{"name": "x", "day": 1, "latitude": ' + b"9" * 100_000 + b"}]",
        "error.import_number_too_long"),
    "a 200 KB TZID": (
        "tzid.ics", one_event("DTSTART;TZID=" + "A/" * 100_000 + ":20250106T190000"),
        "error.import_tzid_invalid"),
    "a 200 KB time zone value": (
        "tz.json", feed(timezone="Europe/" * 30_000), "error.import_value_too_long"),
    "VEVENT nested 20 deep": (
        "nest.ics",
        ("BEGIN:VCALENDAR\r\n" + "BEGIN:VALARM\r\n" * 20 + "END:VALARM\r\n" * 20
         + "END:VCALENDAR\r\n").encode(),
        "error.import_too_deep"),
    "a CSV of 2,000 columns": (
        "wide.csv", ("Name,Day,Time,Address," + ",".join(f"c{i}" for i in range(2000)))
        .encode(), "error.import_too_many_columns"),
    "a 100 KB CSV cell": (
        "cell.csv", b"Name,Day,Time,Address\nx,Monday,19:00," + b"a" * 100_000,
        "error.import_value_too_long"),
    "a 200 KB quoted CSV cell": (
        "quoted.csv", b'Name,Day,Time,Address\nx,Monday,19:00,"' + b"a" * 200_000 + b'"',
        "error.import_value_too_long"),
    "too many CSV rows": (
        "rows.csv", b"Name,Day,Time,Address\n" + b"m,Monday,19:00,1 Main\n"
        * (limits.MAX_RECORDS + 1), "error.import_too_many_meetings"),
    "too many meetings": (
        "many.json",
        json.dumps([{"name": "m", "day": 1, "time": "19:00"}] * (limits.MAX_RECORDS + 1))
        .encode(),
        "error.import_too_many_meetings"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_file_is_refused_with_its_reason_and_changes_nothing(
    services: Services, case: str
) -> None:
    await do_import(services, "tsml.csv", source="kept")
    before = await snapshot(services)
    filename, data, key = HOSTILE[case]
    with pytest.raises(InvalidImport) as refused:
        await do_import(services, filename, data=data, source="kept",
                        default_tz="America/New_York")
    assert refused.value.key == key
    english = translate(key, "en", **refused.value.params)
    spanish = translate(key, "es", **refused.value.params)
    assert "nothing was changed" in english and "no se cambió nada" in spanish
    assert "{" not in english and "{" not in spanish
    assert await snapshot(services) == before


async def test_a_small_own_zone_definition_is_still_matched(services: Services) -> None:
    report = await do_import(services, "zone.ics", data=vtimezone_calendar("My Zone", 40),
                             source="zone")
    assert len(report.added) == 1
    assert any("matched to Europe/London" in w for w in report.warnings)


async def test_a_huge_definition_of_a_known_zone_is_never_read(services: Services) -> None:
    report = await do_import(services, "named.ics",
                             data=vtimezone_calendar("Europe/London", 3000), source="named")
    assert len(report.added) == 1
    stored = await services.meetings.get(report.added[0])
    assert stored is not None and stored.timezone == "Europe/London"


def test_cli_refuses_hostile_files_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "stepbot.db"
    for case in ("2,000 observances", "JSON nested 100,000 deep", "a 100,000-digit number",
                 "a 200 KB TZID"):
        filename, data, _ = HOSTILE[case]
        path = tmp_path / filename
        path.write_bytes(data)
        assert main(["--db", str(db), "import", str(path), "--tz", "America/New_York"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("stepbot: error: import:") and "Traceback" not in err
        assert len(err) < 400, err  # the value is shortened, not echoed whole


def test_numbering_copies_of_one_key_is_linear() -> None:
    refs, dups = unique_refs(["same"] * 20_000 + ["same-2"])
    assert refs[:3] == ["same", "same-2", "same-3"] and refs[-2] == "same-20000"
    assert refs[-1] == "same-2-2" and len(set(refs)) == len(refs) and len(dups) == 20_000
    taken = {"meeting", "meeting-3"}
    slugs = unique_slugs(["meeting"] * 20_000, taken)
    assert slugs[:3] == ["meeting-2", "meeting-4", "meeting-5"]
    assert len(set(slugs)) == 20_000 and "meeting-3" not in slugs


async def test_a_csv_with_one_key_on_every_row_imports_every_row(services: Services) -> None:
    rows = ["Name,Day,Time,Address,City,Timezone"]
    rows += ["Same Name,Monday,19:00,1 Main St,Springfield,America/New_York"] * 3000
    report = await do_import(services, "same.csv", data="\n".join(rows).encode(), source="s")
    assert len(report.added) == 3000
    assert any("duplicate slugs made unique" in w for w in report.warnings)
