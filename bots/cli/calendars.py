"""`stepbot export|import|feeds|serve`: calendars and meeting lists from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from bots.cli import CliError
from bots.cli.meetings import add_search_arguments, parse_instant, query_from_args
from calendars import meeting_guide
from calendars.feeds import FeedStore, refresh_feeds, run_feed_loop
from calendars.filters import matching_meetings
from calendars.ics_export import calendar_for
from calendars.sync import ImportReport, default_source_name, import_bytes, import_url
from core.i18n import LANGUAGES, translate
from core.services import Services

FORMAT_CHOICES = ["auto", "ics", "meeting-guide", "csv", "bmlt"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="export meetings as a calendar or a Meeting Guide feed")
    e_sub = export.add_subparsers(dest="export_command", required=True)
    ics = e_sub.add_parser("ics", help="an iCalendar file (one weekly event per meeting)")
    add_search_arguments(ics)
    ics.add_argument(
        "--meeting",
        action="append",
        default=[],
        metavar="SLUG",
        help="export this meeting (repeatable); ignores the filters",
    )
    ics.add_argument("--name", help="calendar name")
    ics.add_argument("--lang", default="en", help="language of labels and type names")
    ics.add_argument("--out", help="file to write (default: standard output)")
    ics.set_defaults(handler=export_ics)
    mg = e_sub.add_parser("meeting-guide", help="a Meeting Guide JSON feed (TSML UI, the app)")
    mg.add_argument("--community", help="also the meetings of this community")
    mg.add_argument("--include-inactive", action="store_true")
    mg.add_argument("--lang", choices=LANGUAGES,
                    help="language of schedule notes and of the report (default: config)")
    mg.add_argument("--out", help="file to write (default: standard output)")
    mg.set_defaults(handler=export_meeting_guide)

    imp = sub.add_parser("import", help="import meetings from a file or an http(s) URL")
    imp.add_argument("source", metavar="SOURCE", help="file path or http(s) URL")
    imp.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
    imp.add_argument(
        "--name",
        help="source name (default: from the file name or URL); "
        "re-importing under the same name updates its meetings",
    )
    imp.add_argument("--community", help="owning Discord server / Telegram chat id")
    imp.add_argument("--fellowship", help="aa, na, ca, al-anon… (default: aa; na for BMLT)")
    imp.add_argument("--tz", help="zone for records without one, e.g. America/New_York")
    imp.add_argument("--bmlt-formats", metavar="FILE", help="BMLT GetFormats JSON for the keys")
    imp.add_argument("--dry-run", action="store_true", help="report only; change nothing")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(handler=import_cmd)

    feeds = sub.add_parser("feeds", help="calendars and meeting lists kept in sync")
    f_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    f_list = f_sub.add_parser("list", help="list feeds and their last refresh")
    f_list.add_argument("--json", action="store_true")
    f_list.set_defaults(handler=feeds_list)
    f_add = f_sub.add_parser("add", help="add a feed")
    f_add.add_argument("url")
    f_add.add_argument("--name")
    f_add.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
    f_add.add_argument("--fellowship")
    f_add.add_argument("--community")
    f_add.add_argument("--tz")
    f_add.add_argument("--refresh-minutes", type=int, default=360)
    f_add.add_argument("--no-refresh", action="store_true", help="do not fetch it now")
    f_add.add_argument("--json", action="store_true")
    f_add.set_defaults(handler=feeds_add)
    f_remove = f_sub.add_parser("remove", help="remove a feed")
    f_remove.add_argument("feed", help="feed name or id")
    f_remove.add_argument("--community")
    f_remove.add_argument("--purge", action="store_true", help="also remove its meetings")
    f_remove.set_defaults(handler=feeds_remove)
    f_refresh = f_sub.add_parser("refresh", help="refresh feeds now")
    f_refresh.add_argument("feeds", nargs="*", help="feed names or ids (default: all)")
    f_refresh.add_argument("--community")
    f_refresh.add_argument("--force", action="store_true", help="ignore ETag / unchanged bytes")
    f_refresh.add_argument("--json", action="store_true")
    f_refresh.set_defaults(handler=feeds_refresh)

    serve = sub.add_parser("serve", help="serve subscribable calendar feeds over HTTP")
    serve.add_argument("--host", help="listen address (default: config [server] host)")
    serve.add_argument("--port", type=int, help="port (default: config [server] port)")
    serve.add_argument("--feeds", action="store_true", help="also refresh feeds in the background")
    serve.set_defaults(handler=serve_cmd)


async def _write(data: bytes, out: str | None) -> None:
    if out:
        await asyncio.to_thread(Path(out).write_bytes, data)
        print(f"wrote {out} ({len(data):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


async def export_ics(args: argparse.Namespace, services: Services) -> int:
    if args.meeting:
        meetings = []
        for slug in args.meeting:
            meeting = await services.meetings.get(slug)
            if meeting is None:
                raise CliError(f"no meeting {slug!r}")
            meetings.append(meeting)
        name = args.name or (meetings[0].name if len(meetings) == 1 else "stepbot meetings")
    else:
        query = query_from_args(args, services)
        meetings = await matching_meetings(services, query, parse_instant(args.at))
        name = args.name or "stepbot meetings"
    data = calendar_for(meetings, name=name, lang=args.lang, refresh_hours=12)
    await _write(data, args.out)
    if args.out:
        print(f"{len(meetings)} meetings", file=sys.stderr)
    return 0


async def export_meeting_guide(args: argparse.Namespace, services: Services) -> int:
    meetings = await services.meetings.list_meetings(community=args.community)
    if not args.include_inactive:
        meetings = [m for m in meetings if m.attendance.value != "inactive"]
    lang = args.lang or services.config.default_language
    result = meeting_guide.export_meeting_guide(meetings, now=services.clock.now(), lang=lang)
    await _write(result.data, args.out)
    # The feed can only say "every week": say what was left out or annotated (standard error,
    # so the feed on standard output stays clean).
    print(translate("exports.meeting_guide.summary", lang, exported=result.exported,
                    left_out=len(result.left_out), annotated=len(result.annotated)),
          file=sys.stderr)
    if result.left_out:
        shown = ", ".join(result.left_out[:20]) + (" …" if len(result.left_out) > 20 else "")
        print(translate("exports.meeting_guide.left_out_list", lang, slugs=shown),
              file=sys.stderr)
    return 0


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print(report.to_json())
        return
    print(report.summary())
    for ref, reason in report.skipped[:50]:
        print(f"  skipped {ref}: {reason}")
    if len(report.skipped) > 50:
        print(f"  … and {len(report.skipped) - 50} more skipped")
    for warning in report.warnings:
        print(f"  warning: {warning}")


async def import_cmd(args: argparse.Namespace, services: Services) -> int:
    source: str = args.source
    formats = None
    if args.bmlt_formats:
        formats = await _read(Path(args.bmlt_formats), services)
    if source.lower().startswith(("http://", "https://")):
        report = await import_url(
            services,
            source,
            fmt=args.format,
            source_name=args.name,
            community=args.community,
            fellowship=args.fellowship,
            default_tz=args.tz,
            dry_run=args.dry_run,
        )
    elif "://" in source:
        raise CliError(f"only files and http(s) URLs can be imported, not {source!r}")
    else:
        data = await _read(Path(source), services)
        report = await import_bytes(
            services,
            data,
            filename=Path(source).name,
            fmt=args.format,
            source_name=args.name or default_source_name(source),
            community=args.community,
            fellowship=args.fellowship,
            default_tz=args.tz,
            dry_run=args.dry_run,
            bmlt_formats=formats,
        )
    _print_report(report, args.json)
    return 0


async def _read(path: Path, services: Services) -> bytes:
    def read() -> bytes:
        if not path.is_file():
            raise CliError(f"{path}: no such file")
        size = path.stat().st_size
        limit = services.config.import_max_bytes
        if size > limit:
            raise CliError(f"{path}: {size:,} bytes is over the import limit of {limit:,}")
        return path.read_bytes()

    return await asyncio.to_thread(read)


async def feeds_list(args: argparse.Namespace, services: Services) -> int:
    store = FeedStore(services)
    await store.sync_config(services.config.feeds)
    feeds = await store.list()
    if args.json:
        print(json.dumps([f.to_dict() for f in feeds], ensure_ascii=False, indent=2))
        return 0
    if not feeds:
        print("no feeds (add one with `stepbot feeds add URL` or [[feeds]] in config.toml)")
    for feed in feeds:
        state = "never refreshed"
        if feed.last_error:
            state = f"FAILING ({feed.failures}×): {feed.last_error}"
        elif feed.last_success:
            state = f"ok {feed.last_success:%Y-%m-%d %H:%M} UTC"
        scope = f" [community {feed.community}]" if feed.community else ""
        print(
            f"{feed.id:>3} {feed.name}{scope} · {feed.format} · every {feed.refresh_minutes} min"
            f" · {feed.origin} · {state}\n    {feed.url}"
        )
    return 0


async def feeds_add(args: argparse.Namespace, services: Services) -> int:
    store = FeedStore(services)
    feed = await store.add(
        args.url,
        name=args.name,
        community=args.community,
        fmt=args.format,
        fellowship=args.fellowship,
        timezone=args.tz,
        refresh_minutes=args.refresh_minutes,
    )
    result: dict[str, Any] = {"feed": feed.to_dict()}
    if not args.no_refresh:
        outcome = (await refresh_feeds(services, [feed]))[0]
        result["refresh"] = outcome.to_dict()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"added feed {feed.id} {feed.name}")
    if "refresh" in result:
        refresh = result["refresh"]
        if refresh["error"]:
            print(f"  first refresh failed: {refresh['error']}")
        elif refresh["report"]:
            print("  " + ImportReport(**_report_args(refresh["report"])).summary())
    return 0


def _report_args(data: dict[str, Any]) -> dict[str, Any]:
    args = {
        k: data[k]
        for k in (
            "source",
            "format",
            "community",
            "added",
            "updated",
            "removed",
            "unchanged",
            "warnings",
            "dry_run",
        )
    }
    args["skipped"] = [(s["ref"], s["reason"]) for s in data["skipped"]]
    return args


async def feeds_remove(args: argparse.Namespace, services: Services) -> int:
    store = FeedStore(services)
    feed = await store.get(args.feed, args.community)
    if feed is None:
        raise CliError(f"no feed {args.feed!r}")
    if feed.origin == "config":
        raise CliError(f"feed {feed.name!r} comes from config.toml; remove it there")
    removed = await store.remove(feed, purge=args.purge)
    print(f"removed feed {feed.name}" + (f" and its {removed} meetings" if args.purge else ""))
    return 0


async def feeds_refresh(args: argparse.Namespace, services: Services) -> int:
    store = FeedStore(services)
    await store.sync_config(services.config.feeds)
    if args.feeds:
        feeds = []
        for key in args.feeds:
            feed = await store.get(key, args.community)
            if feed is None:
                raise CliError(f"no feed {key!r}")
            feeds.append(feed)
    else:
        feeds = await store.list()
    outcomes = await refresh_feeds(services, feeds, force=args.force)
    if args.json:
        print(json.dumps([o.to_dict() for o in outcomes], ensure_ascii=False, indent=2))
    else:
        for outcome in outcomes:
            detail = outcome.error or (outcome.report.summary() if outcome.report else "")
            print(f"{outcome.feed}: {outcome.status}" + (f" · {detail}" if detail else ""))
    return 1 if any(o.status == "error" for o in outcomes) else 0


async def serve_cmd(args: argparse.Namespace, services: Services) -> int:
    from calendars.server import start_server

    host = args.host or services.config.server_host
    port = args.port or services.config.server_port
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    runner = await start_server(services, host, port)
    print(
        f"serving calendars on http://{host}:{port}/calendar.ics (Ctrl-C to stop)", file=sys.stderr
    )
    tasks = []
    if args.feeds:
        tasks.append(asyncio.create_task(run_feed_loop(services, stop)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            await task
        await runner.cleanup()
    return 0
