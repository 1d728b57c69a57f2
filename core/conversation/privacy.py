"""/forgetme: delete everything stored about a member, after a confirmation button."""

from __future__ import annotations

from core.conversation.context import Context
from core.conversation.router import action, command
from core.replies import Button, Reply


@command("forgetme", aliases=("olvidame", "olvídame", "borrarme", "deleteme"), personal=True,
         order=95)
async def forgetme(ctx: Context) -> Reply:
    t = ctx.t
    return Reply(
        lang=ctx.lang,
        title=t("forget.title"),
        blocks=[t("forget.confirm")],
        buttons=[[Button(t("forget.button_yes"), action="forget:yes"),
                  Button(t("forget.button_no"), action="forget:no")]],
        private=True,
    )


@action("forget")
async def forget_button(ctx: Context, parts: list[str]) -> Reply:
    t = ctx.t
    if not ctx.request.is_private:
        return ctx.continue_in_private()
    if parts != ["yes"]:
        return Reply(lang=ctx.lang, blocks=[t("forget.cancelled")], private=True, edit=True)
    removed = await ctx.services.forget_user(ctx.request.platform, ctx.request.user_id)
    lines = [t(f"forget.item.{kind}", count=count) for kind, count in sorted(removed.items())
             if count]
    body = "\n".join(f"• {line}" for line in lines) if lines else t("forget.nothing")
    # The reply is built in the member's language before the setting disappeared.
    return Reply(lang=ctx.lang, title=t("forget.done"), blocks=[body, t("forget.after")],
                 private=True, edit=True)
