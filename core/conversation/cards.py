"""Meeting → MeetingCard, in the reader's language and time zone."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote_plus

from core import types as mtypes
from core.i18n import Translator
from core.meeting_info import MeetingInfo
from core.model import Meeting
from core.replies import Button, MeetingCard
from core.schedule import Occurrence, meeting_plan, mg_weekday
from core.schedule_text import (
    changes_ahead,
    date_text,
    moved_mark,
    recurrence_text,
    sitting_change_text,
)
from core.timezones import get_zone


def day_name(t: Translator, moment: datetime) -> str:
    return t(f"days.short.{mg_weekday(moment.date())}")


def when_text(t: Translator, occurrence: Occurrence, viewer_tz: str, *,
              dated: bool = False) -> str:
    """'Mon 19:00 EDT' or 'Mon 19:00 EDT (Tue 00:00 BST your time)'; `dated` adds the local
    date ('Mon 14 Dec 19:00 EDT'); a moved sitting says where it was moved from."""
    local = occurrence.start
    viewer = local.astimezone(get_zone(viewer_tz))
    day = date_text(t, local.date()) if dated else day_name(t, local)
    text = f"{day} {local:%H:%M} {local.tzname()}"
    if viewer.utcoffset() != local.utcoffset() or viewer.tzname() != local.tzname():
        text += " " + t("cards.your_time", when=f"{day_name(t, viewer)} {viewer:%H:%M} "
                                                 f"{viewer.tzname()}")
    if occurrence.change is not None:
        text += f" — {moved_mark(t, occurrence.meeting, occurrence.scheduled, local.date())}"
    return text


def upcoming_lines(t: Translator, meeting: Meeting, after: datetime, viewer_tz: str,
                   occurrences: list[Occurrence]) -> tuple[str, ...]:
    """The card's "next dates": the given occurrences (dated, moved ones marked) with the
    cancelled and closed sittings among and shortly after them, in date order."""
    entries = [(o.start.date(), when_text(t, o, viewer_tz, dated=True)) for o in occurrences]
    if not meeting.schedule.is_plain_weekly:
        today = after.astimezone(get_zone(meeting.timezone)).date()
        first, last = changes_ahead(today)
        if occurrences:
            last = max(last, occurrences[-1].start.date())
        for sitting in meeting_plan(meeting, first, last):
            if not sitting.happens and sitting.scheduled >= today:
                line = sitting_change_text(t, meeting, sitting)
                if line:
                    entries.append((sitting.scheduled, line))
    entries.sort(key=lambda e: e[0])
    return tuple(text for _, text in entries[:10])


def map_url(meeting: Meeting) -> str | None:
    loc = meeting.location
    if loc.latitude is not None and loc.longitude is not None:
        return (f"https://www.openstreetmap.org/?mlat={loc.latitude:.5f}&mlon={loc.longitude:.5f}"
                f"#map=17/{loc.latitude:.5f}/{loc.longitude:.5f}")
    if loc.address:
        return f"https://www.openstreetmap.org/search?query={quote_plus(loc.address)}"
    return None


def meeting_card(
    t: Translator,
    meeting: Meeting,
    occurrence: Occurrence,
    viewer_tz: str,
    *,
    at: datetime,
    distance_km: float | None = None,
    full: bool = False,
    upcoming: tuple[str, ...] = (),
    buttons: tuple[Button, ...] = (),
    show_contacts: bool = False,
) -> MeetingCard:
    """The card of one sitting; `full` adds notes, dates and the directory's extras, and
    `show_contacts` (a community setting) the member contacts among them."""
    fellowship = mtypes.fellowship(meeting.fellowship)
    attendance = meeting.attendance.value
    schedule = None
    if full or not meeting.schedule.recurrence.is_plain_weekly:
        today = at.astimezone(get_zone(meeting.timezone)).date()
        schedule = recurrence_text(t, meeting, today=today)
    return MeetingCard(
        slug=meeting.slug,
        name=meeting.name,
        fellowship=fellowship.name(t.lang) if fellowship else meeting.fellowship.upper(),
        types=tuple(mtypes.type_name(meeting.fellowship, c, t.lang) for c in meeting.types),
        attendance=t(f"attendance.{attendance}"),
        attendance_key=attendance,
        start_local=occurrence.start,
        end_local=occurrence.end,
        start_viewer=occurrence.start.astimezone(get_zone(viewer_tz)),
        in_progress=occurrence.in_progress(at),
        timezone=meeting.timezone,
        when_text=when_text(t, occurrence, viewer_tz),
        location=meeting.location.summary() or None,
        map_url=map_url(meeting) if meeting.location.is_specific else None,
        join_url=meeting.online.url,
        join_label=join_label(t, meeting),
        phone=meeting.online.phone,
        notes=meeting.notes if full else None,
        **(_info_fields(meeting.info, show_contacts) if full else {}),
        distance_km=distance_km,
        upcoming=upcoming,
        schedule=schedule,
        buttons=buttons,
    )


def _info_fields(info: MeetingInfo, show_contacts: bool) -> dict[str, str | None]:
    """The directory's extras for a full card (core.meeting_info)."""
    if not info:
        return {}
    entity = info.entity
    contacts = None
    if show_contacts and info.contacts:
        contacts = "\n".join(
            " · ".join(p for p in (c.name, c.phone, c.email) if p) for c in info.contacts
        )
    return {
        "group_notes": info.group_notes,
        "contributions": " · ".join(f"{label} {value}" for label, value in info.contributions)
        or None,
        "listed_by": entity.name or entity.url,
        "listed_by_url": entity.url,
        "contacts": contacts,
    }


def join_label(t: Translator, meeting: Meeting) -> str:
    """ "Join on Zoom" for a known provider, else plain "Join"."""
    provider = meeting.online.provider
    return t("cards.join_on", provider=provider) if provider else t("cards.join")


def card_buttons_for_reminder(t: Translator, meeting: Meeting) -> tuple[Button, ...]:
    """A reminder links straight to the meeting: its join link, or its map."""
    if meeting.online.url:
        return (Button(join_label(t, meeting), url=meeting.online.url),)
    url = map_url(meeting)
    return (Button(t("cards.map"), url=url),) if url else ()
