"""The free-text filter parser, English and Spanish."""

from __future__ import annotations

import pytest

from core.conversation.filters import parse_filters
from core.model import Attendance
from core.search import When


@pytest.mark.parametrize(
    ("text", "when", "time_of_day", "concepts", "fellowships", "attendance", "near", "words"),
    [
        ("women online tonight", When.TODAY, {"evening", "night"}, ["women"], [],
         Attendance.ONLINE, False, []),
        ("na near", None, set(), [], ["na"], None, True, []),
        ("spanish tomorrow morning", When.TOMORROW, {"morning"}, ["language:es"], [], None,
         False, []),
        ("mujeres hoy", When.TODAY, set(), ["women"], [], None, False, []),
        ("reuniones en español mañana por la mañana", When.TOMORROW, {"morning"},
         ["language:es"], [], None, False, []),
        ("LGBTQ meetings in Camden on Friday evening", When.WEEKDAY, {"evening"}, ["lgbtq"], [],
         None, False, ["camden"]),
        ("al-anon newcomers now", When.NOW, set(), ["newcomer"], ["al-anon"], None, False, []),
        ("presencial cerca de mi", None, set(), [], [], Attendance.IN_PERSON, True, []),
        ("hybrid young people", None, set(), ["young-people"], [], Attendance.HYBRID, False, []),
        ("serenity", None, set(), [], [], None, False, ["serenity"]),
    ],
)
def test_parse(text, when, time_of_day, concepts, fellowships, attendance, near, words) -> None:
    f = parse_filters(text)
    assert f.when == when
    assert f.time_of_day == time_of_day
    assert f.concepts == concepts
    assert f.fellowships == fellowships
    assert f.attendance == attendance
    assert f.near == near
    assert f.words == words


def test_weekday_in_spanish() -> None:
    f = parse_filters("martes noche")
    assert f.when is When.WEEKDAY and f.weekday == 2 and f.time_of_day == {"evening", "night"}
