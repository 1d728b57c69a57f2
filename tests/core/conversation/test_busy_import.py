"""A big import in the background: the same process keeps answering members meanwhile."""

from __future__ import annotations

import asyncio
import time

from calendars.meeting_guide import meeting_guide_json
from core.conversation.request import Attachment
from core.demo import demo_meetings
from core.services import Services
from tests.core.conversation.conftest import Ask

IMPORT_MEETINGS = 15_000
ANSWER_WITHIN_S = 5.0  # generous for a shared, noisy machine; a blocked loop took minutes


async def test_meetings_are_answered_while_a_big_import_runs(
    ask: Ask, seeded: Services
) -> None:
    feed = meeting_guide_json(list(demo_meetings(IMPORT_MEETINGS, 7)))
    assert len(feed) > 3_000_000
    await ask("/meetings today")
    importing = asyncio.create_task(ask(
        "/import", community_id="g1", is_admin=True, attachment=Attachment("big.json", feed)))
    await asyncio.sleep(0.05)  # the import is under way
    answered: list[float] = []
    while not importing.done():
        started = time.monotonic()
        reply = await ask("/meetings today")
        answered.append(time.monotonic() - started)
        assert not reply.error and "na-near" in [c.slug for c in reply.cards]
        await asyncio.sleep(0.05)
    done = await importing
    assert f"Added {IMPORT_MEETINGS:,}".replace(",", "") in done.text().replace(",", ""), \
        done.text()
    assert len(answered) >= 3, answered  # the member was answered while the import ran
    assert max(answered) < ANSWER_WITHIN_S, answered
