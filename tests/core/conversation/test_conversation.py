"""The whole conversation through Request → Reply, in English and Spanish."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from core.conversation.request import GeoPoint
from core.i18n import LANGUAGES, catalogue, placeholders
from core.services import Services
from tests.core.conversation.conftest import Ask


def card_slugs(reply) -> list[str]:
    return [c.slug for c in reply.cards]


async def test_help_lists_commands_privacy_and_helpline(ask: Ask) -> None:
    reply = await ask("/help")
    text = reply.text()
    for name in ("/meetings", "/now", "/settings", "/helpline", "/forgetme"):
        assert name in text
    assert "/forgetme deletes" in text and "never your name" in text
    spanish = await ask("/ayuda", locale="es-MX")
    assert "reuniones" in spanish.text() and "Anonimato" in spanish.text()


async def test_women_online_tonight(seeded: Services, ask: Ask) -> None:
    reply = await ask("/meetings women online tonight", timezone="America/New_York")
    assert card_slugs(reply) == ["online-women"]
    card = reply.cards[0]
    assert card.attendance_key == "online" and card.join_url == "https://zoom.us/j/123"
    assert card.start_local.hour == 20 and "Women" in card.types
    assert "Women · Online · today" in (reply.title or "")


async def test_spanish_request_gets_spanish_reply(seeded: Services, ask: Ask) -> None:
    reply = await ask("/reuniones mujeres hoy", locale="es")
    assert set(card_slugs(reply)) == {"boston-women", "online-women"}
    assert reply.title is not None and reply.title.startswith("Reuniones: Mujeres")
    assert "Mujeres" in reply.cards[0].types
    assert any("mié" in c.when_text for c in reply.cards)


async def test_viewer_zone_is_used(seeded: Services, ask: Ask) -> None:
    reply = await ask("/meetings women", timezone="Europe/London")
    first = reply.cards[0]
    assert first.start_viewer.utcoffset() != first.start_local.utcoffset()
    assert "your time" in first.when_text


async def test_shortcuts_now_today_tomorrow(seeded: Services, ask: Ask) -> None:
    # 15:00 UTC = 11:00 in Boston: nothing is running yet; the noon NA meeting starts within
    # the hour of 11:30.
    now = await ask("/now", timezone="America/New_York")
    assert card_slugs(now) == []
    assert "No meetings match" in now.text()
    seeded.clock.set(datetime(2026, 6, 3, 16, 30, tzinfo=UTC))  # type: ignore[attr-defined]
    running = await ask("/now")
    assert running.cards[0].slug == "na-near" and running.cards[0].in_progress
    tomorrow = await ask("/tomorrow", timezone="America/New_York")
    assert card_slugs(tomorrow) == ["thursday-morning"]


async def test_paging_with_more_button(seeded: Services, ask: Ask) -> None:
    first = await ask("/today", timezone="America/New_York")
    assert len(first.cards) == 5 and first.continuation is not None
    second = await ask(action=first.continuation)
    assert second.edit
    assert not set(card_slugs(first)) & set(card_slugs(second))
    back = [b for row in second.buttons for b in row if b.action and b.action.startswith("pg:")]
    assert back, "a second page offers a way back"


async def test_filter_button_narrows_the_search(seeded: Services, ask: Ask) -> None:
    reply = await ask("/meetings today", timezone="America/New_York")
    women = next(b for row in reply.buttons for b in row if b.action and b.action.endswith(
        ":women"))
    narrowed = await ask(action=women.action)
    assert set(card_slugs(narrowed)) == {"boston-women", "online-women"}


async def test_buttons_belong_to_whoever_searched(seeded: Services, ask: Ask) -> None:
    reply = await ask("/today")
    assert reply.continuation
    stranger = await ask(action=reply.continuation, user_id="someone-else")
    assert stranger.error


async def test_nothing_left_today_offers_tomorrow(seeded: Services, ask: Ask) -> None:
    seeded.clock.set(datetime(2026, 6, 4, 3, 30, tzinfo=UTC))  # type: ignore[attr-defined]
    reply = await ask("/today", timezone="America/New_York")
    assert "Nothing left today" in reply.text()
    assert card_slugs(reply) == ["thursday-morning"]


async def test_near_asks_for_location_then_answers(seeded: Services, ask: Ask) -> None:
    asked = await ask("/meetings na near")
    assert asked.ask_location and asked.private
    answered = await ask(location=GeoPoint(42.35, -71.08))
    assert card_slugs(answered) == ["na-near"]
    assert answered.cards[0].distance_km is not None
    tz_buttons = [b for row in answered.buttons for b in row
                  if b.action == "set:tz:America/New_York"]
    assert tz_buttons
    await ask(action=tz_buttons[0].action)
    settings = await ask("/settings")
    assert "Time zone: America/New_York" in settings.text()


async def test_near_in_a_group_moves_to_private(seeded: Services, ask: Ask) -> None:
    reply = await ask("/meetings near", community_id="g1")
    assert reply.continue_in_private and not reply.cards


async def test_meeting_details_and_unknown_id(seeded: Services, ask: Ask) -> None:
    reply = await ask("/meeting boston-women")
    card = reply.cards[0]
    assert card.slug == "boston-women" and len(card.upcoming) == 4
    assert card.map_url and "openstreetmap" in card.map_url
    missing = await ask("/meeting no-such-thing")
    assert missing.error and "no-such-thing" in missing.text()


async def test_settings_timezone_with_suggestions_and_language(ask: Ask) -> None:
    bad = await ask("/settings timezone new yrok")
    assert bad.error
    assert [b.action for row in bad.buttons for b in row][0] == "set:tz:America/New_York"
    good = await ask("/settings timezone US/Pacific")
    assert "America/Los_Angeles" in good.text()
    spanish = await ask("/settings language español")
    assert "Español" in spanish.text()
    assert (await ask("/help")).lang == "es"
    assert "Zona horaria: America/Los_Angeles" in (await ask("/settings")).text()


async def test_personal_settings_in_a_group_go_private(ask: Ask) -> None:
    reply = await ask("/settings timezone Europe/Paris", community_id="g1")
    assert reply.continue_in_private


async def test_community_settings_need_an_admin(ask: Ask, services: Services) -> None:
    refused = await ask("/settings community timezone Europe/Madrid", community_id="g1")
    assert refused.error
    assert (await services.settings.community("test:g1")).timezone is None
    done = await ask("/settings community timezone Europe/Madrid", community_id="g1",
                     is_admin=True)
    assert not done.error
    assert (await services.settings.community("test:g1")).timezone == "Europe/Madrid"
    await ask("/settings community helplines Samaritans 116 123 | Crisis text 85258",
              community_id="g1", is_admin=True)
    lines = await ask("/helpline", community_id="g1")
    assert "Samaritans 116 123" in lines.text() and "SAMHSA" not in lines.text()


async def test_default_helplines(ask: Ask) -> None:
    text = (await ask("/helpline")).text()
    assert "1-800-662-HELP (4357)" in text and "988" in text and "FindTreatment.gov".lower() in \
        text.lower()
    assert "435748" in (await ask("/helpline", locale="es")).text()


async def test_forgetme_deletes_after_confirmation(ask: Ask, services: Services) -> None:
    await ask("/settings timezone Europe/Paris")
    confirm = await ask("/forgetme")
    assert [b.action for row in confirm.buttons for b in row] == ["forget:yes", "forget:no"]
    kept = await ask(action="forget:no")
    assert "Nothing was deleted" in kept.text()
    assert (await services.settings.user("test", "u1")).timezone == "Europe/Paris"
    done = await ask(action="forget:yes")
    assert "settings: 1" in done.text()
    assert (await services.settings.user("test", "u1")).timezone is None


async def test_admin_adds_and_removes_community_meetings(ask: Ask, services: Services) -> None:
    text = ("/addmeeting name: Voice Channel Hope; day: friday; time: 19:00; tz: Europe/London;"
            " types: W, O; url: https://discord.gg/abc")
    refused = await ask(text, community_id="g1")
    assert refused.error and await services.meetings.count() == 0
    added = await ask(text, community_id="g1", is_admin=True)
    assert not added.error
    meetings = await services.meetings.list_meetings(community="test:g1", include_global=False)
    assert [m.name for m in meetings] == ["Voice Channel Hope"]
    assert meetings[0].attendance.value == "online" and meetings[0].types == ("O", "W") or \
        meetings[0].types == ("W",)
    bad = await ask("/addmeeting name: X; day: funday; time: 19:00", community_id="g1",
                    is_admin=True)
    assert bad.error and "funday" in bad.text()
    other = await ask(f"/removemeeting {meetings[0].slug}", community_id="g2", is_admin=True)
    assert other.error
    gone = await ask(f"/removemeeting {meetings[0].slug}", community_id="g1", is_admin=True)
    assert not gone.error and await services.meetings.count() == 0


async def test_community_meetings_are_only_visible_there(ask: Ask, services: Services) -> None:
    await ask("/addmeeting name: Server Only; day: wednesday; time: 12:30; tz: America/New_York;"
              " url: https://discord.gg/x", community_id="g1", is_admin=True)
    inside = await ask("/today", community_id="g1")
    outside = await ask("/today")
    assert [c.name for c in inside.cards] == ["Server Only"]
    assert outside.cards == []


async def test_unknown_commands_and_expired_buttons_are_friendly(ask: Ask) -> None:
    unknown = await ask("/frobnicate")
    assert unknown.error and "/help" in unknown.text()
    assert "no conozco" in (await ask("/frobnicate", locale="es")).text().lower()
    expired = await ask(action="pg:nope:5")
    assert expired.error and "expired" in expired.text()
    junk = await ask(action="zz:1")
    assert junk.error


async def test_free_text_in_private_gets_a_hint(ask: Ask) -> None:
    reply = await ask("hello there")
    assert "/meetings" in reply.text()


def test_every_error_key_in_the_code_has_a_text() -> None:
    """A key="…" literal or a class-level key without a catalogue entry would reach a member
    as the raw key."""
    root = Path(__file__).resolve().parents[3]
    pattern = re.compile(r'\bkey\s*=\s*"([a-z_]+\.[a-z_.]+)"')
    used = {
        match
        for package in ("core", "calendars", "bots")
        for path in (root / package).rglob("*.py")
        for match in pattern.findall(path.read_text("utf-8"))
    }
    assert len(used) > 50
    missing = sorted(used - set(catalogue("en")))
    assert not missing, missing


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    english = catalogue("en")
    for lang in LANGUAGES:
        other = catalogue(lang)
        assert set(other) == set(english), f"{lang}: keys differ"
        for key, text in english.items():
            assert placeholders(other[key]) == placeholders(text), f"{lang}:{key}"
