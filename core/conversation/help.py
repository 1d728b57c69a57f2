"""/start, /help and /helpline."""

from __future__ import annotations

from core.conversation.context import Context
from core.conversation.router import command, command_label, listed_commands
from core.replies import Button, Reply

DEFAULT_HELPLINES = "us"


@command("start", aliases=("inicio", "empezar"), order=0)
async def start(ctx: Context) -> Reply:
    reply = await help_(ctx)
    reply.title = ctx.t("help.welcome")
    return reply


@command("help", aliases=("ayuda", "h", "commands", "comandos"), order=1)
async def help_(ctx: Context) -> Reply:
    t = ctx.t
    platform = ctx.request.platform
    labelled = [(spec, command_label(platform, spec.name)) for spec in listed_commands()]
    lines = [f"{label} — {t(f'commands.{spec.name}')}" for spec, label in labelled
             if label and not spec.admin]
    admin_lines = [f"{label} — {t(f'commands.{spec.name}')}" for spec, label in labelled
                   if label and spec.admin]
    blocks = [t("help.intro"), "\n".join(lines)]
    if admin_lines and (ctx.request.is_admin or ctx.request.is_private):
        blocks.append(t("help.admin_title") + "\n" + "\n".join(admin_lines))
    blocks.append(t("help.examples"))
    blocks.append(t("help.privacy"))
    blocks.append(t("help.helpline_hint"))
    return Reply(
        lang=ctx.lang,
        title=t("help.title"),
        blocks=blocks,
        buttons=[[Button(t("help.button_now"), action="cmd:now"),
                  Button(t("help.button_today"), action="cmd:today"),
                  Button(t("help.button_helpline"), action="cmd:helpline")]],
    )


@command("helpline", aliases=("helplines", "ayuda_urgente", "lineas", "crisis"), order=90)
async def helpline(ctx: Context) -> Reply:
    t = ctx.t
    custom = ctx.community.helplines
    if custom:
        lines = list(custom)
    else:
        lines = [t("helpline.us.samhsa"), t("helpline.us.text"), t("helpline.us.findtreatment"),
                 t("helpline.us.988")]
    return Reply(lang=ctx.lang, title=t("helpline.title"),
                 blocks=["\n".join(f"• {line}" for line in lines), t("helpline.footer")])
