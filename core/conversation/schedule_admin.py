"""Admin-only changes to one sitting of a community's own meeting: /cancel, /move, /close and
/restore — the chat side of `stepbot meetings cancel|move|close|restore`, through the same
core step (core.schedule_edits.save_schedule_edit): checked, stamped, reminders re-planned.

    /cancel ID DATE [reason]
    /move ID DATE [NEW-DATE] HH:MM [END] [reason]
    /close ID FROM TO [reason]
    /restore ID DATE
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from core.conversation.context import Context
from core.conversation.router import command
from core.model import Meeting
from core.replies import Reply
from core.schedule import sitting_on
from core.schedule_edits import (
    cancel_sitting,
    close_meeting,
    move_sitting,
    parse_date,
    restore_sitting,
    save_schedule_edit,
)
from core.schedule_text import date_text, sitting_change_text

_TIME_RE = re.compile(r"^\d{1,2}([:.h]\d{2})?\s*(am|pm)?$", re.IGNORECASE)
_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _words(ctx: Context, need: int) -> list[str] | None:
    words = ctx.request.args.split()
    return words if len(words) >= need else None


async def _save(ctx: Context, slug: str, edit: Callable[[Meeting], Meeting]) -> Meeting:
    return await save_schedule_edit(ctx.services, slug.lower(), edit,
                                    community=ctx.request.community)


def _changed(ctx: Context, meeting: Meeting, day: date) -> Reply:
    sitting = sitting_on(meeting.schedule, meeting.days, meeting.start, meeting.end, day)
    line = sitting_change_text(ctx.t, meeting, sitting) if sitting else None
    return Reply(lang=ctx.lang, blocks=[ctx.t("admin.sitting_changed", name=meeting.name,
                                              change=line or date_text(ctx.t, day))])


@command("cancel", aliases=("cancelar", "cancelsitting"), admin=True, order=83)
async def cancel(ctx: Context) -> Reply:
    words = _words(ctx, 2)
    if words is None:
        return ctx.error("admin.cancel_usage")
    day = parse_date(words[1])
    reason = " ".join(words[2:]) or None
    stored = await _save(ctx, words[0], lambda m: cancel_sitting(m, day, reason))
    return _changed(ctx, stored, day)


@command("move", aliases=("mover", "cambiar", "movesitting"), admin=True, order=84)
async def move(ctx: Context) -> Reply:
    words = _words(ctx, 3)
    if words is None:
        return ctx.error("admin.move_usage")
    slug, day, rest = words[0], parse_date(words[1]), words[2:]
    new_date = None
    if rest and _DATE_RE.match(rest[0]):
        new_date, rest = parse_date(rest[0], "new_date"), rest[1:]
    if not rest:
        return ctx.error("admin.move_usage")
    start, rest = rest[0], rest[1:]
    end = None
    if rest and _TIME_RE.match(rest[0]):
        end, rest = rest[0], rest[1:]
    reason = " ".join(rest) or None
    stored = await _save(ctx, slug, lambda m: move_sitting(m, day, start, end,
                                                           new_date=new_date, reason=reason))
    return _changed(ctx, stored, day)


@command("close", aliases=("cerrar", "closemeeting"), admin=True, order=85)
async def close(ctx: Context) -> Reply:
    words = _words(ctx, 3)
    if words is None:
        return ctx.error("admin.close_usage")
    first, last = parse_date(words[1], "first"), parse_date(words[2], "last")
    reason = " ".join(words[3:]) or None
    stored = await _save(ctx, words[0], lambda m: close_meeting(m, first, last, reason))
    return Reply(lang=ctx.lang, blocks=[ctx.t(
        "admin.closed", name=stored.name, first=date_text(ctx.t, first),
        last=date_text(ctx.t, last))])


@command("restore", aliases=("restaurar", "reabrir"), admin=True, order=86)
async def restore(ctx: Context) -> Reply:
    words = _words(ctx, 2)
    if words is None:
        return ctx.error("admin.restore_usage")
    day = parse_date(words[1])
    stored = await _save(ctx, words[0], lambda m: restore_sitting(m, day))
    return Reply(lang=ctx.lang, blocks=[ctx.t("admin.restored", name=stored.name,
                                              date=date_text(ctx.t, day))])
