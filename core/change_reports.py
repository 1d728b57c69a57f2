""""Report a change": a member says a meeting's listing is wrong; it goes where it can be fixed.

Where a report goes (:func:`route`):
- a community's own meeting → that community's admins;
- an imported meeting → the links its source publishes (``feedback_url``, a pre-filled
  ``mailto:`` for ``feedback_emails`` that the member opens themselves, ``edit_url``) and,
  when asked inside a community, that community's admins too.

Reports to admins are queued in the database (any process may take the report, the delivery
engine sends it: to the channel the admins chose, else to each admin privately) and keep only
what delivery needs. The member is anonymous unless they choose to be contactable; a keyed
hash of who reported limits each member to :data:`DAILY_LIMIT` reports a day and is all that
remains of a delivered report, for a day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote

from core.errors import StepbotError
from core.i18n import Translator
from core.model import Meeting
from core.outbound import Address
from core.replies import Button, Reply
from core.store.db import Database

MAX_NOTE = 300
DAILY_LIMIT = 5
LEASE = timedelta(minutes=2)
KEEP = timedelta(days=1)


class ReportKind(StrEnum):
    TIME = "time"
    PLACE = "place"
    LINK = "link"
    CLOSED = "closed"
    OTHER = "other"


class TooManyReports(StepbotError):
    key = "report.too_many"


# How a member's profile is opened from an admin's client, per platform ("{id}" → user id).
# Adapters register theirs (core names no platform).
_PROFILE_LINKS: dict[str, str] = {}


def register_profile_link(platform: str, template: str) -> None:
    _PROFILE_LINKS[platform] = template


def profile_link(platform: str, user_id: str) -> str | None:
    template = _PROFILE_LINKS.get(platform)
    return template.format(id=quote(user_id, safe="")) if template else None


def parse_kind(value: str) -> ReportKind | None:
    try:
        return ReportKind(value.strip().lower())
    except ValueError:
        return None


def clean_note(note: str | None) -> str | None:
    """One line, without control characters, at most MAX_NOTE characters."""
    if not note:
        return None
    text = " ".join("".join(c if c.isprintable() else " " for c in note).split())
    return text[:MAX_NOTE] or None


@dataclass(frozen=True, slots=True)
class ReportRoute:
    community: str | None  # whose admins are told (None: nobody inside the bot)
    feedback_url: str | None = None
    mailto: str | None = None
    edit_url: str | None = None

    @property
    def reachable(self) -> bool:
        return bool(self.community or self.feedback_url or self.mailto or self.edit_url)


def route(t: Translator, meeting: Meeting, asked_in: str | None, kind: ReportKind,
          note: str | None) -> ReportRoute:
    """Where a report about `meeting`, made in community `asked_in` (None: privately), goes."""
    if meeting.community is not None:
        return ReportRoute(community=meeting.community)
    info = meeting.info
    return ReportRoute(
        community=asked_in,
        feedback_url=info.feedback_url,
        mailto=mailto_link(t, info.feedback_emails, meeting, kind, note),
        edit_url=info.edit_url,
    )


def mailto_link(t: Translator, emails: tuple[str, ...], meeting: Meeting, kind: ReportKind,
                note: str | None) -> str | None:
    """A mailto: link with subject and body filled in; the member's client sends it."""
    if not emails:
        return None
    subject = t("report.mail_subject", name=meeting.name)
    body = t("report.mail_body", name=meeting.name, what=t(f"report.kind.{kind.value}"),
             note=note or "", ref=meeting.source_ref or meeting.slug)
    return (f"mailto:{','.join(quote(e, safe='@') for e in emails)}"
            f"?subject={quote(subject)}&body={quote(body)}")


@dataclass(frozen=True, slots=True)
class DueReport:
    id: int
    platform: str
    community: str
    meeting_id: int | None
    meeting_slug: str
    kind: ReportKind
    note: str | None
    contact: str | None  # the member's platform id, only if they chose to be contactable
    language: str
    attempts: int


def report_message(t: Translator, report: DueReport, meeting: Meeting | None) -> Reply:
    """What the admins receive (no reporter identity unless they chose to be contactable)."""
    name = meeting.name if meeting is not None else report.meeting_slug
    blocks = [
        t("report.admin_what", what=t(f"report.kind.{report.kind.value}")),
        t("report.admin_meeting", name=name, slug=report.meeting_slug),
    ]
    if report.note:
        blocks.append(t("report.admin_note", note=report.note))
    buttons: list[Button] = []
    link = profile_link(report.platform, report.contact) if report.contact else None
    if report.contact:
        blocks.append(t("report.admin_contactable"))
        if link:
            buttons.append(Button(t("report.admin_contact_button"), url=link))
    else:
        blocks.append(t("report.admin_anonymous"))
    if meeting is not None and meeting.community is not None:
        blocks.append(t("report.admin_how_to_fix", slug=meeting.slug))
    return Reply(lang=t.lang, title=t("report.admin_title", name=name), blocks=blocks,
                 buttons=[buttons] if buttons else [], private=True)


class ChangeReports:
    """The queue of reports waiting to reach a community's admins."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.now = clock
        self.on_change: Callable[[], None] | None = None  # the delivery engine's wake
        self._salt: str | None = None

    async def _write(self, sql: str, params: tuple[object, ...]) -> int:
        async with self.db.transaction() as conn:
            cur = await conn.execute(sql, params)
            return max(cur.rowcount, 0)

    async def _reporter(self, platform: str, user_id: str) -> str:
        if self._salt is None:  # written once by migration 010, never changed: safe to keep
            self._salt = str(await self.db.scalar("SELECT salt FROM report_salt"))
        salt = self._salt
        return hashlib.sha256(f"{salt}:{platform}:{user_id}".encode()).hexdigest()

    async def submit(self, *, platform: str, user_id: str, community: str, meeting: Meeting,
                     kind: ReportKind, note: str | None, contactable: bool,
                     language: str) -> int:
        """Queue a report (TooManyReports past the daily limit; nothing is stored then)."""
        now = self.now()
        reporter = await self._reporter(platform, user_id)
        since = int((now - KEEP).timestamp())
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT count(*) FROM change_reports WHERE reporter = ? AND created_utc > ?",
                (reporter, since),
            ) as cur:
                row = await cur.fetchone()
            if row is not None and int(row[0]) >= DAILY_LIMIT:
                raise TooManyReports("too many reports today", limit=DAILY_LIMIT)
            cur = await conn.execute(
                "INSERT INTO change_reports (platform, community, meeting_id, meeting_slug, what,"
                " note, contact, reporter, language, next_try_utc, created_utc)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (platform, community, meeting.id, meeting.slug, kind.value, clean_note(note),
                 user_id if contactable else None, reporter, language, int(now.timestamp()),
                 int(now.timestamp())),
            )
            report_id = int(cur.lastrowid or 0)
        if self.on_change is not None:
            self.on_change()
        return report_id

    async def claim(self, platform: str, limit: int) -> list[DueReport]:
        """Due reports of `platform`, leased for LEASE (a crashed sender's are taken again)."""
        now = int(self.now().timestamp())
        lease = now + int(LEASE.total_seconds())
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT id, community, meeting_id, meeting_slug, what, note, contact, language,"
                " attempts FROM change_reports WHERE platform = ? AND status IN"
                " ('pending', 'sending') AND next_try_utc <= ? ORDER BY next_try_utc LIMIT ?",
                (platform, now, limit),
            ) as cur:
                rows = await cur.fetchall()
            found = [
                DueReport(int(r[0]), platform, r[1], r[2], r[3], ReportKind(r[4]), r[5], r[6],
                          r[7], int(r[8]))
                for r in rows
            ]
            await conn.executemany(
                "UPDATE change_reports SET status = 'sending', next_try_utc = ? WHERE id = ?",
                [(lease, r.id) for r in found],
            )
        return found

    async def finish(self, report: DueReport, *, delivered: bool,
                     retry_at: datetime | None = None) -> None:
        """Delivered (or given up): keep only the rate-limit trace. Else try again later."""
        if retry_at is not None:
            await self._write(
                "UPDATE change_reports SET status = 'pending', attempts = attempts + 1,"
                " next_try_utc = ? WHERE id = ?", (int(retry_at.timestamp()), report.id))
            return
        await self._write(
            "UPDATE change_reports SET status = ?, note = NULL, contact = NULL,"
            " attempts = attempts + 1 WHERE id = ?",
            ("sent" if delivered else "undeliverable", report.id),
        )

    async def earliest(self, platform: str) -> datetime | None:
        value = await self.db.scalar(
            "SELECT min(next_try_utc) FROM change_reports WHERE platform = ? AND status IN"
            " ('pending', 'sending')", (platform,))
        return None if value is None else datetime.fromtimestamp(int(value), self.now().tzinfo)

    async def prune(self) -> int:
        cutoff = int((self.now() - KEEP).timestamp())
        return await self._write(
            "DELETE FROM change_reports WHERE status IN ('sent', 'undeliverable')"
            " AND created_utc < ?", (cutoff,))

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """/forgetme: the member's traces go; a pending report still reaches the admins,
        but no longer says who may be contacted."""
        reporter = await self._reporter(platform, user_id)
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE change_reports SET contact = NULL WHERE platform = ? AND contact = ?",
                (platform, user_id))
            cur = await conn.execute(
                "UPDATE change_reports SET reporter = '' WHERE reporter = ?", (reporter,))
        return {"change_reports": max(cur.rowcount, 0)}


def report_addresses(platform: str, reports_chat: str | None,
                     reports_thread: str | None) -> list[Address]:
    """The admins' chosen channel, if they chose one."""
    return [Address(platform, reports_chat, reports_thread)] if reports_chat else []
