""""Report a change": from a card to someone who can fix it, anonymous by default."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from core.change_reports import DAILY_LIMIT, register_profile_link
from core.clock import FakeClock
from core.meeting_info import Contact, MeetingInfo, ServiceEntity
from core.model import Location
from core.outbound import Address, SendResult
from core.reflections import Pack, load_pack
from core.replies import Reply
from core.services import Services
from tests.core.conversation.conftest import Ask
from tests.core.fixtures.packs import write_dir_pack
from tests.core.test_delivery import FakeTransport, make_engine
from tests.helpers import ZOOM, add_meeting

COMMUNITY_ID = "-1001"
COMMUNITY = f"test:{COMMUNITY_ID}"


@pytest.fixture
def pack(tmp_path: Path) -> Pack:
    return load_pack(write_dir_pack(tmp_path / "pack"))


def in_group(**kw: object) -> dict[str, object]:
    return dict(community_id=COMMUNITY_ID, **kw)


def tokens(reply: Reply) -> list[str]:
    return [b.action for b in reply.all_buttons() if b.action]


async def rows(services: Services) -> list[tuple[object, ...]]:
    found = await services.db.fetchall(
        "SELECT community, meeting_slug, what, note, contact, status FROM change_reports")
    return [tuple(r) for r in found]


async def test_a_community_meeting_is_reported_to_its_admins_anonymously(
    services: Services, ask: Ask, clock: FakeClock, pack: Pack
):
    meeting = await add_meeting(services, "our-group", community=COMMUNITY)
    card = await ask(f"/meeting {meeting.slug}", **in_group())
    assert f"rc:{meeting.id}" in tokens(card)

    kinds = await ask(action=f"rc:{meeting.id}", **in_group())
    assert kinds.private
    assert f"rc:{meeting.id}:time" in tokens(kinds)
    confirm = await ask(action=f"rc:{meeting.id}:time", **in_group())
    assert tokens(confirm) == [f"rc:{meeting.id}:time:a", f"rc:{meeting.id}:time:c"]
    done = await ask(action=f"rc:{meeting.id}:time:a", **in_group())
    assert done.private and "without your name" in done.text()
    assert await rows(services) == [(COMMUNITY, "our-group", "time", None, None, "pending")]

    transport = FakeTransport("test", clock)
    transport.admins[COMMUNITY_ID] = [Address("test", "admin-1"), Address("test", "admin-2")]
    transport.script["admin-1"] = [SendResult.blocked("never started the bot")]
    engine = make_engine(services, clock, pack, [transport])
    await engine.run_once()
    sent = [(address.chat_id, message) for _, address, message in transport.sent]
    assert [chat for chat, _ in sent] == ["admin-2"]
    message = sent[0][1]
    assert isinstance(message, Reply)
    assert "Our Group" in (message.title or "") and "Day or time" in message.text()
    assert "anonymous" in message.text() and "u1" not in message.text()
    assert not message.all_buttons()
    # Delivered: only the rate-limit trace is left.
    assert await rows(services) == [(COMMUNITY, "our-group", "time", None, None, "sent")]
    assert engine.metrics["reports_sent"] == 1


async def test_a_contactable_report_with_a_line_goes_to_the_channel_admins_chose(
    services: Services, ask: Ask, clock: FakeClock, pack: Pack
):
    register_profile_link("test", "https://chat.example.org/u/{id}")
    meeting = await add_meeting(services, "our-group", community=COMMUNITY)
    chosen = await ask("/settings community reports here", is_admin=True,
                       **in_group(chat_id="admins-room", thread_id="7"))
    assert "posted here" in chosen.text()
    confirm = await ask(f"/report {meeting.slug} place the hall moved to Elm St",
                        **in_group())
    assert "the hall moved to Elm St" in confirm.text()
    state_token = tokens(confirm)[1]
    assert state_token.startswith("rs:") and state_token.endswith(":c")
    # Another member cannot press it.
    stolen = await ask(action=state_token, user_id="u2", **in_group())
    assert stolen.error
    await ask(action=state_token, **in_group())

    transport = FakeTransport("test", clock)
    engine = make_engine(services, clock, pack, [transport])
    await engine.run_once()
    [(_, address, message)] = transport.sent
    assert (address.chat_id, address.thread_id) == ("admins-room", "7")
    assert "the hall moved to Elm St" in message.text()
    assert "agreed to be contacted" in message.text()
    assert [b.url for b in message.all_buttons()] == ["https://chat.example.org/u/u1"]
    assert await rows(services) == [(COMMUNITY, "our-group", "place", None, None, "sent")]


async def test_an_imported_meeting_offers_the_sources_own_links(services: Services, ask: Ask):
    info = MeetingInfo(feedback_url="https://intergroup.example.org/feedback",
                       edit_url="https://intergroup.example.org/edit/42",
                       feedback_emails=("updates@intergroup.example.org",))
    meeting = await add_meeting(services, "listed", source="intergroup", source_ref="42",
                                info=info)
    done = await ask(action=f"rc:{meeting.id}:link:a")
    urls = [b.url for b in done.all_buttons() if b.url]
    assert urls == ["https://intergroup.example.org/feedback",
                    "https://intergroup.example.org/edit/42"]
    mailto = next(b for b in done.blocks if b.startswith("mailto:"))
    parts = urlsplit(mailto)
    assert parts.path == "updates@intergroup.example.org"
    query = parse_qs(parts.query)
    assert "Listed" in query["subject"][0] and "Link or phone" in query["body"][0]
    assert await rows(services) == []  # nothing queued: nobody inside the bot to tell

    # Asked inside a community, its admins hear about it too.
    await ask(action=f"rc:{meeting.id}:closed:a", **in_group())
    assert [r[:3] for r in await rows(services)] == [(COMMUNITY, "listed", "closed")]


async def test_a_meeting_nobody_can_fix_says_so(services: Services, ask: Ask):
    meeting = await add_meeting(services, "orphan", source="demo")
    reply = await ask(action=f"rc:{meeting.id}:time:a")
    assert reply.error and "no place for corrections" in reply.text()


async def test_reports_are_rate_limited_per_member(services: Services, ask: Ask):
    meeting = await add_meeting(services, "our-group", community=COMMUNITY)
    for _ in range(DAILY_LIMIT):
        assert not (await ask(action=f"rc:{meeting.id}:other:a", **in_group())).error
    refused = await ask(action=f"rc:{meeting.id}:other:a", **in_group())
    assert refused.error and f"{DAILY_LIMIT} reports today" in refused.text()
    assert len(await rows(services)) == DAILY_LIMIT
    # Another member is not held back by the first one's reports.
    assert not (await ask(action=f"rc:{meeting.id}:other:a", user_id="u2", **in_group())).error
    stored = await services.db.fetchall("SELECT DISTINCT reporter FROM change_reports")
    assert len(stored) == 2 and all("u1" not in r[0] and "u2" not in r[0] for r in stored)


async def test_forgetme_drops_the_contact_but_the_report_still_arrives(
    services: Services, ask: Ask
):
    meeting = await add_meeting(services, "our-group", community=COMMUNITY)
    await ask(action=f"rc:{meeting.id}:time:c", **in_group())
    assert (await rows(services))[0][4] == "u1"
    await services.forget_user("test", "u1")
    assert (await rows(services))[0][4:] == (None, "pending")


async def test_the_command_checks_what_it_is_given(services: Services, ask: Ask):
    meeting = await add_meeting(services, "our-group", community=COMMUNITY)
    assert (await ask("/report", **in_group())).error
    assert (await ask("/report no-such-meeting", **in_group())).error
    wrong = await ask(f"/report {meeting.slug} colour", **in_group())
    assert wrong.error and "time, place, link, closed, other" in wrong.text()
    # Another community's meeting is not found from here.
    elsewhere = await ask(f"/report {meeting.slug} time", community_id="-2002")
    assert elsewhere.error
    # Spanish words work, and the whole report can come at once (Discord's options).
    spanish = await ask(f"/reportar {meeting.slug} hora", **in_group())
    assert tokens(spanish)[0] == f"rc:{meeting.id}:time:a"
    direct = await ask("/report", options={"meeting": meeting.slug, "what": "closed",
                                           "note": "no one came", "contact": "no"},
                       **in_group())
    assert "without your name" in direct.text()
    assert (await rows(services))[-1][2:5] == ("closed", "no one came", None)


async def test_cards_show_directory_extras_and_contacts_only_when_allowed(
    services: Services, ask: Ask
):
    info = MeetingInfo(
        group_notes="Coffee from 6:45.", venmo="@HopeGroup", paypal="https://paypal.me/hope",
        entity=ServiceEntity(name="Springfield Intergroup", url="https://sia.example.org"),
        contacts=(Contact(name="Ana", phone="+1 555 0100"),),
    )
    meeting = await add_meeting(services, "hope", info=info, location=Location(), online=ZOOM)
    card = (await ask(f"/meeting {meeting.slug}", **in_group())).cards[0]
    assert card.group_notes == "Coffee from 6:45."
    assert card.contributions == "Venmo @HopeGroup · PayPal https://paypal.me/hope"
    assert (card.listed_by, card.listed_by_url) == ("Springfield Intergroup",
                                                     "https://sia.example.org")
    assert card.contacts is None
    refused = await ask("/settings community contacts on", **in_group())
    assert refused.error  # members cannot change it
    await ask("/settings community contacts on", is_admin=True, **in_group())
    shown = (await ask(f"/meeting {meeting.slug}", **in_group())).cards[0]
    assert shown.contacts == "Ana · +1 555 0100"
    private = (await ask(f"/meeting {meeting.slug}")).cards[0]
    assert private.contacts is None  # the setting is the community's
