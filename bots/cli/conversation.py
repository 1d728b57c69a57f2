"""`stepbot chat` and `stepbot ask`: the conversation from a terminal, no token needed."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from bots.cli import CliError
from bots.cli.meetings import parse_instant
from bots.console import ConsoleSession, chat, dump_json, render
from core.clock import FakeClock
from core.conversation.request import GeoPoint
from core.services import Services
from core.timezones import canonical_zone


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, help_text in (("chat", "talk to the bot in this terminal"),
                            ("ask", "send one message and print the reply")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--as", dest="user", default="console-user", help="user id")
        p.add_argument("--community", help="community id (a server/group); default: private chat")
        p.add_argument("--admin", action="store_true", help="act as a community admin")
        p.add_argument("--locale", help="platform locale, e.g. es or es-MX")
        p.add_argument("--tz", help="time zone for this request")
        p.add_argument("--at", help="pretend it is this ISO 8601 instant")
        p.add_argument("--location", help="LAT,LON shared with the message")
        if name == "ask":
            p.add_argument("--json", action="store_true", help="print the Reply as JSON")
            p.add_argument("text", help='what to send, e.g. "/meetings women today"')
            p.set_defaults(handler=ask_cmd)
        else:
            p.set_defaults(handler=chat_cmd)


def _session(args: argparse.Namespace, services: Services) -> ConsoleSession:
    at = parse_instant(args.at)
    if at is not None:
        services.clock = FakeClock(at)
        services.search.clock = services.clock
    location = None
    if args.location:
        try:
            lat, lon = (float(x) for x in args.location.split(","))
        except ValueError as exc:
            raise CliError(f"--location: {args.location!r} is not LAT,LON") from exc
        location = GeoPoint(lat, lon)
    session = ConsoleSession(services, user_id=args.user, community_id=args.community,
                             admin=args.admin, locale=args.locale, location=location)
    return session


async def ask_cmd(args: argparse.Namespace, services: Services) -> int:
    session = _session(args, services)
    request = session.request(args.text)
    if args.tz:
        request = replace(request, timezone=canonical_zone(args.tz))
    if session.location is not None:
        request = replace(request, location=session.location)
    reply = await session.handle(request)
    if args.json:
        print(dump_json(reply))
    elif reply is not None:
        sys.stdout.write(render(reply)[0])
    return 1 if reply is not None and reply.error else 0


async def chat_cmd(args: argparse.Namespace, services: Services) -> int:
    session = _session(args, services)
    await chat(services, session)
    return 0
