"""Any web link makes a meeting online; known providers are named on cards."""

from __future__ import annotations

import pytest

from core.conversation.cards import join_label
from core.errors import ValidationError
from core.i18n import Translator
from core.model import Attendance, Location, OnlineAccess, build_meeting
from core.search import MeetingQuery, When
from core.services import Services
from core.store.db import Database
from tests.helpers import make_meeting

NOWHERE = Location()  # no address: in person only if a place is given


@pytest.mark.parametrize(
    ("url", "provider"),
    [
        ("https://us02web.zoom.us/j/85551234567", "Zoom"),
        ("https://meet.google.com/abc-defg-hij", "Google Meet"),
        ("https://meet.jit.si/SerenityTonight", "Jitsi"),
        ("https://teams.microsoft.com/l/meetup-join/x", "Microsoft Teams"),
        ("https://jitsi.intergroup.example.org/room", None),
        ("https://notzoom.us.example.org/j/1", None),
    ],
)
def test_any_web_link_is_online_and_known_providers_are_named(url: str, provider: str | None):
    online = OnlineAccess(url=url)
    assert online.is_online
    assert online.provider == provider
    meeting = make_meeting("room", location=NOWHERE, online=online)
    assert meeting.attendance is Attendance.ONLINE


def test_self_hosted_room_with_an_address_is_hybrid():
    meeting = make_meeting("both", online=OnlineAccess(url="https://bbb.example.net/b/abc"))
    assert meeting.attendance is Attendance.HYBRID


def test_card_join_label_names_the_provider_in_the_members_language():
    zoom = make_meeting("z", location=NOWHERE, online=OnlineAccess(url="https://zoom.us/j/1"))
    own = make_meeting("o", location=NOWHERE, online=OnlineAccess(url="https://room.example.org"))
    assert join_label(Translator("en"), zoom) == "Join on Zoom"
    assert join_label(Translator("es"), zoom) == "Unirse por Zoom"
    assert join_label(Translator("en"), own) == "Join"


@pytest.mark.parametrize("value", ["zoom.us/j/123", "meet.example.org/room"])
def test_a_link_without_https_gets_a_suggestion(value: str):
    with pytest.raises(ValidationError) as err:
        build_meeting(name="X", fellowship="aa", days=["monday"], start="19:00",
                      timezone="UTC", online=OnlineAccess(url=value))
    assert err.value.key == "error.url_no_scheme"
    assert f"https://{value}" in Translator("en")(err.value.key, **err.value.params)


@pytest.mark.parametrize("value", ["mailto:group@example.org", "ftp://files.example.org/x"])
def test_a_non_web_link_is_refused_plainly(value: str):
    with pytest.raises(ValidationError) as err:
        build_meeting(name="X", fellowship="aa", days=["monday"], start="19:00",
                      timezone="UTC", online=OnlineAccess(url=value))
    assert err.value.key == "error.url_invalid"


async def test_migration_rederives_meetings_stored_as_inactive(services: Services):
    """A database from before: a self-hosted room was stored inactive and is found again."""
    room = await services.meetings.add(make_meeting(
        "own-room", location=NOWHERE, online=OnlineAccess(url="https://jitsi.example.org/x")))
    hall = await services.meetings.add(make_meeting(
        "hall-and-room", online=OnlineAccess(url="https://bbb.example.net/b/abc")))
    await services.search.search(MeetingQuery(when=When.UPCOMING))  # materialise a week
    db = services.db.conn
    await db.execute(
        "UPDATE meetings SET attendance = 'inactive', "
        "tags = replace(replace(tags, ' a:online ', ' a:inactive '), ' online ', ' ') "
        "WHERE id = ?", (room.id,))
    await db.execute(
        "UPDATE meetings SET attendance = 'in_person', "
        "tags = replace(replace(tags, ' a:hybrid ', ' a:in_person '), ' online ', ' ') "
        "WHERE id = ?", (hall.id,))
    await db.execute(
        "UPDATE occurrences SET tags = (SELECT tags FROM meetings WHERE id = meeting_id)")
    await db.execute("DELETE FROM schema_migrations WHERE version = 9")
    await db.commit()
    online = MeetingQuery(when=When.UPCOMING, attendance=Attendance.ONLINE)
    assert not (await services.search.search(online)).hits

    reopened = await Database.open(services.db.path)
    try:
        rows = await reopened.fetchall("SELECT slug, attendance FROM meetings ORDER BY slug")
        assert [tuple(r) for r in rows] == [("hall-and-room", "hybrid"), ("own-room", "online")]
    finally:
        await reopened.close()
    found = {r.meeting.slug for r in (await services.search.search(online)).hits}
    assert found == {"own-room", "hall-and-room"}
