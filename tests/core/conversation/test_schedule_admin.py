"""Admins change a community's own meetings' schedules from chat: every: on /addmeeting, and
/cancel, /move, /close, /restore — with the /addmeeting permission rules, translated
refusals that change nothing, and reminders re-planned (clock: Wed 2026-06-03 15:00 UTC)."""

from __future__ import annotations

from datetime import date, time

from core.model import Meeting
from core.outbound import Address
from core.recurrence import ChangeKind, Frequency
from core.schedule import occurrence_on
from core.services import Services
from tests.core.conversation.conftest import Ask

ADMIN = dict(community_id="g1", is_admin=True)


async def _only(services: Services) -> Meeting:
    meetings = await services.meetings.list_meetings(community="test:g1", include_global=False)
    assert len(meetings) == 1
    return meetings[0]


async def _add_weekly(ask: Ask) -> Meeting:
    reply = await ask("/addmeeting name: Wednesday Hope; day: wednesday; time: 19:00;"
                      " tz: America/New_York; url: https://meet.example.org/hope", **ADMIN)
    assert not reply.error
    return reply


async def test_addmeeting_with_every_and_series_dates(ask: Ask, services: Services) -> None:
    reply = await ask("/addmeeting name: Business Meeting; every: 1st saturday; time: 10:00;"
                      " tz: America/New_York; from: 2026-07-01; until: 2026-12-31;"
                      " holidays: US", **ADMIN)
    assert not reply.error
    assert "Every 1st Saturday, from Wed 1 Jul, until Thu 31 Dec" in reply.text()
    meeting = await _only(services)
    rec = meeting.schedule.recurrence
    assert rec.frequency is Frequency.MONTHLY and rec.ordinals == (1,) and meeting.days == (6,)
    assert rec.starts == date(2026, 7, 1) and rec.holidays == "US"
    assert occurrence_on(meeting, date(2026, 6, 6)) is None  # before the series starts
    assert occurrence_on(meeting, date(2026, 7, 4)) is None  # Independence Day
    assert occurrence_on(meeting, date(2026, 8, 1)) is not None

    spanish = await ask("/addmeeting nombre: Grupo Quincenal; cada: otro martes; hora: 20:00;"
                        " zona: America/Bogota", locale="es", **ADMIN)
    assert not spanish.error and "Cada dos semanas, martes" in spanish.text()

    bad = await ask("/addmeeting name: X; every: fortnightly-ish; time: 10:00", **ADMIN)
    assert bad.error and "fortnightly-ish" in bad.text()
    bad_date = await ask("/addmeeting name: X; day: monday; time: 10:00; from: 2026-13-01",
                         **ADMIN)
    assert bad_date.error and "2026-13-01" in bad_date.text()
    assert len(await services.meetings.list_meetings(community="test:g1",
                                                     include_global=False)) == 2


async def test_cancel_move_close_restore(ask: Ask, services: Services) -> None:
    await _add_weekly(ask)
    slug = (await _only(services)).slug

    cancelled = await ask(f"/cancel {slug} 2026-06-10 room booked", **ADMIN)
    assert not cancelled.error
    assert cancelled.text() == "Wednesday Hope — Wed 10 Jun: cancelled (room booked)."
    meeting = await _only(services)
    assert occurrence_on(meeting, date(2026, 6, 10)) is None

    moved = await ask(f"/move {slug} 2026-06-17 2026-06-18 20:30 21:45 speaker night", **ADMIN)
    assert moved.text() == ("Wednesday Hope — Wed 17 Jun: moved to Thu 18 Jun 20:30 "
                            "(speaker night).")
    meeting = await _only(services)
    change = meeting.schedule.change_on(date(2026, 6, 17))
    assert change is not None and change.kind is ChangeKind.MOVED
    assert (change.new_date, change.new_start, change.new_end) == (
        date(2026, 6, 18), time(20, 30), time(21, 45))

    closed = await ask(f"/close {slug} 2026-07-01 2026-07-31 summer break", **ADMIN)
    assert closed.text() == "Wednesday Hope is closed from Wed 1 Jul to Fri 31 Jul."
    assert occurrence_on(await _only(services), date(2026, 7, 8)) is None

    restored = await ask(f"/restore {slug} 2026-06-10", **ADMIN)
    assert restored.text() == "Wednesday Hope meets as scheduled again on Wed 10 Jun."
    assert occurrence_on(await _only(services), date(2026, 6, 10)) is not None

    spanish = await ask(f"/cancelar {slug} 2026-06-24", locale="es", **ADMIN)
    assert spanish.text() == "Wednesday Hope — mié 24 jun: cancelada."


async def test_refusals_change_nothing(ask: Ask, services: Services) -> None:
    await _add_weekly(ask)
    before = await _only(services)
    slug = before.slug
    for text, kw, expected in (
        (f"/cancel {slug} 2026-06-10", dict(community_id="g1"), "admin"),
        (f"/cancel {slug} 2026-06-10", dict(is_admin=True), "community"),
        (f"/cancel {slug} 2026-06-10", dict(community_id="g2", is_admin=True), slug),
        (f"/cancel {slug} 2026-06-11", ADMIN, "does not meet on 2026-06-11"),
        (f"/cancel {slug} 10/06/2026", ADMIN, "10/06/2026"),
        (f"/move {slug} 2026-06-10 25:99", ADMIN, "25:99"),
        (f"/move {slug} 2026-06-10", ADMIN, "/move ID DATE"),
        (f"/close {slug} 2026-06-20 2026-06-10", ADMIN, "before the first"),
        (f"/restore {slug} 2026-06-10", ADMIN, "Nothing was cancelled or moved"),
        ("/cancel nope 2026-06-10", ADMIN, "nope"),
        ("/cancel", ADMIN, "/cancel ID DATE"),
    ):
        reply = await ask(text, **kw)
        assert reply.error, text
        assert expected.lower() in reply.text().lower(), (text, reply.text())
    assert await _only(services) == before
    spanish = await ask(f"/cancelar {slug} 2026-06-11", locale="es", **ADMIN)
    assert spanish.error and "no se reúne el 2026-06-11" in spanish.text()
    assert await _only(services) == before


async def test_a_cancelled_sitting_is_not_reminded_and_a_moved_one_is_at_its_new_time(
    ask: Ask, services: Services
) -> None:
    await _add_weekly(ask)
    slug = (await _only(services)).slug
    sub = await services.subscriptions.add_reminder(
        "test", "u1", Address("test", "u1"), slug, 30, "America/New_York", "en")
    assert sub.due_date == date(2026, 6, 3)
    await ask(f"/cancel {slug} 2026-06-03", **ADMIN)
    await ask(f"/move {slug} 2026-06-10 21:00", **ADMIN)
    (after,) = await services.subscriptions.list_reminders("test", "u1")
    assert after.due_date == date(2026, 6, 10)
    assert after.next_due is not None
    assert after.next_due.astimezone(services.clock.now().tzinfo).hour == 0  # 20:30 EDT
    assert after.next_due.minute == 30
