"""/reflection [today|tomorrow|DATE], /step N, /steps — and the reflection rendering shared
with daily deliveries."""

from __future__ import annotations

from datetime import date, timedelta

from core.conversation.context import Context
from core.conversation.router import command
from core.i18n import Translator
from core.reflections import Reflection
from core.replies import Button, Reply
from core.text import fold
from core.timezones import get_zone

_TODAY = {"", "today", "hoy"}
_TOMORROW = {"tomorrow", "manana"}
_YESTERDAY = {"yesterday", "ayer"}
_NEUTRAL = {"neutral", "neutro", "neutra", "general"}
_ORIGINAL = {"original", "1939", "aa"}


def reflection_reply(t: Translator, reflection: Reflection, day: date) -> Reply:
    """The reflection as a Reply (used by /reflection and by the daily delivery)."""
    return Reply(
        lang=t.lang,
        title=t("reflection.title", date=day.isoformat(), step=reflection.step,
                title=reflection.title),
        blocks=[reflection.body.strip(), t("reflection.question", question=reflection.question),
                t("reflection.source", source=reflection.source)],
    )


def _parse_day(ctx: Context, text: str) -> date | None:
    today: date = ctx.now().astimezone(get_zone(ctx.viewer_tz)).date()
    word = fold(text.strip())
    if word in _TODAY:
        return today
    if word in _TOMORROW:
        return today + timedelta(days=1)
    if word in _YESTERDAY:
        return today - timedelta(days=1)
    for candidate in (text.strip(), f"{today.year}-{text.strip()}"):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    return None


@command("reflection", aliases=("reflexion", "reflexión", "daily", "diaria"), order=40)
async def reflection(ctx: Context) -> Reply:
    day = _parse_day(ctx, ctx.request.args)
    if day is None:
        return ctx.error("reflection.bad_date", value=ctx.request.args[:20])
    found = ctx.services.reflections.reflection_for(day, ctx.lang)
    reply = reflection_reply(ctx.t, found, day)
    reply.buttons.append([
        Button(ctx.t("reflection.button_step", step=found.step), action=f"cmd:step:{found.step}"),
        Button(ctx.t("reflection.button_subscribe"), action="cmd:subscribe"),
    ])
    return reply


def _neutral_default(ctx: Context) -> bool:
    fellowship = ctx.user.fellowship or (ctx.community.fellowships or ("",))[0]
    return bool(fellowship) and fellowship != "aa"


@command("step", aliases=("paso",), order=41)
async def step(ctx: Context) -> Reply:
    words = [fold(w) for w in ctx.request.args.split()]
    numbers = [w for w in words if w.isdigit()]
    if len(numbers) != 1 or not 1 <= int(numbers[0]) <= 12:
        return ctx.error("steps.usage")
    neutral = _neutral_default(ctx)
    if set(words) & _NEUTRAL:
        neutral = True
    if set(words) & _ORIGINAL:
        neutral = False
    found = ctx.services.reflections.step(int(numbers[0]), ctx.lang, neutral)
    number = found.number
    other = "original" if neutral else "neutral"
    nav = []
    if number > 1:
        nav.append(Button("◀", action=f"cmd:step:{number - 1}:{'neutral' if neutral else 'original'}"))
    nav.append(Button(ctx.t(f"steps.button_{other}"), action=f"cmd:step:{number}:{other}"))
    if number < 12:
        nav.append(Button("▶", action=f"cmd:step:{number + 1}:{'neutral' if neutral else 'original'}"))
    return Reply(
        lang=ctx.lang,
        title=ctx.t("steps.one_title", number=number),
        blocks=[found.text, ctx.t("steps.neutral_note" if neutral else "steps.source",
                                  source=found.source)],
        buttons=[nav],
    )


@command("steps", aliases=("pasos", "12steps", "docepasos"), order=42)
async def steps(ctx: Context) -> Reply:
    words = {fold(w) for w in ctx.request.args.split()}
    neutral = _neutral_default(ctx)
    if words & _NEUTRAL:
        neutral = True
    if words & _ORIGINAL:
        neutral = False
    all_steps = ctx.services.reflections.all_steps(ctx.lang, neutral)
    lines = [f"{s.number}. {s.text}" for s in all_steps]
    source = all_steps[0].source if all_steps else ""
    other = "original" if neutral else "neutral"
    return Reply(
        lang=ctx.lang,
        title=ctx.t("steps.title"),
        blocks=["\n".join(lines), ctx.t("steps.neutral_note" if neutral else "steps.source",
                                        source=source)],
        buttons=[[Button(ctx.t(f"steps.button_{other}"), action=f"cmd:steps:{other}")]],
    )
