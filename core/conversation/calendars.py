"""/export [filters], the "add to calendar" button on every meeting card, and /import for
community admins (a calendar file or a link)."""

from __future__ import annotations

import re

from core.conversation.context import Context
from core.conversation.filters import parse_filters
from core.conversation.meetings import build_query, describe
from core.conversation.router import action, command
from core.errors import ValidationError
from core.model import slugify
from core.ports import CalendarPort, ImportSummary
from core.replies import Button, FileAttachment, Reply

ICS_MIME = "text/calendar"
MAX_EXPORT = 5000
MAX_LISTED = 8
_URL_RE = re.compile(r"https?://\S+", re.I)


def _port(ctx: Context) -> CalendarPort:
    if ctx.services.calendars is None:
        raise ValidationError("calendars", "calendars are not available here",
                              key="export.unavailable")
    return ctx.services.calendars


@command("export", aliases=("exportar", "calendar", "calendario", "ics"), order=70)
async def export(ctx: Context) -> Reply:
    port = _port(ctx)
    f = parse_filters(ctx.request.args)
    f.near = f.near and ctx.request.location is not None
    query = build_query(ctx, f)
    meetings = await ctx.services.search.matching_meetings(query)
    if not meetings:
        return Reply(lang=ctx.lang, blocks=[ctx.t("search.none"), ctx.t("search.widen")],
                     private=True)
    meetings = meetings[:MAX_EXPORT]
    title = ctx.t("export.calendar_name", filters=describe(ctx, f, query))
    data = await port.calendar_ics(meetings, name=title, lang=ctx.lang)
    filename = f"stepbot-{slugify(ctx.request.args or 'meetings', 40)}.ics"
    reply = Reply(lang=ctx.lang, title=title,
                  blocks=[ctx.t("export.done", count=len(meetings))],
                  files=[FileAttachment(filename, data, ICS_MIME)])
    links = port.subscribe_links(query)
    if links:
        reply.blocks.append(ctx.t("export.subscribe", https=links["https"],
                                  webcal=links["webcal"]))
        reply.buttons.append([Button(ctx.t("export.button_subscribe"), url=links["https"])])
    else:
        reply.blocks.append(ctx.t("export.how"))
    return reply


@action("ics")
async def meeting_calendar(ctx: Context, parts: list[str]) -> Reply:
    """'ics:<meeting id>' — the meeting as a calendar file with its weekly repeat."""
    if len(parts) != 1 or not parts[0].isdigit():
        return ctx.error("error.button_expired")
    found = (await ctx.services.meetings.get_many([int(parts[0])])).get(int(parts[0]))
    if found is None or (found.community is not None
                         and found.community != ctx.request.community):
        return ctx.error("meeting.gone")
    data = await _port(ctx).meeting_ics(found, lang=ctx.lang)
    return Reply(lang=ctx.lang, blocks=[ctx.t("export.one", name=found.name)],
                 files=[FileAttachment(f"{found.slug}.ics", data, ICS_MIME)], private=True)


@command("import", aliases=("importar",), admin=True, order=82)
async def import_(ctx: Context) -> Reply:
    port = _port(ctx)
    community = ctx.request.community
    assert community is not None  # admin commands run in a community
    fellowship = (ctx.community.fellowships or (None,))[0]
    zone = ctx.community.timezone or ctx.viewer_tz
    attachment = ctx.request.attachment
    if attachment is not None:
        limit = ctx.services.config.import_max_bytes
        if len(attachment.data) > limit:
            raise ValidationError("file", "too big", key="error.import_too_big")
        summary = await port.import_file(attachment.data, filename=attachment.filename,
                                         community=community, fellowship=fellowship,
                                         default_tz=zone)
    else:
        match = _URL_RE.search(ctx.request.args)
        if match is None:
            return Reply(lang=ctx.lang, blocks=[ctx.t("import.usage")], private=True)
        summary = await port.import_url(match.group(0), community=community,
                                        fellowship=fellowship, default_tz=zone)
    return summary_reply(ctx, summary)


def summary_reply(ctx: Context, summary: ImportSummary) -> Reply:
    t = ctx.t
    blocks = [t("import.counts", added=summary.added, updated=summary.updated,
                removed=summary.removed, unchanged=summary.unchanged,
                skipped=len(summary.skipped))]
    if summary.skipped:
        lines = [f"• {ref}: {reason}" for ref, reason in summary.skipped[:MAX_LISTED]]
        if len(summary.skipped) > MAX_LISTED:
            lines.append(t("import.and_more", count=len(summary.skipped) - MAX_LISTED))
        blocks.append(t("import.skipped") + "\n" + "\n".join(lines))
    if summary.warnings:
        lines = [f"• {w}" for w in summary.warnings[:MAX_LISTED]]
        if len(summary.warnings) > MAX_LISTED:
            lines.append(t("import.and_more", count=len(summary.warnings) - MAX_LISTED))
        blocks.append(t("import.warnings") + "\n" + "\n".join(lines))
    return Reply(lang=ctx.lang, title=t("import.title", source=summary.source), blocks=blocks)
