"""The harness against a small demo bot: real discord.py CommandTree, Views and HTTP, fake Discord."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from .conftest import MakeHarness
from .fake_discord import FakeDiscord
from .harness import (
    ADMINISTRATOR,
    DEFAULT_GUILD_ID,
    GENERAL_CHANNEL_ID,
    MANAGE_GUILD,
    NO_PERMISSIONS,
    DiscordHarness,
    DispatchError,
    InvalidOptions,
)

CITIES = [f"Springfield {i}" for i in range(40)] + ["Madrid", "Málaga", "Manchester"]
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
SPANISH = {
    "meetings": "reuniones",
    "Find meetings near a city": "Buscar reuniones cerca de una ciudad",
    "city": "ciudad",
}


class SpanishTranslator(app_commands.Translator):
    """Spanish (es-ES) for a few strings, nothing for other locales."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale is discord.Locale.spain_spanish:
            return SPANISH.get(string.message)
        return None


class CardView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Next page", custom_id="card:next", style=discord.ButtonStyle.primary)
    async def next_page(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        button.disabled = True
        await interaction.response.edit_message(content="Page 2", view=self)

    @discord.ui.select(
        custom_id="card:day",
        placeholder="Day",
        options=[discord.SelectOption(label=d, value=d.lower()) for d in ("Monday", "Tuesday")],
    )
    async def day(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"day={select.values[0]}", ephemeral=True)


class SubscribeView(discord.ui.View):
    """A persistent view (timeout=None, fixed custom_id), registered with ``bot.add_view``."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Subscribe", custom_id="sub:daily")
    async def subscribe(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("Subscribed", ephemeral=True)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    comment: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Comment", custom_id="fb:comment"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks:{len(self.comment.value)}", ephemeral=True)


class DemoBot(commands.Bot):
    def __init__(self, *, translate: bool = False) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.translate = translate
        self.seen: dict[str, Any] = {}
        register_commands(self)

    async def setup_hook(self) -> None:
        self.add_view(SubscribeView())
        if self.translate:
            await self.tree.set_translator(SpanishTranslator())

    async def on_guild_join(self, guild: discord.Guild) -> None:
        if guild.system_channel is not None:
            await guild.system_channel.send("Hello! Try /meetings.")


def register_commands(bot: DemoBot) -> None:
    tree = bot.tree

    @tree.command(name="meetings", description="Find meetings near a city")
    @app_commands.describe(city="City name")
    async def meetings(interaction: discord.Interaction, city: str) -> None:
        bot.seen["guild"] = interaction.guild
        bot.seen["channel"] = interaction.channel
        greeting = (
            "Reuniones en" if interaction.locale is discord.Locale.spain_spanish else "Meetings in"
        )
        await interaction.response.send_message(f"{greeting} {city}")

    @meetings.autocomplete("city")
    async def city_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        matches = [c for c in CITIES if current.lower() in c.lower()]
        return [app_commands.Choice(name=c, value=c) for c in matches[:25]]

    reflection = app_commands.Group(name="reflection", description="Daily reflections")

    @reflection.command(name="subscribe", description="Get the daily reflection")
    async def subscribe(
        interaction: discord.Interaction, hour: app_commands.Range[int, 0, 23]
    ) -> None:
        bot.seen["hour"] = hour
        await interaction.response.send_message(f"Subscribed at {hour:02d}:00", ephemeral=True)

    tree.add_command(reflection)

    @tree.command(name="card", description="A meeting card")
    async def card(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Monday Night Group", description="<t:1700000000:F>")
        embed.add_field(name="Where", value="Room 4")
        await interaction.response.send_message(embed=embed, view=CardView(), ephemeral=True)

    @tree.command(name="export", description="Export meetings as a calendar")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await asyncio.sleep(0)
        await interaction.followup.send(file=discord.File(io.BytesIO(ICS), "meetings.ics"))

    @tree.command(name="admin", description="Server settings")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Settings", ephemeral=True)

    @tree.command(name="whois", description="Show a member")
    async def whois(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(
            f"{member.id}:{member.display_name}", ephemeral=True
        )

    @tree.command(name="import", description="Import an ICS file")
    async def import_(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}:{len(data)}", ephemeral=True)

    @tree.command(name="feedback", description="Send feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(FeedbackModal())

    @tree.command(name="slow", description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.2)
        await interaction.response.send_message("late")

    @tree.command(name="ics", description="A calendar file")
    async def ics(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "Your calendar", file=discord.File(io.BytesIO(ICS), "week.ics"), ephemeral=True
        )

    @tree.command(name="countdown", description="Edits its own reply")
    async def countdown(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("3")
        await interaction.edit_original_response(content="go")
        original = await interaction.original_response()
        bot.seen["original"] = original.content

    @tree.command(name="boom", description="Always fails")
    async def boom(interaction: discord.Interaction) -> None:
        raise RuntimeError("boom")

    @tree.error
    async def on_app_command_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.MissingPermissions):
            bot.seen["missing"] = error.missing_permissions
            await interaction.response.send_message("You need Manage Server.", ephemeral=True)
            return
        raise error


@pytest.fixture
async def harness(make_harness: MakeHarness) -> DiscordHarness:
    return await make_harness(DemoBot())


async def test_login_uses_fake_and_sets_application(harness: DiscordHarness) -> None:
    fake = harness.fake
    assert harness.client.user is not None and harness.client.user.id == fake.bot_id
    assert harness.client.application_id == fake.app_id
    assert [c.path for c in fake.calls(method="GET")][:2] == [
        "/users/@me",
        "/oauth2/applications/@me",
    ]
    guild = harness.client.get_guild(DEFAULT_GUILD_ID)
    assert guild is not None and guild.me is not None
    assert {c.name for c in guild.text_channels} == {"general", "meetings"}


async def test_slash_command_reply_sees_guild_and_channel(harness: DiscordHarness) -> None:
    result = await harness.invoke("meetings", {"city": "Madrid"})
    cb = result.callback
    assert cb.type == 4 and cb.content == "Meetings in Madrid"
    assert cb.flags == 0
    assert cb.allowed_mentions == {"parse": []}
    seen = harness.client.seen  # type: ignore[attr-defined]
    assert seen["guild"].id == DEFAULT_GUILD_ID
    assert isinstance(seen["channel"], discord.TextChannel) and seen["channel"].name == "general"
    assert result.original is not None and result.original["content"] == "Meetings in Madrid"


async def test_locale_and_dm(harness: DiscordHarness) -> None:
    result = await harness.invoke("meetings", {"city": "Málaga"}, locale="es-ES")
    assert result.callback.content == "Reuniones en Málaga"

    dm = await harness.dispatch(harness.dm_slash("meetings", {"city": "Madrid"}))
    assert dm.callback.type == 4
    seen = harness.client.seen  # type: ignore[attr-defined]
    assert seen["guild"] is None
    assert isinstance(seen["channel"], discord.DMChannel)


async def test_autocomplete_returns_at_most_25_choices(harness: DiscordHarness) -> None:
    result = await harness.dispatch(harness.autocomplete("meetings", "city", "spring"))
    cb = result.callback
    assert cb.type == 8
    assert 0 < len(cb.choices) <= 25
    assert all("Springfield" in c["name"] for c in cb.choices)

    narrow = await harness.dispatch(harness.autocomplete("meetings", "city", "m"))
    assert {c["value"] for c in narrow.callback.choices} == {"Madrid", "Málaga", "Manchester"}


async def test_group_subcommand_converts_and_validates_options(harness: DiscordHarness) -> None:
    ok = await harness.invoke("reflection subscribe", {"hour": 7})
    assert ok.callback.content == "Subscribed at 07:00"
    assert harness.client.seen["hour"] == 7  # type: ignore[attr-defined]

    # Range[int, 0, 23] is synced as min/max_value; Discord's client refuses 99 before sending.
    with pytest.raises(InvalidOptions):
        harness.slash("reflection", {"hour": 99}, subcommand="subscribe")
    with pytest.raises(InvalidOptions, match="missing"):
        harness.slash("reflection subscribe")


async def test_exception_escaping_a_handler_fails_the_dispatch(harness: DiscordHarness) -> None:
    # The demo tree.on_error re-raises anything that is not MissingPermissions.
    with pytest.raises(DispatchError) as info:
        await harness.invoke("boom")
    assert isinstance(info.value.__cause__, app_commands.CommandInvokeError)
    result = await harness.invoke("boom", raise_errors=False)
    assert isinstance(result.raised[0], app_commands.CommandInvokeError)
    assert not result.responded


async def test_embed_view_ephemeral_and_button_click(harness: DiscordHarness) -> None:
    result = await harness.invoke("card")
    cb = result.callback
    assert cb.type == 4
    assert cb.flags == 64
    assert cb.embeds[0]["title"] == "Monday Night Group"
    assert cb.embeds[0]["fields"] == [{"name": "Where", "value": "Room 4", "inline": True}]
    assert cb.allowed_mentions == {"parse": []}
    assert cb.custom_ids() == ["card:next", "card:day"]
    button = cb.components[0]["components"][0]
    assert button == {
        "type": 2,
        "style": 1,
        "label": "Next page",
        "disabled": False,
        "custom_id": "card:next",
    } | {
        k: v
        for k, v in button.items()
        if k not in {"type", "style", "label", "disabled", "custom_id"}
    }

    message_id = int(result.original["id"])  # type: ignore[index]
    click = await harness.click("card:next", message_id)
    assert click.callback.type == 7
    assert click.callback.content == "Page 2"
    assert click.callback.components[0]["components"][0]["disabled"] is True
    # The fake updated the stored message; a disabled button cannot be clicked again.
    with pytest.raises(ValueError, match="disabled"):
        harness.component("card:next", message_id)

    choice = await harness.click("card:day", values=["tuesday"])
    assert choice.callback.type == 4 and choice.callback.content == "day=tuesday"


async def test_click_on_unknown_component_is_impossible(harness: DiscordHarness) -> None:
    with pytest.raises(LookupError):
        harness.component("nope:1")


async def test_defer_then_followup_with_file(harness: DiscordHarness) -> None:
    result = await harness.invoke("export")
    assert result.callback.type == 5
    assert result.callback.flags == 64  # ephemeral "thinking"
    [followup] = result.followups
    assert followup.filenames == ["meetings.ics"]
    assert followup.file_bytes("meetings.ics") == ICS
    assert followup.attachments == [{"id": 0, "filename": "meetings.ics"}]
    # The first followup after a defer resolves the loading message, which stays ephemeral.
    original = result.original
    assert original is not None
    assert original["flags"] == 64
    assert original["attachments"][0]["filename"] == "meetings.ics"


async def test_default_permissions_and_runtime_check(harness: DiscordHarness) -> None:
    assert harness.can_invoke("admin", MANAGE_GUILD)
    assert harness.can_invoke("admin", ADMINISTRATOR)
    assert not harness.can_invoke("admin", NO_PERMISSIONS)
    assert harness.can_invoke("meetings", NO_PERMISSIONS)

    denied = await harness.invoke("admin", permissions=NO_PERMISSIONS)
    assert denied.callback.type == 4
    assert denied.callback.content == "You need Manage Server."
    assert denied.callback.flags == 64
    assert harness.client.seen["missing"] == ["manage_guild"]  # type: ignore[attr-defined]

    allowed = await harness.invoke("admin", permissions=MANAGE_GUILD)
    assert allowed.callback.content == "Settings"


async def test_member_and_attachment_options_are_resolved(harness: DiscordHarness) -> None:
    who = await harness.invoke("whois", {"member": 1_400_000_000_000_000_007})
    user = harness.fake.user(1_400_000_000_000_000_007)
    assert who.callback.content == f"1400000000000000007:{user['global_name']}"

    imported = await harness.invoke("import", {"file": ("group.ics", ICS, "text/calendar")})
    assert imported.callback.content == f"group.ics:{len(ICS)}"


async def test_modal_submit(harness: DiscordHarness) -> None:
    opened = await harness.invoke("feedback")
    assert opened.callback.type == 9
    assert opened.callback.data["title"] == "Feedback"
    submitted = await harness.dispatch(harness.modal_submit({"fb:comment": "great group"}))
    assert submitted.callback.type == 4
    assert submitted.callback.content == "thanks:11"


async def test_late_answer_is_unknown_interaction(harness: DiscordHarness) -> None:
    harness.fake.interaction_deadline = 0.05
    with pytest.raises(DispatchError) as info:
        await harness.invoke("slow")
    cause = info.value.__cause__
    assert isinstance(cause, app_commands.CommandInvokeError)
    assert isinstance(cause.original, discord.NotFound) and cause.original.code == 10062


async def test_channel_send_retries_after_429(harness: DiscordHarness) -> None:
    fake = harness.fake
    fake.fail_next(f"/channels/{GENERAL_CHANNEL_ID}/messages", status=429, retry_after=0.05)
    channel = harness.client.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("Today's reflection")
    attempts = fake.calls(f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].response["retry_after"] == 0.05
    assert message.id == int(attempts[1].response["id"])
    assert message.channel.id == GENERAL_CHANNEL_ID


async def test_dm_to_user_who_blocks_dms_raises_forbidden(harness: DiscordHarness) -> None:
    fake = harness.fake
    user_id = 1_400_000_000_000_000_009
    fake.user(user_id)
    fake.fail_next(f"/channels/{fake.dm_channel_id(user_id)}/messages")  # 403 / 50007
    user = await harness.client.fetch_user(user_id)
    with pytest.raises(discord.Forbidden) as info:
        await user.send("Your daily reflection")
    assert info.value.code == 50007
    assert info.value.status == 403
    assert fake.calls("/users/@me/channels")[0].json == {"recipient_id": user_id}
    # The next DM goes through.
    sent = await user.send("Your daily reflection")
    assert sent.channel.id == fake.dm_channel_id(user_id)


async def test_message_limits_are_enforced_like_discord(harness: DiscordHarness) -> None:
    channel = harness.client.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)
    assert info.value.status == 400 and info.value.code == 50035


async def test_sync_records_commands_with_spanish_localizations(
    make_harness: MakeHarness, fake_discord: FakeDiscord
) -> None:
    harness = await make_harness(DemoBot(translate=True))
    synced = await harness.tree.sync()
    assert {c.name for c in synced} >= {"meetings", "reflection", "card", "admin"}
    [put] = fake_discord.calls("/commands", method="PUT")
    by_name = {c["name"]: c for c in put.json}
    meetings = by_name["meetings"]
    assert meetings["name_localizations"] == {"es-ES": "reuniones"}
    assert meetings["description_localizations"] == {
        "es-ES": "Buscar reuniones cerca de una ciudad"
    }
    assert meetings["options"][0]["name_localizations"] == {"es-ES": "ciudad"}
    assert meetings["options"][0]["autocomplete"] is True
    assert by_name["admin"]["default_member_permissions"] == 32
    assert by_name["reflection"]["options"][0]["type"] == 1  # subcommand
    # The fake answers with ids, which later interactions carry.
    assert fake_discord.synced_command("admin")["default_member_permissions"] == "32"
    payload = harness.slash("meetings", {"city": "Madrid"})
    assert payload["data"]["id"] == fake_discord.synced_command("meetings")["id"]
    result = await harness.dispatch(payload)
    assert result.callback.content == "Meetings in Madrid"


async def test_close_restores_route_base(fake_discord: FakeDiscord) -> None:
    before = discord.http.Route.BASE
    async with DiscordHarness(DemoBot(), fake_discord) as h:
        assert discord.http.Route.BASE == fake_discord.base_url
        assert not h.client.is_closed()
    assert discord.http.Route.BASE == before


async def test_sync_rejects_invalid_localized_names(
    make_harness: MakeHarness, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A command name must be one lowercase word, in every language: Discord refuses the sync.
    monkeypatch.setitem(SPANISH, "meetings", "Reuniones cercanas")
    harness = await make_harness(DemoBot(translate=True))
    with pytest.raises(app_commands.CommandSyncFailure) as info:
        await harness.tree.sync()
    assert info.value.code == 50035
    assert fake_discord.synced_commands() == []


async def test_reply_with_file_is_multipart_callback(harness: DiscordHarness) -> None:
    cb = (await harness.invoke("ics")).callback
    assert cb.type == 4 and cb.ephemeral
    assert cb.content == "Your calendar"
    assert cb.filenames == ["week.ics"] and cb.file_bytes("week.ics") == ICS
    assert cb.files[0].field == "files[0]"


async def test_edit_and_fetch_original_response(harness: DiscordHarness) -> None:
    result = await harness.invoke("countdown")
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in result] == [
        ("POST", "callback"),
        ("PATCH", "@original"),
        ("GET", "@original"),
    ]
    assert result.edits[0].content == "go"
    assert harness.client.seen["original"] == "go"  # type: ignore[attr-defined]
    assert result.original is not None and result.original["edited_timestamp"] is not None


async def test_persistent_view_click_on_old_message(harness: DiscordHarness) -> None:
    # A message sent before a restart: only the persistent view registered in setup_hook knows it.
    old = harness.fake.add_message(
        GENERAL_CHANNEL_ID, content="Daily reflection", components=SubscribeView().to_components()
    )
    result = await harness.click("sub:daily", int(old["id"]))
    assert result.callback.type == 5
    [followup] = result.followups
    assert followup.content == "Subscribed"
    assert result.original is not None and result.original["flags"] == 64


async def test_rate_limited_callback_and_global_limit(harness: DiscordHarness) -> None:
    fake = harness.fake
    fake.rate_limit_next("/callback", retry_after=0.01)
    result = await harness.invoke("meetings", {"city": "Madrid"})
    assert [c.status for c in result] == [429, 200]

    fake.rate_limit_next("/messages", retry_after=0.01, is_global=True)
    channel = harness.client.get_channel(GENERAL_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("after a global limit")
    assert [c.status for c in fake.calls("/messages")] == [429, 200]


async def test_emit_runs_listeners(harness: DiscordHarness) -> None:
    guild = harness.client.get_guild(DEFAULT_GUILD_ID)
    await harness.emit("guild_join", guild)
    [welcome] = harness.fake.calls(f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert welcome.content == "Hello! Try /meetings."
