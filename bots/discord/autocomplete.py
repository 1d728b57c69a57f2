"""Autocomplete choices (≤ 25) from the core: meeting types (concepts) and fellowships in the
member's language, time zones by city, meeting names.

A choice's value is what the conversation's own filter parser reads back (e.g. "women",
"spanish", "al-anon"), so `/meetings find type:Mujeres` means exactly what typing
`/meetings mujeres` means on any platform.
"""

from __future__ import annotations

from functools import cache

from discord import app_commands

from core import types as mtypes
from core.conversation.filters import parse_filters
from core.model import Attendance
from core.store.meetings import MeetingStore
from core.timezones import city_of, search_zones

MAX_CHOICES = 25
CHOICE_MAX = 100

Choices = list[app_commands.Choice[str]]
_ATTENDANCE_CONCEPTS = frozenset(a.value for a in Attendance)


def _is_exactly(text: str, concept: str | None = None, fellowship: str | None = None) -> bool:
    f = parse_filters(text)
    if f.words or f.when is not None or f.time_of_day or f.near:
        return False
    if concept is not None:
        if concept in _ATTENDANCE_CONCEPTS:  # "online", "hybrid" are read as attendance
            return f.attendance is Attendance(concept) and not f.concepts and not f.fellowships
        return f.concepts == [concept] and f.attendance is None and not f.fellowships
    return f.fellowships == [fellowship] and f.attendance is None and not f.concepts


@cache
def concept_word(key: str) -> str | None:
    """A word or phrase the filter parser reads as exactly this concept (None: none found)."""
    concept = mtypes.CONCEPTS.get(key)
    if concept is None:
        return None
    candidates = ([] if ":" in key else [key]) + [concept.names.get("en", "")]
    candidates += [n for lang, n in sorted(concept.names.items()) if lang != "en"]
    candidates += sorted(concept.aliases, key=len)
    for text in candidates:
        if text and len(text) <= CHOICE_MAX and _is_exactly(text, concept=key):
            return text
    return None


@cache
def fellowship_word(key: str) -> str | None:
    """A word the filter parser reads as exactly this fellowship."""
    fellowship = mtypes.FELLOWSHIPS.get(key)
    if fellowship is None:
        return None
    for text in (key, fellowship.names.get("en", ""), *sorted(fellowship.aliases, key=len)):
        if text and _is_exactly(text, fellowship=key):
            return text
    return None


def _rank(needle: str, name: str, others: list[str]) -> int | None:
    """0: the shown name starts with what was typed; 1: some name contains it; None: no."""
    if not needle:
        return 2
    folded = mtypes.fold(name)
    if folded.startswith(needle):
        return 0
    if any(needle in other for other in [folded, *others]):
        return 1
    return None


def type_choices(current: str, lang: str, limit: int = MAX_CHOICES) -> Choices:
    """Meeting types (shared concepts), named in `lang`, best matches first."""
    needle = mtypes.fold(current)
    found: list[tuple[int, bool, str, str, str]] = []
    for key, concept in mtypes.CONCEPTS.items():
        word = concept_word(key)
        if word is None:
            continue
        name = concept.name(lang)
        others = [mtypes.fold(n) for n in concept.names.values()] + list(concept.aliases)
        rank = _rank(needle, name, others)
        if rank is not None and name:
            found.append((rank, key.startswith("language:"), mtypes.fold(name), name, word))
    found.sort()
    seen: set[str] = set()
    choices: Choices = []
    for _, _, _, name, word in found:
        if name in seen:
            continue
        seen.add(name)
        choices.append(app_commands.Choice(name=name[:CHOICE_MAX], value=word[:CHOICE_MAX]))
        if len(choices) >= limit:
            break
    return choices


def fellowship_choices(
    current: str,
    lang: str,
    *,
    for_filter: bool = True,
    everything: str | None = None,
    limit: int = MAX_CHOICES,
) -> Choices:
    """Fellowships named in `lang`. Values: a filter word (for searches) or the key (settings);
    `everything` adds a first choice meaning "all fellowships" (value "any")."""
    needle = mtypes.fold(current)
    found: list[tuple[int, str, str, str]] = []
    for key, fellowship in mtypes.FELLOWSHIPS.items():
        value = fellowship_word(key) if for_filter else key
        if value is None:
            continue
        name = fellowship.name(lang)
        others = [mtypes.fold(key)] + [mtypes.fold(n) for n in fellowship.names.values()]
        others += [mtypes.fold(a) for a in fellowship.aliases]
        rank = _rank(needle, name, others)
        if rank is not None:
            key_words = mtypes.fold(key).split()
            named = mtypes.fold(name).split()[: len(key_words)] == key_words
            label = name if named else f"{name} ({key.upper()})"
            found.append((rank, mtypes.fold(name), label, value))
    found.sort()
    choices: Choices = []
    if everything and (not needle or needle in mtypes.fold(everything)):
        choices.append(app_commands.Choice(name=everything[:CHOICE_MAX], value="any"))
    for _, _, label, value in found:
        choices.append(app_commands.Choice(name=label[:CHOICE_MAX], value=value[:CHOICE_MAX]))
    return choices[:limit]


def zone_choices(current: str, limit: int = MAX_CHOICES) -> Choices:
    """Time zones whose city (or name) matches what was typed: "madr" → Europe/Madrid."""
    choices: Choices = []
    for zone in search_zones(current, limit):
        label = f"{city_of(zone)} — {zone}"
        choices.append(app_commands.Choice(name=label[:CHOICE_MAX], value=zone[:CHOICE_MAX]))
    return choices


async def meeting_choices(
    meetings: MeetingStore,
    current: str,
    community: str | None,
    *,
    own_only: bool = False,
    limit: int = MAX_CHOICES,
) -> Choices:
    """Meetings visible here (or only this community's own) by name or slug; value = slug."""
    found = await meetings.slugs_like(current.strip(), community, limit)
    choices: Choices = []
    for meeting in found:
        if own_only and (community is None or meeting.community != community):
            continue
        label = f"{meeting.name} · {meeting.slug}".strip()
        if label and len(meeting.slug) <= CHOICE_MAX:
            choices.append(app_commands.Choice(name=label[:CHOICE_MAX], value=meeting.slug))
    return choices[:limit]
