"""/report and the "Report a change" button: tell someone who can fix a listing.

Button flow (every platform): ``rc:<meeting id>`` asks what is wrong; ``rc:<id>:<what>``
asks whether the member may be contacted; ``rc:<id>:<what>:a|c`` sends. The command form
``/report MEETING WHAT words…`` adds a line of the member's own (kept behind a button token,
``rs:<state>:a|c``, until they choose). Discord's slash command passes everything at once.
Every answer is private; core.change_reports decides where the report goes.
"""

from __future__ import annotations

from core.change_reports import ReportKind, clean_note, parse_kind, route
from core.conversation.context import Context
from core.conversation.router import action, command
from core.model import Meeting
from core.replies import Button, Reply
from core.text import fold

# The words for each kind a member may type, beyond its English key (folded, accent-free).
_KIND_WORDS: dict[str, ReportKind] = {
    "hora": ReportKind.TIME, "horario": ReportKind.TIME, "day": ReportKind.TIME,
    "dia": ReportKind.TIME, "lugar": ReportKind.PLACE, "direccion": ReportKind.PLACE,
    "address": ReportKind.PLACE, "enlace": ReportKind.LINK, "url": ReportKind.LINK,
    "zoom": ReportKind.LINK, "cerrada": ReportKind.CLOSED, "cerrado": ReportKind.CLOSED,
    "gone": ReportKind.CLOSED, "otro": ReportKind.OTHER, "otra": ReportKind.OTHER,
}
_YES = {"yes", "y", "si", "true", "1", "contact", "contactable"}


def kind_from_word(word: str) -> ReportKind | None:
    folded = fold(word)
    return parse_kind(folded) or _KIND_WORDS.get(folded)


def report_button(ctx: Context, meeting: Meeting) -> Button:
    return Button(ctx.t("report.button"), action=f"rc:{meeting.id}")


def _visible(ctx: Context, meeting: Meeting) -> bool:
    return meeting.community is None or meeting.community == ctx.request.community


async def _meeting(ctx: Context, ref: str) -> Meeting | None:
    services = ctx.services
    found = (await services.meetings.get_many([int(ref)])).get(int(ref)) if ref.isdigit() else None
    found = found or await services.meetings.get(ref.lower())
    return found if found is not None and _visible(ctx, found) else None


def _ask_kind(ctx: Context, meeting: Meeting) -> Reply:
    t = ctx.t
    kinds = [Button(t(f"report.kind.{k.value}"), action=f"rc:{meeting.id}:{k.value}")
             for k in ReportKind]
    return Reply(lang=ctx.lang, title=t("report.title", name=meeting.name),
                 blocks=[t("report.ask_kind"), t("report.command_hint", slug=meeting.slug)],
                 buttons=[kinds[:3], kinds[3:]], private=True)


def _ask_contact(ctx: Context, meeting: Meeting, kind: ReportKind, note: str | None,
                 token: str) -> Reply:
    t = ctx.t
    blocks = [t("report.confirm", what=t(f"report.kind.{kind.value}"))]
    if note:
        blocks.append(t("report.your_note", note=note))
    else:
        blocks.append(t("report.add_line_hint", slug=meeting.slug, what=kind.value))
    blocks.append(t("report.anonymous_default"))
    return Reply(lang=ctx.lang, title=t("report.title", name=meeting.name), blocks=blocks,
                 buttons=[[Button(t("report.button_anonymous"), action=f"{token}:a"),
                           Button(t("report.button_contactable"), action=f"{token}:c")]],
                 private=True)


async def submit(ctx: Context, meeting: Meeting, kind: ReportKind, note: str | None,
                 contactable: bool) -> Reply:
    """Send the report where it can be fixed and tell the member what happened."""
    t = ctx.t
    note = clean_note(note)
    where = route(t, meeting, ctx.request.community, kind, note)
    if not where.reachable:
        return ctx.error("report.nowhere", name=meeting.name)
    blocks: list[str] = []
    if where.community is not None:
        await ctx.services.reports.submit(
            platform=ctx.request.platform, user_id=ctx.request.user_id,
            community=where.community, meeting=meeting, kind=kind, note=note,
            contactable=contactable, language=ctx.lang)
        blocks.append(t("report.sent_admins_contactable" if contactable
                        else "report.sent_admins"))
    links: list[Button] = []
    if where.feedback_url:
        links.append(Button(t("report.button_form"), url=where.feedback_url))
    if where.edit_url:
        links.append(Button(t("report.button_edit"), url=where.edit_url))
    if links:
        blocks.append(t("report.open_links"))
    if where.mailto:
        blocks.append(t("report.mail_hint", emails=", ".join(meeting.info.feedback_emails)))
        blocks.append(where.mailto)
    blocks.append(t("report.thanks"))
    return Reply(lang=ctx.lang, title=t("report.title", name=meeting.name), blocks=blocks,
                 buttons=[links] if links else [], private=True)


@command("report", aliases=("reportar", "reportchange", "informar", "corregir"), order=16)
async def report(ctx: Context) -> Reply:
    """/report MEETING [WHAT [a line…]]; Discord also passes `contact`."""
    options = ctx.request.options
    if options.get("meeting"):
        ref, what, note = options["meeting"], options.get("what", ""), options.get("note")
    else:
        words = ctx.request.args.split(maxsplit=2)
        if not words:
            return ctx.error("report.usage")
        ref = words[0]
        what = words[1] if len(words) > 1 else ""
        note = words[2] if len(words) > 2 else None
    meeting = await _meeting(ctx, ref.strip())
    if meeting is None:
        return ctx.error("meeting.not_found", slug=ref[:64])
    if not what:
        return _ask_kind(ctx, meeting)
    kind = kind_from_word(what)
    if kind is None:
        return ctx.error("report.kind_unknown", value=what[:30],
                         options=", ".join(k.value for k in ReportKind))
    if "contact" in options:
        return await submit(ctx, meeting, kind, note, fold(options["contact"]) in _YES)
    note = clean_note(note)
    if note is None:
        return _ask_contact(ctx, meeting, kind, None, f"rc:{meeting.id}:{kind.value}")
    state = await ctx.services.settings.save_state(
        ctx.request.platform, ctx.request.user_id,
        {"meeting": meeting.id, "what": kind.value, "note": note}, ctx.now())
    return _ask_contact(ctx, meeting, kind, note, f"rs:{state}")


@action("rc")
async def report_steps(ctx: Context, parts: list[str]) -> Reply:
    if not 1 <= len(parts) <= 3 or not parts[0].isdigit():
        return ctx.error("error.button_expired")
    meeting = await _meeting(ctx, parts[0])
    if meeting is None:
        return ctx.error("meeting.gone")
    if len(parts) == 1:
        return _ask_kind(ctx, meeting)
    kind = parse_kind(parts[1])
    if kind is None:
        return ctx.error("error.button_expired")
    if len(parts) == 2:
        return _ask_contact(ctx, meeting, kind, None, f"rc:{meeting.id}:{kind.value}")
    return await submit(ctx, meeting, kind, None, parts[2] == "c")


@action("rs")
async def report_with_note(ctx: Context, parts: list[str]) -> Reply:
    if len(parts) != 2:
        return ctx.error("error.button_expired")
    found = await ctx.services.settings.load_state(parts[0])
    if found is None or found[0] != ctx.request.user_id:
        return ctx.error("error.button_expired")
    payload = found[1]
    meeting = await _meeting(ctx, str(payload.get("meeting", "")))
    kind = parse_kind(str(payload.get("what", "")))
    if meeting is None or kind is None:
        return ctx.error("meeting.gone")
    return await submit(ctx, meeting, kind, payload.get("note"), parts[1] == "c")
