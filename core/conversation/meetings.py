"""/meetings (and /now, /today, /tomorrow, /reuniones…), /meeting, and shared locations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core import types as mtypes
from core.conversation.cards import meeting_card, upcoming_lines
from core.conversation.context import Context
from core.conversation.filters import Filters, parse_filters
from core.conversation.report import report_button
from core.conversation.router import action, command, on_location
from core.model import Meeting
from core.replies import Button, Reply
from core.schedule import next_occurrences
from core.search import MeetingQuery, SearchResult, When

PAGE_SIZE = 5
NEAR_RADIUS_KM = 25.0
_PENDING_NEAR = "near"  # action_state kind: a near search waiting for a location


@command("meetings", aliases=("reuniones", "find", "buscar", "search", "m"), order=10)
async def meetings(ctx: Context) -> Reply:
    return await run_search(ctx, ctx.request.args)


@command("now", aliases=("ahora",), order=11)
async def now(ctx: Context) -> Reply:
    return await run_search(ctx, f"now {ctx.request.args}")


@command("today", aliases=("hoy",), order=12)
async def today(ctx: Context) -> Reply:
    return await run_search(ctx, f"today {ctx.request.args}")


@command("tomorrow", aliases=("manana", "mañana"), order=13)
async def tomorrow(ctx: Context) -> Reply:
    return await run_search(ctx, f"tomorrow {ctx.request.args}")


def describe(ctx: Context, f: Filters, query: MeetingQuery) -> str:
    """A one-line summary of what was searched: 'Women · online · today'."""
    t = ctx.t
    parts = [mtypes.concept_name(c, ctx.lang) for c in f.concepts]
    parts += [fs.name(ctx.lang) for fs in (mtypes.fellowship(k) for k in f.fellowships) if fs]
    if f.attendance is not None:
        parts.append(t(f"attendance.{f.attendance.value}"))
    if query.when is When.WEEKDAY and query.weekday is not None:
        parts.append(t(f"days.long.{query.weekday}"))
    else:
        parts.append(t(f"when.{query.when.value}"))
    parts += [t(f"time_of_day.{b}") for b in sorted(query.time_of_day)]
    if f.near:
        parts.append(t("search.near_km", km=f"{query.radius_km:g}"))
    if f.text:
        parts.append(f"“{f.text}”")
    return " · ".join(parts)


def build_query(ctx: Context, f: Filters, offset: int = 0) -> MeetingQuery:
    fellowships = tuple(f.fellowships)
    if not fellowships and ctx.user.fellowship:
        fellowships = (ctx.user.fellowship,)
    if not fellowships and ctx.community.fellowships:
        fellowships = ctx.community.fellowships
    location = ctx.request.location
    return MeetingQuery(
        when=f.when or When.UPCOMING,
        weekday=f.weekday,
        time_of_day=frozenset(f.time_of_day),
        concepts=tuple(f.concepts),
        fellowships=fellowships,
        attendance=f.attendance,
        text=f.text,
        near=(location.latitude, location.longitude) if f.near and location else None,
        radius_km=NEAR_RADIUS_KM,
        community=ctx.request.community,
        viewer_tz=ctx.viewer_tz,
        limit=PAGE_SIZE,
        offset=offset,
    )


async def run_search(ctx: Context, text: str, offset: int = 0, *, edit: bool = False) -> Reply:
    t = ctx.t
    f = parse_filters(text)
    if f.near and ctx.request.location is None:
        if not ctx.request.is_private:
            return Reply(lang=ctx.lang, blocks=[t("search.location_private")],
                         continue_in_private=True, private=True)
        await ctx.services.settings.save_pending(
            ctx.request.platform, ctx.request.user_id, _PENDING_NEAR, {"text": text}, ctx.now()
        )
        return Reply(lang=ctx.lang, blocks=[t("search.share_location")],
                     ask_location=t("search.share_location_button"), private=True)
    query = build_query(ctx, f, offset)
    result = await ctx.services.search.search(query)
    return await render_results(ctx, f, text, result, edit=edit)


async def render_results(
    ctx: Context, f: Filters, text: str, result: SearchResult, *, edit: bool = False
) -> Reply:
    t = ctx.t
    query = result.query
    reply = Reply(lang=ctx.lang, title=t("search.title", filters=describe(ctx, f, query)),
                  edit=edit)
    if result.fell_back_to is When.TOMORROW and result.hits:
        reply.blocks.append(t("search.nothing_left_today"))
    if not result.hits:
        reply.blocks.append(t("search.none"))
        reply.blocks.append(t("search.widen"))
        reply.buttons.append([Button(t("search.button_all_upcoming"), action="cmd:meetings")])
        return reply
    if not ctx.has_personal_zone and query.offset == 0 and not ctx.request.local_times:
        reply.blocks.append(t("search.times_in", zone=query.viewer_tz))
    for hit in result.hits:
        assert hit.meeting.id is not None
        reply.cards.append(meeting_card(
            t, hit.meeting, hit.occurrence, query.viewer_tz, at=result.at,
            distance_km=hit.distance_km, buttons=card_buttons(ctx, hit.meeting),
        ))
    state: dict[str, Any] = {"text": text}
    if ctx.request.location is not None and f.near:
        state["lat"], state["lon"] = ctx.request.location.latitude, ctx.request.location.longitude
    state_id = await ctx.services.settings.save_state(
        ctx.request.platform, ctx.request.user_id, state, ctx.now()
    )
    nav = []
    if query.offset > 0:
        nav.append(Button(t("search.button_back"),
                          action=f"pg:{state_id}:{max(0, query.offset - PAGE_SIZE)}"))
    if result.next_offset is not None:
        reply.continuation = f"pg:{state_id}:{result.next_offset}"
        nav.append(Button(t("search.button_more"), action=reply.continuation))
    if nav:
        reply.buttons.append(nav)
    quick = [(word, key) for word, key in (("online", "filter.online"),
                                            ("in-person", "filter.in_person"),
                                            ("women", "filter.women"), ("men", "filter.men"),
                                            ("today", "filter.today"),
                                            ("tomorrow", "filter.tomorrow"))
             if not _already(f, word)]
    if quick:
        reply.buttons.append([Button(t(key), action=f"fl:{state_id}:{word}")
                              for word, key in quick[:4]])
    return reply


def _already(f: Filters, word: str) -> bool:
    if word in ("online", "in-person"):
        return f.attendance is not None
    if word in ("women", "men"):
        return "women" in f.concepts or "men" in f.concepts
    if word in ("today", "tomorrow"):
        return f.when is not None
    return False


def card_buttons(ctx: Context, meeting: Meeting) -> tuple[Button, ...]:
    t = ctx.t
    return (
        Button(t("cards.button_details"), action=f"m:{meeting.id}"),
        Button(t("cards.button_calendar"), action=f"ics:{meeting.id}"),
        Button(t("cards.button_remind"), action=f"rm:{meeting.id}"),
    )


async def _restore(ctx: Context, state_id: str) -> dict[str, Any] | None:
    found = await ctx.services.settings.load_state(state_id)
    if found is None:
        return None
    owner, payload = found
    if owner != ctx.request.user_id:
        return None
    if "lat" in payload:
        from core.conversation.request import GeoPoint

        ctx.request = replace(ctx.request, location=GeoPoint(payload["lat"], payload["lon"]))
    return payload


@action("pg")
async def page(ctx: Context, parts: list[str]) -> Reply:
    """'pg:<state>:<offset>': another page of the same search, in place."""
    if len(parts) != 2 or not parts[1].isdigit():
        return ctx.error("error.button_expired")
    payload = await _restore(ctx, parts[0])
    if payload is None:
        return ctx.error("error.button_expired")
    return await run_search(ctx, str(payload["text"]), int(parts[1]), edit=True)


@action("fl")
async def add_filter(ctx: Context, parts: list[str]) -> Reply:
    """'fl:<state>:<word>': the same search with one more filter word."""
    if len(parts) != 2:
        return ctx.error("error.button_expired")
    payload = await _restore(ctx, parts[0])
    if payload is None:
        return ctx.error("error.button_expired")
    return await run_search(ctx, f"{payload['text']} {parts[1]}", edit=True)


@on_location
async def shared_location(ctx: Context) -> Reply:
    """A member shared a location: finish a pending 'near' search, or show what is nearby;
    either way offer to take the time zone from it."""
    pending = await ctx.services.settings.take_pending(
        ctx.request.platform, ctx.request.user_id, _PENDING_NEAR, now=ctx.now()
    )
    text = str(pending["text"]) if pending else ""
    if not parse_filters(text).near:
        text = f"{text} near"
    reply = await run_search(ctx, text)
    location = ctx.request.location
    assert location is not None
    from core.geo import zone_at

    zone = zone_at(location.latitude, location.longitude)
    if zone and zone != ctx.user.timezone:
        reply.buttons.append([Button(ctx.t("settings.button_use_zone", zone=zone),
                                     action=f"set:tz:{zone}")])
    reply.private = True
    return reply


@command("meeting", aliases=("reunion", "reunión", "details", "detalles"), order=14)
async def meeting_details(ctx: Context) -> Reply:
    ref = ctx.request.args.strip()
    if not ref:
        return ctx.error("meeting.usage")
    found = await ctx.services.meetings.get(ref.lower())
    if found is None or not _visible(ctx, found):
        return ctx.error("meeting.not_found", slug=ref[:64])
    return full_card(ctx, found)


@action("m")
async def meeting_button(ctx: Context, parts: list[str]) -> Reply:
    if len(parts) != 1 or not parts[0].isdigit():
        return ctx.error("error.button_expired")
    found = (await ctx.services.meetings.get_many([int(parts[0])])).get(int(parts[0]))
    if found is None or not _visible(ctx, found):
        return ctx.error("meeting.gone")
    return full_card(ctx, found)


def _visible(ctx: Context, meeting: Meeting) -> bool:
    return meeting.community is None or meeting.community == ctx.request.community


def full_card(ctx: Context, meeting: Meeting) -> Reply:
    at = ctx.now()
    occurrences = next_occurrences(meeting, at, 5, include_in_progress=True)
    if not occurrences:  # a one-off that has happened, or a series that has ended
        return ctx.error("meeting.no_sittings", name=meeting.name)
    first, rest = occurrences[0], occurrences[1:]
    upcoming = upcoming_lines(ctx.t, meeting, at, ctx.viewer_tz, rest)
    card = meeting_card(ctx.t, meeting, first, ctx.viewer_tz, at=at, full=True,
                        upcoming=upcoming,
                        buttons=(*card_buttons(ctx, meeting)[1:], report_button(ctx, meeting)),
                        show_contacts=ctx.community.show_contacts)
    return Reply(lang=ctx.lang, cards=[card])
