"""A console member's subscription is delivered through the same engine and composer."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from bots.console import ConsoleSession, ConsoleTransport
from bots.runner import Delivery
from core.clock import FakeClock
from core.services import Services


async def test_console_subscription_is_printed_at_its_local_time(
    services: Services, clock: FakeClock
) -> None:
    session = ConsoleSession(services)
    reply = await session.send("/subscribe 07:30 Europe/Madrid")
    assert reply is not None and "07:30" in reply.text()
    out = io.StringIO()
    transport = ConsoleTransport(services, out)
    delivery = Delivery(services, {"console": transport})
    assert await delivery.engine.run_once() == 0  # 17:00 in Madrid: not due yet
    clock.set(datetime(2026, 6, 4, 5, 31, tzinfo=UTC))  # 07:31 in Madrid (CEST)
    assert await delivery.engine.run_once() == 1
    printed = out.getvalue()
    assert "2026-06-04 · Step 6" in printed and "To reflect on:" in printed
    clock.advance(timedelta(hours=1).total_seconds())
    assert await delivery.engine.run_once() == 0  # exactly one per local day


async def test_console_change_report_reaches_the_person_at_the_keyboard(
    services: Services,
) -> None:
    """The console's community has one admin (whoever types): the runner's Delivery wires
    the report queue to the engine, and the report is printed for them."""
    from tests.helpers import add_meeting

    await add_meeting(services, "our-group", community="console:home")
    session = ConsoleSession(services, community_id="home")
    reply = await session.send("/report our-group time starts at 19:30 now")
    assert reply is not None and "Send anonymously" in [b.label for b in reply.all_buttons()]
    sent = await session.send("1")  # the first button: send anonymously
    assert sent is not None and "on its way to the admins" in sent.text()
    out = io.StringIO()
    delivery = Delivery(services, {"console": ConsoleTransport(services, out)})
    assert await delivery.engine.run_once() == 1
    printed = out.getvalue()
    assert "Change reported: Our Group" in printed and "starts at 19:30 now" in printed
    assert "The report is anonymous." in printed
