"""Shared helpers for the calendar tests: fixture files, imports, database snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from calendars.sync import ImportReport, import_bytes
from core.model import Location, Meeting, OnlineAccess, build_meeting
from core.services import Services

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def do_import(
    services: Services,
    name: str | None = None,
    *,
    data: bytes | None = None,
    source: str | None = None,
    **kw: Any,
) -> ImportReport:
    payload = data if data is not None else fixture_bytes(name or "")
    options: dict[str, Any] = {"community": None, "fellowship": None, "default_tz": None}
    options.update(kw)
    return await import_bytes(
        services,
        payload,
        filename=name,
        source_name=source or (name or "inline").replace("/", "-"),
        **options,
    )


async def snapshot(services: Services) -> list[tuple[Any, ...]]:
    """Everything an import could touch, for "the database is exactly as before" checks."""
    rows = []
    for table in ("meetings", "import_records", "import_sources", "feeds"):
        rows += [
            (table, *tuple(r))
            for r in await services.db.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")
        ]
    rows += [
        ("fts", *tuple(r))
        for r in await services.db.fetchall("SELECT rowid, name FROM meetings_fts ORDER BY rowid")
    ]
    return rows


async def total_changes(services: Services) -> int:
    return await services.db.total_changes()


def meeting(slug: str, **kw: Any) -> Meeting:
    values: dict[str, Any] = dict(
        name=slug.replace("-", " ").title(),
        fellowship="aa",
        days=["monday"],
        start="19:00",
        timezone="America/New_York",
        slug=slug,
        location=Location(
            name="Community Hall (demo)",
            address="1 Example Street, Springfield",
            city="Springfield",
            latitude=42.1,
            longitude=-72.59,
        ),
        types=["O", "W"],
    )
    values.update(kw)
    return build_meeting(**values)


ZOOM = OnlineAccess(
    url="https://zoom.us/j/5550001234", url_notes="Passcode: fictional", phone="+1 555 000 1234"
)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
