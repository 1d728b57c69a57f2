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
