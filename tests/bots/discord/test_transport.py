"""Delivery on Discord: platform answers → SendResult, and a broadcast through the core's
delivery engine (channel posts and DMs) with a 403/50007, a deleted channel and a 429."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from bots.discord.transport import DiscordTransport
from core.clock import FakeClock
from core.conversation.outbound import OutboundComposer
from core.delivery import DeliveryEngine
from core.outbound import Address, SendKind, SendResult
from core.reflections import builtin_pack
from core.replies import Button, Reply
from core.services import Services
from core.store.subscriptions import Status
from core.subscriptions import Subscriptions

from .harness import DEFAULT_GUILD_ID, GENERAL_CHANNEL_ID, MEETINGS_CHANNEL_ID, DiscordHarness

HELLO = Reply(
    title="Daily reflection",
    blocks=["@everyone one day at a time"],
    buttons=[[Button("Helplines", action="cmd:helpline")]],
)
BLOCKED_USER = 1_400_000_000_000_000_001
HAPPY_USER = 1_400_000_000_000_000_002


@pytest.fixture
def transport(h: DiscordHarness, services: Services) -> DiscordTransport:
    return DiscordTransport(h.client, OutboundComposer(services))


def channel(chat_id: int) -> Address:
    return Address("discord", str(chat_id))


async def test_channel_post(h: DiscordHarness, transport: DiscordTransport) -> None:
    assert await transport.send(channel(GENERAL_CHANNEL_ID), HELLO) == SendResult.ok()
    [post] = h.fake.calls(f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert post.embeds[0]["title"] == "Daily reflection"
    assert post.embeds[0]["description"] == "@\u200beveryone one day at a time"
    assert post.allowed_mentions == {"parse": []}
    assert post.custom_ids() == ["cmd:helpline"]
    # Anyone can use the buttons of a channel post (it answers nobody in particular).
    clicked = await h.click("cmd:helpline", user_id=HAPPY_USER)
    assert clicked.callback.embeds[0]["title"] == "Helplines"


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (403, 50007, SendKind.BLOCKED),  # cannot send messages to this user
        (403, 50001, SendKind.BLOCKED),  # missing access (kicked, channel hidden)
        (404, 10003, SendKind.BLOCKED),  # unknown channel (deleted)
        (404, 10008, SendKind.FAILED),
        (400, 50035, SendKind.FAILED),
    ],
)
async def test_errors_map_to_results(
    h: DiscordHarness, transport: DiscordTransport, status: int, code: int, kind: SendKind
) -> None:
    h.fake.fail_next(f"/channels/{GENERAL_CHANNEL_ID}/messages", status, code, "nope")
    result = await transport.send(channel(GENERAL_CHANNEL_ID), HELLO)
    assert result.kind is kind and result.reason == f"{status}/{code}"


async def test_rate_limits(h: DiscordHarness, transport: DiscordTransport) -> None:
    path = f"/channels/{GENERAL_CHANNEL_ID}/messages"
    # A short limit is waited out by discord.py itself; a long one goes back to the engine.
    h.fake.rate_limit_next(path, retry_after=0.05)
    assert (await transport.send(channel(GENERAL_CHANNEL_ID), HELLO)).kind is SendKind.OK
    h.fake.rate_limit_next(path, retry_after=120.0)
    assert await transport.send(channel(GENERAL_CHANNEL_ID), HELLO) == SendResult.retry(120.0)
    assert [c.status for c in h.fake.calls(path)] == [429, 200, 429]


async def test_bad_address(transport: DiscordTransport) -> None:
    assert (
        await transport.send(Address("discord", "not-a-channel"), HELLO)
    ).kind is SendKind.BLOCKED


async def test_broadcast_through_the_delivery_engine(
    h: DiscordHarness, transport: DiscordTransport, services: Services, clock: FakeClock
) -> None:
    fake = h.fake
    community = f"discord:{DEFAULT_GUILD_ID}"
    deleted_channel = 1_200_000_000_000_000_999
    subs = Subscriptions(services.db, clock, meetings=services.meetings)
    at = time(12, 0)  # the fake clock is 11:00 in New York
    zone = "America/New_York"
    for chat in (GENERAL_CHANNEL_ID, MEETINGS_CHANNEL_ID, deleted_channel):
        await subs.subscribe("discord", None, community, channel(chat), at, zone, "en")
    for user in (BLOCKED_USER, HAPPY_USER):
        dm = channel(fake.dm_channel_id(user))
        await subs.subscribe("discord", str(user), None, dm, at, zone, "es")

    fake.fail_next(f"/channels/{fake.dm_channel_id(BLOCKED_USER)}/messages", 403, 50007)
    fake.fail_next(f"/channels/{deleted_channel}/messages", 404, 10003, "Unknown Channel")
    fake.rate_limit_next(f"/channels/{MEETINGS_CHANNEL_ID}/messages", retry_after=60.0)

    engine = DeliveryEngine(
        services.db,
        clock,
        {"discord": transport},
        services.config,
        builtin_pack(),
        meetings=services.meetings,
        limits={"discord": None},
    )
    clock.advance(seconds=timedelta(hours=1).total_seconds())
    await engine.run_once()

    assert engine.metrics["sent"] == 3
    assert engine.metrics["blocked"] == 2
    assert engine.metrics["rate_limited"] == 1
    posted = {c.path.split("/")[2]: c for c in fake.calls("/messages") if c.status == 200}
    assert set(posted) == {
        str(GENERAL_CHANNEL_ID),
        str(MEETINGS_CHANNEL_ID),
        str(fake.dm_channel_id(HAPPY_USER)),
    }
    for call in posted.values():
        assert call.allowed_mentions == {"parse": []} and call.embeds[0]["title"]
    spanish = posted[str(fake.dm_channel_id(HAPPY_USER))].embeds[0]["title"]
    assert "· Paso " in spanish
    statuses = {
        s.address.chat_id: s.status for s in await subs.list_for_community("discord", community)
    }
    assert statuses[str(deleted_channel)] is Status.BLOCKED
    assert statuses[str(GENERAL_CHANNEL_ID)] is Status.ACTIVE
    [blocked] = await subs.list_for_user("discord", str(BLOCKED_USER))
    assert blocked.status is Status.BLOCKED
    # Exactly one message per subscription that could be reached.
    assert engine.metrics["sent"] + engine.metrics["blocked"] == 5


async def test_subscribe_then_deliver_end_to_end(
    h: DiscordHarness, services: Services, clock: FakeClock
) -> None:
    """/subscribe me (DM) and /subscribe channel (admin) store Discord addresses the
    transport delivers to, with the conversation's own composer."""

    await h.invoke("subscribe me", {"time": "12:00"}, locale="es-ES")
    refused = await h.invoke("subscribe channel", {"time": "12:00"})  # not an admin
    assert refused.callback.ephemeral
    await h.invoke(
        "subscribe channel", {"channel": MEETINGS_CHANNEL_ID, "time": "12:00"}, permissions="32"
    )
    mine = await services.subscriptions.list_for_user("discord", str(h.user_id))
    dm = str(h.fake.dm_channel_id(h.user_id))
    assert [s.address.chat_id for s in mine] == [dm]
    community = f"discord:{DEFAULT_GUILD_ID}"
    server = await services.subscriptions.list_for_community("discord", community)
    assert [s.address.chat_id for s in server] == [str(MEETINGS_CHANNEL_ID)]

    transport = DiscordTransport(h.client, OutboundComposer(services))
    engine = DeliveryEngine(
        services.db,
        clock,
        {"discord": transport},
        services.config,
        services.reflections,
        meetings=services.meetings,
        limits={"discord": None},
    )
    clock.advance(seconds=3600)
    await engine.run_once()
    assert engine.metrics["sent"] == 2
    [to_member] = h.fake.calls(f"/channels/{dm}/messages")
    [to_channel] = h.fake.calls(f"/channels/{MEETINGS_CHANNEL_ID}/messages")
    assert to_member.allowed_mentions == to_channel.allowed_mentions == {"parse": []}
    assert to_member.embeds[0]["title"] and to_channel.embeds[0]["title"]
    assert to_member.embeds[0]["title"] != to_channel.embeds[0]["title"]  # Spanish vs English
