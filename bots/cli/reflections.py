"""`stepbot reflection` and `stepbot reflections check`: the daily reflection pack from the
command line. Neither needs the database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from bots.cli import EXIT_USAGE, CliError
from core.clock import SystemClock
from core.config import load_config
from core.reflections import Pack, PackError, load_pack, pack_from_config
from core.services import Services
from core.timezones import canonical_zone, get_zone

STEP_LABEL = {"en": "Step", "es": "Paso"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    one = sub.add_parser("reflection", help="show the daily reflection")
    one.add_argument("--date", help="YYYY-MM-DD (default: today in --tz or the default zone)")
    one.add_argument("--lang", default=None, help="en or es (default: config)")
    one.add_argument("--tz", default=None, help="time zone for 'today' (default: config)")
    one.add_argument(
        "--pack", default=None, help="a pack directory or file (default: config [reflections] pack)"
    )
    one.add_argument(
        "--json",
        action="store_true",
        help="print date, step, title, body, question, source as JSON",
    )
    one.set_defaults(handler=reflection_cmd, no_services=True)

    packs = sub.add_parser("reflections", help="reflection packs")
    p_sub = packs.add_subparsers(dest="reflections_command", required=True)
    check = p_sub.add_parser("check", help="validate a pack (exit 2 if invalid)")
    check.add_argument("path", help="pack directory, or a single .toml/.json file")
    check.set_defaults(handler=check_cmd, no_services=True)


def _pack(args: argparse.Namespace) -> tuple[Pack, str, str]:
    """The pack, the default language and the default zone, from --pack or the config."""
    config = load_config(args.config, db_override=args.db)
    if args.pack:
        pack = load_pack(args.pack)
    else:
        config_dir = config.path.parent if config.path else None
        pack = pack_from_config(config.raw, config_dir)
    return pack, config.default_language, config.default_timezone


async def reflection_cmd(args: argparse.Namespace, services: Services | None) -> int:
    pack, language, zone = _pack(args)
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError as exc:
            raise CliError(f"--date: {args.date!r} is not a date like 2026-02-28") from exc
    else:
        tz = get_zone(canonical_zone(args.tz or zone))
        day = SystemClock().now().astimezone(tz).date()
    if args.lang and args.lang not in pack.languages:
        raise CliError(f"--lang: this pack has {', '.join(pack.languages)}, not {args.lang!r}")
    lang = args.lang or pack.language_for(language)
    reflection = pack.reflection_for(day, lang)
    if args.json:
        print(
            json.dumps(
                {
                    "date": day.isoformat(),
                    "step": reflection.step,
                    "title": reflection.title,
                    "body": reflection.body,
                    "question": reflection.question,
                    "source": reflection.source,
                    "language": reflection.language,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(f"{reflection.title}")
    label = STEP_LABEL.get(reflection.language, "Step")
    print(f"{day.isoformat()} · {label} {reflection.step}")
    print()
    print(reflection.body)
    print()
    print(f"» {reflection.question}")
    print()
    print(f"— {reflection.source}")
    return 0


async def check_cmd(args: argparse.Namespace, services: Services | None) -> int:
    path = Path(args.path)
    try:
        pack = load_pack(path)
    except PackError as exc:
        print(f"{path}: INVALID — {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_USAGE
    days = sum(len(by_day) for by_day in pack.reflections.values())
    print(
        f"{path}: OK — {pack.name!r}, {len(pack.languages)} language(s) "
        f"({', '.join(pack.languages)}), {days} reflections, {len(pack.steps)} steps"
    )
    print(f"source: {pack.source}" + (f" · licence: {pack.licence}" if pack.licence else ""))
    return 0
