"""Helpers to talk to the neutral conversation: Request in, Reply out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from core.conversation.request import Request
from core.conversation.router import Conversation
from core.model import Location
from core.replies import Reply
from core.services import Services
from tests.helpers import ZOOM, add_meeting

Ask = Callable[..., Awaitable[Reply]]



def request(text: str = "", **kw: Any) -> Request:
    command, args, free = None, "", None
    if text.startswith("/"):
        command, _, args = text[1:].partition(" ")
    elif text:
        free = text
    values: dict[str, Any] = dict(platform="test", user_id="u1", chat_id="u1", command=command,
                                  args=args.strip(), text=free)
    values.update(kw)
    if values.get("community_id") and "chat_id" not in kw:
        values["chat_id"] = values["community_id"]
    return Request(**values)


@pytest.fixture
def ask(services: Services) -> Ask:
    conversation = Conversation(services)

    async def _ask(text: str = "", **kw: Any) -> Reply:
        reply = await conversation.handle(request(text, **kw))
        assert reply is not None
        return reply

    return _ask


@pytest.fixture
async def seeded(services: Services) -> Services:
    """A handful of meetings around a Wednesday 2026-06-03 (the clock starts at 15:00 UTC)."""
    def add(slug: str, **kw: Any) -> Any:
        return add_meeting(services, slug, **kw)

    await add("boston-women", types=["W", "C"])
    await add("online-women", types=["W"], location=Location(), online=ZOOM, start="20:00")
    await add("spanish-online", types=["S"], location=Location(), online=ZOOM, start="21:00",
              name="Grupo Esperanza")
    await add("na-near", fellowship="na", start="12:00", end="13:00")
    await add("thursday-morning", days=["thursday"], start="08:00")
    for n in range(8):
        await add(f"extra-{n}", start=f"{13 + n}:30", types=["O"])
    return services
