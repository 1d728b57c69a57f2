"""/settings: a member's time zone, language and default fellowship; community defaults for
admins (time zone, language, fellowships shown, helplines shown)."""

from __future__ import annotations

from core import types as mtypes
from core.conversation.context import Context
from core.conversation.router import action, command
from core.errors import ValidationError
from core.event_mirror import EventMirrorStore
from core.i18n import LANGUAGE_NAMES, LANGUAGES, normalize_language
from core.replies import Button, Reply
from core.text import fold
from core.timezones import canonical_zone, suggest_zones

_TIMEZONE = {"timezone", "tz", "zone", "zona", "zona_horaria", "huso", "time"}
_LANGUAGE = {"language", "lang", "idioma", "lenguaje"}
_FELLOWSHIP = {"fellowship", "programa", "comunidad_programa", "program"}
_COMMUNITY = {"community", "server", "group", "comunidad", "servidor", "grupo"}
_HELPLINES = {"helplines", "helpline", "lineas", "ayuda"}
_EVENTS = {"events", "event", "eventos", "evento"}
_CONTACTS = {"contacts", "contact", "contactos", "contacto"}
_REPORTS = {"reports", "report", "informes", "informe"}
_HERE = {"here", "aqui", "channel", "canal"}
_PRIVATE = {"private", "privado", "admins", "dm"}
_ON = {"on", "yes", "si", "activar", "activados", "encender"}
_OFF = {"off", "no", "desactivar", "desactivados", "apagar"}
_IMPORTED = {"imported", "importadas", "importados", "all", "todas"}
_LANGUAGE_WORDS = {"english": "en", "ingles": "en", "spanish": "es", "espanol": "es"}
_ANY = {"any", "all", "none", "cualquiera", "todas", "todos", "ninguno", "default",
        "predeterminado"}


@command("settings", aliases=("ajustes", "config", "configuracion", "preferencias"), order=30)
async def settings(ctx: Context) -> Reply:
    words = ctx.request.args.split(maxsplit=1)
    head = fold(words[0]) if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    if head in _COMMUNITY:
        return await community_settings(ctx, rest)
    if not ctx.request.is_private:
        return ctx.continue_in_private()
    if head in _TIMEZONE:
        return await set_timezone(ctx, rest)
    if head in _LANGUAGE:
        return await set_language(ctx, rest)
    if head in _FELLOWSHIP:
        return await set_fellowship(ctx, rest)
    if head:
        return ctx.error("settings.usage")
    return show(ctx)


def show(ctx: Context, note: str | None = None) -> Reply:
    t = ctx.t
    fellowship = mtypes.fellowship(ctx.user.fellowship) if ctx.user.fellowship else None
    blocks = [note] if note else []
    blocks.append(t(
        "settings.current",
        timezone=ctx.user.timezone or t("settings.not_set", default=ctx.viewer_tz),
        language=LANGUAGE_NAMES[ctx.lang],
        fellowship=fellowship.name(ctx.lang) if fellowship else t("settings.all_fellowships"),
    ))
    blocks.append(t("settings.how"))
    buttons = [
        [Button(LANGUAGE_NAMES[lang], action=f"set:lang:{lang}") for lang in LANGUAGES],
        [Button(mtypes.FELLOWSHIPS[key].name(ctx.lang), action=f"set:fel:{key}")
         for key in ("aa", "na", "al-anon", "ca")] + [Button(t("settings.all_fellowships"),
                                                             action="set:fel:any")],
    ]
    return Reply(lang=ctx.lang, title=t("settings.title"), blocks=blocks, buttons=buttons,
                 private=True)


async def _reload(ctx: Context) -> Context:
    return await Context.build(ctx.request, ctx.services)


async def set_timezone(ctx: Context, value: str) -> Reply:
    if not value:
        return ctx.error("settings.timezone_usage")
    try:
        zone = canonical_zone(value)
    except ValidationError:
        suggestions = suggest_zones(value, 5)
        reply = ctx.error("settings.timezone_unknown", value=value[:60])
        if suggestions:
            reply.buttons.append([Button(z, action=f"set:tz:{z}") for z in suggestions[:3]])
        return reply
    await ctx.services.settings.update_user(ctx.request.platform, ctx.request.user_id,
                                            ctx.now(), timezone=zone)
    ctx = await _reload(ctx)
    return show(ctx, ctx.t("settings.timezone_set", zone=zone))


async def set_language(ctx: Context, value: str) -> Reply:
    lang = normalize_language(value) or _LANGUAGE_WORDS.get(fold(value))
    if lang is None:
        return ctx.error("settings.language_unknown", value=value[:30],
                         options=", ".join(LANGUAGES))
    await ctx.services.settings.update_user(ctx.request.platform, ctx.request.user_id,
                                            ctx.now(), language=lang)
    ctx = await _reload(ctx)
    return show(ctx, ctx.t("settings.language_set", language=LANGUAGE_NAMES[lang]))


async def set_fellowship(ctx: Context, value: str) -> Reply:
    if fold(value) in _ANY or not value:
        key = None
    else:
        found = mtypes.fellowship(value)
        if found is None:
            return ctx.error("error.fellowship_unknown", value=value[:30])
        key = found.key
    await ctx.services.settings.update_user(ctx.request.platform, ctx.request.user_id,
                                            ctx.now(), fellowship=key)
    ctx = await _reload(ctx)
    return show(ctx, ctx.t("settings.fellowship_set"))


@action("set")
async def setting_button(ctx: Context, parts: list[str]) -> Reply:
    if len(parts) < 2:
        return ctx.error("error.button_expired")
    kind, value = parts[0], ":".join(parts[1:])
    if not ctx.request.is_private and kind in ("tz", "lang", "fel"):
        return ctx.continue_in_private()
    if kind == "tz":
        return await set_timezone(ctx, value)
    if kind == "lang":
        return await set_language(ctx, value)
    if kind == "fel":
        return await set_fellowship(ctx, value)
    return ctx.error("error.button_expired")


async def community_settings(ctx: Context, args: str) -> Reply:
    t = ctx.t
    if ctx.request.is_private:
        return ctx.error("error.admin_in_community")
    if not ctx.request.is_admin:
        return ctx.error("error.admin_only")
    community = ctx.request.community
    assert community is not None
    words = args.split(maxsplit=1)
    head = fold(words[0]) if words else ""
    value = words[1].strip() if len(words) > 1 else ""
    store = ctx.services.settings
    if head in _TIMEZONE:
        zone = canonical_zone(value)
        await store.update_community(community, ctx.now(), timezone=zone)
        note = t("settings.community_timezone_set", zone=zone)
    elif head in _LANGUAGE:
        lang = normalize_language(value) or _LANGUAGE_WORDS.get(fold(value))
        if lang is None:
            return ctx.error("settings.language_unknown", value=value[:30],
                             options=", ".join(LANGUAGES))
        await store.update_community(community, ctx.now(), language=lang)
        note = t("settings.community_language_set", language=LANGUAGE_NAMES[lang])
    elif head in _FELLOWSHIP or head == "fellowships":
        keys: list[str] = []
        for word in value.replace(",", " ").split():
            if fold(word) in _ANY:
                keys = []
                break
            found = mtypes.fellowship(word)
            if found is None:
                return ctx.error("error.fellowship_unknown", value=word[:30])
            keys.append(found.key)
        await store.update_community(community, ctx.now(), fellowships=tuple(keys) or None)
        note = t("settings.community_fellowships_set")
    elif head in _HELPLINES:
        lines = [line.strip() for line in value.split("|") if line.strip()]
        if lines and fold(lines[0]) in _ANY:
            lines = []
        if any(len(line) > 300 for line in lines) or len(lines) > 10:
            return ctx.error("settings.helplines_too_long")
        await store.update_community(community, ctx.now(), helplines=tuple(lines) or None)
        note = t("settings.community_helplines_set")
    elif head in _EVENTS:
        words_on = [fold(w) for w in value.split()]
        if not words_on or words_on[0] not in _ON | _OFF:
            return ctx.error("settings.community_events_usage")
        on = words_on[0] in _ON
        imported = on and any(w in _IMPORTED for w in words_on[1:])
        await EventMirrorStore(ctx.services.db).set_enabled(community, on, imported, ctx.now())
        note = t("settings.community_events_on_imported" if imported
                 else "settings.community_events_on" if on else "settings.community_events_off")
    elif head in _CONTACTS:
        choice = fold(value.split()[0]) if value.split() else ""
        if choice not in _ON | _OFF:
            return ctx.error("settings.community_contacts_usage")
        await store.update_community(community, ctx.now(), show_contacts=choice in _ON)
        note = t("settings.community_contacts_on" if choice in _ON
                 else "settings.community_contacts_off")
    elif head in _REPORTS:
        choice = fold(value.split()[0]) if value.split() else ""
        if choice not in _HERE | _PRIVATE:
            return ctx.error("settings.community_reports_usage")
        here = choice in _HERE
        await store.update_community(
            community, ctx.now(), reports_chat=ctx.request.chat_id if here else None,
            reports_thread=ctx.request.thread_id if here else None)
        note = t("settings.community_reports_here" if here
                 else "settings.community_reports_private")
    elif not head:
        note = ""
    else:
        return ctx.error("settings.community_usage")
    current = await store.community(community)
    summary = t(
        "settings.community_current",
        timezone=current.timezone or t("settings.not_set",
                                       default=ctx.services.config.default_timezone),
        language=LANGUAGE_NAMES.get(current.language or "", t("settings.from_members")),
        fellowships=", ".join(mtypes.FELLOWSHIPS[k].name(ctx.lang) for k in current.fellowships)
        if current.fellowships else t("settings.all_fellowships"),
        helplines=t("settings.custom_helplines", count=len(current.helplines))
        if current.helplines else t("settings.default_helplines"),
        contacts=t("settings.contacts_shown" if current.show_contacts
                   else "settings.contacts_hidden"),
        reports=t("settings.reports_in_channel" if current.reports_chat
                  else "settings.reports_private"),
    )
    return Reply(lang=ctx.lang, title=t("settings.community_title"),
                 blocks=[b for b in (note, summary, t("settings.community_how")) if b],
                 private=True)
