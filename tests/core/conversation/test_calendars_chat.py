"""/export, the calendar button on cards and /import, through Request → Reply, with the real
calendars package plugged into the core's port."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from icalendar import Calendar

from core.conversation.request import Attachment
from core.services import Services
from tests.core.conversation.conftest import Ask

FEED = [
    {"name": "Lunch Bunch", "slug": "lunch-bunch", "day": 1, "time": "12:00",
     "end_time": "13:00", "timezone": "America/Chicago", "types": ["O", "W"],
     "formatted_address": "1 Example Street, Chicago, IL", "latitude": 41.9, "longitude": -87.6},
    {"name": "Night Owls", "slug": "night-owls", "day": [2, 4], "time": "21:00",
     "timezone": "America/Chicago", "conference_url": "https://zoom.us/j/55"},
]


def events(data: bytes) -> list[str]:
    return [str(e.get("SUMMARY")) for e in Calendar.from_ical(data).walk("VEVENT")]


async def test_export_filters_into_an_ics_file(seeded: Services, ask: Ask) -> None:
    reply = await ask("/export women")
    assert len(reply.files) == 1
    file = reply.files[0]
    assert file.filename.endswith(".ics") and file.mime_type == "text/calendar"
    assert sorted(events(file.data)) == ["Boston Women", "Online Women"]
    assert "2 meetings" in reply.text()
    assert not reply.buttons  # no public URL configured: no subscribe link


async def test_export_offers_subscribe_links_with_a_public_url(seeded: Services, ask: Ask
                                                               ) -> None:
    seeded.config = replace(seeded.config, public_url="https://cal.example.org")
    reply = await ask("/export women online")
    urls = [b.url for row in reply.buttons for b in row if b.url]
    assert urls and urls[0].startswith("https://cal.example.org/calendar.ics?")
    assert "webcal://cal.example.org/calendar.ics?" in reply.text()


async def test_calendar_button_on_a_card(seeded: Services, ask: Ask) -> None:
    results = await ask("/meetings women")
    button = next(b for b in results.cards[0].buttons if b.action and b.action.startswith("ics:"))
    reply = await ask(action=button.action)
    assert events(reply.files[0].data) == [results.cards[0].name]
    assert "RRULE:FREQ=WEEKLY" in reply.files[0].data.decode()


async def test_admin_imports_a_file_and_members_cannot(ask: Ask, services: Services,
                                                       tmp_path: Path) -> None:
    data = json.dumps(FEED).encode()
    attachment = Attachment("intergroup.json", data)
    refused = await ask("/import", community_id="g1", attachment=attachment)
    assert refused.error and await services.meetings.count() == 0
    done = await ask("/import", community_id="g1", is_admin=True, attachment=attachment)
    assert "Added 2" in done.text(), done.text()
    stored = await services.meetings.list_meetings(community="test:g1", include_global=False)
    assert {m.name for m in stored} == {"Lunch Bunch", "Night Owls"}
    again = await ask("/import", community_id="g1", is_admin=True, attachment=attachment)
    assert "unchanged 2" in again.text()


async def test_a_broken_file_changes_nothing_and_says_why(ask: Ask, services: Services) -> None:
    broken = Attachment("broken.ics", b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\n")
    reply = await ask("/import", community_id="g1", is_admin=True, attachment=broken)
    assert reply.error and "nothing was changed" in reply.text()
    assert await services.meetings.count() == 0
    spanish = await ask("/importar", community_id="g1", is_admin=True, attachment=broken,
                        locale="es")
    assert "no se cambió nada" in spanish.text()


async def test_import_url_refuses_private_addresses(ask: Ask, services: Services) -> None:
    reply = await ask("/import http://127.0.0.1:9/meetings.json", community_id="g1",
                      is_admin=True)
    assert reply.error and "private or local" in reply.text()
    assert await services.meetings.count() == 0
    usage = await ask("/import", community_id="g1", is_admin=True)
    assert "/import" in usage.text()


async def test_a_hostile_file_gets_its_reason_in_the_members_language(
    ask: Ask, services: Services
) -> None:
    deep = Attachment("deep.json", b"[" * 50_000 + b"]" * 50_000)
    reply = await ask("/import", community_id="g1", is_admin=True, attachment=deep)
    assert reply.error and "nested more than 64 levels" in reply.text()
    spanish = await ask("/importar", community_id="g1", is_admin=True, attachment=deep,
                        locale="es")
    assert "más de 64 niveles" in spanish.text() and "no se cambió nada" in spanish.text()
    assert await services.meetings.count() == 0
