"""`stepbot run`."""

from __future__ import annotations

import argparse

from bots.console import ConsoleSession, ConsoleTransport, chat
from bots.runner import run
from core.services import Services


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help="run the bot: every adapter with a token, or the console")
    p.set_defaults(handler=run_cmd)


async def run_cmd(args: argparse.Namespace, services: Services) -> int:
    async def console() -> None:
        await chat(services, ConsoleSession(services))

    return await run(services, console=console, console_transport=ConsoleTransport(services))
