"""One parser for the free-text filters people type after /meetings, in English and Spanish:
'women online tonight', 'na near', 'spanish tomorrow morning', 'mujeres hoy'."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core import types as mtypes
from core.model import DAY_NAMES_EN, DAY_NAMES_ES, Attendance
from core.search import When
from core.text import fold

_WHEN = {
    "now": When.NOW, "right now": When.NOW, "ahora": When.NOW, "ahorita": When.NOW,
    "en este momento": When.NOW,
    "today": When.TODAY, "hoy": When.TODAY,
    "tomorrow": When.TOMORROW,
    "upcoming": When.UPCOMING, "next": When.UPCOMING, "soon": When.UPCOMING,
    "proximas": When.UPCOMING, "proximos": When.UPCOMING, "pronto": When.UPCOMING,
}
_TONIGHT = {"tonight", "esta noche"}
_TIME_OF_DAY = {
    "morning": {"morning"}, "mornings": {"morning"}, "por la manana": {"morning"},
    "de la manana": {"morning"}, "en la manana": {"morning"},
    "midday": {"midday"}, "noon": {"midday"}, "lunch": {"midday"}, "lunchtime": {"midday"},
    "afternoon": {"midday"}, "mediodia": {"midday"}, "al mediodia": {"midday"},
    "evening": {"evening"}, "evenings": {"evening"},
    "tarde": {"midday", "evening"}, "por la tarde": {"midday", "evening"},
    "de la tarde": {"midday", "evening"}, "en la tarde": {"midday", "evening"},
    "night": {"night"}, "nights": {"night"}, "late": {"night"}, "late night": {"night"},
    "noche": {"evening", "night"}, "por la noche": {"evening", "night"},
    "de noche": {"evening", "night"}, "en la noche": {"evening", "night"},
    "madrugada": {"night"},
}
_ATTENDANCE = {
    "online": Attendance.ONLINE, "virtual": Attendance.ONLINE, "zoom": Attendance.ONLINE,
    "en linea": Attendance.ONLINE, "remote": Attendance.ONLINE, "virtuales": Attendance.ONLINE,
    "in person": Attendance.IN_PERSON, "in-person": Attendance.IN_PERSON,
    "inperson": Attendance.IN_PERSON, "face to face": Attendance.IN_PERSON,
    "presencial": Attendance.IN_PERSON, "presenciales": Attendance.IN_PERSON,
    "en persona": Attendance.IN_PERSON,
    "hybrid": Attendance.HYBRID, "hibrida": Attendance.HYBRID, "hibrido": Attendance.HYBRID,
    "hibridas": Attendance.HYBRID,
}
_NEAR = {"near", "nearby", "near me", "close", "close by", "closest", "nearest", "around me",
         "cerca", "cerca de mi", "cercanas", "cercanos", "cerca mio"}
_STOP = {"meeting", "meetings", "reunion", "reuniones", "junta", "juntas", "grupo", "grupos",
         "for", "a", "an", "the", "in", "at", "on", "of", "is", "are", "there", "any", "some",
         "show", "find", "me", "my", "i", "what", "whats", "where", "please", "with", "and",
         "de", "la", "las", "el", "los", "un", "una", "unas", "unos", "para", "mi", "en", "y",
         "hay", "alguna", "algun", "busco", "buscar", "por", "favor", "con", "que", "only",
         "solo", "solamente", "just"}
_WEEKDAYS = {name: i for i, name in enumerate(DAY_NAMES_EN)}
_WEEKDAYS.update({name: i for i, name in enumerate(DAY_NAMES_ES)})
_WEEKDAYS.update({name[:3]: i for i, name in enumerate(DAY_NAMES_EN)})
_WEEKDAYS.update({"tues": 2, "thurs": 4, "weds": 3})
_TOKEN_RE = re.compile(r"[\w+'-]+", re.UNICODE)


@dataclass
class Filters:
    when: When | None = None
    weekday: int | None = None
    time_of_day: set[str] = field(default_factory=set)
    concepts: list[str] = field(default_factory=list)
    fellowships: list[str] = field(default_factory=list)
    attendance: Attendance | None = None
    near: bool = False
    words: list[str] = field(default_factory=list)  # left over: keywords for full-text search

    @property
    def text(self) -> str | None:
        return " ".join(self.words) or None


def parse_filters(text: str) -> Filters:
    """Read what a member typed. Known phrases (longest first) become filters; the rest are
    keywords searched in meeting names, places and notes."""
    tokens = [fold(t).strip("'") for t in _TOKEN_RE.findall(text)]
    tokens = [t for t in tokens if t]
    found = Filters()
    i = 0
    while i < len(tokens):
        for size in (3, 2, 1):
            if i + size > len(tokens):
                continue
            phrase = " ".join(tokens[i : i + size])
            if _apply(found, phrase, tokens[i + size :]):
                i += size
                break
        else:
            word = tokens[i]
            if word not in _STOP:
                found.words.append(word)
            i += 1
    return found


def _apply(found: Filters, phrase: str, rest: list[str]) -> bool:
    if phrase == "manana":
        # "mañana" is tomorrow, or the morning once a day is set ("mañana por la mañana").
        if found.when is None and found.weekday is None:
            found.when = When.TOMORROW
        else:
            found.time_of_day.add("morning")
        return True
    if phrase in _WHEN:
        found.when = _WHEN[phrase]
        return True
    if phrase in _TONIGHT:
        found.when = When.TODAY
        found.time_of_day.update({"evening", "night"})
        return True
    if phrase in _TIME_OF_DAY:
        found.time_of_day.update(_TIME_OF_DAY[phrase])
        return True
    if phrase in _WEEKDAYS:
        found.when = When.WEEKDAY
        found.weekday = _WEEKDAYS[phrase]
        return True
    if phrase in _ATTENDANCE:
        found.attendance = _ATTENDANCE[phrase]
        return True
    if phrase in _NEAR:
        found.near = True
        return True
    if " " not in phrase and phrase in _STOP:
        return False
    concept = mtypes.concept_from_word(phrase)
    if concept is not None:
        if concept == "online":
            found.attendance = Attendance.ONLINE
        elif concept not in found.concepts:
            found.concepts.append(concept)
        return True
    fellowship = mtypes.fellowship(phrase)
    if fellowship is not None and (len(phrase) > 1):
        if fellowship.key not in found.fellowships:
            found.fellowships.append(fellowship.key)
        return True
    return False
