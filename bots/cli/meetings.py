"""`stepbot db|meetings|search|meeting|demo`: the meeting directory from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bots.cli import CliError
from core.demo import demo_meetings
from core.errors import NotFoundError, ValidationError
from core.model import Attendance, Location, Meeting, OnlineAccess, build_meeting, parse_day
from core.recurrence import Schedule
from core.schedule import next_occurrences
from core.schedule_edits import (
    cancel_sitting,
    close_meeting,
    move_sitting,
    parse_date,
    restore_sitting,
    save_schedule_edit,
    schedule_from_words,
)
from core.search import Hit, MeetingQuery, When, parse_type_filters
from core.services import Services
from core.timezones import canonical_zone, get_zone


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("init", help="create or upgrade the database").set_defaults(handler=db_init)

    meetings = sub.add_parser("meetings", help="add or remove meetings")
    m_sub = meetings.add_subparsers(dest="meetings_command", required=True)
    add = m_sub.add_parser("add", help="add a meeting")
    add.add_argument("--name", required=True)
    add.add_argument("--fellowship", required=True, help="aa, na, ca, al-anon, coda, oa, …")
    add.add_argument("--day", action="append", default=[],
                     help="day name (English or Spanish) or 0–6 with Sunday = 0; repeatable")
    add.add_argument("--every", help="how often: 'every other thursday', 'every 1st and 3rd "
                     "tuesday', 'monthly on the 15th', 'once 2026-12-20' (default: weekly)")
    add.add_argument("--starts", help="first date of the series (YYYY-MM-DD)")
    add.add_argument("--until", help="last date of the series (YYYY-MM-DD)")
    add.add_argument("--holidays", help="closed on the public holidays of a country: US, GB, "
                     "ES, US-CA…")
    add.add_argument("--time", required=True, help="local start time, e.g. 19:00 or 7:00 PM")
    add.add_argument("--end", help="local end time (earlier than start = past midnight)")
    add.add_argument("--tz", required=True, help="IANA time zone, e.g. America/New_York")
    add.add_argument("--type", action="append", default=[], dest="types",
                     help="type code or name (W, Women, O, Open…); repeatable")
    add.add_argument("--slug")
    add.add_argument("--location", help="building name")
    add.add_argument("--address")
    add.add_argument("--city")
    add.add_argument("--region")
    add.add_argument("--country")
    add.add_argument("--lat", type=float)
    add.add_argument("--lon", type=float)
    add.add_argument("--url", help="online meeting link")
    add.add_argument("--phone", help="dial-in number")
    add.add_argument("--community", help="owning Discord server / Telegram chat id")
    add.add_argument("--notes")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=meetings_add)
    remove = m_sub.add_parser("remove", help="remove a meeting")
    remove.add_argument("slug")
    remove.add_argument("--community")
    remove.set_defaults(handler=meetings_remove)
    def sitting_command(name: str, help: str, handler: Any, day: str = "the sitting's "
                        "scheduled date (YYYY-MM-DD, meeting's zone)") -> argparse.ArgumentParser:
        parser = m_sub.add_parser(name, help=help)
        parser.add_argument("slug")
        parser.add_argument("date", help=day)
        parser.set_defaults(handler=handler)
        return parser

    sitting_command("cancel", "cancel one sitting", meetings_cancel).add_argument("--reason")
    move = sitting_command("move", "move one sitting to another time or day", meetings_move)
    move.add_argument("--time", required=True, help="new local start time")
    move.add_argument("--end", help="new local end time")
    move.add_argument("--to-date", help="new date (YYYY-MM-DD), if it moves to another day")
    move.add_argument("--reason")
    sitting_command("restore", "undo a cancel, move or closure on a date", meetings_restore)
    close = m_sub.add_parser("close", help="close a meeting from one date to another")
    close.add_argument("slug")
    close.add_argument("first", help="first closed date (YYYY-MM-DD)")
    close.add_argument("last", help="last closed date (YYYY-MM-DD)")
    close.add_argument("--reason")
    close.set_defaults(handler=meetings_close)

    search = sub.add_parser("search", help="find meetings")
    add_search_arguments(search)
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=search_cmd)

    show = sub.add_parser("meeting", help="one meeting and its next occurrences")
    show.add_argument("slug")
    show.add_argument("--tz", default=None, help="your time zone")
    show.add_argument("--at", help="ISO instant to count from (default: now)")
    show.add_argument("--count", type=int, default=5)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=meeting_cmd)

    demo = sub.add_parser("demo", help="fictional demo data")
    d_sub = demo.add_subparsers(dest="demo_command", required=True)
    load = d_sub.add_parser("load", help="load demo meetings")
    load.add_argument("--count", type=int, default=300)
    load.add_argument("--seed", type=int, default=12)
    load.set_defaults(handler=demo_load)


def add_search_arguments(parser: argparse.ArgumentParser) -> None:
    """The search filters, shared by `search` and `export ics`."""
    parser.add_argument("--when", default=None,
                        help="now, upcoming, today, tomorrow or a weekday (English/Spanish)")
    parser.add_argument("--time-of-day", action="append", default=[],
                        help="morning, midday, evening or night; repeatable")
    parser.add_argument("--type", action="append", default=[], dest="types",
                        help="type code or concept (women, spanish, lgbtq, W…); all must match")
    parser.add_argument("--fellowship", action="append", default=[])
    parser.add_argument("--attendance", choices=["online", "in-person", "hybrid"])
    parser.add_argument("--near", help="LAT,LON")
    parser.add_argument("--radius-km", type=float, default=25.0)
    parser.add_argument("--region", help="region, city or neighbourhood text")
    parser.add_argument("--text", help="keywords in name, location, notes, region")
    parser.add_argument("--community")
    parser.add_argument("--tz", default=None, help="your time zone (default: config)")
    parser.add_argument("--at", help="ISO 8601 instant to search from (default: now)")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--include-inactive", action="store_true")


def parse_instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CliError(f"--at: {value!r} is not an ISO 8601 instant") from exc
    if instant.tzinfo is None:
        raise CliError(f"--at: {value!r} needs an offset or Z (e.g. 2026-03-08T18:00:00Z)")
    return instant


def query_from_args(args: argparse.Namespace, services: Services) -> MeetingQuery:
    from core.model import parse_day

    when, weekday = When.UPCOMING, None
    if args.when:
        try:
            when = When(args.when.lower())
        except ValueError:
            weekday = parse_day(args.when)
            when = When.WEEKDAY
    fellowship = args.fellowship[0] if len(args.fellowship) == 1 else None
    concepts, codes = parse_type_filters(args.types, fellowship)
    near = None
    if args.near:
        try:
            lat_s, lon_s = args.near.split(",")
            near = (float(lat_s), float(lon_s))
        except ValueError as exc:
            raise ValidationError("near", f"{args.near!r} is not LAT,LON") from exc
    attendance = Attendance(args.attendance.replace("-", "_")) if args.attendance else None
    return MeetingQuery(
        when=when,
        weekday=weekday,
        time_of_day=frozenset(t.lower() for t in args.time_of_day),
        concepts=concepts,
        types=codes,
        fellowships=tuple(args.fellowship),
        attendance=attendance,
        region=args.region,
        text=args.text,
        near=near,
        radius_km=args.radius_km,
        community=args.community,
        include_inactive=args.include_inactive,
        viewer_tz=canonical_zone(args.tz or services.config.default_timezone),
        limit=args.limit,
        offset=args.offset,
    ).validated()


def hit_json(hit: Hit, viewer_tz: str) -> dict[str, Any]:
    m = hit.meeting
    data: dict[str, Any] = {
        "slug": m.slug,
        "name": m.name,
        "fellowship": m.fellowship,
        "types": list(m.types),
        "concepts": sorted(m.concepts),
        "attendance": m.attendance.value,
        "timezone": m.timezone,
        "start_local": hit.occurrence.start.isoformat(),
        "end_local": hit.occurrence.end.isoformat(),
        "start_viewer": hit.start_viewer(viewer_tz).isoformat(),
        "in_progress": hit.in_progress,
    }
    if hit.distance_km is not None:
        data["distance_km"] = round(hit.distance_km, 2)
    if m.location.summary():
        data["location"] = m.location.summary()
    if m.online.url:
        data["conference_url"] = m.online.url
    return data


def _hit_line(hit: Hit, viewer_tz: str) -> str:
    m = hit.meeting
    local = hit.occurrence.start
    viewer = hit.start_viewer(viewer_tz)
    when = f"{local:%a %H:%M} {local.tzname()}"
    if viewer.utcoffset() != local.utcoffset() or viewer.tzname() != local.tzname():
        when += f" ({viewer:%a %H:%M} {viewer.tzname()} your time)"
    flags = " [in progress]" if hit.in_progress else ""
    dist = f" · {hit.distance_km:.1f} km" if hit.distance_km is not None else ""
    types = ",".join(m.types)
    return (f"{when}{flags} · {m.name} [{m.fellowship.upper()}] · "
            f"{m.attendance.value.replace('_', ' ')}{dist} · {types} · {m.slug}")


async def db_init(args: argparse.Namespace, services: Services) -> int:
    count = await services.meetings.count()
    print(f"database ready: {services.db.path} ({count} meetings)")
    return 0


def _schedule_from_args(args: argparse.Namespace) -> tuple[Schedule | None, list[Any]]:
    """--every/--starts/--until/--holidays → (schedule or None for plain weekly, days)."""
    if not (args.every or args.starts or args.until or args.holidays):
        return None, list(args.day)
    schedule, named = schedule_from_words(
        args.every, tuple(parse_day(d) for d in args.day), starts=args.starts,
        until=args.until, holidays=args.holidays)
    return schedule, list(named)


async def meetings_add(args: argparse.Namespace, services: Services) -> int:
    schedule, days = _schedule_from_args(args)
    meeting = build_meeting(
        name=args.name,
        fellowship=args.fellowship,
        days=days,
        schedule=schedule,
        start=args.time,
        end=args.end,
        timezone=args.tz,
        types=args.types,
        slug=args.slug,
        location=Location(name=args.location, address=args.address, city=args.city,
                          region=args.region, country=args.country, latitude=args.lat,
                          longitude=args.lon),
        online=OnlineAccess(url=args.url, phone=args.phone),
        notes=args.notes,
        community=args.community,
        updated=services.clock.now(),
    )
    stored = await services.meetings.add(meeting)
    if args.json:
        print(json.dumps({"slug": stored.slug, "attendance": stored.attendance.value}))
    else:
        print(f"added {stored.slug}: {stored.name} ({stored.attendance.value.replace('_', ' ')})")
    return 0


async def meetings_remove(args: argparse.Namespace, services: Services) -> int:
    if not await services.meetings.remove(args.slug, args.community):
        where = f" in community {args.community}" if args.community else ""
        raise CliError(f"no meeting {args.slug!r}{where}")
    print(f"removed {args.slug}")
    return 0


async def _edit(services: Services, slug: str, edit: Callable[[Meeting], Meeting],
                done: str) -> int:
    try:
        stored = await save_schedule_edit(services, slug, edit)
    except NotFoundError as exc:
        raise CliError(f"no meeting {slug!r}") from exc
    print(f"{stored.slug}: {done}")
    return 0


async def meetings_cancel(args: argparse.Namespace, services: Services) -> int:
    day = parse_date(args.date)
    return await _edit(services, args.slug, lambda m: cancel_sitting(m, day, args.reason),
                       f"{day:%a %d %b %Y} cancelled")


async def meetings_move(args: argparse.Namespace, services: Services) -> int:
    day = parse_date(args.date)
    to = parse_date(args.to_date, "to_date") if args.to_date else None
    return await _edit(
        services, args.slug,
        lambda m: move_sitting(m, day, args.time, args.end, new_date=to, reason=args.reason),
        f"{day:%a %d %b %Y} moved to {to or day:%a %d %b} at {args.time}",
    )


async def meetings_close(args: argparse.Namespace, services: Services) -> int:
    first, last = parse_date(args.first, "first"), parse_date(args.last, "last")
    return await _edit(services, args.slug, lambda m: close_meeting(m, first, last, args.reason),
                       f"closed {first:%d %b %Y} – {last:%d %b %Y}")


async def meetings_restore(args: argparse.Namespace, services: Services) -> int:
    day = parse_date(args.date)
    return await _edit(services, args.slug, lambda m: restore_sitting(m, day),
                       f"{day:%a %d %b %Y} as scheduled again")


async def search_cmd(args: argparse.Namespace, services: Services) -> int:
    query = query_from_args(args, services)
    result = await services.search.search(query, parse_instant(args.at))
    if args.json:
        print(json.dumps([hit_json(h, query.viewer_tz) for h in result.hits], ensure_ascii=False,
                         indent=2))
        return 0
    if result.fell_back_to is When.TOMORROW:
        print("Nothing left today — here is tomorrow:")
    if not result.hits:
        print("No meetings match. Try fewer filters, another day, or a larger --radius-km.")
    for hit in result.hits:
        print(_hit_line(hit, query.viewer_tz))
    if result.next_offset is not None:
        print(f"… more with --offset {result.next_offset}")
    return 0


async def meeting_cmd(args: argparse.Namespace, services: Services) -> int:
    meeting = await services.meetings.get(args.slug)
    if meeting is None:
        raise CliError(f"no meeting {args.slug!r}")
    at = parse_instant(args.at) or services.clock.now()
    viewer = canonical_zone(args.tz or services.config.default_timezone)
    occurrences = next_occurrences(meeting, at, max(1, min(args.count, 52)),
                                   include_in_progress=True)
    if args.json:
        print(json.dumps(meeting_json(meeting, occurrences, viewer, at), ensure_ascii=False,
                         indent=2))
        return 0
    print(f"{meeting.name} [{meeting.fellowship.upper()}] — {meeting.slug}")
    print(f"  {meeting.attendance.value.replace('_', ' ')}; types: {', '.join(meeting.types)}")
    if meeting.location.summary():
        print(f"  where: {meeting.location.summary()}")
    if meeting.online.url or meeting.online.phone:
        print(f"  join: {meeting.online.url or ''} {meeting.online.phone or ''}".rstrip())
    if meeting.notes:
        print(f"  notes: {meeting.notes}")
    tz = get_zone(viewer)
    for occ in occurrences:
        mark = " (in progress)" if occ.in_progress(at) else ""
        if occ.change is not None and occ.scheduled is not None:
            mark += f" (moved from {occ.scheduled:%a %d %b})"
        print(f"  {occ.start:%a %Y-%m-%d %H:%M %Z} = {occ.start.astimezone(tz):%a %H:%M %Z}{mark}")
    return 0


def meeting_json(meeting: Meeting, occurrences: list[Any], viewer: str, at: datetime
                 ) -> dict[str, Any]:
    tz = get_zone(viewer)
    return {
        "slug": meeting.slug,
        "name": meeting.name,
        "fellowship": meeting.fellowship,
        "days": list(meeting.days),
        "time": meeting.start.strftime("%H:%M"),
        "end_time": meeting.end.strftime("%H:%M"),
        "timezone": meeting.timezone,
        "types": list(meeting.types),
        "concepts": sorted(meeting.concepts),
        "attendance": meeting.attendance.value,
        "location": meeting.location.summary() or None,
        "conference_url": meeting.online.url,
        "conference_phone": meeting.online.phone,
        "notes": meeting.notes,
        "community": meeting.community,
        "source": meeting.source,
        "occurrences": [
            {
                "start_local": o.start.isoformat(),
                "end_local": o.end.isoformat(),
                "start_viewer": o.start.astimezone(tz).isoformat(),
                "in_progress": o.in_progress(at),
            }
            for o in occurrences
        ],
    }


async def demo_load(args: argparse.Namespace, services: Services) -> int:
    if args.count < 1 or args.count > 1_000_000:
        raise CliError("--count must be between 1 and 1000000")
    existing = await services.db.scalar("SELECT count(*) FROM meetings WHERE source = 'demo'")
    if existing:
        raise CliError(f"demo data is already loaded ({existing} meetings)")
    started = datetime.now(UTC)
    added = await services.meetings.add_many(demo_meetings(args.count, args.seed))
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(f"loaded {added} demo meetings in {seconds:.1f} s", file=sys.stderr)
    return 0
