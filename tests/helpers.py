"""Test data shared by every suite: fictional meetings around Boston on a Wednesday (the
fixtures' fake clock starts on Wednesday 2026-06-03, 15:00 UTC = 11:00 in Boston)."""

from __future__ import annotations

from typing import Any

from core.model import Location, Meeting, OnlineAccess, build_meeting
from core.services import Services

BOSTON = Location(address="1 Example Street, Boston", city="Boston", region="Back Bay",
                  latitude=42.3503, longitude=-71.0810)
ZOOM = OnlineAccess(url="https://zoom.us/j/123")


def make_meeting(slug: str, **kw: Any) -> Meeting:
    """A valid meeting named after its slug: AA, Wednesday 19:00 in Boston, unless told."""
    values: dict[str, Any] = dict(name=slug.replace("-", " ").title(), fellowship="aa",
                                  days=["wednesday"], start="19:00",
                                  timezone="America/New_York", location=BOSTON, slug=slug)
    values.update(kw)
    return build_meeting(**values)


async def add_meeting(services: Services, slug: str, **kw: Any) -> Meeting:
    return await services.meetings.add(make_meeting(slug, **kw))
