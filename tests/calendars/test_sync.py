"""Re-import semantics: unchanged → zero writes; changed → updated in place (same slug and
UID, SEQUENCE + 1, updated = now); vanished → removed; sources and communities are walled
off from each other; all or nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from icalendar import Calendar

from calendars.errors import InvalidImport
from calendars.ics_export import meeting_ics
from calendars.sync import ImportReport, default_source_name
from core.clock import FakeClock
from core.errors import ValidationError
from core.services import Services
from tests.calendars.conftest import do_import, meeting, snapshot, total_changes

NOW = datetime(2026, 6, 3, 15, tzinfo=UTC)


def feed(*items: dict[str, Any]) -> bytes:
    return json.dumps(list(items)).encode()


def item(slug: str, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": slug.title(),
        "slug": slug,
        "day": 1,
        "time": "19:00",
        "timezone": "America/New_York",
        "types": ["O"],
        "formatted_address": "1 Example Street, Springfield, MA",
    }
    data.update(kw)
    return data


async def test_unchanged_reimport_writes_nothing(services: Services) -> None:
    data = feed(item("a"), item("b", day=[2, 4]), item("c", types=["C", "W"]))
    first = await do_import(services, data=data, source="intergroup")
    assert sorted(first.added) == ["a", "b", "c"]
    before_rows = await snapshot(services)
    before = await total_changes(services)
    again = await do_import(services, data=data, source="intergroup")
    assert await total_changes(services) == before
    assert await snapshot(services) == before_rows
    assert sorted(again.unchanged) == ["a", "b", "c"]
    assert not (again.added or again.updated or again.removed)


async def test_unchanged_ics_reimport_writes_nothing(services: Services) -> None:
    await do_import(services, "google_export.ics", source="google")
    before = await total_changes(services)
    report = await do_import(services, "google_export.ics", source="google")
    assert await total_changes(services) == before
    # on 2026-06-03: 7 series and the one-off of 2026-06-10
    assert len(report.unchanged) == 8 and not report.changed


async def test_changed_record_is_updated_in_place(services: Services, clock: FakeClock) -> None:
    await do_import(services, data=feed(item("a"), item("b")), source="intergroup")
    original = await services.meetings.get("a")
    assert original is not None and original.sequence == 0
    clock.advance(hours=5)
    report = await do_import(
        services, data=feed(item("a", time="20:00"), item("b")), source="intergroup"
    )
    assert report.updated == ["a"] and report.unchanged == ["b"]
    changed = await services.meetings.get("a")
    assert changed is not None
    assert changed.id == original.id and changed.slug == "a"
    assert changed.sequence == 1 and changed.updated == clock.now()
    assert changed.start.hour == 20
    before = Calendar.from_ical(meeting_ics(original)).events[0]
    after = Calendar.from_ical(meeting_ics(changed)).events[0]
    assert before["UID"] == after["UID"] and int(after["SEQUENCE"]) == 1
    untouched = await services.meetings.get("b")
    assert untouched is not None and untouched.updated == NOW and untouched.sequence == 0


async def test_vanished_records_are_removed(services: Services) -> None:
    await do_import(services, data=feed(item("a"), item("b"), item("c")), source="intergroup")
    report = await do_import(services, data=feed(item("a"), item("c")), source="intergroup")
    assert report.removed == ["b"] and sorted(report.unchanged) == ["a", "c"]
    assert await services.meetings.get("b") is None
    assert await services.db.scalar("SELECT count(*) FROM meetings_fts") == 2
    assert await services.db.scalar("SELECT count(*) FROM import_records") == 2


async def test_a_record_now_skipped_is_removed(services: Services) -> None:
    await do_import(services, data=feed(item("a"), item("b")), source="intergroup")
    report = await do_import(
        services, data=feed(item("a"), item("b", time="nope")), source="intergroup"
    )
    assert report.removed == ["b"] and [r for r, _ in report.skipped] == ["b"]


async def test_other_sources_and_communities_are_never_touched(services: Services) -> None:
    manual = await services.meetings.add(meeting("a"))  # a hand-made meeting with slug "a"
    await do_import(services, data=feed(item("a"), item("b")), source="other-source")
    await do_import(
        services, data=feed(item("a"), item("b")), source="intergroup", community="guild-1"
    )
    before = {m.slug: m for m in await services.meetings.list_meetings(community="guild-1")}
    report = await do_import(services, data=feed(item("z")), source="intergroup")
    assert report.added == ["z"] and not report.removed  # nothing of this source in global yet
    report = await do_import(
        services, data=feed(item("a", time="06:00")), source="intergroup", community="guild-1"
    )
    assert len(report.updated) == 1 and len(report.removed) == 1
    after = {m.slug: m for m in await services.meetings.list_meetings(community="guild-1")}
    kept_manual = await services.meetings.get("a")
    assert (
        kept_manual is not None and kept_manual.id == manual.id and kept_manual.source == "manual"
    )
    assert kept_manual.start.hour == 19
    for slug in ("a-2", "b"):  # other-source's meetings, global directory
        assert after[slug] == before[slug]
    community_rows = await services.db.fetchall(
        "SELECT slug, source, community FROM meetings WHERE community = 'guild-1'"
    )
    assert [tuple(r)[1:] for r in community_rows] == [("intergroup", "guild-1")]


async def test_slugs_never_collide_with_other_meetings(services: Services) -> None:
    await services.meetings.add(meeting("serenity"))
    report = await do_import(services, data=feed(item("serenity"), item("serenity")), source="x")
    assert len(set(report.added)) == 2 and "serenity" not in report.added
    manual = await services.meetings.get("serenity")
    assert manual is not None and manual.source == "manual"


async def test_dry_run_changes_nothing(services: Services) -> None:
    await do_import(services, data=feed(item("a"), item("b")), source="intergroup")
    before = await snapshot(services)
    changes = await total_changes(services)
    report = await do_import(
        services, data=feed(item("a", time="07:00"), item("c")), source="intergroup", dry_run=True
    )
    assert (report.added, report.updated, report.removed) == (["c"], ["a"], ["b"])
    assert report.dry_run and "dry run" in report.summary()
    assert await snapshot(services) == before and await total_changes(services) == changes


async def test_invalid_file_changes_nothing(services: Services) -> None:
    await do_import(services, data=feed(item("a"), item("b")), source="intergroup")
    before = await snapshot(services)
    with pytest.raises(InvalidImport) as caught:
        await do_import(services, data=b'[{"name": "broken"', source="intergroup")
    assert isinstance(caught.value, ValidationError)
    assert caught.value.key == "error.import_invalid"
    with pytest.raises(InvalidImport, match="none of the 1") as nothing:
        await do_import(services, data=feed(item("a", day="Funday")), source="intergroup")
    assert nothing.value.key == "error.import_nothing"
    with pytest.raises(InvalidImport, match="refusing to remove all 2") as empty:
        await do_import(services, data=b"[]", source="intergroup")
    assert empty.value.key == "error.import_empty"
    assert await snapshot(services) == before


async def test_failure_inside_the_transaction_rolls_back(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await do_import(services, data=feed(item("a"), item("b")), source="intergroup")
    before = await snapshot(services)
    async def explode(*args: Any, **kw: Any) -> list[Any]:
        raise RuntimeError("disk full")

    # The update of "a" has been written when the insert of "c" fails: both roll back.
    monkeypatch.setattr(services.meetings, "insert_many", explode)
    with pytest.raises(RuntimeError):
        await do_import(
            services, data=feed(item("a", time="06:00"), item("c")), source="intergroup"
        )
    assert await snapshot(services) == before


async def test_bad_arguments(services: Services) -> None:
    data = feed(item("a"))
    with pytest.raises(ValidationError, match="reserved"):
        await do_import(services, data=data, source="manual")
    with pytest.raises(ValidationError, match="fellowship"):
        await do_import(services, data=data, fellowship="zz-anonymous")
    with pytest.raises(ValidationError, match="time zone"):
        await do_import(services, data=data, default_tz="Mars/Olympus")
    with pytest.raises(ValidationError, match="format"):
        await do_import(services, data=data, fmt="xls")


async def test_report_json_shape(services: Services) -> None:
    report = await do_import(services, data=feed(item("a"), item("b", time="x")), source="s")
    data = json.loads(report.to_json())
    assert set(data) >= {
        "source",
        "added",
        "updated",
        "removed",
        "unchanged",
        "skipped",
        "warnings",
    }
    assert data["skipped"] == [{"ref": "b", "reason": data["skipped"][0]["reason"]}]
    assert isinstance(report, ImportReport) and report.counts()["added"] == 1


async def test_import_sources_row(services: Services) -> None:
    await do_import(services, data=feed(item("a")), source="intergroup", community="g")
    row = await services.db.fetchone("SELECT * FROM import_sources")
    assert row is not None
    assert (row["name"], row["community"], row["format"], row["meetings"]) == (
        "intergroup",
        "g",
        "meeting-guide",
        1,
    )


def test_default_source_names() -> None:
    assert default_source_name("/tmp/Intergroup list.csv") == "intergroup-list"
    assert (
        default_source_name("https://aa.example.org/wp-admin/admin-ajax.php?action=m")
        == "aa-example-org-wp-admin-admin-ajax-php"
    )


async def test_concurrent_imports_of_one_source_are_serialised(services: Services) -> None:
    import asyncio

    data = feed(item("a"), item("b"), item("c"))
    first, second = await asyncio.gather(
        do_import(services, data=data, source="race"), do_import(services, data=data, source="race")
    )
    assert sorted([len(first.added), len(second.added)]) == [0, 3]
    assert await services.db.scalar("SELECT count(*) FROM meetings WHERE source = 'race'") == 3
