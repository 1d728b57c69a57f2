"""Cards and /meeting say a schedule plainly, in English and Spanish: how often, and which
coming sittings are cancelled, closed or moved (the clock starts Wed 2026-06-03 15:00 UTC)."""

from __future__ import annotations

from datetime import date, time

from core.i18n import Translator
from core.recurrence import (
    ChangeKind,
    Closure,
    Frequency,
    Recurrence,
    Schedule,
    SittingChange,
)
from core.render import card_fields
from core.schedule_text import recurrence_text
from core.services import Services
from tests.core.conversation.conftest import Ask
from tests.helpers import add_meeting, make_meeting

EN, ES = Translator("en"), Translator("es")


def _fields(reply: object) -> dict[str, str]:
    card = reply.cards[0]  # type: ignore[attr-defined]
    return {f.key: f.value for f in card_fields(card, "en")}


def test_recurrences_in_words() -> None:
    def words(days: list[str], rec: Recurrence, t: Translator = EN) -> str:
        return recurrence_text(t, make_meeting("m", days=days, schedule=Schedule(rec)),
                               today=date(2026, 6, 3))

    assert words(["saturday"], Recurrence(Frequency.MONTHLY, ordinals=(1,))) \
        == "Every 1st Saturday"
    assert words(["tuesday"], Recurrence(Frequency.MONTHLY, ordinals=(1, 3))) \
        == "Every 1st and 3rd Tuesday"
    assert words(["friday"], Recurrence(Frequency.MONTHLY, ordinals=(-1,))) \
        == "Every last Friday"
    assert words(["tuesday"], Recurrence(interval=2, anchor=date(2026, 6, 2))) \
        == "Every other Tuesday"
    assert words(["monday", "thursday"], Recurrence(interval=3, anchor=date(2026, 6, 1))) \
        == "Every 3 weeks on Monday and Thursday"
    assert words(["monday"], Recurrence(Frequency.MONTHLY, month_days=(15,))) \
        == "Monthly on the 15th"
    assert words(["monday"], Recurrence(Frequency.MONTHLY, month_days=(1, -1))) \
        == "Monthly on the 1st and the last day"
    assert words(["saturday"], Recurrence(Frequency.ONCE, dates=(date(2026, 6, 20),))) \
        == "Once: Sat 20 Jun"
    assert words(["wednesday"], Recurrence(starts=date(2026, 7, 1), until=date(2026, 12, 30),
                                           holidays="US")) \
        == "Every Wednesday, from Wed 1 Jul, until Wed 30 Dec, closed on public holidays (US)"
    assert words(["saturday"], Recurrence(Frequency.MONTHLY, ordinals=(1,)), ES) \
        == "Cada primer sábado del mes"
    assert words(["tuesday"], Recurrence(interval=2, anchor=date(2026, 6, 2)), ES) \
        == "Cada dos semanas, martes"
    assert words(["saturday"], Recurrence(Frequency.ONCE, dates=(date(2026, 6, 20),)), ES) \
        == "Una vez: sáb 20 jun"


async def test_meeting_card_lists_cancelled_closed_and_moved_sittings(
    services: Services, ask: Ask
) -> None:
    schedule = Schedule(
        Recurrence(holidays="US"),
        changes=(
            SittingChange(date(2026, 6, 10), ChangeKind.CANCELLED, reason="room booked"),
            SittingChange(date(2026, 6, 17), ChangeKind.MOVED, new_start=time(21, 0)),
            SittingChange(date(2026, 6, 24), ChangeKind.MOVED, new_date=date(2026, 6, 25),
                          new_start=time(18, 30)),
        ),
        closures=(Closure(date(2026, 7, 6), date(2026, 7, 12), "renovation"),),
    )
    await add_meeting(services, "changing", schedule=schedule)
    fields = _fields(await ask("/meeting changing"))
    assert fields["when"].startswith("Wed 19:00 EDT")
    assert fields["schedule"] == "Every Wednesday, closed on public holidays (US)"
    upcoming = fields["upcoming"].split("; ")
    assert upcoming[0] == "Wed 10 Jun: cancelled (room booked)"
    assert upcoming[1] == "Wed 17 Jun 21:00 EDT — moved from 19:00"
    assert upcoming[2] == "Thu 25 Jun 18:30 EDT — moved from Wed 24 Jun 19:00"
    assert upcoming[3] == "Wed 1 Jul 19:00 EDT"
    assert "Wed 8 Jul: closed (renovation)" in upcoming

    es = await ask("/meeting changing", locale="es")
    card = es.cards[0]
    spanish = {f.key: f.value for f in card_fields(card, "es")}
    assert "mié 10 jun: cancelada (room booked)" in spanish["upcoming"]
    assert "cambiada desde 19:00" in spanish["upcoming"]


async def test_a_holiday_is_named_on_the_card(services: Services, ask: Ask) -> None:
    # Thursday 2 July .. the US Independence Day (observed) falls on Fri 3 July 2026.
    await add_meeting(services, "friday-group", days=["friday"],
                      schedule=Schedule(Recurrence(holidays="US")))
    fields = _fields(await ask("/meeting friday-group"))
    assert "Fri 3 Jul: cancelled (Independence Day (observed))" in fields["upcoming"]


async def test_search_cards_show_non_weekly_schedules_and_moved_times(
    services: Services, ask: Ask
) -> None:
    await add_meeting(services, "first-wednesday", start="18:00",
                      schedule=Schedule(Recurrence(Frequency.MONTHLY, ordinals=(1,))))
    await add_meeting(services, "moved-tonight", schedule=Schedule(changes=(
        SittingChange(date(2026, 6, 3), ChangeKind.MOVED, new_start=time(20, 30)),)))
    await add_meeting(services, "plain")
    reply = await ask("/today")
    by_slug = {c.slug: c for c in reply.cards}
    assert by_slug["first-wednesday"].schedule == "Every 1st Wednesday"
    assert by_slug["plain"].schedule is None
    moved = by_slug["moved-tonight"]
    assert moved.when_text.startswith("Wed 20:30 EDT") and "moved from 19:00" in moved.when_text


async def test_a_past_one_off_says_it_has_no_sittings_left(services: Services, ask: Ask) -> None:
    await add_meeting(services, "roundup", days=["monday"],
                      schedule=Schedule(Recurrence(Frequency.ONCE, dates=(date(2026, 6, 1),))))
    reply = await ask("/meeting roundup")
    assert reply.error and "no sittings left" in reply.blocks[0]
