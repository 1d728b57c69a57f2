"""Every command family through discord.py's own CommandTree, in English and Spanish: the
Request each one hands to the conversation, and what reaches Discord (embeds, ephemeral flags,
allowed_mentions)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from discord import app_commands

from bots.discord.bot import StepbotClient
from core.conversation.request import Request
from core.replies import Reply
from core.services import Services

from .fake_discord import Call
from .harness import (
    ADMINISTRATOR,
    DEFAULT_GUILD_ID,
    MANAGE_GUILD,
    MEETINGS_CHANNEL_ID,
    NO_PERMISSIONS,
    DiscordHarness,
    Dispatched,
)

GUILD = str(DEFAULT_GUILD_ID)


def text_of(call: Call) -> str:
    """Every piece of text in a message's embeds."""
    parts: list[str] = []
    for embed in call.embeds:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def answer(result: Dispatched) -> Call:
    """The message that answered: the callback, or the followup after a defer."""
    callback = result.callback
    if callback.type == 5:
        return result.followups[0]
    return callback


def assert_safe(call: Call) -> None:
    assert call.allowed_mentions == {"parse": []}


# --------------------------------------------------------------------------- /meetings


async def test_meetings_find_joins_options_into_the_filter_text(
    h: DiscordHarness, seeded: Services, requests: list[Request]
) -> None:
    result = await h.invoke(
        "meetings find", {"when": "today", "kind": "women", "attendance": "online"}
    )
    [request] = requests
    assert (request.platform, request.command, request.args) == (
        "discord",
        "meetings",
        "today women online",
    )
    assert request.community_id == GUILD and request.user_id == str(h.user_id)
    assert request.chat_id == str(h.channel_id) and request.locale == "en-US"
    assert request.options == {"when": "today", "type": "women", "attendance": "online"}
    assert not request.is_admin
    call = result.callback
    assert call.type == 4 and not call.ephemeral  # a search in a channel is for everyone
    assert_safe(call)
    assert call.embeds[0]["title"] == "Meetings: Women · Online · today"
    card = call.embeds[1]
    assert card["title"] == "Women Online"
    assert card["description"].startswith("<t:") and ":F> · <t:" in card["description"]
    assert card["footer"]["text"] == "id: women-online"


async def test_meetings_find_in_spanish(h: DiscordHarness, seeded: Services) -> None:
    result = await h.invoke("meetings find", {"kind": "women"}, locale="es-ES")
    call = result.callback
    assert call.embeds[0]["title"].startswith("Reuniones: Mujeres")
    assert "Tipos: Mujeres" in text_of(call)


async def test_meetings_shortcuts(
    h: DiscordHarness, seeded: Services, requests: list[Request]
) -> None:
    await h.invoke("meetings now")
    await h.invoke("meetings today", {"filters": "women"})
    result = await h.invoke("meetings tomorrow", locale="es-419")
    assert [(r.command, r.args) for r in requests] == [
        ("now", ""),
        ("today", "women"),
        ("tomorrow", ""),
    ]
    assert result.callback.embeds[0]["title"].startswith("Reuniones:")


async def test_meeting_show_full_card(h: DiscordHarness, seeded: Services) -> None:
    result = await h.invoke("meeting show", {"meeting": "women-online"})
    call = result.callback
    text = text_of(call)
    assert "Women Online" in text and "Bring a friend" in text
    assert "Next dates" in text
    # The full card keeps "add to calendar" and "remind me", and offers "report a change".
    meeting = await seeded.meetings.get("women-online")
    assert meeting is not None
    assert call.custom_ids() == [f"ics:{meeting.id}", f"rm:{meeting.id}", f"rc:{meeting.id}"]
    spanish = await h.invoke("meeting show", {"meeting": "women-online"}, locale="es-ES")
    assert "Notas: Bring a friend" in text_of(spanish.callback)


async def test_unknown_meeting_is_a_private_error(h: DiscordHarness, seeded: Services) -> None:
    call = (await h.invoke("meeting show", {"meeting": "nope"})).callback
    assert call.ephemeral
    assert call.embeds[0]["color"] == 0xE74C3C  # red


# --------------------------------------------------------------------------- help, helpline


@pytest.mark.parametrize(
    ("locale", "title"), [("en-US", "Helplines"), ("es-ES", "Líneas de ayuda")]
)
async def test_helpline(h: DiscordHarness, locale: str, title: str) -> None:
    call = (await h.invoke("helpline", locale=locale)).callback
    assert call.embeds[0]["title"] == title
    assert not call.ephemeral
    assert_safe(call)


async def test_help_in_both_languages(h: DiscordHarness) -> None:
    english = (await h.invoke("help")).callback
    spanish = (await h.invoke("help", locale="es-ES")).callback
    assert english.embeds[0]["title"].startswith("stepbot")
    assert "reuniones" in spanish.embeds[0]["title"]
    assert english.custom_ids() == ["cmd:now", "cmd:today", "cmd:helpline"]


# --------------------------------------------------------------------------- personal things


async def test_settings_in_a_server_are_answered_privately(
    h: DiscordHarness, services: Services, requests: list[Request]
) -> None:
    result = await h.invoke("settings timezone", {"zone": "Europe/Madrid"})
    call = result.callback
    assert call.ephemeral
    assert "Europe/Madrid" in text_of(call)
    # The conversation asked to continue in private: the same request, asked as in the DM.
    first, second = requests
    assert first.community_id == GUILD and first.args == "timezone Europe/Madrid"
    assert second.community_id is None and second.is_private and not second.is_admin
    assert second.chat_id == str(h.fake.dm_channel_id(h.user_id))
    stored = await services.settings.user("discord", str(h.user_id))
    assert stored.timezone == "Europe/Madrid"


async def test_settings_language_and_fellowship_in_spanish(
    h: DiscordHarness, services: Services
) -> None:
    call = (await h.invoke("settings language", {"language": "es"})).callback
    assert call.ephemeral and call.embeds[0]["title"] == "Tus ajustes"
    call = (await h.invoke("settings fellowship", {"fellowship": "na"}, locale="es-ES")).callback
    assert "Narcóticos Anónimos" in text_of(call)
    stored = await services.settings.user("discord", str(h.user_id))
    assert (stored.language, stored.fellowship) == ("es", "na")
    shown = (await h.invoke("settings show")).callback
    assert shown.ephemeral and "Zona horaria" in text_of(shown)


async def test_settings_in_a_dm(h: DiscordHarness, requests: list[Request]) -> None:
    result = await h.dispatch(h.dm_slash("settings show", locale="es-419"))
    assert result.callback.embeds[0]["title"] == "Tus ajustes"
    [request] = requests
    assert request.is_private and request.chat_id == str(h.fake.dm_channel_id(h.user_id))


async def test_forgetme_confirms_privately_and_the_button_edits_in_place(
    h: DiscordHarness, services: Services
) -> None:
    await services.settings.update_user(
        "discord", str(h.user_id), services.clock.now(), timezone="Europe/Madrid"
    )
    asked = await h.invoke("forgetme", locale="es-ES")
    call = asked.callback
    assert call.ephemeral and call.embeds[0]["title"] == "¿Borrar tus datos?"
    assert call.custom_ids() == ["forget:yes", "forget:no"]
    message_id = int(asked.original["id"])  # type: ignore[index]
    done = await h.click("forget:yes", message_id, locale="es-ES")
    assert done.callback.type == 7  # the confirmation message is replaced
    assert done.callback.embeds[0]["title"] == "Tus datos fueron borrados"
    assert done.callback.components == []
    stored = await services.settings.user("discord", str(h.user_id))
    assert stored.timezone is None


# --------------------------------------------------------------------------- admin


ADD = {
    "name": "@everyone <b>x</b>",
    "day": "friday",
    "time": "19:00",
    "tz": "Europe/Madrid",
    "location": "Voice: #meeting-room",
}


async def test_meetings_admin_needs_manage_server(
    h: DiscordHarness, services: Services, requests: list[Request]
) -> None:
    assert h.can_invoke("meetings-admin", MANAGE_GUILD)
    assert h.can_invoke("meetings-admin", ADMINISTRATOR)
    assert not h.can_invoke("meetings-admin", NO_PERMISSIONS)
    assert not h.can_invoke("meetings-admin", dm=True)  # servers only
    # Discord hides it, but a member could still send it (stale client): refused, nothing stored.
    denied = await h.invoke("meetings-admin add", ADD)
    assert denied.callback.ephemeral
    assert "Only this community's admins" in text_of(denied.callback)
    assert await services.meetings.count() == 0
    assert not requests[0].is_admin
    spanish = await h.invoke("meetings-admin remove", {"meeting": "x"}, locale="es-ES")
    assert "Solo los administradores" in text_of(spanish.callback)


async def test_meeting_added_by_an_admin_never_pings(
    h: DiscordHarness, services: Services, requests: list[Request]
) -> None:
    added = await h.invoke("meetings-admin add", ADD, permissions=MANAGE_GUILD)
    assert requests[0].is_admin and requests[0].command == "addmeeting"
    assert requests[0].args == (
        "name: @everyone <b>x</b>; day: friday; time: 19:00; "
        "tz: Europe/Madrid; location: Voice: #meeting-room"
    )
    call = added.callback
    assert_safe(call)
    [meeting] = await services.meetings.list_meetings(community=f"discord:{GUILD}")
    assert meeting.name == "@everyone <b>x</b>" and meeting.community == f"discord:{GUILD}"
    assert "@everyone" not in text_of(call)  # escaped: "@\u200beveryone"
    assert "@\u200beveryone" in text_of(call)

    shown = await h.invoke("meeting show", {"meeting": meeting.slug})
    assert_safe(shown.callback)
    assert shown.callback.embeds[0]["title"] == "@\u200beveryone \\<b\\>x\\</b\\>"

    removed = await h.invoke(
        "meetings-admin remove", {"meeting": meeting.slug}, permissions=ADMINISTRATOR
    )
    assert removed.callback.type == 4
    assert await services.meetings.count() == 0


async def test_community_settings_need_an_admin(h: DiscordHarness, services: Services) -> None:
    refused = await h.invoke(
        "settings community", {"setting": "timezone", "value": "Europe/Madrid"}
    )
    assert refused.callback.ephemeral
    ok = await h.invoke(
        "settings community",
        {"setting": "timezone", "value": "Europe/Madrid"},
        permissions=MANAGE_GUILD,
        locale="es-ES",
    )
    assert "Europe/Madrid" in text_of(ok.callback)
    community = await services.settings.community(f"discord:{GUILD}")
    assert community.timezone == "Europe/Madrid"


# --------------------------------------------------------------------------- the other families


async def test_reflection_and_steps_reach_the_conversation(
    h: DiscordHarness, requests: list[Request]
) -> None:
    for name, options in (
        ("reflection", {"day": "tomorrow"}),
        ("step", {"number": 3}),
        ("steps", {}),
    ):
        for locale in ("en-US", "es-ES"):
            result = await h.invoke(name, options, locale=locale)
            assert result.responded
            assert_safe(answer(result))
    assert [(r.command, r.args) for r in requests[::2]] == [
        ("reflection", "tomorrow"),
        ("step", "3"),
        ("steps", ""),
    ]
    assert requests[1].locale == "es-ES"


async def test_subscribe_me_is_personal_and_channel_is_the_servers(
    h: DiscordHarness, requests: list[Request]
) -> None:
    await h.invoke("subscribe me", {"time": "07:00", "zone": "Europe/Madrid"})
    me = requests[0]
    assert (me.command, me.args) == ("subscribe", "me 07:00 Europe/Madrid")
    assert me.is_private and me.chat_id == str(h.fake.dm_channel_id(h.user_id))

    requests.clear()
    await h.invoke(
        "subscribe channel",
        {"channel": MEETINGS_CHANNEL_ID, "time": "08:00"},
        permissions=MANAGE_GUILD,
    )
    channel = requests[0]
    assert channel.community_id == GUILD and channel.is_admin
    assert channel.chat_id == str(MEETINGS_CHANNEL_ID) and channel.args == "channel 08:00"

    requests.clear()
    await h.invoke("unsubscribe", {"channel": MEETINGS_CHANNEL_ID}, permissions=MANAGE_GUILD)
    await h.invoke("unsubscribe")
    assert [(r.command, r.chat_id, r.is_private) for r in requests[:2]] == [
        ("unsubscribe", str(MEETINGS_CHANNEL_ID), False),
        ("unsubscribe", str(h.fake.dm_channel_id(h.user_id)), True),
    ]


async def test_subscribe_channel_in_a_dm_is_refused(
    h: DiscordHarness, requests: list[Request]
) -> None:
    result = await h.dispatch(h.dm_slash("subscribe channel", {"time": "08:00"}))
    assert result.callback.ephemeral and requests == []
    assert "inside the community" in text_of(result.callback)


async def test_remind_sobriety_subscriptions(
    h: DiscordHarness, seeded: Services, requests: list[Request]
) -> None:
    await h.invoke("remind", {"meeting": "women-online", "minutes": 15})
    await h.invoke("sobriety", {"action": "set", "date": "2025-01-02"}, locale="es-ES")
    await h.invoke("subscriptions")
    asked = [(r.command, r.args) for r in requests if r.community_id is not None]
    assert asked == [
        ("remind", "women-online 15"),
        ("sobriety", "set 2025-01-02"),
        ("subscriptions", ""),
    ]


async def test_export_defers_and_import_reads_the_attachment(
    h: DiscordHarness, requests: list[Request]
) -> None:
    exported = await h.invoke("export", {"filters": "women"})
    assert exported.callback.type == 5 and exported.callback.ephemeral  # deferred, private
    assert exported.followups and requests[0].command == "export"
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    imported = await h.invoke(
        "import",
        {"file": ("group.ics", ics, "text/calendar"), "url": "https://example.org/feed.ics"},
        permissions=MANAGE_GUILD,
    )
    assert imported.callback.type == 5 and imported.followups
    request = requests[-1]
    assert request.command == "import" and request.args == "https://example.org/feed.ics"
    assert request.attachment is not None
    assert (request.attachment.filename, request.attachment.data) == ("group.ics", ics)
    assert request.is_admin
    assert not h.can_invoke("import", NO_PERMISSIONS)


async def test_every_answer_is_safe(
    h: DiscordHarness, seeded: Services, bot: StepbotClient
) -> None:
    """No command reaches Discord without allowed_mentions none, or fails in discord.py."""
    commands: tuple[tuple[str, dict[str, Any]], ...] = (
        ("meetings find", {}),
        ("meetings now", {}),
        ("help", {}),
        ("helpline", {}),
        ("settings show", {}),
        ("forgetme", {}),
        ("subscriptions", {}),
        ("steps", {}),
    )
    for name, options in commands:
        result = await h.invoke(name, options, locale="es-ES")
        assert_safe(answer(result))


# Minimal options for every leaf command (a new command must be added here).
EVERY_COMMAND: dict[str, dict[str, Any]] = {
    "meetings find": {"when": "today"},
    "meetings now": {},
    "meetings today": {},
    "meetings tomorrow": {},
    "meeting show": {"meeting": "women-online"},
    "meeting report": {"meeting": "women-online", "what": "time"},
    "meetings-admin add": {"name": "Grupo", "day": "lunes", "time": "19:00"},
    "meetings-admin remove": {"meeting": "grupo"},
    "meetings-admin cancel": {"meeting": "grupo", "details": "2026-06-10"},
    "meetings-admin move": {"meeting": "grupo", "details": "2026-06-10 21:00"},
    "meetings-admin close": {"meeting": "grupo", "details": "2026-06-10 2026-06-20"},
    "meetings-admin restore": {"meeting": "grupo", "details": "2026-06-10"},
    "reflection": {},
    "step": {"number": 1},
    "steps": {},
    "subscribe me": {},
    "subscribe channel": {},
    "unsubscribe": {},
    "subscriptions": {},
    "remind": {"meeting": "women-online"},
    "sobriety": {},
    "settings show": {},
    "settings timezone": {"zone": "Madrid"},
    "settings language": {"language": "es"},
    "settings fellowship": {"fellowship": "aa"},
    "settings community": {},
    "export": {},
    "import": {"url": "https://example.org/x.ics"},
    "helpline": {},
    "forgetme": {},
    "help": {},
}


def test_the_list_covers_every_command(bot: StepbotClient) -> None:
    leaves = {
        c.qualified_name for c in bot.tree.walk_commands() if not isinstance(c, app_commands.Group)
    }
    assert leaves == set(EVERY_COMMAND)


@pytest.mark.parametrize("locale", ["es-ES", "es-419", "en-US"])
async def test_every_command_answers_in_the_members_language(
    h: DiscordHarness, seeded: Services, bot: StepbotClient, locale: str
) -> None:
    replies: list[Reply | None] = []
    original = bot.stepbot.conversation.handle

    async def spy(request: Request) -> Reply | None:
        reply = await original(request)
        replies.append(reply)
        return reply

    bot.stepbot.conversation.handle = spy  # type: ignore[method-assign]
    expected = "en" if locale == "en-US" else "es"
    for name, options in EVERY_COMMAND.items():
        if name == "settings language":  # the member's choice wins over the locale
            options = {"language": expected}
        replies.clear()
        result = await h.invoke(name, options, locale=locale, permissions=MANAGE_GUILD)
        assert result.responded, name
        assert_safe(answer(result))
        assert replies and all(r is not None and r.lang == expected for r in replies), name


async def test_help_names_commands_as_discord_does(h) -> None:  # type: ignore[no-untyped-def]
    done = await h.invoke("help")
    text = json.dumps(done.callback.json)
    assert "/meetings now" in text and "/start" not in text


async def test_export_attaches_an_ics_and_import_stores_the_meetings(
    h: DiscordHarness, seeded: Services
) -> None:
    exported = await h.invoke("export", {"filters": "women"})
    files = [name for call in exported.followups for name in call.filenames]
    assert files and files[0].endswith(".ics")
    ics_bytes = exported.followups[0].file_bytes(files[0])
    assert b"SUMMARY:Women Online" in ics_bytes or b"Women Online" in ics_bytes
    feed = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:voice-1@example.org\r\nSUMMARY:Voice Hope\r\n"
        b"DTSTART;TZID=Europe/London:20260105T190000\r\n"
        b"DTEND;TZID=Europe/London:20260105T200000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
        b"LOCATION:https://discord.gg/abc\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    imported = await h.invoke("import", {"file": ("voice.ics", feed, "text/calendar")},
                              permissions=MANAGE_GUILD)
    assert "Added 1" in json.dumps([c.json for c in imported.followups])
    stored = await seeded.meetings.list_meetings(community=f"discord:{h.guild_id}",
                                                 include_global=False)
    assert [m.name for m in stored] == ["Voice Hope"]
