"""/subscribe, /unsubscribe, /subscriptions, /remind and /sobriety."""

from __future__ import annotations

from datetime import date, time

from core.conversation.context import Context
from core.conversation.router import action, command
from core.errors import ValidationError
from core.model import parse_time
from core.outbound import Address
from core.replies import Button, Reply
from core.store.subscriptions import Status, Subscription
from core.subscriptions import Owner, SobrietyStatus
from core.text import fold
from core.timezones import canonical_zone

DEFAULT_TIME = time(7, 0)
DEFAULT_REMINDER_MINUTES = 30
_ME = {"me", "yo", "mi", "private", "privado", "dm"}
_CHANNEL = {"channel", "canal", "here", "aqui", "group", "grupo", "server", "servidor", "chat"}
_LIST = {"list", "lista", "ver", "show", "mostrar", ""}
_CANCEL = {"cancel", "cancelar", "remove", "quitar", "delete", "borrar"}
_ON = {"on", "si", "yes", "activar", "encender"}
_OFF = {"off", "no", "desactivar", "apagar"}


def _address(ctx: Context) -> Address:
    return Address(ctx.request.platform, ctx.request.chat_id, ctx.request.thread_id)


def _when(ctx: Context, words: list[str]) -> tuple[time, str]:
    """[HH:MM] [ZONE] in any order → (local time, zone); defaults from settings."""
    local, zone = DEFAULT_TIME, ctx.viewer_tz
    for word in words:
        if any(ch.isdigit() for ch in word) and "/" not in word:
            local = parse_time(word, "time")
        else:
            zone = canonical_zone(word)
    return local, zone


def _describe(ctx: Context, sub: Subscription) -> str:
    status = ctx.t(f"subscriptions.status.{sub.status.value}")
    if sub.meeting_slug:
        return ctx.t("subscriptions.reminder_line", slug=sub.meeting_slug,
                     minutes=sub.minutes_before or 0, status=status)
    where = ctx.t("subscriptions.where_channel") if sub.community else ctx.t(
        "subscriptions.where_private")
    return ctx.t("subscriptions.line", time=f"{sub.local_time:%H:%M}", zone=sub.timezone,
                 where=where, status=status)


@command("subscribe", aliases=("suscribir", "suscribirme", "sub"), order=50)
async def subscribe(ctx: Context) -> Reply:
    words = ctx.request.args.split()
    target = fold(words[0]) if words else ""
    if target in _ME | _CHANNEL:
        words = words[1:]
    for_channel = not ctx.request.is_private and (target in _CHANNEL or (
        target not in _ME and ctx.request.is_admin))
    if not ctx.request.is_private and not for_channel:
        return ctx.continue_in_private()
    if for_channel and not ctx.request.is_admin:
        return ctx.error("error.admin_only")
    local, zone = _when(ctx, words)
    community = ctx.request.community if for_channel else None
    sub = await ctx.services.subscriptions.subscribe(
        ctx.request.platform,
        None if for_channel else ctx.request.user_id,
        community,
        _address(ctx),
        local,
        zone,
        ctx.lang,
        neutral_steps=bool((ctx.user.fellowship or "aa") != "aa"),
    )
    key = "subscriptions.subscribed_channel" if for_channel else "subscriptions.subscribed"
    return Reply(lang=ctx.lang, blocks=[ctx.t(key, time=f"{sub.local_time:%H:%M}",
                                              zone=sub.timezone)],
                 buttons=[[Button(ctx.t("subscriptions.button_list"),
                                  action="cmd:subscriptions")]],
                 private=not for_channel)


@command("unsubscribe", aliases=("desuscribir", "cancelarsuscripcion", "unsub"), order=51)
async def unsubscribe(ctx: Context) -> Reply:
    words = {fold(w) for w in ctx.request.args.split()}
    for_channel = not ctx.request.is_private and not (words & _ME)
    if not ctx.request.is_private and not for_channel:
        return ctx.continue_in_private()
    if for_channel and not ctx.request.is_admin:
        return ctx.error("error.admin_only")
    removed = await ctx.services.subscriptions.unsubscribe(
        ctx.request.platform,
        user_id=None if for_channel else ctx.request.user_id,
        community=ctx.request.community if for_channel else None,
        address=_address(ctx) if for_channel else None,
    )
    key = "subscriptions.unsubscribed" if removed else "subscriptions.none"
    return Reply(lang=ctx.lang, blocks=[ctx.t(key)], private=not for_channel)


def _owner(ctx: Context) -> Owner:
    if ctx.request.is_private:
        return Owner.user(ctx.request.platform, ctx.request.user_id)
    assert ctx.request.community is not None
    return Owner.of_community(ctx.request.platform, ctx.request.community)


@command("subscriptions", aliases=("suscripciones", "subs"), order=52)
async def subscriptions(ctx: Context) -> Reply:
    if not ctx.request.is_private and not ctx.request.is_admin:
        return ctx.continue_in_private()
    service = ctx.services.subscriptions
    if ctx.request.is_private:
        subs = (await service.list_for_user(ctx.request.platform, ctx.request.user_id)
                + await service.list_reminders(ctx.request.platform, ctx.request.user_id))
    else:
        assert ctx.request.community is not None
        subs = await service.list_for_community(ctx.request.platform, ctx.request.community)
    if not subs:
        return Reply(lang=ctx.lang, blocks=[ctx.t("subscriptions.none"),
                                            ctx.t("subscriptions.how")], private=True)
    reply = Reply(lang=ctx.lang, title=ctx.t("subscriptions.title"), private=True)
    lines = []
    for n, sub in enumerate(subs, start=1):
        lines.append(f"{n}. {_describe(ctx, sub)}")
        toggle = ("resume", "subscriptions.button_resume") if sub.status is not Status.ACTIVE \
            else ("pause", "subscriptions.button_pause")
        row = [
            Button(f"{n}. {ctx.t(toggle[1])}", action=f"sub:{toggle[0]}:{sub.id}"),
            Button(f"{n}. {ctx.t('subscriptions.button_delete')}", action=f"sub:del:{sub.id}"),
        ]
        if not sub.meeting_slug:
            row.insert(1, Button(f"{n}. {ctx.t('subscriptions.button_time')}",
                                 action=f"sub:times:{sub.id}"))
        reply.buttons.append(row)
    reply.blocks = ["\n".join(lines), ctx.t("subscriptions.change_time")]
    return reply


TIME_CHOICES = ("06:00", "06:30", "07:00", "07:30", "08:00", "09:00", "12:00", "18:00", "21:00",
                "22:00")


@action("sub")
async def subscription_button(ctx: Context, parts: list[str]) -> Reply:
    """'sub:pause|resume|del|times:<id>' and 'sub:at:<id>:HHMM'."""
    if len(parts) not in (2, 3) or not parts[1].isdigit():
        return ctx.error("error.button_expired")
    if not ctx.request.is_private and not ctx.request.is_admin:
        return ctx.error("error.admin_only")
    verb, sub_id = parts[0], int(parts[1])
    service = ctx.services.subscriptions
    owner = _owner(ctx)
    if verb == "times":
        sub = await service.get(sub_id, owner)
        choices = [Button(hhmm, action=f"sub:at:{sub.id}:{hhmm.replace(':', '')}")
                   for hhmm in TIME_CHOICES]
        return Reply(lang=ctx.lang, blocks=[ctx.t("subscriptions.pick_time", zone=sub.timezone)],
                     buttons=[choices[:5], choices[5:]], private=True, edit=True)
    if verb == "at":
        if len(parts) != 3 or not (parts[2].isdigit() and len(parts[2]) == 4):
            return ctx.error("error.button_expired")
        await service.set_time(sub_id, owner, parse_time(parts[2], "time"))
    elif verb == "pause":
        await service.pause(sub_id, owner)
    elif verb == "resume":
        await service.resume(sub_id, owner)
    elif verb == "del":
        sub = await service.get(sub_id, owner)
        if sub.meeting_slug:
            await service.cancel_reminder(sub_id, ctx.request.platform, ctx.request.user_id)
        else:
            await service.unsubscribe(ctx.request.platform, user_id=owner.user_id,
                                      community=owner.community, sub_id=sub_id)
    else:
        return ctx.error("error.button_expired")
    reply = await subscriptions(ctx)
    reply.edit = True
    return reply


@command("remind", aliases=("recordar", "recordatorio", "recordarme", "reminders"), order=53)
async def remind(ctx: Context) -> Reply:
    if not ctx.request.is_private:
        return ctx.continue_in_private()
    words = ctx.request.args.split()
    head = fold(words[0]) if words else ""
    service = ctx.services.subscriptions
    reminders = await service.list_reminders(ctx.request.platform, ctx.request.user_id)
    if head in _LIST:
        if not reminders:
            return Reply(lang=ctx.lang, blocks=[ctx.t("remind.none"), ctx.t("remind.usage")],
                         private=True)
        lines = [f"{n}. {_describe(ctx, r)}" for n, r in enumerate(reminders, start=1)]
        return Reply(lang=ctx.lang, title=ctx.t("remind.list_title"), blocks=["\n".join(lines)],
                     buttons=[[Button(f"{n}. {ctx.t('remind.button_cancel')}",
                                      action=f"sub:del:{r.id}")]
                              for n, r in enumerate(reminders, start=1)], private=True)
    if head in _CANCEL:
        # The number as listed by /remind list.
        if len(words) < 2 or not words[1].isdigit() or not 1 <= int(words[1]) <= len(reminders):
            return ctx.error("remind.not_found")
        done = await service.cancel_reminder(reminders[int(words[1]) - 1].id,
                                             ctx.request.platform, ctx.request.user_id)
        return Reply(lang=ctx.lang, blocks=[ctx.t("remind.cancelled" if done
                                                  else "remind.not_found")], private=True)
    minutes = DEFAULT_REMINDER_MINUTES
    if len(words) > 1:
        if not words[1].isdigit():
            return ctx.error("remind.usage")
        minutes = int(words[1])
    return await _add_reminder(ctx, words[0].lower(), minutes)


async def _add_reminder(ctx: Context, slug: str, minutes: int) -> Reply:
    meeting = await ctx.services.meetings.get(slug)
    if meeting is None or (meeting.community and meeting.community != ctx.request.community
                           and not ctx.request.is_private):
        return ctx.error("meeting.not_found", slug=slug[:64])
    sub = await ctx.services.subscriptions.add_reminder(
        ctx.request.platform, ctx.request.user_id, _address(ctx), meeting.slug, minutes,
        ctx.viewer_tz, ctx.lang,
    )
    return Reply(lang=ctx.lang, blocks=[ctx.t("remind.added", name=meeting.name,
                                              minutes=sub.minutes_before or 0)],
                 buttons=[[Button(ctx.t("remind.button_cancel"), action=f"sub:del:{sub.id}")]],
                 private=True)


@action("rm")
async def remind_button(ctx: Context, parts: list[str]) -> Reply:
    """'rm:<meeting id>' from a meeting card: remind me 30 minutes before."""
    if len(parts) != 1 or not parts[0].isdigit():
        return ctx.error("error.button_expired")
    if not ctx.request.is_private:
        return ctx.continue_in_private()
    found = (await ctx.services.meetings.get_many([int(parts[0])])).get(int(parts[0]))
    if found is None:
        return ctx.error("meeting.gone")
    return await _add_reminder(ctx, found.slug, DEFAULT_REMINDER_MINUTES)


@command("sobriety", aliases=("sobriedad", "clean", "sober", "limpio"), personal=True, order=60)
async def sobriety(ctx: Context) -> Reply:
    words = ctx.request.args.split()
    head = fold(words[0]) if words else "show"
    service = ctx.services.subscriptions
    platform, user = ctx.request.platform, ctx.request.user_id
    if head in ("set", "fijar", "poner"):
        if len(words) < 2:
            return ctx.error("sobriety.usage")
        try:
            sober = date.fromisoformat(words[1])
        except ValueError as exc:
            raise ValidationError("date", "not a date", key="sobriety.bad_date",
                                  value=words[1][:20]) from exc
        flags = {fold(w) for w in words[2:]}
        milestones = not (flags & _OFF)
        status = await service.set_sobriety(platform, user, sober, ctx.viewer_tz,
                                            milestones=milestones, address=_address(ctx),
                                            language=ctx.lang)
        return _status_reply(ctx, status, note=ctx.t("sobriety.saved"))
    if head in ("milestones", "hitos", "aniversarios"):
        current = await service.sobriety_status(platform, user)
        if current is None:
            return ctx.error("sobriety.none")
        turn_on = not ({fold(w) for w in words[1:]} & _OFF)
        status = await service.set_sobriety(platform, user, current.sober_date,
                                            current.timezone, milestones=turn_on,
                                            address=_address(ctx), language=ctx.lang)
        return _status_reply(ctx, status)
    if head in ("clear", "borrar", "quitar", "delete"):
        removed = await service.clear_sobriety(platform, user)
        return Reply(lang=ctx.lang, blocks=[ctx.t("sobriety.cleared" if removed
                                                  else "sobriety.none")], private=True)
    if head in ("show", "ver", "mostrar"):
        shown = await service.sobriety_status(platform, user)
        if shown is None:
            return Reply(lang=ctx.lang, blocks=[ctx.t("sobriety.none"),
                                                ctx.t("sobriety.usage")], private=True)
        return _status_reply(ctx, shown)
    return ctx.error("sobriety.usage")


def _status_reply(ctx: Context, status: SobrietyStatus, note: str | None = None) -> Reply:
    t = ctx.t
    blocks = [note] if note else []
    blocks.append(t("sobriety.days", days=status.days))
    if status.next_milestone is not None:
        m = status.next_milestone
        blocks.append(t("sobriety.next", milestone=t(f"sobriety.milestone.{m.unit}",
                                                      count=m.count), date=m.date.isoformat()))
    blocks.append(t("sobriety.milestones_on" if status.milestones else "sobriety.milestones_off"))
    toggle = "off" if status.milestones else "on"
    return Reply(lang=ctx.lang, title=t("sobriety.title"), blocks=blocks, private=True,
                 buttons=[[Button(t(f"sobriety.button_milestones_{toggle}"),
                                  action=f"cmd:sobriety:milestones:{toggle}"),
                           Button(t("sobriety.button_clear"), action="cmd:sobriety:clear")]])
