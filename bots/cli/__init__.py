"""`stepbot …`: the command line. Each module registers its own sub-commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from calendars.port import install as install_calendars
from core.config import Config, load_config
from core.errors import StepbotError
from core.services import Services

Handler = Callable[[argparse.Namespace, Services], Awaitable[int | None]]
EXIT_USAGE = 2


class CliError(Exception):
    """A message for the user; exit code 2."""


def _parser() -> argparse.ArgumentParser:
    from bots.cli import meetings

    parser = argparse.ArgumentParser(
        prog="stepbot",
        description="Meeting finder and daily reflections for 12-step communities.",
    )
    parser.add_argument("--config", help="config file (default: ./config.toml if present)")
    parser.add_argument("--db", help="SQLite database file (default: from config or STEPBOT_DB)")
    parser.add_argument("-v", "--verbose", action="store_true", help="more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (meetings, *_optional_modules()):
        module.register(sub)
    return parser


def _optional_modules() -> list[Any]:
    """Command families added by later features; each has register(subparsers)."""
    import importlib

    found = []
    for name in ("conversation", "calendars", "reflections", "runner", "discord"):
        try:
            found.append(importlib.import_module(f"bots.cli.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"bots.cli.{name}":
                raise
    return found


async def _run(args: argparse.Namespace) -> int:
    config: Config = load_config(args.config, db_override=args.db)
    handler: Handler = args.handler
    if getattr(args, "no_services", False):
        return int(await handler(args, None) or 0)  # type: ignore[arg-type]
    services = install_calendars(await Services.open(config))
    try:
        return int(await handler(args, services) or 0)
    finally:
        await services.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs full request URLs, which contain the Telegram token: never at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # aiosqlite logs SQL parameters (search words) at DEBUG: never member text in logs.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    try:
        return asyncio.run(_run(args))
    except (StepbotError, CliError) as exc:
        print(f"stepbot: error: {exc}", file=sys.stderr)
        suggestions = getattr(exc, "params", {}).get("suggestions")
        if suggestions:
            print(f"stepbot: did you mean: {', '.join(suggestions)}?", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `stepbot … | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
