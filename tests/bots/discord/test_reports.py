""""Report a change" on Discord: discord.py's own command tree parses /meeting report; the
transport finds the server owner's DM channel through the REST API (or posts in the channel
the admins chose)."""

from __future__ import annotations

from bots.discord.transport import DiscordTransport
from core.conversation.outbound import OutboundComposer
from core.delivery import DeliveryEngine
from core.reflections import builtin_pack
from core.services import Services
from tests.helpers import add_meeting

from .harness import DEFAULT_GUILD_ID, MANAGE_GUILD, MEETINGS_CHANNEL_ID, OWNER_ID, DiscordHarness
from .test_commands import text_of


async def deliver(h: DiscordHarness, services: Services) -> DeliveryEngine:
    transport = DiscordTransport(h.client, OutboundComposer(services))
    engine = DeliveryEngine(services.db, services.clock, {"discord": transport},
                            services.config, builtin_pack())
    await engine.run_once()
    return engine


async def test_a_report_reaches_the_server_owner_privately(
    h: DiscordHarness, services: Services
) -> None:
    await add_meeting(services, "our-group", community=f"discord:{DEFAULT_GUILD_ID}")
    result = await h.invoke("meeting report", {"meeting": "our-group", "what": "link",
                                               "note": "the zoom id changed"})
    assert result.callback.ephemeral
    assert "without your name" in text_of(result.callback)

    engine = await deliver(h, services)
    [dm] = h.fake.calls(f"/channels/{h.fake.dm_channel_id(OWNER_ID)}/messages")
    embed = dm.embeds[0]
    assert embed["title"] == "Change reported: Our Group"
    assert "Link or phone" in embed["description"] and "the zoom id changed" in embed[
        "description"]
    assert "anonymous" in embed["description"]
    assert dm.custom_ids() == [] and dm.allowed_mentions == {"parse": []}
    assert engine.metrics["reports_sent"] == 1


async def test_a_contactable_report_goes_to_the_reports_channel(
    h: DiscordHarness, services: Services
) -> None:
    await add_meeting(services, "our-group", community=f"discord:{DEFAULT_GUILD_ID}")
    chosen = await h.invoke("settings community", {"setting": "reports", "value": "here"},
                            permissions=MANAGE_GUILD, channel_id=MEETINGS_CHANNEL_ID)
    assert "posted here" in text_of(chosen.callback)
    await h.invoke("meeting report", {"meeting": "our-group", "what": "closed",
                                      "contactable": True})
    await deliver(h, services)
    [post] = h.fake.calls(f"/channels/{MEETINGS_CHANNEL_ID}/messages")
    assert "agreed to be contacted" in post.embeds[0]["description"]
    assert h.user_id and f"https://discord.com/users/{h.user_id}" in str(post.components)
    assert not h.fake.calls(f"/channels/{h.fake.dm_channel_id(OWNER_ID)}/messages")
