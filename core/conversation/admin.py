"""Admin-only: /addmeeting and /removemeeting for a community's own meetings (e.g. a Discord
server's voice-channel meetings), with the same validation as the command line."""

from __future__ import annotations

import re

from core.conversation.context import Context
from core.conversation.router import command
from core.errors import ValidationError
from core.model import Location, OnlineAccess, build_meeting, parse_day
from core.replies import Reply
from core.schedule_edits import check_schedule, schedule_from_words
from core.schedule_text import recurrence_text
from core.text import fold

_KEYS = {
    "name": "name", "nombre": "name",
    "fellowship": "fellowship", "programa": "fellowship",
    "day": "day", "days": "day", "dia": "day", "dias": "day",
    "time": "time", "hora": "time", "start": "time", "inicio": "time",
    "end": "end", "fin": "end", "end_time": "end",
    "tz": "tz", "timezone": "tz", "zona": "tz",
    "types": "types", "type": "types", "tipos": "types", "tipo": "types",
    "address": "address", "direccion": "address",
    "location": "location", "lugar": "location",
    "city": "city", "ciudad": "city",
    "url": "url", "link": "url", "enlace": "url", "channel": "url",
    "phone": "phone", "telefono": "phone",
    "notes": "notes", "notas": "notes",
    "lat": "lat", "lon": "lon", "lng": "lon",
    "every": "every", "repeats": "every", "cada": "every", "repite": "every",
    "from": "starts", "starts": "starts", "desde": "starts",
    "until": "until", "hasta": "until",
    "holidays": "holidays", "festivos": "holidays",
}
_PAIR_RE = re.compile(r"^\s*([\w]+)\s*[:=]\s*(.*?)\s*$")


def parse_pairs(text: str) -> dict[str, str]:
    """'name: Friday Hope; day: friday; time: 19:00' (or one pair per line) → dict."""
    values: dict[str, str] = {}
    for chunk in re.split(r"[;\n]", text):
        if not chunk.strip():
            continue
        match = _PAIR_RE.match(chunk)
        if not match:
            raise ValidationError("meeting", f"cannot read {chunk.strip()[:40]!r}",
                                  key="admin.bad_pair", text=chunk.strip()[:40])
        key = _KEYS.get(fold(match.group(1)))
        if key is None:
            raise ValidationError("meeting", f"unknown field {match.group(1)!r}",
                                  key="admin.unknown_field", name=match.group(1)[:20])
        values[key] = match.group(2)
    return values


@command("addmeeting", aliases=("agregarreunion", "nuevareunion"), admin=True, order=80)
async def add_meeting(ctx: Context) -> Reply:
    t = ctx.t
    if not ctx.request.args.strip() and not ctx.request.options:
        return Reply(lang=ctx.lang, blocks=[t("admin.add_usage")], private=True)
    if ctx.request.options:  # structured options (slash commands) keep ';' inside values
        values = {_KEYS[k]: v for k, v in ctx.request.options.items() if k in _KEYS}
    else:
        values = parse_pairs(ctx.request.args)
    for required in ("name", "time") if values.get("every") else ("name", "day", "time"):
        if not values.get(required):
            raise ValidationError(required, "missing", key="admin.missing_field", name=required)
    named_days = tuple(parse_day(d) for d in re.split(r"[,\s]+", values.get("day", "")) if d)
    schedule, days = schedule_from_words(values.get("every"), named_days,
                                         starts=values.get("starts"),
                                         until=values.get("until"),
                                         holidays=values.get("holidays"))
    if not days:
        raise ValidationError("day", "missing", key="admin.missing_field", name="day")
    if schedule is not None:
        schedule = check_schedule(schedule, days, today=ctx.now().date())

    def number(key: str) -> float | None:
        if not values.get(key):
            return None
        try:
            return float(values[key])
        except ValueError as exc:
            raise ValidationError(key, "not a number", key="error.coordinates_invalid") from exc

    meeting = build_meeting(
        name=values["name"],
        fellowship=values.get("fellowship") or (ctx.community.fellowships or ("aa",))[0],
        days=list(days),
        start=values["time"],
        end=values.get("end") or None,
        timezone=values.get("tz") or ctx.community.timezone or ctx.viewer_tz,
        types=[x for x in re.split(r"\s*,\s*", values.get("types", "")) if x],
        location=Location(name=values.get("location"), address=values.get("address"),
                          city=values.get("city"), latitude=number("lat"),
                          longitude=number("lon")),
        online=OnlineAccess(url=values.get("url"), phone=values.get("phone")),
        notes=values.get("notes"),
        community=ctx.request.community,
        source="community",
        updated=ctx.now(),
        schedule=schedule,
    )
    stored = await ctx.services.meetings.add(meeting)
    blocks = [t("admin.added", name=stored.name, slug=stored.slug)]
    if schedule is not None:
        blocks.append(recurrence_text(t, stored, today=ctx.now().date()))
    return Reply(lang=ctx.lang, blocks=blocks)


@command("removemeeting", aliases=("borrarreunion", "quitarreunion"), admin=True, order=81)
async def remove_meeting(ctx: Context) -> Reply:
    slug = ctx.request.args.strip().lower()
    if not slug:
        return ctx.error("admin.remove_usage")
    if not await ctx.services.meetings.remove(slug, ctx.request.community):
        return ctx.error("admin.not_ours", slug=slug[:64])
    await ctx.services.subscriptions.refresh_reminders(slug)  # reminders for it end
    return Reply(lang=ctx.lang, blocks=[ctx.t("admin.removed", slug=slug)])
