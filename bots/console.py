"""The console adapter: plain-text replies, buttons as numbered choices, /location LAT LON.

`stepbot chat` is an interactive session; `stepbot ask` sends one request (for scripts).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from core.conversation.outbound import OutboundComposer
from core.conversation.request import Attachment, GeoPoint, Request
from core.conversation.router import Conversation
from core.i18n import translate
from core.outbound import Address, OutboundMessage, SendResult
from core.render import card_fields, card_heading, strip_controls
from core.replies import Button, MeetingCard, Reply
from core.services import Services

PLATFORM = "console"


def parse_input(line: str) -> tuple[str | None, str, str | None]:
    """'/meetings women today' → ('meetings', 'women today', None); free text → (None, '', text)."""
    line = line.strip()
    if line.startswith("/"):
        head, _, rest = line[1:].partition(" ")
        return head.lower(), rest.strip(), None
    return None, "", line


def render_card(card: MeetingCard, lang: str) -> list[str]:
    lines = [f"• {card_heading(card, lang)}"]
    for item in card_fields(card, lang):
        lines.append(f"  {item.label}: {item.value}" if item.label else f"  {item.value}")
    lines.append(f"  id: {card.slug}")
    return lines


def render(reply: Reply) -> tuple[str, list[Button]]:
    """The reply as text, plus the buttons in the order they are numbered. The text is shown
    as it is (markdown and HTML too) but without control characters: imported text must not
    drive the terminal (ANSI escapes, carriage returns) or reorder it (bidi overrides)."""
    lines: list[str] = []
    if reply.title:
        lines += [reply.title, ""]
    for block in reply.blocks:
        lines += [block, ""]
    buttons: list[Button] = []
    for card in reply.cards:
        lines += render_card(card, reply.lang)
        for button in card.buttons:
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.label}")
        lines.append("")
    for row in reply.buttons:
        cells = []
        for button in row:
            buttons.append(button)
            cells.append(f"[{len(buttons)}] {button.label}")
        lines.append("  ".join(cells))
    if reply.ask_location:
        lines.append(f"({reply.ask_location}: /location LAT LON)")
    if reply.continue_in_private:
        lines.append("(→ private chat)")
    for file in reply.files:
        lines.append(f"[file: {file.filename}, {len(file.data)} bytes]")
    return strip_controls("\n".join(lines)).rstrip() + "\n", buttons


def reply_json(reply: Reply) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bytes):
            return {"bytes": len(value)}
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    data = convert(asdict(reply))
    data["text"] = reply.text()
    return data  # type: ignore[no-any-return]


@dataclass
class ConsoleSession:
    """One simulated member: private chat unless a community is given."""

    services: Services
    user_id: str = "console-user"
    community_id: str | None = None
    admin: bool = False
    locale: str | None = None
    location: GeoPoint | None = None
    last_buttons: list[Button] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conversation = Conversation(self.services)

    def request(self, line: str, **extra: Any) -> Request:
        command, args, text = parse_input(line)
        return Request(
            platform=PLATFORM,
            user_id=self.user_id,
            chat_id=self.community_id or self.user_id,
            community_id=self.community_id,
            locale=self.locale,
            is_admin=self.admin,
            command=command,
            args=args,
            text=text,
            **extra,
        )

    async def send(self, line: str) -> Reply | None:
        """Handle one line of input: a command, a number (button), /location, /file."""
        stripped = line.strip()
        if stripped.isdigit() and self.last_buttons:
            index = int(stripped) - 1
            if 0 <= index < len(self.last_buttons):
                button = self.last_buttons[index]
                if button.url:
                    return Reply(blocks=[button.url])
                return await self.handle(self.request("", action=button.action))
        command, args, _ = parse_input(stripped)
        if command == "location":
            try:
                lat_s, lon_s = args.replace(",", " ").split()
                point = GeoPoint(float(lat_s), float(lon_s))
            except ValueError:
                return Reply(blocks=["usage: /location LAT LON"], error=True)
            return await self.handle(self.request("", location=point))
        path = Path(args.split()[0]) if command == "import" and args else None
        if path is not None and await asyncio.to_thread(path.is_file):
            data = await asyncio.to_thread(path.read_bytes)
            return await self.handle(self.request("/import", attachment=Attachment(path.name,
                                                                                   data)))
        return await self.handle(self.request(stripped))

    async def handle(self, request: Request) -> Reply | None:
        reply = await self.conversation.handle(request)
        if reply is not None:
            self.last_buttons = render(reply)[1]
        return reply


async def chat(services: Services, session: ConsoleSession, out: TextIO = sys.stdout) -> None:
    """The interactive console: type commands, numbers for buttons, Ctrl-D to leave."""
    out.write(translate("console.banner", session.locale or services.config.default_language)
              + "\n")
    reply = await session.send("/start")
    if reply is not None:
        out.write(render(reply)[0])
    while True:
        out.write("> ")
        out.flush()
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            out.write("\n")
            return
        if line.strip() in ("/quit", "/exit", "/salir"):
            return
        if not line.strip():
            continue
        reply = await session.send(line)
        if reply is not None:
            for file in reply.files:
                target = Path(file.filename).name
                await asyncio.to_thread(Path(target).write_bytes, file.data)
            out.write(render(reply)[0])


class ConsoleTransport:
    """Deliveries (daily reflections, reminders) for console subscribers: printed."""

    platform = PLATFORM

    def __init__(self, services: Services, out: TextIO = sys.stdout) -> None:
        self.out = out
        self.compose = OutboundComposer(services)

    async def send(self, address: Address, message: OutboundMessage | Reply) -> SendResult:
        reply = message if isinstance(message, Reply) else await self.compose(message)
        self.out.write("\n" + render(reply)[0] + "> ")
        self.out.flush()
        return SendResult.ok()

    async def admin_addresses(self, community_id: str) -> list[Address]:
        """The console has one person at the keyboard: they are the admin."""
        return [Address(PLATFORM, "console-user")]


# What json.dumps(ensure_ascii=False) leaves raw but a terminal would act on: DEL, the C1
# controls (U+009B is CSI) and the bidi overrides. JSON allows them as \\u escapes.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def dump_json(reply: Reply | None) -> str:
    """The reply as JSON for scripts: the data unchanged, safe to print on a terminal."""
    text = json.dumps(reply_json(reply) if reply else None, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
