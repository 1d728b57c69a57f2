"""The slash commands. Each one only turns its options into the neutral Request (the core
command name plus the same argument text a member would type on any platform) and hands it to
the bridge; the options are also passed as Request.options for commands that read them.

Discord applies default_member_permissions to a top-level command as a whole, so the admin
meeting commands are their own group, `/meetings-admin add|remove` (Manage Server), rather
than subcommands of the public `/meetings`. The conversation checks the permission again
(Request.is_admin comes from the member's resolved permissions).
"""

# No `from __future__ import annotations`: discord.py reads these annotations at runtime.

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import Choice

from bots.discord import autocomplete as ac
from bots.discord.interactions import Bridge
from core.conversation.request import Attachment
from core.conversation.router import register_command_labels
from core.i18n import translate
from core.replies import Reply

Interaction = discord.Interaction[Any]
AppCommand = app_commands.Command[Any, ..., Any] | app_commands.Group
MANAGE_SERVER = discord.Permissions(manage_guild=True)

WHEN_CHOICES = [
    Choice(name="Now", value="now"),
    Choice(name="Today", value="today"),
    Choice(name="Tonight", value="tonight"),
    Choice(name="Tomorrow", value="tomorrow"),
    Choice(name="Upcoming", value="upcoming"),
    Choice(name="Monday", value="monday"),
    Choice(name="Tuesday", value="tuesday"),
    Choice(name="Wednesday", value="wednesday"),
    Choice(name="Thursday", value="thursday"),
    Choice(name="Friday", value="friday"),
    Choice(name="Saturday", value="saturday"),
    Choice(name="Sunday", value="sunday"),
]
ATTENDANCE_CHOICES = [
    Choice(name="Online", value="online"),
    Choice(name="In person", value="in-person"),
    Choice(name="Hybrid", value="hybrid"),
]
LANGUAGE_CHOICES = [Choice(name="English", value="en"), Choice(name="Español", value="es")]
SOBRIETY_CHOICES = [
    Choice(name="Show", value="show"),
    Choice(name="Set", value="set"),
    Choice(name="Clear", value="clear"),
]
COMMUNITY_SETTING_CHOICES = [
    Choice(name="Time zone", value="timezone"),
    Choice(name="Language", value="language"),
    Choice(name="Fellowships", value="fellowships"),
    Choice(name="Helplines", value="helplines"),
    Choice(name="Events (scheduled events for this server's meetings)", value="events"),
    Choice(name="Group contacts on cards (on or off)", value="contacts"),
    Choice(name="Change reports (here or private)", value="reports"),
]
REPORT_CHOICES = [
    Choice(name="Day or time", value="time"),
    Choice(name="Place or address", value="place"),
    Choice(name="Link or phone", value="link"),
    Choice(name="Meeting closed", value="closed"),
    Choice(name="Something else", value="other"),
]

# /meetings-admin add option → the field name core.conversation.admin reads.
_ADD_FIELDS = (
    "name",
    "day",
    "time",
    "end",
    "tz",
    "fellowship",
    "types",
    "location",
    "address",
    "city",
    "url",
    "phone",
    "notes",
    "every",
    "starts",
    "until",
    "holidays",
)
_PAIR_BREAKERS = re.compile(r"[;\r\n]+")


def join(*parts: str | None) -> str:
    """Options → argument text: 'today', 'women', 'online' → 'today women online'."""
    return " ".join(p.strip() for p in parts if p and p.strip())


def pairs(values: dict[str, str | None]) -> str:
    """Options → 'name: …; day: …' for the admin commands (';' and line breaks inside a value
    would split it, so they become ', ')."""
    return "; ".join(
        f"{key}: {_PAIR_BREAKERS.sub(', ', value.strip())}"
        for key, value in values.items()
        if value and value.strip()
    )


def present(**options: Any) -> dict[str, str]:
    return {k: str(v) for k, v in options.items() if v is not None and str(v).strip()}


# How help should name the core's commands on Discord (None: no such command here).
COMMAND_LABELS: dict[str, str | None] = {
    "start": None,
    "meetings": "/meetings find",
    "now": "/meetings now",
    "today": "/meetings today",
    "tomorrow": "/meetings tomorrow",
    "meeting": "/meeting show",
    "report": "/meeting report",
    "settings": "/settings show",
    "addmeeting": "/meetings-admin add",
    "removemeeting": "/meetings-admin remove",
    "cancel": "/meetings-admin cancel",
    "move": "/meetings-admin move",
    "close": "/meetings-admin close",
    "restore": "/meetings-admin restore",
    "subscribe": "/subscribe me",
}
register_command_labels("discord", COMMAND_LABELS)


def build_commands(bridge: Bridge) -> list[AppCommand]:
    """Every slash command, wired to `bridge`."""

    def ask(
        command: str, *, defer: bool = False, private: bool = False
    ) -> Callable[..., Awaitable[None]]:
        async def run(interaction: Interaction, args: str = "", **extra: Any) -> None:
            request = bridge.request(interaction, command=command, args=args, **extra)
            if private:
                request = await bridge.private_request(interaction, request)
            await bridge.run(interaction, request, defer=defer)

        return run

    async def language(interaction: Interaction) -> str:
        return await bridge.language(interaction)

    async def types_ac(interaction: Interaction, current: str) -> list[Choice[str]]:
        return ac.type_choices(current, await language(interaction))

    async def fellowship_filter_ac(interaction: Interaction, current: str) -> list[Choice[str]]:
        return ac.fellowship_choices(current, await language(interaction))

    async def fellowship_setting_ac(interaction: Interaction, current: str) -> list[Choice[str]]:
        lang = await language(interaction)
        return ac.fellowship_choices(
            current, lang, for_filter=False, everything=translate("settings.all_fellowships", lang)
        )

    async def zone_ac(interaction: Interaction, current: str) -> list[Choice[str]]:
        return ac.zone_choices(current)

    def community(interaction: Interaction) -> str | None:
        return bridge.request(interaction).community

    async def meeting_ac(interaction: Interaction, current: str) -> list[Choice[str]]:
        return await ac.meeting_choices(bridge.services.meetings, current, community(interaction))

    async def own_meeting_ac(interaction: Interaction, current: str) -> list[Choice[str]]:
        return await ac.meeting_choices(
            bridge.services.meetings, current, community(interaction), own_only=True
        )

    commands: list[AppCommand] = []

    # ------------------------------------------------------------------ /meetings
    meetings = app_commands.Group(name="meetings", description="Find 12-step meetings")

    @meetings.command(
        name="find", description="Search meetings by day, type, fellowship, attendance or place"
    )
    @app_commands.rename(kind="type")
    @app_commands.describe(
        when="When: now, today, tomorrow or a weekday",
        kind="Meeting type, e.g. Women, Speaker, Spanish",
        fellowship="Fellowship, e.g. AA, NA, Al-Anon",
        attendance="Online, in person or hybrid",
        region="City, region or place name",
        text="Words to look for in names, places and notes",
    )
    @app_commands.choices(when=WHEN_CHOICES, attendance=ATTENDANCE_CHOICES)
    @app_commands.autocomplete(kind=types_ac, fellowship=fellowship_filter_ac)
    async def meetings_find(
        interaction: Interaction,
        when: str | None = None,
        kind: app_commands.Range[str, 1, 100] | None = None,
        fellowship: app_commands.Range[str, 1, 100] | None = None,
        attendance: str | None = None,
        region: app_commands.Range[str, 1, 100] | None = None,
        text: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        options = present(
            when=when,
            type=kind,
            fellowship=fellowship,
            attendance=attendance,
            region=region,
            text=text,
        )
        await ask("meetings")(
            interaction, join(when, kind, fellowship, attendance, region, text), options=options
        )

    def shortcut(name: str, description: str) -> None:
        @meetings.command(name=name, description=description)
        @app_commands.describe(filters="Optional filters, e.g. women online")
        async def run(
            interaction: Interaction, filters: app_commands.Range[str, 1, 200] | None = None
        ) -> None:
            await ask(name)(interaction, join(filters), options=present(filters=filters))

    shortcut("now", "Meetings happening now or within the hour")
    shortcut("today", "The rest of today's meetings")
    shortcut("tomorrow", "Tomorrow's meetings")
    commands.append(meetings)

    # ------------------------------------------------------------------ /meeting show
    meeting = app_commands.Group(name="meeting", description="One meeting")

    @meeting.command(name="show", description="Show one meeting with its next dates")
    @app_commands.describe(meeting="Meeting name or id")
    @app_commands.autocomplete(meeting=meeting_ac)
    async def meeting_show(
        interaction: Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        await ask("meeting")(interaction, meeting, options=present(meeting=meeting))

    @meeting.command(name="report", description="Report a change to a meeting's listing")
    @app_commands.describe(
        meeting="Meeting name or id",
        what="What is wrong",
        note="A line of your own (optional)",
        contactable="May the admins contact you about it? (default: no, anonymous)",
    )
    @app_commands.choices(what=REPORT_CHOICES)
    @app_commands.autocomplete(meeting=meeting_ac)
    async def meeting_report(
        interaction: Interaction,
        meeting: app_commands.Range[str, 1, 100],
        what: str,
        note: app_commands.Range[str, 1, 300] | None = None,
        contactable: bool = False,
    ) -> None:
        await ask("report")(
            interaction, join(meeting, what, note),
            options=present(meeting=meeting, what=what, note=note,
                            contact="yes" if contactable else "no"),
        )

    commands.append(meeting)

    # ------------------------------------------------------------------ /meetings-admin
    admin = app_commands.Group(
        name="meetings-admin",
        description="Manage this server's own meetings (Manage Server)",
        guild_only=True,
        default_permissions=MANAGE_SERVER,
    )

    @admin.command(name="add", description="Add a meeting for this server")
    @app_commands.rename(tz="timezone")
    @app_commands.describe(
        name="Meeting name",
        day="Day or days, e.g. monday or mon,thu",
        time="Start time, e.g. 19:00 or 7:00 PM",
        end="End time, e.g. 20:00",
        tz="Time zone (default: the server's)",
        fellowship="Fellowship (default: the server's)",
        types="Types separated by commas, e.g. Open, Speaker",
        location="Place, building or voice channel",
        address="Street address",
        city="City",
        url="Link to join online",
        phone="Dial-in phone number",
        notes="Notes",
        every="How often, e.g. every 1st saturday, every other tuesday, once 2026-12-20",
        starts="First date (YYYY-MM-DD)",
        until="Last date (YYYY-MM-DD)",
        holidays="Closed on this country's public holidays, e.g. US or GB",
    )
    @app_commands.autocomplete(tz=zone_ac, fellowship=fellowship_setting_ac)
    async def admin_add(
        interaction: Interaction,
        name: app_commands.Range[str, 1, 200],
        day: app_commands.Range[str, 1, 100] | None = None,
        time: app_commands.Range[str, 1, 20] = "",
        end: app_commands.Range[str, 1, 20] | None = None,
        tz: app_commands.Range[str, 1, 64] | None = None,
        fellowship: app_commands.Range[str, 1, 64] | None = None,
        types: app_commands.Range[str, 1, 300] | None = None,
        location: app_commands.Range[str, 1, 200] | None = None,
        address: app_commands.Range[str, 1, 300] | None = None,
        city: app_commands.Range[str, 1, 100] | None = None,
        url: app_commands.Range[str, 1, 500] | None = None,
        phone: app_commands.Range[str, 1, 60] | None = None,
        notes: app_commands.Range[str, 1, 1000] | None = None,
        every: app_commands.Range[str, 1, 200] | None = None,
        starts: app_commands.Range[str, 1, 10] | None = None,
        until: app_commands.Range[str, 1, 10] | None = None,
        holidays: app_commands.Range[str, 1, 10] | None = None,
    ) -> None:
        values = dict(
            zip(
                _ADD_FIELDS,
                (
                    name,
                    day,
                    time,
                    end,
                    tz,
                    fellowship,
                    types,
                    location,
                    address,
                    city,
                    url,
                    phone,
                    notes,
                    every,
                    starts,
                    until,
                    holidays,
                ),
                strict=True,
            )
        )
        await ask("addmeeting")(interaction, pairs(values), options=present(**values))

    @admin.command(name="remove", description="Remove one of this server's meetings")
    @app_commands.describe(meeting="Meeting name or id")
    @app_commands.autocomplete(meeting=own_meeting_ac)
    async def admin_remove(
        interaction: Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        await ask("removemeeting")(interaction, meeting, options=present(meeting=meeting))

    def sitting_edit(name: str, description: str, usage: str) -> None:
        """/meetings-admin cancel|move|close|restore: the sitting's meeting, then the rest of
        the command's words as core reads them (dates, times, a reason)."""

        @admin.command(name=name, description=description)
        @app_commands.describe(meeting="Meeting name or id", details=usage)
        @app_commands.autocomplete(meeting=own_meeting_ac)
        async def edit(
            interaction: Interaction,
            meeting: app_commands.Range[str, 1, 100],
            details: app_commands.Range[str, 1, 300],
        ) -> None:
            await ask(name)(interaction, join(meeting, details),
                            options=present(meeting=meeting, details=details))

    sitting_edit("cancel", "Cancel one sitting of a meeting", "DATE [reason]")
    sitting_edit("move", "Move one sitting to another time or day",
                 "DATE [NEW-DATE] HH:MM [END] [reason]")
    sitting_edit("close", "Close a meeting over a range of dates", "FROM TO [reason]")
    sitting_edit("restore", "Undo a cancel, move or closure on a date", "DATE")
    commands.append(admin)

    # ------------------------------------------------------------------ reflections, steps
    @app_commands.command(name="reflection", description="Today's reflection, or another day's")
    @app_commands.describe(day="today, tomorrow or a date (YYYY-MM-DD)")
    async def reflection(
        interaction: Interaction, day: app_commands.Range[str, 1, 20] | None = None
    ) -> None:
        await ask("reflection")(interaction, join(day), options=present(day=day))

    @app_commands.command(name="step", description="One of the Twelve Steps")
    @app_commands.describe(number="Step number (1-12)")
    async def step(interaction: Interaction, number: app_commands.Range[int, 1, 12]) -> None:
        await ask("step")(interaction, str(number), options=present(number=number))

    @app_commands.command(name="steps", description="The Twelve Steps")
    async def steps(interaction: Interaction) -> None:
        await ask("steps")(interaction)

    commands += [reflection, step, steps]

    # ------------------------------------------------------------------ subscriptions
    subscribe = app_commands.Group(name="subscribe", description="Daily reflection subscriptions")

    @subscribe.command(name="me", description="Get the daily reflection by direct message")
    @app_commands.rename(zone="timezone")
    @app_commands.describe(time="Local time, e.g. 07:00", zone="Your time zone, e.g. Madrid")
    @app_commands.autocomplete(zone=zone_ac)
    async def subscribe_me(
        interaction: Interaction,
        time: app_commands.Range[str, 1, 20] | None = None,
        zone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        # Personal: asked as in the member's DM with the bot, where it will be delivered.
        await ask("subscribe", private=True)(
            interaction, join("me", time, zone), options=present(time=time, timezone=zone)
        )

    @subscribe.command(
        name="channel", description="Post the daily reflection in a channel (Manage Server)"
    )
    @app_commands.rename(zone="timezone")
    @app_commands.describe(
        channel="Channel (default: this one)",
        time="Local time, e.g. 07:00",
        zone="Time zone, e.g. Madrid",
    )
    @app_commands.autocomplete(zone=zone_ac)
    async def subscribe_channel(
        interaction: Interaction,
        channel: discord.TextChannel | None = None,
        time: app_commands.Range[str, 1, 20] | None = None,
        zone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        await channel_request(
            interaction,
            "subscribe",
            channel,
            join("channel", time, zone),
            present(time=time, timezone=zone),
        )

    commands.append(subscribe)

    async def channel_request(
        interaction: Interaction,
        command: str,
        channel: discord.TextChannel | None,
        args: str,
        options: dict[str, str],
    ) -> None:
        """A request about a server channel: the chat is that channel."""
        if interaction.guild_id is None:  # a DM has no server channel to act on
            lang = await language(interaction)
            refusal = Reply(
                lang=lang,
                blocks=[translate("error.admin_in_community", lang)],
                error=True,
                private=True,
            )
            await bridge.respond(interaction, refusal, component=False)
            return
        chat_id = str(channel.id if channel is not None else interaction.channel_id)
        request = bridge.request(interaction, command=command, args=args, options=options)
        await bridge.run(interaction, replace(request, chat_id=chat_id))

    @app_commands.command(name="unsubscribe", description="Stop a daily reflection subscription")
    @app_commands.describe(channel="A channel to unsubscribe instead of you (Manage Server)")
    async def unsubscribe(
        interaction: Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        if channel is None:
            await ask("unsubscribe", private=True)(interaction, "me")
        else:
            await channel_request(interaction, "unsubscribe", channel, "channel", {})

    @app_commands.command(name="subscriptions", description="Your subscriptions and reminders")
    async def subscriptions(interaction: Interaction) -> None:
        await ask("subscriptions")(interaction)

    @app_commands.command(name="remind", description="A weekly reminder before a meeting")
    @app_commands.describe(meeting="Meeting name or id", minutes="Minutes before the meeting")
    @app_commands.autocomplete(meeting=meeting_ac)
    async def remind(
        interaction: Interaction,
        meeting: app_commands.Range[str, 1, 100],
        minutes: app_commands.Range[int, 0, 1440] | None = None,
    ) -> None:
        await ask("remind")(
            interaction,
            join(meeting, str(minutes) if minutes is not None else None),
            options=present(meeting=meeting, minutes=minutes),
        )

    @app_commands.command(name="sobriety", description="Your sobriety date (private)")
    @app_commands.describe(action="Show, set or clear", date="Your date, YYYY-MM-DD (for set)")
    @app_commands.choices(action=SOBRIETY_CHOICES)
    async def sobriety(
        interaction: Interaction,
        action: str | None = None,
        date: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        await ask("sobriety")(
            interaction, join(action, date), options=present(action=action, date=date)
        )

    commands += [unsubscribe, subscriptions, remind, sobriety]

    # ------------------------------------------------------------------ /settings
    settings = app_commands.Group(
        name="settings", description="Your time zone, language and fellowship"
    )

    @settings.command(name="show", description="Show your settings")
    async def settings_show(interaction: Interaction) -> None:
        await ask("settings")(interaction)

    @settings.command(name="timezone", description="Set your time zone")
    @app_commands.describe(zone="City or time zone, e.g. Madrid")
    @app_commands.autocomplete(zone=zone_ac)
    async def settings_timezone(
        interaction: Interaction, zone: app_commands.Range[str, 1, 64]
    ) -> None:
        await ask("settings")(interaction, join("timezone", zone), options=present(timezone=zone))

    @settings.command(name="language", description="Set your language")
    @app_commands.describe(language="Language")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def settings_language(interaction: Interaction, language: str) -> None:
        await ask("settings")(
            interaction, join("language", language), options=present(language=language)
        )

    @settings.command(name="fellowship", description="Set your default fellowship")
    @app_commands.describe(fellowship="Fellowship, or All")
    @app_commands.autocomplete(fellowship=fellowship_setting_ac)
    async def settings_fellowship(
        interaction: Interaction, fellowship: app_commands.Range[str, 1, 64]
    ) -> None:
        await ask("settings")(
            interaction, join("fellowship", fellowship), options=present(fellowship=fellowship)
        )

    @settings.command(name="community", description="Server defaults (Manage Server)")
    @app_commands.describe(
        setting="What to change (empty: show)", value="New value (helplines: separate with |)"
    )
    @app_commands.choices(setting=COMMUNITY_SETTING_CHOICES)
    async def settings_community(
        interaction: Interaction,
        setting: str | None = None,
        value: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        await ask("settings")(
            interaction,
            join("community", setting, value),
            options=present(setting=setting, value=value),
        )

    commands.append(settings)

    # ------------------------------------------------------------------ calendars
    @app_commands.command(name="export", description="Meetings as a calendar file (.ics)")
    @app_commands.describe(filters="Optional filters, e.g. women online")
    async def export(
        interaction: Interaction, filters: app_commands.Range[str, 1, 200] | None = None
    ) -> None:
        await ask("export", defer=True)(
            interaction, join(filters), options=present(filters=filters)
        )

    @app_commands.command(
        name="import", description="Import meetings from a calendar file or a link (admins)"
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        url="Link to an .ics, JSON or CSV file", file="A calendar file (.ics, .json, .csv)"
    )
    async def import_(
        interaction: Interaction,
        url: app_commands.Range[str, 1, 500] | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        attachment = None
        if file is not None:
            attachment = Attachment(filename=file.filename, data=await file.read())
        await ask("import")(
            interaction,
            join(url),
            attachment=attachment,
            options=present(url=url, file=file.filename if file else None),
        )

    commands += [export, import_]

    # ------------------------------------------------------------------ the rest
    @app_commands.command(name="helpline", description="Helplines, always available")
    async def helpline(interaction: Interaction) -> None:
        await ask("helpline")(interaction)

    @app_commands.command(name="forgetme", description="Delete everything stepbot stores about you")
    async def forgetme(interaction: Interaction) -> None:
        await ask("forgetme")(interaction)

    @app_commands.command(name="help", description="What stepbot does and how to use it")
    async def help_(interaction: Interaction) -> None:
        await ask("help")(interaction)

    commands += [helpline, forgetme, help_]
    return commands
