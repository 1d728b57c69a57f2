"""Autocomplete through discord.py (type 4 interactions → type 8 answers): meeting types and
fellowships in the member's language, time zones by city, meeting names; never over 25."""

from __future__ import annotations

from bots.discord import autocomplete as ac
from core import types as mtypes
from core.conversation.filters import parse_filters
from core.services import Services

from .conftest import add_meeting
from .harness import DEFAULT_GUILD_ID, DiscordHarness


async def choices(
    h: DiscordHarness, command: str, option: str, typed: str, **kwargs: object
) -> list[dict[str, str]]:
    result = await h.dispatch(h.autocomplete(command, option, typed, **kwargs))  # type: ignore[arg-type]
    call = result.callback
    assert call.type == 8
    assert len(call.choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in call.choices)
    return call.choices


async def test_meeting_types_in_the_members_language(h: DiscordHarness, services: Services) -> None:
    english = await choices(h, "meetings find", "kind", "wom")
    assert english[0] == {"name": "Women", "value": "women"}
    spanish = await choices(h, "meetings find", "kind", "muj", locale="es-ES")
    assert spanish[0] == {"name": "Mujeres", "value": "women"}
    everything = await choices(h, "meetings find", "kind", "", locale="es-419")
    assert len(everything) == 25
    assert any(c["name"] == "Abierta" for c in everything)
    # The member's own language setting wins over the Discord locale.
    await services.settings.update_user(
        "discord", str(h.user_id), services.clock.now(), language="es"
    )
    chosen = await choices(h, "meetings find", "kind", "spea")
    assert chosen[0]["value"] == "speaker" and chosen[0]["name"] != "Speaker"


def test_every_type_value_reads_back_as_its_concept() -> None:
    for key in mtypes.CONCEPTS:
        word = ac.concept_word(key)
        assert word is not None, key
        parsed = parse_filters(word)
        assert parsed.concepts == [key] or (
            parsed.attendance is not None and parsed.attendance.value == key
        )
    for key in mtypes.FELLOWSHIPS:
        word = ac.fellowship_word(key)
        assert word is not None and parse_filters(word).fellowships == [key]


async def test_fellowships(h: DiscordHarness) -> None:
    found = await choices(h, "meetings find", "fellowship", "narc", locale="es-ES")
    assert found[0] == {"name": "Narcóticos Anónimos (NA)", "value": "na"}
    settings = await choices(h, "settings fellowship", "fellowship", "", locale="es-ES")
    assert settings[0] == {"name": "Todos los programas", "value": "any"}
    assert {"name": "Al-Anon/Alateen", "value": "al-anon"} in settings


async def test_time_zones_by_city(h: DiscordHarness) -> None:
    found = await choices(h, "settings timezone", "zone", "madr")
    assert found[0] == {"name": "Madrid — Europe/Madrid", "value": "Europe/Madrid"}
    new_york = await choices(h, "subscribe me", "zone", "new y")
    assert new_york[0]["value"] == "America/New_York"
    assert len(await choices(h, "meetings-admin add", "tz", "")) == 25


async def test_meeting_names(h: DiscordHarness, seeded: Services) -> None:
    community = f"discord:{DEFAULT_GUILD_ID}"
    await add_meeting(seeded, "our-voice-meeting", community=community)
    await add_meeting(seeded, "other-server-meeting", community="discord:42")
    found = await choices(h, "meeting show", "meeting", "women")
    assert found == [{"name": "Women Online · women-online", "value": "women-online"}]
    evening = await choices(h, "remind", "meeting", "even")
    assert len(evening) == 12
    ours = await choices(h, "meeting show", "meeting", "meeting")
    assert [c["value"] for c in ours] == ["our-voice-meeting"]  # not another server's
    own = await choices(h, "meetings-admin remove", "meeting", "", permissions="32")
    assert [c["value"] for c in own] == ["our-voice-meeting"]  # only the server's own
